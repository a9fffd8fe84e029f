// Package money is checked arithmetic on whole pence. Vigil's figures
// are int64 pence, which hold any real partnership's money many times
// over; but an amount someone typed can be anything, and Go's integers
// wrap silently, so a sum that does not fit would come out as a
// plausible-looking negative balance. Every sum of money entered by
// people goes through these helpers, which refuse instead of wrapping.
package money

import (
	"errors"
	"math"
)

// ErrOverflow is returned when a sum or product of pence does not fit in
// an int64: the figures entered cannot all be right.
var ErrOverflow = errors.New("the amounts are too large to add up")

// Max is the largest amount in pence Vigil accepts as one figure: £10
// trillion, a thousand times a large council's whole budget. Bounding
// each figure keeps the sums of thousands of them far from overflow, so
// only a mistake is refused.
const Max int64 = 1_000_000_000_000_000

// InRange says whether v is an amount Vigil accepts as one figure.
func InRange(v int64) bool { return v >= -Max && v <= Max }

// Add is a+b, or ErrOverflow.
func Add(a, b int64) (int64, error) {
	s := a + b
	// Overflow happened iff both operands have the sign the result lacks.
	if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
		return 0, ErrOverflow
	}
	return s, nil
}

// Sub is a-b, or ErrOverflow.
func Sub(a, b int64) (int64, error) {
	if b == math.MinInt64 {
		if a >= 0 {
			return 0, ErrOverflow
		}
		return a - b, nil
	}
	return Add(a, -b)
}

// Mul is a·b, or ErrOverflow.
func Mul(a, b int64) (int64, error) {
	if a == 0 || b == 0 {
		return 0, nil
	}
	p := a * b
	if (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) || p/b != a {
		return 0, ErrOverflow
	}
	return p, nil
}

// Sum adds vs, or returns ErrOverflow.
func Sum(vs ...int64) (int64, error) {
	var s int64
	for _, v := range vs {
		var err error
		if s, err = Add(s, v); err != nil {
			return 0, err
		}
	}
	return s, nil
}
