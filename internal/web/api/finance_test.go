package api

import "testing"

func TestParsePounds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"119,360", 119_360_00, false}, {"-250,170.5", -250_170_50, false}, {"£900", 900_00, false},
		{"(1,100)", -1_100_00, false}, {"", 0, false}, {"12.345", 0, true}, {"ten", 0, true},
		// Strict: no other signs or forms; nothing past money.Max (£10
		// trillion), which keeps every sum of figures read far from
		// int64's limit instead of wrapping.
		{"(-5)", 0, true}, {"-", 0, true}, {"+5", 0, true}, {"1e5", 0, true}, {"1.2.3", 0, true}, {"--5", 0, true}, {"5-", 0, true},
		{"10,000,000,000,000", 1_000_000_000_000_000, false}, {"-10,000,000,000,000.00", -1_000_000_000_000_000, false},
		{"10,000,000,000,000.01", 0, true}, {"92,233,720,368,547,758.07", 0, true}, {"-92,233,720,368,547,758.08", 0, true},
		{"99999999999999999999999", 0, true},
	} {
		got, err := parsePounds(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("parsePounds(%q): got %d, %v, want %d (error: %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}
