package works

import (
	"fmt"
	"strings"

	"github.com/vigil-cctv/vigil/internal/problem"
)

// The warnings an order sets off (Check) are the service's to give with
// what it did: raising, quoting, approving and completing an order each
// answer with them, and an approval its warnings say overspends is
// refused without a reason to go past them. The console shows an
// undecided order's warnings from the same figures (Figures.Pending).

// Position is where order o stands among the figures f against its
// budget, contract and allowance, leaving out its own commitment;
// department is the department's name, for the warnings.
func (f Figures) Position(o Order, department string) Position {
	var c Contract
	for _, k := range f.Contracts {
		if k.ID == o.ContractID {
			c = k
			break
		}
	}
	var budget int64
	hasBudget := false
	for _, b := range f.Budgets {
		if b.DepartmentID == o.DepartmentID && b.Year == o.BudgetYear {
			budget, hasBudget = b.AmountPence, true
			break
		}
	}
	allowance, hasAllowance := c.Allowance(o.ContractYear, o.Funding)
	return Position{
		Department: department, Year: o.BudgetYear, HasBudget: hasBudget, Budget: budget,
		DeptCommitted: f.Ledger.Department(o.DepartmentID, o.BudgetYear, o.ID).Committed,
		Contract:      c.Reference, Value: c.ValuePence, ContractCommitted: f.Ledger.Contract(c.ID, o.ID).Committed,
		Starts: c.StartsOn, Ends: c.EndsOn,
		Funding: o.Funding, ContractYear: o.ContractYear, HasAllowance: hasAllowance, Allowance: allowance,
		AllowanceCommitted: f.Ledger.Allowance(c.ID, o.ContractYear, o.Funding, o.ID).Committed,
		Day:                o.RaisedAt,
	}
}

// PendingAmount is the amount an order still to be decided would
// commit: its quote, else the department's estimate.
func PendingAmount(o Order) int64 {
	if o.QuotePence > 0 {
		return o.QuotePence
	}
	return o.EstimatePence
}

// Pending is what approving o at its quote (or estimate) would set off,
// while it is still to be decided, so no one approves blind; nil for an
// order decided, or one that fits.
func (f Figures) Pending(o Order, department string) []Warning {
	if o.State != Raised && o.State != Quoted {
		return nil
	}
	return Check(f.Position(o, department), PendingAmount(o))
}

// after is what o, just taken to state to at p, sets off: a quote or an
// approval at its amount; a completion only past the approved amount,
// which is reported, never refused (done is done).
func after(p Position, o Order, to string) []Warning {
	switch to {
	case Raised:
		return Check(p, o.EstimatePence)
	case Quoted:
		return Check(p, o.QuotePence)
	case Approved:
		return Check(p, o.ApprovedPence)
	case Completed:
		if o.FinalPence > o.ApprovedPence {
			return Check(p, o.FinalPence)
		}
	}
	return nil
}

// OverrideNeeded refuses an approval its warnings say goes past what is
// allowed, given without a reason to go ahead all the same: a
// problem.ErrConflict, with the warnings.
type OverrideNeeded struct {
	Warnings []Warning
}

func (e *OverrideNeeded) Error() string {
	return "approving this order " + WarningText(e.Warnings) + "; to approve it all the same, give an override_reason"
}

// Is makes an OverrideNeeded a problem.ErrConflict.
func (e *OverrideNeeded) Is(target error) bool { return target == problem.ErrConflict }

// WarningText says warnings in one sentence's words.
func WarningText(ws []Warning) string {
	var parts []string
	for _, w := range ws {
		parts = append(parts, w.Message)
	}
	return "would go past what is allowed: " + strings.Join(parts, "; ")
}

// departmentName names organisation id as c sees it, for the warnings.
func departmentName(c Caller, id int64) string {
	if c.Snap != nil {
		if o, ok := c.Snap.Org(id); ok {
			return o.Name
		}
	}
	return fmt.Sprintf("organisation %d", id)
}
