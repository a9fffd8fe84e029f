package works

import (
	"fmt"
	"math"
	"time"

	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/period"
)

// Position is where an order would stand if it went ahead: the budget and
// contract it draws on, and what the other orders already commit of them.
// The order's own commitment is left out of the committed figures, so the
// same Position answers for raising, quoting and approving it.
type Position struct {
	Department string
	Year       int   // the financial year of the department's budget
	HasBudget  bool  // a budget is set for the department and year
	Budget     int64 // pence
	// DeptCommitted is what the department's other orders commit in Year.
	DeptCommitted int64

	Contract string // its reference
	Value    int64
	// ContractCommitted is what all the contract's other orders commit.
	ContractCommitted int64
	Starts, Ends      time.Time // the term, Ends its last day

	Funding      string // Planned or AdHoc
	ContractYear int
	HasAllowance bool
	Allowance    int64
	// AllowanceCommitted is what the contract's other orders of the same
	// funding commit in ContractYear.
	AllowanceCommitted int64

	// Day is the day the order is dated, to check it falls in the term.
	Day time.Time
}

// Warning is one reason to stop before an order goes ahead.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Warning codes.
const (
	NoBudget      = "no_budget"      // the department has no budget for the year
	OverBudget    = "over_budget"    // the order takes the department over its budget
	OverContract  = "over_contract"  // the order takes the contract over its value
	OverAllowance = "over_allowance" // the order takes the contract year's allowance for its funding over
	OutsideTerm   = "outside_term"   // the order is dated outside the contract's term
)

// Check returns the warnings an order of amount pence would raise at p,
// worst first; none means it fits. An amount of 0 (not known yet) is
// checked only for the budget's existence and the term.
func Check(p Position, amount int64) []Warning {
	// plus is a+b, or the largest int64 if that does not fit: amounts
	// are never negative, so a sum past it is over any budget or value
	// and warns as such rather than wrapping into money in hand.
	plus := func(a, b int64) int64 {
		if s, err := money.Add(a, b); err == nil {
			return s
		}
		return math.MaxInt64
	}
	var out []Warning
	day := Date(p.Day)
	if day.Before(Date(p.Starts)) || day.After(Date(p.Ends)) {
		out = append(out, Warning{OutsideTerm, fmt.Sprintf("contract %s runs from %s to %s; this order is dated %s",
			p.Contract, Date(p.Starts).Format(time.DateOnly), Date(p.Ends).Format(time.DateOnly), day.Format(time.DateOnly))})
	}
	if after := plus(p.ContractCommitted, amount); amount > 0 && after > p.Value {
		out = append(out, Warning{OverContract, fmt.Sprintf("contract %s would be committed to %s of its %s value, %s over",
			p.Contract, money.Pounds(after), money.Pounds(p.Value), money.Pounds(after-p.Value))})
	}
	if p.HasAllowance {
		if after := plus(p.AllowanceCommitted, amount); amount > 0 && after > p.Allowance {
			out = append(out, Warning{OverAllowance, fmt.Sprintf("contract %s's %s allowance for contract year %d would be committed to %s of %s, %s over",
				p.Contract, FundingTitle(p.Funding), p.ContractYear, money.Pounds(after), money.Pounds(p.Allowance), money.Pounds(after-p.Allowance))})
		}
	}
	switch after := plus(p.DeptCommitted, amount); {
	case !p.HasBudget:
		out = append(out, Warning{NoBudget, fmt.Sprintf("%s has no budget for %s", p.Department, period.YearLabel(p.Year))})
	case amount > 0 && after > p.Budget:
		out = append(out, Warning{OverBudget, fmt.Sprintf("%s's %s budget would be committed to %s of %s, %s over",
			p.Department, period.YearLabel(p.Year), money.Pounds(after), money.Pounds(p.Budget), money.Pounds(after-p.Budget))})
	}
	return out
}
