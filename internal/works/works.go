// Package works holds the rules of a council's CCTV works contracts:
// departments' budgets per financial year, works orders that move from
// raised to completed, the spend each order commits, the warnings given
// before an order takes a department over its budget or a contract over
// its value or annual allowance, and the date a contract's value runs out
// at the current rate of spending.
//
// It was written after a council found its contract value spent early
// because departments commissioned ad hoc works that nobody added up: the
// figures here are the adding up. Everything is a pure function of values
// the caller reads from the store, so tests drive it with a fake clock.
// Money is integer pence throughout.
package works

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kinds of works order.
const (
	NewInstallation = "new_installation"
	Relocation      = "relocation"
	Repair          = "repair"
	Enhancement     = "enhancement"
)

// Kinds lists them in the order forms show them.
var Kinds = []string{NewInstallation, Relocation, Repair, Enhancement}

// KindTitle is a kind as a person reads it.
func KindTitle(k string) string {
	switch k {
	case NewInstallation:
		return "new installation"
	case Relocation:
		return "relocation"
	case Repair:
		return "repair"
	case Enhancement:
		return "enhancement"
	}
	return k
}

// ValidKind reports whether k is a kind of order.
func ValidKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Fundings: which of a contract's annual allowances an order draws on.
// Planned maintenance is the work the contract was let for; ad hoc works
// are what departments ask for beyond it, the spend that ran away.
const (
	Planned = "planned"
	AdHoc   = "ad_hoc"
)

// Fundings lists them.
var Fundings = []string{Planned, AdHoc}

// ValidFunding reports whether f is a funding.
func ValidFunding(f string) bool { return f == Planned || f == AdHoc }

// FundingTitle is a funding as a person reads it.
func FundingTitle(f string) string {
	if f == AdHoc {
		return "ad hoc works"
	}
	return "planned maintenance"
}

// States of an order. Raised → quoted → approved → completed; any but a
// completed order may be cancelled.
const (
	Raised    = "raised"
	Quoted    = "quoted"
	Approved  = "approved"
	Completed = "completed"
	Cancelled = "cancelled"
)

// States lists them in order.
var States = []string{Raised, Quoted, Approved, Completed, Cancelled}

// Committed is what an order commits of a budget and a contract: an
// approved order its approved amount until it is completed, a completed
// one its final cost, anything else nothing.
func Committed(state string, approved, final int64) int64 {
	switch state {
	case Approved:
		return approved
	case Completed:
		return final
	}
	return 0
}

// Spent is what an order has cost so far: its final cost once completed.
func Spent(state string, final int64) int64 {
	if state == Completed {
		return final
	}
	return 0
}

// Date is t's calendar day in UTC, at midnight.
func Date(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// FinancialYear is the year in which the financial year holding t began:
// 2025 for any day from 1 April 2025 to 31 March 2026.
func FinancialYear(t time.Time) int {
	t = t.UTC()
	if t.Month() < time.April {
		return t.Year() - 1
	}
	return t.Year()
}

// YearSpan is financial year y as a half-open range of UTC dates.
func YearSpan(y int) (from, to time.Time) {
	return time.Date(y, time.April, 1, 0, 0, 0, 0, time.UTC), time.Date(y+1, time.April, 1, 0, 0, 0, 0, time.UTC)
}

// YearLabel writes financial year y as councils do: "2025/26".
func YearLabel(y int) string { return fmt.Sprintf("%d/%02d", y, (y+1)%100) }

// ParseYear reads "2025/26" (or "2025-26", or plain "2025") as the year
// the financial year began.
func ParseYear(s string) (int, error) {
	s = strings.TrimSpace(s)
	head, tail, two := strings.Cut(strings.ReplaceAll(s, "-", "/"), "/")
	y, err := strconv.Atoi(head)
	if err != nil || len(head) != 4 || y < 1900 || y > 9998 {
		return 0, fmt.Errorf("%q is not a financial year such as 2025/26", s)
	}
	if two {
		n, err := strconv.Atoi(tail)
		if err != nil || (len(tail) != 2 && len(tail) != 4) ||
			len(tail) == 2 && n != (y+1)%100 || len(tail) == 4 && n != y+1 {
			return 0, fmt.Errorf("%q is not a financial year such as 2025/26: the second year must follow the first", s)
		}
	}
	return y, nil
}

// ContractYear is which year of a contract starting on start the day t
// falls in: 1 for its first twelve months, 2 for the next, and so on; 0
// before it starts. Annual allowances run by contract year, not financial
// year, since a contract's anniversary is its own.
func ContractYear(start, t time.Time) int {
	start, t = Date(start), Date(t)
	if t.Before(start) {
		return 0
	}
	n := 1
	for !t.Before(start.AddDate(n, 0, 0)) {
		n++
	}
	return n
}

// ContractYears is how many contract years a term from start to its last
// day end (inclusive) spans.
func ContractYears(start, end time.Time) int {
	if end.Before(start) {
		return 0
	}
	return ContractYear(start, end)
}

// Pounds writes pence as pounds: "£1,742,000.00", "-£12.50".
func Pounds(p int64) string {
	sign := ""
	u := uint64(p)
	if p < 0 {
		sign, u = "-", uint64(-p)
	}
	whole := strconv.FormatUint(u/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s£%s.%02d", sign, b.String(), u%100)
}

// PlainPounds writes pence as a bare decimal, for CSV: "1742000.00".
func PlainPounds(p int64) string {
	sign := ""
	u := uint64(p)
	if p < 0 {
		sign, u = "-", uint64(-p)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// ErrAmount is the error of an amount that is not money.
var ErrAmount = errors.New("not an amount of money such as 1742000 or 12,500.50")

// ParsePounds reads an amount in pounds, as a spreadsheet exports it
// ("12500", "12,500.5", "£12,500.50"), into pence, exactly: no float is
// involved, and more than two decimal places is refused rather than
// rounded.
func ParsePounds(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "£")
	s = strings.ReplaceAll(s, ",", "")
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 2 || dot && frac == "" || len(whole) > 13 {
		return 0, ErrAmount
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, ErrAmount
		}
	}
	var w, f int64
	if whole != "" {
		w, _ = strconv.ParseInt(whole, 10, 64)
	}
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
	}
	p := w*100 + f
	if neg {
		p = -p
	}
	return p, nil
}
