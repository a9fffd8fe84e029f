package trading

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is a half-open range of UTC days [From, To) that invoices are
// issued for: a calendar month, a quarter or a financial year (April to
// March), or any range of days.
type Period struct {
	Name     string // "2024/25-Q2", "2024/25", "2024-07" or "2024-07-01..2024-07-16"
	From, To time.Time
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// ParsePeriod reads a financial year "2024/25" (1 April 2024 to 31 March
// 2025), a quarter of one "2024/25-Q2" (Q1 is April to June … Q4 January
// to March), a calendar month "2024-07", or days "2024-07-01..2024-07-16"
// (the second day not included).
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("period %q: give a financial year (2024/25), a quarter (2024/25-Q2), a month (2024-07) or days (2024-07-01..2024-07-16)", s)
	if a, b, ok := strings.Cut(s, ".."); ok {
		from, err1 := time.Parse(time.DateOnly, a)
		to, err2 := time.Parse(time.DateOnly, b)
		if err1 != nil || err2 != nil || !to.After(from) {
			return Period{}, bad
		}
		return Period{Name: s, From: from, To: to}, nil
	}
	if t, err := time.Parse("2006-01", s); err == nil {
		return Period{Name: s, From: t, To: t.AddDate(0, 1, 0)}, nil
	}
	fy, q, hasQ := strings.Cut(s, "-")
	y1, y2, ok := strings.Cut(fy, "/")
	start, err1 := strconv.Atoi(y1)
	end, err2 := strconv.Atoi(y2)
	if !ok || err1 != nil || err2 != nil || len(y1) != 4 || len(y2) != 2 || (start+1)%100 != end || start < 2000 || start > 2200 {
		return Period{}, bad
	}
	from := day(start, time.April, 1)
	if !hasQ {
		return Period{Name: s, From: from, To: from.AddDate(1, 0, 0)}, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(q), "Q"))
	if err != nil || n < 1 || n > 4 || !strings.HasPrefix(strings.ToUpper(q), "Q") {
		return Period{}, bad
	}
	from = from.AddDate(0, 3*(n-1), 0)
	return Period{Name: fmt.Sprintf("%s-Q%d", fy, n), From: from, To: from.AddDate(0, 3, 0)}, nil
}

// QuarterOf is the financial quarter that holds t.
func QuarterOf(t time.Time) Period {
	t = t.UTC()
	y := t.Year()
	if t.Month() < time.April {
		y--
	}
	q := (int(t.Month())+8)%12/3 + 1
	p, _ := ParsePeriod(fmt.Sprintf("%d/%02d-Q%d", y, (y+1)%100, q))
	return p
}

// Last is the last day of the period, as people write a range.
func (p Period) Last() time.Time { return p.To.AddDate(0, 0, -1) }
