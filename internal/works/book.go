package works

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Book is what one caller may read of the works, read at once: the
// contracts, departments' budgets and orders in their scope, named and
// added up. The API answers with its rows and the console's tables show
// the same rows, so the two cannot tell different figures.
type Book struct {
	c       Caller
	now     time.Time
	fig     Figures
	budgets map[[2]int64]Budget // by department, year
}

// Book reads the figures for caller c. Figures that cannot be added up
// fail with money.ErrOverflow.
func (s *Service) Book(ctx context.Context, c Caller) (*Book, error) {
	f, err := s.Figures(ctx)
	if err != nil {
		return nil, err
	}
	b := &Book{c: c, now: s.now().UTC(), fig: f, budgets: map[[2]int64]Budget{}}
	for _, x := range f.Budgets {
		b.budgets[[2]int64{x.DepartmentID, int64(x.Year)}] = x
	}
	return b, nil
}

// Now is the time the book was read, for what is dated from it (this
// year, the forecasts).
func (b *Book) Now() time.Time { return b.now }

// Sees reports whether the caller may read the figures of organisation
// org.
func (b *Book) Sees(org int64) bool {
	return b.c.Snap.CanOrg(b.c.P, rights.ReadFinance, org).Allowed
}

func (b *Book) orgName(id int64) string {
	if o, ok := b.c.Snap.Org(id); ok {
		return o.Name
	}
	return fmt.Sprintf("organisation %d", id)
}

// council is the council a department belongs to: the nearest council
// above it.
func (b *Book) council(dept int64) string {
	for _, id := range b.c.Snap.Ancestors(dept) {
		if o, ok := b.c.Snap.Org(id); ok && o.Kind == rights.KindCouncil {
			return o.Name
		}
	}
	return ""
}

// Contract returns contract id, if the caller may read it.
func (b *Book) Contract(id int64) (Contract, bool) {
	c, ok := b.contract(id)
	return c, ok && b.Sees(c.OrganisationID)
}

func (b *Book) contract(id int64) (Contract, bool) {
	i := slices.IndexFunc(b.fig.Contracts, func(c Contract) bool { return c.ID == id })
	if i < 0 {
		return Contract{}, false
	}
	return b.fig.Contracts[i], true
}

// Order returns order id, if the caller may read it.
func (b *Book) Order(id int64) (Order, bool) {
	i := slices.IndexFunc(b.fig.Orders, func(o Order) bool { return o.ID == id })
	if i < 0 || !b.Sees(b.fig.Orders[i].DepartmentID) {
		return Order{}, false
	}
	return b.fig.Orders[i], true
}

// AllowanceRow is a contract's allowance for one contract year and
// funding, and what is committed against it.
type AllowanceRow struct {
	Year           int    `json:"contract_year"`
	Funding        string `json:"funding"`
	AmountPence    int64  `json:"amount_pence"`
	CommittedPence int64  `json:"committed_pence"`
}

// ForecastRow is when a contract's value runs out at its recent rate.
type ForecastRow struct {
	WindowDays       int     `json:"window_days"`
	WindowSpendPence int64   `json:"window_spend_pence"`
	RunOut           *string `json:"run_out"` // a date, or null: no rate
	BeforeEnd        bool    `json:"before_end"`
}

// ContractRow is a contract with its figures.
type ContractRow struct {
	ID             int64          `json:"id"`
	OrganisationID int64          `json:"organisation_id"`
	Organisation   string         `json:"organisation"`
	Reference      string         `json:"reference"`
	Supplier       string         `json:"supplier"`
	ValuePence     int64          `json:"value_pence"`
	StartsOn       string         `json:"starts_on"`
	EndsOn         string         `json:"ends_on"`
	Allowances     []AllowanceRow `json:"allowances"`
	SpentPence     int64          `json:"spent_pence"`
	CommittedPence int64          `json:"committed_pence"`
	RemainingPence int64          `json:"remaining_pence"`
	Forecast       ForecastRow    `json:"forecast"`
	commitments    []Commitment
}

// Commitments are the contract's commitments in time, for its chart.
func (r ContractRow) Commitments() []Commitment { return r.commitments }

// ContractRow returns contract c with its figures.
func (b *Book) ContractRow(c Contract) ContractRow {
	l := b.fig.Ledger
	t := l.Contract(c.ID, 0)
	cs := l.Commitments(c.ID)
	f := RunOut(c.ValuePence, c.StartsOn, c.EndsOn, cs, b.now)
	out := ContractRow{ID: c.ID, OrganisationID: c.OrganisationID, Organisation: b.orgName(c.OrganisationID), Reference: c.Reference,
		Supplier: c.Supplier, ValuePence: c.ValuePence, StartsOn: dateOnly(c.StartsOn), EndsOn: dateOnly(c.EndsOn),
		Allowances: []AllowanceRow{}, SpentPence: t.Spent, CommittedPence: t.Committed, RemainingPence: c.ValuePence - t.Committed,
		Forecast: ForecastRow{WindowDays: f.WindowDays, WindowSpendPence: f.WindowSpend, BeforeEnd: f.BeforeEnd}, commitments: cs}
	if f.RunOut != nil {
		d := dateOnly(*f.RunOut)
		out.Forecast.RunOut = &d
	}
	for _, a := range c.Allowances {
		out.Allowances = append(out.Allowances, AllowanceRow{a.Year, a.Funding, a.AmountPence, l.Allowance(c.ID, a.Year, a.Funding, 0).Committed})
	}
	return out
}

// Contracts are the contracts held within the caller's scope.
func (b *Book) Contracts() []ContractRow {
	out := []ContractRow{}
	for _, c := range b.fig.Contracts {
		if b.Sees(c.OrganisationID) {
			out = append(out, b.ContractRow(c))
		}
	}
	return out
}

// BudgetRow is a department's budget for a year and what is spent and
// committed against it.
type BudgetRow struct {
	DepartmentID   int64  `json:"department_id"`
	Department     string `json:"department"`
	Council        string `json:"council"`
	Year           string `json:"year"`
	HasBudget      bool   `json:"has_budget"`
	BudgetPence    int64  `json:"budget_pence"`
	SpentPence     int64  `json:"spent_pence"`
	CommittedPence int64  `json:"committed_pence"`
	RemainingPence int64  `json:"remaining_pence"`
}

// Budgets is every department in the caller's scope, with its budget
// and figures for financial year year, whether a budget is set or not,
// by council and department.
func (b *Book) Budgets(year int) []BudgetRow {
	out := []BudgetRow{}
	for _, id := range b.departments() {
		bu, ok := b.budgets[[2]int64{id, int64(year)}]
		t := b.fig.Ledger.Department(id, year, 0)
		out = append(out, BudgetRow{DepartmentID: id, Department: b.orgName(id), Council: b.council(id), Year: period.YearLabel(year),
			HasBudget: ok, BudgetPence: bu.AmountPence, SpentPence: t.Spent, CommittedPence: t.Committed, RemainingPence: bu.AmountPence - t.Committed})
	}
	slices.SortStableFunc(out, func(x, y BudgetRow) int {
		return strings.Compare(x.Council+"\x00"+x.Department, y.Council+"\x00"+y.Department)
	})
	return out
}

// departments are the department organisations the caller may read, by
// id.
func (b *Book) departments() []int64 {
	var out []int64
	for _, o := range b.c.Snap.Orgs() {
		if o.Kind == rights.KindDepartment && b.Sees(o.ID) {
			out = append(out, o.ID)
		}
	}
	return out
}

// OrderRow is an order with its contract's and department's names and,
// while it is undecided, what approving it would set off.
type OrderRow struct {
	ID             int64      `json:"id"`
	ContractID     int64      `json:"contract_id"`
	Contract       string     `json:"contract"`
	DepartmentID   int64      `json:"department_id"`
	Department     string     `json:"department"`
	Kind           string     `json:"kind"`
	Funding        string     `json:"funding"`
	Title          string     `json:"title"`
	State          string     `json:"state"`
	BudgetYear     string     `json:"budget_year"`
	ContractYear   int        `json:"contract_year"`
	EstimatePence  int64      `json:"estimate_pence"`
	QuotePence     int64      `json:"quote_pence"`
	ApprovedPence  int64      `json:"approved_pence"`
	FinalPence     int64      `json:"final_pence"`
	CommittedPence int64      `json:"committed_pence"`
	RaisedAt       time.Time  `json:"raised_at"`
	RaisedBy       string     `json:"raised_by"`
	QuotedAt       *time.Time `json:"quoted_at,omitempty"`
	QuotedBy       string     `json:"quoted_by,omitempty"`
	ApprovedAt     *time.Time `json:"approved_at,omitempty"`
	ApprovedBy     string     `json:"approved_by,omitempty"`
	OverrideReason string     `json:"override_reason,omitempty"`
	CompletedAt    *time.Time `json:"completed_at,omitempty"`
	CompletedBy    string     `json:"completed_by,omitempty"`
	CancelledAt    *time.Time `json:"cancelled_at,omitempty"`
	CancelledBy    string     `json:"cancelled_by,omitempty"`
	Warnings       []Warning  `json:"warnings"`
}

// OrderRow returns order o with its names and warnings.
func (b *Book) OrderRow(o Order) OrderRow {
	c, _ := b.contract(o.ContractID)
	out := OrderRow{ID: o.ID, ContractID: o.ContractID, Contract: c.Reference, DepartmentID: o.DepartmentID, Department: b.orgName(o.DepartmentID),
		Kind: o.Kind, Funding: o.Funding, Title: o.Title, State: o.State, BudgetYear: period.YearLabel(o.BudgetYear), ContractYear: o.ContractYear,
		EstimatePence: o.EstimatePence, QuotePence: o.QuotePence, ApprovedPence: o.ApprovedPence, FinalPence: o.FinalPence,
		CommittedPence: Committed(o.State, o.ApprovedPence, o.FinalPence),
		RaisedAt:       o.RaisedAt, RaisedBy: o.RaisedBy, QuotedAt: o.QuotedAt, QuotedBy: o.QuotedBy, ApprovedAt: o.ApprovedAt,
		ApprovedBy: o.ApprovedBy, OverrideReason: o.OverrideReason, CompletedAt: o.CompletedAt, CompletedBy: o.CompletedBy,
		CancelledAt: o.CancelledAt, CancelledBy: o.CancelledBy, Warnings: []Warning{}}
	// An order still to be decided shows what approving it at its quote
	// (or estimate) would set off, so no one approves blind.
	if ws := b.fig.Pending(o, b.orgName(o.DepartmentID)); ws != nil {
		out.Warnings = ws
	}
	return out
}

// Orders are the orders of the departments in the caller's scope.
func (b *Book) Orders() []OrderRow {
	out := []OrderRow{}
	for _, o := range b.fig.Orders {
		if b.Sees(o.DepartmentID) {
			out = append(out, b.OrderRow(o))
		}
	}
	return out
}
