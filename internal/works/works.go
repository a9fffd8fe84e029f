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
