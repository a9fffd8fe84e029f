// Package money is Vigil's one money type: an amount is whole pence in an
// int64, which holds any real partnership's money many times over. An
// amount someone typed can be anything, though, and Go's integers wrap
// silently, so a sum that does not fit would come out as a
// plausible-looking negative balance: every sum of money entered by
// people goes through the checked helpers here, which refuse instead of
// wrapping, and every amount read goes through Parse, which refuses one
// past Max. Finance, trading, works and their pages read and write pounds
// with Parse and the formatters here and nowhere else.
package money

import (
	"errors"
	"math"
	"strconv"
	"strings"
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

// ErrAmount is the error of text that is not an amount of money.
var ErrAmount = errors.New("not an amount of money such as 12,500.00, -250170.50 or (1,100)")

// Parse reads an amount of pounds, as people and spreadsheets write it,
// into pence, exactly: no float is involved. It reads digits with at
// most two decimal places ("12500", "12,500.5", ".07"); commas and spaces
// between them group digits and are ignored; a "£" may stand before the
// digits; a negative is written "-250,170.50" (also "-£12" or "£-12") or,
// as accounts do, "(1,100)". Nothing else is read: no "+", no exponent,
// no third decimal place (refused, not rounded), no empty amount.
// Amounts past ±Max are refused with ErrOverflow, so no figure read can
// wrap and every sum of them is checked; any other refusal is ErrAmount.
func Parse(s string) (int64, error) {
	v := strings.NewReplacer(",", "", " ", "").Replace(strings.TrimSpace(s))
	neg := false
	if strings.HasPrefix(v, "(") && strings.HasSuffix(v, ")") {
		neg, v = true, v[1:len(v)-1]
	}
	pound := false
	if rest, ok := strings.CutPrefix(v, "£"); ok {
		pound, v = true, rest
	}
	if rest, ok := strings.CutPrefix(v, "-"); ok {
		if neg { // "(-5)": which sign was meant cannot be told
			return 0, ErrAmount
		}
		neg, v = true, rest
	}
	if rest, ok := strings.CutPrefix(v, "£"); ok && !pound {
		v = rest
	}
	whole, frac, dot := strings.Cut(v, ".")
	if whole == "" && frac == "" || dot && frac == "" || len(frac) > 2 ||
		strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return 0, ErrAmount
	}
	var w int64
	if whole != "" {
		var err error
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil || w > Max/100 {
			return 0, ErrOverflow // only digits, so too many of them
		}
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 2-len(frac)), 10, 64)
	}
	p := w*100 + f
	if p > Max {
		return 0, ErrOverflow
	}
	if neg {
		p = -p
	}
	return p, nil
}

// Pounds writes pence as pounds for people: "£1,742,000.01", "-£12.50".
func Pounds(p int64) string {
	sign, u := split(p)
	return sign + "£" + group(u/100) + "." + twoDigits(u%100)
}

// Format writes pence as pounds with pence but no "£", as statements
// print them: "543,930.00", "-12.50".
func Format(p int64) string {
	sign, u := split(p)
	return sign + group(u/100) + "." + twoDigits(u%100)
}

// Plain writes pence as a bare decimal a spreadsheet reads as a number:
// "1742000.00", "-12.50".
func Plain(p int64) string {
	sign, u := split(p)
	return sign + strconv.FormatUint(u/100, 10) + "." + twoDigits(u%100)
}

// Whole writes pence as whole pounds, rounded half away from zero, as
// summary tables print them: 54393050 is "543,931".
func Whole(p int64) string {
	sign, u := split(p)
	w := u / 100
	if u%100 >= 50 {
		w++
	}
	if w == 0 {
		sign = ""
	}
	return sign + group(w)
}

// Accounting writes pence with one of the formatters above (Pounds,
// Format, Whole) as councils' accounts print them, a negative amount in
// brackets instead of after a minus: Accounting(-123_400, Whole) is
// "(1,234)", Accounting(-123_456, Pounds) "(£1,234.56)". An amount that
// the formatter rounds to nothing has no brackets: Whole writes -40
// pence as "0". Parse reads every result back.
func Accounting(p int64, format func(int64) string) string {
	s := format(p)
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		return "(" + rest + ")"
	}
	return s
}

// split is p's sign and magnitude; the magnitude of math.MinInt64 fits a
// uint64 where it does not fit an int64.
func split(p int64) (string, uint64) {
	if p < 0 {
		return "-", uint64(-(p + 1)) + 1
	}
	return "", uint64(p)
}

// group writes v with a comma between each three digits.
func group(v uint64) string {
	s := strconv.FormatUint(v, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func twoDigits(v uint64) string {
	if v < 10 {
		return "0" + strconv.FormatUint(v, 10)
	}
	return strconv.FormatUint(v, 10)
}
