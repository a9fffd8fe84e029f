package works

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/problem"
)

// Contract is a contract with a supplier for CCTV works, held by the
// organisation that let it: its value over the whole term, from StartsOn
// to EndsOn (its last day, inclusive; both UTC midnight).
type Contract struct {
	ID             int64
	OrganisationID int64
	Reference      string
	Supplier       string
	ValuePence     int64
	StartsOn       time.Time
	EndsOn         time.Time
	Allowances     []Allowance
	CreatedAt      time.Time
}

// Allowance is what a contract allows in one contract year (1: its first
// twelve months) for one funding (Planned or AdHoc).
type Allowance struct {
	Year        int
	Funding     string
	AmountPence int64
}

// Allowance returns the contract's allowance for a year and funding.
func (c Contract) Allowance(year int, funding string) (int64, bool) {
	for _, a := range c.Allowances {
		if a.Year == year && a.Funding == funding {
			return a.AmountPence, true
		}
	}
	return 0, false
}

// CheckContract tidies c (dates to days) and refuses values no contract
// may have (problem.ErrInvalid). Who may hold one is the repository's to
// check.
func CheckContract(c *Contract) error {
	c.Reference = strings.TrimSpace(c.Reference)
	c.Supplier = strings.TrimSpace(c.Supplier)
	c.StartsOn, c.EndsOn = Date(c.StartsOn), Date(c.EndsOn)
	switch {
	case c.Reference == "" || utf8.RuneCountInString(c.Reference) > 100:
		return problem.Invalidf("a contract's reference must be 1 to 100 characters")
	case c.Supplier == "" || utf8.RuneCountInString(c.Supplier) > 200:
		return problem.Invalidf("a contract's supplier must be 1 to 200 characters")
	case c.ValuePence <= 0:
		return problem.Invalidf("a contract's value must be more than nothing")
	case c.ValuePence > money.Max:
		return problem.Invalidf("a contract's value must be at most £%d", money.Max/100)
	case c.StartsOn.IsZero() || c.EndsOn.IsZero() || c.EndsOn.Before(c.StartsOn):
		return problem.Invalidf("a contract's last day must be on or after its first")
	case c.OrganisationID == 0:
		return problem.Invalidf("say which organisation holds the contract")
	}
	for _, f := range []struct{ what, v string }{{"a contract's supplier", c.Supplier}, {"a contract's reference", c.Reference}} {
		if err := names.Check(f.what, f.v); err != nil {
			return problem.New(problem.ErrInvalid, err.Error(), err)
		}
	}
	// The contract years the term spans: year n begins n-1 years after
	// the start.
	years := 1
	for !c.EndsOn.Before(c.StartsOn.AddDate(years, 0, 0)) {
		years++
	}
	seen := map[[2]any]bool{}
	for _, a := range c.Allowances {
		switch {
		case !ValidFunding(a.Funding):
			return problem.Invalidf("an allowance's funding is planned or ad_hoc, not %q", a.Funding)
		case a.Year < 1 || a.Year > years:
			return problem.Invalidf("the contract's term spans contract years 1 to %d, not %d", years, a.Year)
		case a.AmountPence < 0:
			return problem.Invalidf("an allowance cannot be negative")
		case a.AmountPence > money.Max:
			return problem.Invalidf("an allowance must be at most £%d", money.Max/100)
		case seen[[2]any{a.Year, a.Funding}]:
			return problem.Invalidf("contract year %d has two %s allowances", a.Year, a.Funding)
		}
		seen[[2]any{a.Year, a.Funding}] = true
	}
	return nil
}

// Budget is a department's budget for CCTV works in the financial year
// beginning 1 April of Year.
type Budget struct {
	DepartmentID int64
	Year         int
	AmountPence  int64
	UpdatedAt    time.Time
	UpdatedBy    string
}

// CheckBudget refuses a budget no department may have (problem.ErrInvalid).
// Whether DepartmentID is a department is the repository's to check.
func CheckBudget(b Budget) error {
	switch {
	case b.AmountPence < 0:
		return problem.Invalidf("a budget cannot be negative")
	case b.AmountPence > money.Max:
		return problem.Invalidf("a budget must be at most £%d", money.Max/100)
	case !period.ValidYear(b.Year):
		return problem.Invalidf("%d is not a financial year from %s to %s", b.Year, period.YearLabel(period.MinYear), period.YearLabel(period.MaxYear))
	}
	return nil
}

// Order is an order for CCTV works, raised by a department against its
// budget for BudgetYear and a contract's allowance for ContractYear and
// Funding. It moves raised → quoted → approved → completed, or is
// cancelled before it completes; each step says when and by whom.
type Order struct {
	ID           int64
	ContractID   int64
	DepartmentID int64
	Kind         string // new_installation, relocation, repair, enhancement
	Funding      string // planned or ad_hoc
	Title        string
	State        string
	BudgetYear   int
	ContractYear int

	EstimatePence int64 // the department's own estimate, 0 if none
	QuotePence    int64
	ApprovedPence int64
	FinalPence    int64

	RaisedAt       time.Time
	RaisedBy       string
	QuotedAt       *time.Time
	QuotedBy       string
	ApprovedAt     *time.Time
	ApprovedBy     string
	OverrideReason string // why an approval went ahead past its warnings
	CompletedAt    *time.Time
	CompletedBy    string
	CancelledAt    *time.Time
	CancelledBy    string
}

// Spend is what the figures need of the order.
func (o Order) Spend() Spend {
	x := Spend{ID: o.ID, Contract: o.ContractID, Department: o.DepartmentID, Funding: o.Funding, State: o.State,
		BudgetYear: o.BudgetYear, ContractYear: o.ContractYear, Approved: o.ApprovedPence, Final: o.FinalPence}
	if o.ApprovedAt != nil {
		x.ApprovedAt = *o.ApprovedAt
	}
	return x
}

// MaxTitle bounds an order's title, in characters.
const MaxTitle = 300

// CheckOrder tidies an order to be raised and refuses values no order may
// have (problem.ErrInvalid). Whether its department may use its contract is
// the repository's to check.
func CheckOrder(o *Order) error {
	o.Title = strings.TrimSpace(o.Title)
	switch {
	case o.Title == "" || utf8.RuneCountInString(o.Title) > MaxTitle:
		return problem.Invalidf("an order's title must be 1 to %d characters", MaxTitle)
	case !ValidKind(o.Kind):
		return problem.Invalidf("an order's kind is new_installation, relocation, repair or enhancement, not %q", o.Kind)
	case !ValidFunding(o.Funding):
		return problem.Invalidf("an order's funding is planned or ad_hoc, not %q", o.Funding)
	case o.EstimatePence < 0:
		return problem.Invalidf("an estimate cannot be negative")
	case o.EstimatePence > money.Max:
		return problem.Invalidf("an estimate must be at most £%d", money.Max/100)
	}
	return nil
}

// OrderFilter narrows a list of orders; zero values match all.
type OrderFilter struct {
	ContractID   int64
	DepartmentID int64
	State        string
}

// Step is one step of an order: its new state, the amount it sets (quote,
// approved amount or final cost), when and by whom.
type Step struct {
	To     string // quoted, approved, completed or cancelled
	Amount int64
	// AtQuote approves at the order's quote, read in the step's own
	// transaction, whatever Amount says: an approval's amount by
	// default (Service.TakeStep).
	AtQuote bool
	At      time.Time
	By      string
	// Override is the reason an approval goes ahead past its warnings.
	Override string
}

// StepFrom is the states each step may be taken from. A quote may be
// revised until the order is approved.
var StepFrom = map[string][]string{
	Quoted:    {Raised, Quoted},
	Approved:  {Quoted},
	Completed: {Approved},
	Cancelled: {Raised, Quoted, Approved},
}

// CheckStep refuses a step no order may take (problem.ErrInvalid); whether
// this order's state allows it is the repository's to check, in the
// transaction that takes it.
func CheckStep(st Step) error {
	if _, ok := StepFrom[st.To]; !ok {
		return problem.Invalidf("an order cannot be moved to %q", st.To)
	}
	if st.Amount < 0 {
		return problem.Invalidf("an amount cannot be negative")
	}
	if st.Amount > money.Max {
		// Each amount bounded, so that the sums of a department's or a
		// contract's orders stay far from overflow.
		return problem.Invalidf("an amount must be at most £%d", money.Max/100)
	}
	return nil
}

// StepRefused is the refusal of a step order id's state does not allow.
func StepRefused(id int64, state, to string) error {
	return problem.Invalidf("order %d is %s, so it cannot be %s (only from %s)", id, state, to, strings.Join(StepFrom[to], " or "))
}
