package money

import (
	"errors"
	"math"
	"testing"
)

func TestChecked(t *testing.T) {
	const max, min = math.MaxInt64, math.MinInt64
	for _, tc := range []struct {
		op         string
		a, b, want int64
		overflow   bool
	}{
		{"add", 1, 2, 3, false},
		{"add", max, 0, max, false},
		{"add", max, 1, 0, true},
		{"add", max - 5, 5, max, false},
		{"add", min, -1, 0, true},
		{"add", min, max, -1, false},
		{"add", -1, -1, -2, false},
		{"sub", 0, min, 0, true},
		{"sub", -1, min, max, false},
		{"sub", min, 1, 0, true},
		{"sub", 5, 7, -2, false},
		{"sub", max, -1, 0, true},
		{"mul", 3, -4, -12, false},
		{"mul", max, 2, 0, true},
		{"mul", min, -1, 0, true},
		{"mul", -1, min, 0, true},
		{"mul", 1 << 32, 1 << 31, 0, true},
		{"mul", 1 << 31, 1 << 31, 1 << 62, false},
		{"mul", 0, min, 0, false},
	} {
		var got int64
		var err error
		switch tc.op {
		case "add":
			got, err = Add(tc.a, tc.b)
		case "sub":
			got, err = Sub(tc.a, tc.b)
		case "mul":
			got, err = Mul(tc.a, tc.b)
		}
		if tc.overflow {
			if !errors.Is(err, ErrOverflow) {
				t.Errorf("%s(%d, %d): got %d, %v, want ErrOverflow", tc.op, tc.a, tc.b, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s(%d, %d): got %d, %v, want %d", tc.op, tc.a, tc.b, got, err, tc.want)
		}
	}
	if _, err := Sum(max/2, max/2, 2); !errors.Is(err, ErrOverflow) {
		t.Errorf("Sum past MaxInt64: got %v, want ErrOverflow", err)
	}
	if s, err := Sum(max, -max, max); err != nil || s != max {
		t.Errorf("Sum(max, -max, max): got %d, %v, want max", s, err)
	}
	if InRange(Max+1) || InRange(-Max-1) || !InRange(-Max) {
		t.Errorf("InRange: wrong at the bounds")
	}
}
