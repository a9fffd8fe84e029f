// Package period is the UK financial year (1 April to 31 March) and the
// spans of days Vigil's figures are kept and billed by: financial years,
// their quarters, calendar months and runs of days. Finance, trading,
// works and maintenance all read and write periods here, so "2024/25-Q2"
// means the same days everywhere and is read by one parser.
//
// The forms read, and no others:
//
//	2024/25                 financial year 2024/25 (also 2024/2025)
//	2024/25-Q2              its second quarter, July to September 2024
//	                        (q or Q; Q1 is April to June … Q4 January to March)
//	2024-07                 July 2024, a calendar month, as invoices bill
//	2024-07-01..2024-07-16  the days from the first up to, not including, the second
//
// Where only a financial year can be meant (ParseYear: a budget's year,
// ?year=) it may also be written 2024-25, 2024-2025 or plain 2024, as
// spreadsheets do; in a period those would be ambiguous (2011-12 is
// December 2011, and 2024 could be the calendar year), so Parse refuses
// them. Years run from MinYear to MaxYear: outside them is a typing
// mistake, and refusing it keeps every date far from time's limits.
//
// Every period is a half-open range of UTC days [From, To).
package period

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The financial years accepted: 1900/01 to 2199/00.
const (
	MinYear = 1900
	MaxYear = 2199
)

// ErrPeriod is the error of text that is no period of the forms above;
// the error wrapping it says which forms were wanted.
var ErrPeriod = errors.New("not a period")

// Period is a financial year or one of its quarters. Year is the calendar
// year the financial year starts in (2024 for 2024/25); Quarter is 1..4,
// or 0 for the whole year.
type Period struct {
	Year, Quarter int
}

// Year is financial year y as a Period.
func Year(y int) Period { return Period{Year: y} }

// ValidYear reports whether y starts a financial year Vigil accepts.
func ValidYear(y int) bool { return y >= MinYear && y <= MaxYear }

// YearLabel writes financial year y as councils do: "2025/26".
func YearLabel(y int) string { return fmt.Sprintf("%d/%02d", y, (y+1)%100) }

// YearOf is the financial year holding t (UTC): 2025 for any day from 1
// April 2025 to 31 March 2026.
func YearOf(t time.Time) int {
	t = t.UTC()
	if t.Month() < time.April {
		return t.Year() - 1
	}
	return t.Year()
}

// Of is the quarter holding t (UTC).
func Of(t time.Time) Period {
	t = t.UTC()
	return Period{Year: YearOf(t), Quarter: (int(t.Month())+8)%12/3 + 1}
}

// String is the period as Parse reads it: "2024/25" or "2024/25-Q2".
func (p Period) String() string {
	s := YearLabel(p.Year)
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

// Range is [From, To).
func (p Period) Range() (from, to time.Time) { return p.From(), p.To() }

// Days is the number of days in the period.
func (p Period) Days() int64 { return int64(p.To().Sub(p.From()) / (24 * time.Hour)) }

// Prev is the period before: the quarter before a quarter, the year
// before a year.
func (p Period) Prev() Period {
	switch p.Quarter {
	case 0:
		return Period{Year: p.Year - 1}
	case 1:
		return Period{Year: p.Year - 1, Quarter: 4}
	}
	return Period{Year: p.Year, Quarter: p.Quarter - 1}
}

// Next is the period after.
func (p Period) Next() Period {
	switch p.Quarter {
	case 0:
		return Period{Year: p.Year + 1}
	case 4:
		return Period{Year: p.Year + 1, Quarter: 1}
	}
	return Period{Year: p.Year, Quarter: p.Quarter + 1}
}

// Span is the period as a Span, for billing.
func (p Period) Span() Span { return Span{Name: p.String(), From: p.From(), To: p.To()} }

// Span is any half-open range of UTC days [From, To) that figures are
// worked out or invoices issued for: a financial year, a quarter, a
// calendar month or a run of days.
type Span struct {
	Name     string // as ParseSpan reads it: "2024/25-Q2", "2024/25", "2024-07" or "2024-07-01..2024-07-16"
	From, To time.Time
}

// Last is the last day of the span, as people write a range.
func (s Span) Last() time.Time { return s.To.AddDate(0, 0, -1) }

// Parse reads a financial year ("2024/25", "2024/2025") or one of its
// quarters ("2024/25-Q2").
func Parse(s string) (Period, error) {
	s = strings.TrimSpace(s)
	p, err := parse(s)
	if err != nil {
		return p, fmt.Errorf("period %q: want a financial year such as 2024/25, or a quarter such as 2024/25-Q2: %w", s, err)
	}
	return p, nil
}

// ParseQuarter reads a quarter of a financial year, "2024/25-Q2".
func ParseQuarter(s string) (Period, error) {
	s = strings.TrimSpace(s)
	p, err := parse(s)
	if err == nil && p.Quarter == 0 {
		err = ErrPeriod
	}
	if err != nil {
		return p, fmt.Errorf("%q is not a quarter like 2024/25-Q2: %w", s, err)
	}
	return p, nil
}

// ParseYear reads a financial year where nothing else can be meant:
// "2025/26", "2025/2026", "2025-26", "2025-2026" or "2025"; it returns
// the year the financial year begins in.
func ParseYear(s string) (int, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (int, error) {
		return 0, fmt.Errorf("%q is not a financial year such as 2025/26%s: %w", s, why, ErrPeriod)
	}
	if y, err := fourDigits(s); err == nil {
		if !ValidYear(y) {
			return bad(fmt.Sprintf(" (from %d to %d)", MinYear, MaxYear))
		}
		return y, nil
	}
	if len(s) > 4 && s[4] == '-' {
		s2 := s[:4] + "/" + s[5:]
		if p, err := parse(s2); err == nil && p.Quarter == 0 {
			return p.Year, nil
		} else if errors.Is(err, errFollow) {
			return bad(": the second year must follow the first")
		}
		return bad("")
	}
	p, err := parse(s)
	switch {
	case errors.Is(err, errFollow):
		return bad(": the second year must follow the first")
	case errors.Is(err, errRange):
		return bad(fmt.Sprintf(" (from %d to %d)", MinYear, MaxYear))
	case err != nil || p.Quarter != 0:
		return bad("")
	}
	return p.Year, nil
}

// ParseSpan reads any period invoices are issued for: a financial year
// or quarter (as Parse), a calendar month "2024-07", or days
// "2024-07-01..2024-07-16" (the second day not included).
func ParseSpan(s string) (Span, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("period %q: give a financial year (2024/25), a quarter (2024/25-Q2), a month (2024-07) or days (2024-07-01..2024-07-16): %w", s, ErrPeriod)
	if a, b, ok := strings.Cut(s, ".."); ok {
		from, err1 := day(a)
		to, err2 := day(b)
		if err1 != nil || err2 != nil || !to.After(from) {
			return Span{}, bad
		}
		return Span{Name: from.Format(time.DateOnly) + ".." + to.Format(time.DateOnly), From: from, To: to}, nil
	}
	if len(s) == 7 && s[4] == '-' {
		t, err := time.Parse("2006-01", s)
		if err != nil || !ValidYear(t.Year()) {
			return Span{}, bad
		}
		return Span{Name: s, From: t, To: t.AddDate(0, 1, 0)}, nil
	}
	p, err := parse(s)
	if err != nil {
		return Span{}, bad
	}
	return p.Span(), nil
}

// day reads 2024-07-01 within the years accepted.
func day(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err == nil && !ValidYear(t.Year()) {
		err = errRange
	}
	return t, err
}

var (
	errFollow = fmt.Errorf("a financial year runs from April to March, so its second year follows its first: %w", ErrPeriod)
	errRange  = fmt.Errorf("the year must be from %d to %d: %w", MinYear, MaxYear, ErrPeriod)
)

// parse reads "2024/25", "2024/2025", and either with "-Q1" to "-Q4".
func parse(s string) (Period, error) {
	fy, q, hasQ := strings.Cut(s, "-")
	start, end, ok := strings.Cut(fy, "/")
	y, err := fourDigits(start)
	if !ok || err != nil || (len(end) != 2 && len(end) != 4) || strings.Trim(end, "0123456789") != "" {
		return Period{}, ErrPeriod
	}
	if len(end) == 2 && end != fmt.Sprintf("%02d", (y+1)%100) || len(end) == 4 && end != strconv.Itoa(y+1) {
		return Period{}, errFollow
	}
	if !ValidYear(y) {
		return Period{}, errRange
	}
	p := Period{Year: y}
	if hasQ {
		if len(q) != 2 || (q[0] != 'Q' && q[0] != 'q') || q[1] < '1' || q[1] > '4' {
			return Period{}, fmt.Errorf("the quarter must be Q1, Q2, Q3 or Q4: %w", ErrPeriod)
		}
		p.Quarter = int(q[1] - '0')
	}
	return p, nil
}

// fourDigits reads exactly four ASCII digits.
func fourDigits(s string) (int, error) {
	if len(s) != 4 || strings.Trim(s, "0123456789") != "" {
		return 0, ErrPeriod
	}
	return strconv.Atoi(s)
}
