package period

import (
	"errors"
	"testing"
	"time"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestParse: every form Parse reads, and forms it refuses.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, want, from, to string
		days               int64
	}{
		{"2024/25", "2024/25", "2024-04-01", "2025-04-01", 365},
		{"2023/24", "2023/24", "2023-04-01", "2024-04-01", 366},
		{"2024/2025", "2024/25", "2024-04-01", "2025-04-01", 365},
		{" 2024/25 ", "2024/25", "2024-04-01", "2025-04-01", 365},
		{"2024/25-Q1", "2024/25-Q1", "2024-04-01", "2024-07-01", 91},
		{"2024/25-Q2", "2024/25-Q2", "2024-07-01", "2024-10-01", 92},
		{"2024/25-Q3", "2024/25-Q3", "2024-10-01", "2025-01-01", 92},
		{"2024/25-Q4", "2024/25-Q4", "2025-01-01", "2025-04-01", 90},
		{"2024/25-q4", "2024/25-Q4", "2025-01-01", "2025-04-01", 90},
		{"2024/2025-Q2", "2024/25-Q2", "2024-07-01", "2024-10-01", 92},
		{"1999/00-q4", "1999/00-Q4", "2000-01-01", "2000-04-01", 91},
		{"2099/00-Q1", "2099/00-Q1", "2099-04-01", "2099-07-01", 91},
		{"1900/01", "1900/01", "1900-04-01", "1901-04-01", 365},
		{"2199/00", "2199/00", "2199-04-01", "2200-04-01", 365},
	} {
		t.Run(tc.in, func(t *testing.T) {
			p, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("got error %v, want %s", err, tc.want)
			}
			if p.String() != tc.want || !p.From().Equal(d(tc.from)) || !p.To().Equal(d(tc.to)) || p.Days() != tc.days {
				t.Errorf("got %s [%s, %s) %d days, want %s [%s, %s) %d days", p, p.From().Format(time.DateOnly), p.To().Format(time.DateOnly), p.Days(), tc.want, tc.from, tc.to, tc.days)
			}
			if back, err := Parse(p.String()); err != nil || back != p {
				t.Errorf("Parse(String()): got %v, %v, want %v", back, err, p)
			}
			if p.Quarter != 0 {
				if got := Of(p.To().AddDate(0, 0, -1)); got != p {
					t.Errorf("Of(last day): got %s, want %s", got, p)
				}
				if got := p.Next().Prev(); got != p {
					t.Errorf("Next().Prev(): got %s, want %s", got, p)
				}
			}
		})
	}
	for _, bad := range []string{"", "2024", "2024-25", "2024-2025", "2024-07", "24/25", "2024/26", "2024/2026", "2024/5",
		"2024/25-Q5", "2024/25-Q0", "2024/25-Q", "2024/25-X1", "2024/25-Q12", "2024-Q1", "1899/00", "2200/01", "２０２４/25", "+024/25", "2024/25/26"} {
		t.Run("bad "+bad, func(t *testing.T) {
			p, err := Parse(bad)
			if err == nil {
				t.Fatalf("got %v, want an error", p)
			}
			if !errors.Is(err, ErrPeriod) {
				t.Errorf("got %v, want ErrPeriod", err)
			}
		})
	}
}

// TestParseYear: where only a financial year can be meant, the dashed
// and plain forms are read too.
func TestParseYear(t *testing.T) {
	for in, want := range map[string]int{"2025/26": 2025, "2025/2026": 2025, "2025-26": 2025, "2025-2026": 2025, "2025": 2025,
		"1999/00": 1999, "1900": 1900, "2199": 2199} {
		if got, err := ParseYear(in); err != nil || got != want {
			t.Errorf("ParseYear(%q): got %d, %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "25/26", "2025/27", "2025-27", "2025/25", "2025/26-Q1", "2025-26-Q1", "1899", "2200", "2025-07", "02025"} {
		if got, err := ParseYear(bad); err == nil || !errors.Is(err, ErrPeriod) {
			t.Errorf("ParseYear(%q): got %d, %v, want ErrPeriod", bad, got, err)
		}
	}
}

// TestParseQuarter: a quarter, nothing else.
func TestParseQuarter(t *testing.T) {
	if q, err := ParseQuarter("2024/25-Q2"); err != nil || q != (Period{2024, 2}) {
		t.Errorf("got %v, %v, want 2024/25-Q2", q, err)
	}
	for _, bad := range []string{"2024/25", "2024/26-Q1", "2024/25-Q5", "2024-Q1"} {
		if q, err := ParseQuarter(bad); err == nil {
			t.Errorf("ParseQuarter(%q): got %v, want an error", bad, q)
		}
	}
}

// TestParseSpan: what invoices are issued for.
func TestParseSpan(t *testing.T) {
	for _, tc := range []struct{ in, name, from, to string }{
		{"2024/25", "2024/25", "2024-04-01", "2025-04-01"},
		{"2024/25-Q2", "2024/25-Q2", "2024-07-01", "2024-10-01"},
		{"2024/25-q4", "2024/25-Q4", "2025-01-01", "2025-04-01"},
		{"2099/00-Q1", "2099/00-Q1", "2099-04-01", "2099-07-01"},
		{"2024-07", "2024-07", "2024-07-01", "2024-08-01"},
		{"2024-12", "2024-12", "2024-12-01", "2025-01-01"},
		{"2024-07-16..2024-08-01", "2024-07-16..2024-08-01", "2024-07-16", "2024-08-01"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			s, err := ParseSpan(tc.in)
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if s.Name != tc.name || !s.From.Equal(d(tc.from)) || !s.To.Equal(d(tc.to)) {
				t.Errorf("got %s [%s, %s), want %s [%s, %s)", s.Name, s.From.Format(time.DateOnly), s.To.Format(time.DateOnly), tc.name, tc.from, tc.to)
			}
		})
	}
	for _, bad := range []string{"", "2024/26", "2024/25-Q5", "2024/25-X1", "24/25", "2024-13", "2024-00", "2024-25", "2024",
		"2024-08-01..2024-07-01", "2024-07-01..2024-07-01", "2024-07-01..", "2024/25-Q", "1899-12", "2200-01", "1899-12-01..1900-01-01"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if s, err := ParseSpan(bad); err == nil || !errors.Is(err, ErrPeriod) {
				t.Errorf("got %+v, %v, want ErrPeriod", s, err)
			}
		})
	}
}

// TestOf: the financial year and quarter of a day.
func TestOf(t *testing.T) {
	for in, want := range map[string]string{
		"2024-04-01": "2024/25-Q1", "2024-06-30": "2024/25-Q1", "2024-07-01": "2024/25-Q2", "2024-12-31": "2024/25-Q3",
		"2025-01-01": "2024/25-Q4", "2025-03-31": "2024/25-Q4",
	} {
		if got := Of(d(in)).String(); got != want {
			t.Errorf("Of(%s): got %s, want %s", in, got, want)
		}
		if got, want := YearLabel(YearOf(d(in))), want[:7]; got != want {
			t.Errorf("YearOf(%s): got %s, want %s", in, got, want)
		}
	}
	if got := (Period{Year: 2024}).Prev().Next(); got != (Period{Year: 2024}) {
		t.Errorf("a year's Prev().Next(): got %s, want 2024/25", got)
	}
	if got := (Period{2024, 1}).Prev(); got != (Period{2023, 4}) {
		t.Errorf("Q1's Prev: got %s, want 2023/24-Q4", got)
	}
}
