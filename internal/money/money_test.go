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

// TestParse: every form Parse reads, and what it refuses and why.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  error
	}{
		{"12500", 12_500_00, nil},
		{"12,500.00", 12_500_00, nil},
		{"12,500.5", 12_500_50, nil},
		{"119,360", 119_360_00, nil},
		{"1 742 000", 1_742_000_00, nil},
		{" £1,742,000.00 ", 1_742_000_00, nil},
		{"£900", 900_00, nil},
		{"0.07", 7, nil},
		{".5", 50, nil},
		{"0", 0, nil},
		{"-3.10", -3_10, nil},
		{"-250170.50", -250_170_50, nil},
		{"-250,170.5", -250_170_50, nil},
		{"-£12", -12_00, nil},
		{"£-12", -12_00, nil},
		{"(1,100)", -1_100_00, nil},
		{"(£1,100.25)", -1_100_25, nil},
		{"10,000,000,000,000", Max, nil},
		{"-10,000,000,000,000.00", -Max, nil},
		{"", 0, ErrAmount},
		{"   ", 0, ErrAmount},
		{"£", 0, ErrAmount},
		{"-", 0, ErrAmount},
		{"()", 0, ErrAmount},
		{"ten", 0, ErrAmount},
		{"12a", 0, ErrAmount},
		{"1.", 0, ErrAmount},
		{"12.345", 0, ErrAmount},
		{"1.2.3", 0, ErrAmount},
		{"1e5", 0, ErrAmount},
		{"+5", 0, ErrAmount},
		{"--5", 0, ErrAmount},
		{"5-", 0, ErrAmount},
		{"(-5)", 0, ErrAmount},
		{"£-£5", 0, ErrAmount},
		{"١", 0, ErrAmount},
		{"10,000,000,000,000.01", 0, ErrOverflow},
		{"99999999999999", 0, ErrOverflow},
		{"92,233,720,368,547,758.07", 0, ErrOverflow},
		{"-92,233,720,368,547,758.08", 0, ErrOverflow},
		{"99999999999999999999999", 0, ErrOverflow},
	} {
		got, err := Parse(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("Parse(%q): got %d, %v, want %d, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestFormat: the four ways amounts are written, at the edges too.
func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		p                          int64
		pounds, format, plain, whl string
	}{
		{0, "£0.00", "0.00", "0.00", "0"},
		{5, "£0.05", "0.05", "0.05", "0"},
		{-5, "-£0.05", "-0.05", "-0.05", "0"},
		{-50, "-£0.50", "-0.50", "-0.50", "-1"},
		{49, "£0.49", "0.49", "0.49", "0"},
		{12_50, "£12.50", "12.50", "12.50", "13"},
		{174_200_001, "£1,742,000.01", "1,742,000.01", "1742000.01", "1,742,000"},
		{54_393_000, "£543,930.00", "543,930.00", "543930.00", "543,930"},
		{-225_400_000, "-£2,254,000.00", "-2,254,000.00", "-2254000.00", "-2,254,000"},
		{math.MinInt64, "-£92,233,720,368,547,758.08", "-92,233,720,368,547,758.08", "-92233720368547758.08", "-92,233,720,368,547,758"},
		{math.MaxInt64, "£92,233,720,368,547,758.07", "92,233,720,368,547,758.07", "92233720368547758.07", "92,233,720,368,547,758"},
	} {
		if got := Pounds(tc.p); got != tc.pounds {
			t.Errorf("Pounds(%d): got %s, want %s", tc.p, got, tc.pounds)
		}
		if got := Format(tc.p); got != tc.format {
			t.Errorf("Format(%d): got %s, want %s", tc.p, got, tc.format)
		}
		if got := Plain(tc.p); got != tc.plain {
			t.Errorf("Plain(%d): got %s, want %s", tc.p, got, tc.plain)
		}
		if got := Whole(tc.p); got != tc.whl {
			t.Errorf("Whole(%d): got %s, want %s", tc.p, got, tc.whl)
		}
		if tc.p >= -Max && tc.p <= Max {
			for _, s := range []string{Pounds(tc.p), Format(tc.p), Plain(tc.p)} {
				if back, err := Parse(s); err != nil || back != tc.p {
					t.Errorf("Parse(%q): got %d, %v, want %d", s, back, err, tc.p)
				}
			}
		}
	}
}

// TestAccounting: negative amounts in brackets, as councils print them,
// in each formatter's style, and read back by Parse.
func TestAccounting(t *testing.T) {
	for _, tc := range []struct {
		name   string
		p      int64
		format func(int64) string
		want   string
	}{
		{"whole pounds", 123_400, Whole, "1,234"},
		{"a negative in whole pounds", -123_400, Whole, "(1,234)"},
		{"pounds and pence", 123_456, Pounds, "£1,234.56"},
		{"a negative in pounds and pence", -123_456, Pounds, "(£1,234.56)"},
		{"without the pound sign", -5, Format, "(0.05)"},
		{"rounded to nothing has no brackets", -40, Whole, "0"},
		{"half a pound rounds away from zero", -50, Whole, "(1)"},
		{"zero", 0, Pounds, "£0.00"},
		{"the most negative amount", math.MinInt64, Pounds, "(£92,233,720,368,547,758.08)"},
	} {
		got := Accounting(tc.p, tc.format)
		if got != tc.want {
			t.Errorf("%s: got Accounting(%d) = %s, want %s", tc.name, tc.p, got, tc.want)
		}
		if tc.p >= -Max && tc.p <= Max && tc.format(tc.p) != "0" {
			if back, err := Parse(got); err != nil || back != tc.p && tc.format(back) != tc.format(tc.p) {
				t.Errorf("%s: got Parse(%q) = %d, %v, want %d", tc.name, got, back, err, tc.p)
			}
		}
	}
}
