// Package finance holds the partnership's money: camera monitoring
// categories and their weights, the dated history of every camera, the
// recharge of the partnership's net cost to its partners by their
// time-weighted equivalent camera numbers, and the quarterly statement in
// the shape councils report it. Everything is integer arithmetic: money in
// pence, weights in parts per million, time in whole days, so a figure is
// the same on every machine and every run.
package finance

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is a financial year (1 April to 31 March) or one of its
// quarters. Year is the calendar year the financial year starts in (2024
// for 2024/25); Quarter is 1..4, or 0 for the whole year.
type Period struct {
	Year, Quarter int
}

// ParsePeriod reads "2024/25" (a year) or "2024/25-Q2" (a quarter).
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	y, q, hasQ := strings.Cut(s, "-")
	var p Period
	start, end, ok := strings.Cut(y, "/")
	if !ok || len(start) != 4 || len(end) != 2 {
		return p, fmt.Errorf("period %q: want a financial year such as 2024/25, or a quarter such as 2024/25-Q2", s)
	}
	yr, err := strconv.Atoi(start)
	if err != nil || yr < 1900 || yr > 9998 {
		return p, fmt.Errorf("period %q: %q is not a year", s, start)
	}
	if fmt.Sprintf("%02d", (yr+1)%100) != end {
		return p, fmt.Errorf("period %q: a financial year runs from April to March, so %d is followed by %02d", s, yr, (yr+1)%100)
	}
	p.Year = yr
	if hasQ {
		if len(q) != 2 || (q[0] != 'Q' && q[0] != 'q') || q[1] < '1' || q[1] > '4' {
			return p, fmt.Errorf("period %q: the quarter must be Q1, Q2, Q3 or Q4", s)
		}
		p.Quarter = int(q[1] - '0')
	}
	return p, nil
}

// String is the period as ParsePeriod reads it.
func (p Period) String() string {
	s := fmt.Sprintf("%d/%02d", p.Year, (p.Year+1)%100)
	if p.Quarter != 0 {
		s += fmt.Sprintf("-Q%d", p.Quarter)
	}
	return s
}

// FinancialYear is the whole year the period falls in.
func (p Period) FinancialYear() Period { return Period{Year: p.Year} }

// From is the first day of the period, midnight UTC.
func (p Period) From() time.Time {
	q := max(p.Quarter, 1)
	return time.Date(p.Year, time.Month(4+3*(q-1)), 1, 0, 0, 0, 0, time.UTC)
}

// To is the day after the period ends: periods are half-open [From, To).
func (p Period) To() time.Time {
	if p.Quarter == 0 {
		return time.Date(p.Year+1, time.April, 1, 0, 0, 0, 0, time.UTC)
	}
	return p.From().AddDate(0, 3, 0)
}

// Days is the number of days in the period.
func (p Period) Days() int64 { return dayNumber(p.To()) - dayNumber(p.From()) }

// PeriodOf is the quarter that day t falls in.
func PeriodOf(t time.Time) Period {
	t = t.UTC()
	y, m := t.Year(), int(t.Month())
	if m < 4 {
		y--
	}
	return Period{Year: y, Quarter: (m+8)%12/3 + 1}
}

// Day truncates t to its UTC day: history is kept in whole days.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ParseDay reads a date as councils write it in spreadsheets, 2024-07-01
// or 01/07/2024.
func ParseDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02/01/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q: write it as 2024-07-01 or 01/07/2024", s)
}

// dayNumber counts days since the Unix epoch; history arithmetic is on
// these rather than on time.Time, which is both faster and exact.
func dayNumber(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - 86399) / 86400
	}
	return s / 86400
}
