package works

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Repo is what works need of storage; *store.Store implements it. In a
// Service's change, every method runs in the change's transaction, and
// Log's record commits with it.
type Repo interface {
	ListWorksContracts(ctx context.Context) ([]Contract, error)
	WorksContract(ctx context.Context, id int64) (Contract, error)
	CreateWorksContract(ctx context.Context, c *Contract) error

	ListWorksBudgets(ctx context.Context, year int) ([]Budget, error)
	SetWorksBudgets(ctx context.Context, bs []Budget, by string) error

	WorksOrder(ctx context.Context, id int64) (Order, error)
	ListWorksOrders(ctx context.Context, f OrderFilter) ([]Order, error)
	CreateWorksOrder(ctx context.Context, o *Order) error
	StepWorksOrder(ctx context.Context, id int64, st Step) (Order, error)

	// Log adds an audit record to the change's transaction.
	Log(e auditlog.Entry) error
}

// Caller is who asks: the actor the audit records name, and their rights.
type Caller struct {
	Actor auditlog.Actor
	P     rights.Principal
	Snap  *rights.Snapshot
}

// StepAction is the audit action of each step of an order.
var StepAction = map[string]auditlog.Action{
	Quoted:    auditlog.WorksOrderQuote,
	Approved:  auditlog.WorksOrderApprove,
	Completed: auditlog.WorksOrderComplete,
	Cancelled: auditlog.WorksOrderCancel,
}

// Service changes works contracts, budgets and orders for a caller, each
// change with its audit record. Reading needs read finance on the
// organisation; changing anything needs the right to change the
// partnership's figures (rights.Snapshot.CanManageFinance), since works
// are commissioned centrally: that is what stopped the overspending.
type Service struct {
	repo   Repo
	change func(ctx context.Context, fn func(tx Repo) error) error
	now    func() time.Time
	// steps serialises the steps of orders within this process.
	steps sync.Mutex
}

// New returns the service keeping its figures in repo and changing them
// through change (one transaction with its audit records); now is the
// clock orders are dated by.
func New(repo Repo, change func(context.Context, func(Repo) error) error, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{repo: repo, change: change, now: now}
}

func (s *Service) entry(c Caller, action auditlog.Action, detail string) auditlog.Entry {
	e := c.Actor.Entry(action, detail)
	e.At = s.now().UTC()
	return e
}

// MayChange refuses (problem.ErrForbidden) a caller who may not change the
// partnership's figures.
func (s *Service) MayChange(c Caller) error {
	if d := c.Snap.CanManageFinance(c.P); !d.Allowed {
		return problem.Forbiddenf("%s", d.Reason)
	}
	return nil
}

// Org refuses an organisation whose figures c may not read: one outside
// everything c sees is "no organisation N" (problem.ErrNotFound), one c sees
// without the right problem.ErrForbidden.
func (s *Service) Org(c Caller, id int64) error {
	switch d := c.Snap.CanOrg(c.P, rights.ReadFinance, id); {
	case d.Allowed:
		return nil
	case d.Hidden:
		return problem.Notf("no organisation %d", id)
	default:
		return problem.Forbiddenf("%s", d.Reason)
	}
}

func dateOnly(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// NewContract is a contract to file, as asked: its days not yet read.
type NewContract struct {
	OrganisationID int64
	Reference      string
	Supplier       string
	ValuePence     int64
	StartsOn       string
	EndsOn         string
	Allowances     []Allowance
}

// CreateContract files a contract held by an organisation c sees.
func (s *Service) CreateContract(ctx context.Context, c Caller, in NewContract) (Contract, error) {
	if err := s.MayChange(c); err != nil {
		return Contract{}, err
	}
	if err := s.Org(c, in.OrganisationID); err != nil {
		return Contract{}, err
	}
	starts, err1 := time.Parse(time.DateOnly, in.StartsOn)
	ends, err2 := time.Parse(time.DateOnly, in.EndsOn)
	if err1 != nil || err2 != nil {
		return Contract{}, problem.Invalidf("give starts_on and ends_on as dates such as 2025-10-31")
	}
	k := Contract{OrganisationID: in.OrganisationID, Reference: in.Reference, Supplier: in.Supplier, ValuePence: in.ValuePence,
		StartsOn: starts, EndsOn: ends, Allowances: in.Allowances}
	err := s.change(ctx, func(tx Repo) error {
		if err := tx.CreateWorksContract(ctx, &k); err != nil {
			return err
		}
		return tx.Log(s.entry(c, auditlog.WorksContractCreate, fmt.Sprintf("contract %d %q with %s, %s from %s to %s",
			k.ID, k.Reference, k.Supplier, money.Pounds(k.ValuePence), dateOnly(k.StartsOn), dateOnly(k.EndsOn))))
	})
	if errors.Is(err, problem.ErrConflict) && !errors.Is(err, problem.ErrInvalid) {
		return k, problem.New(problem.ErrConflict, fmt.Sprintf("there is already a contract %q", k.Reference), err)
	}
	return k, err
}

// SetBudget sets a department's budget for a financial year (as
// period.ParseYear reads it, 2025/26) and returns the year.
func (s *Service) SetBudget(ctx context.Context, c Caller, department int64, year string, amount int64) (int, error) {
	if err := s.MayChange(c); err != nil {
		return 0, err
	}
	y, err := period.ParseYear(year)
	if err != nil {
		return 0, problem.Invalidf("%s", err.Error())
	}
	if err := s.Org(c, department); err != nil {
		return y, err
	}
	return y, s.change(ctx, func(tx Repo) error {
		if err := tx.SetWorksBudgets(ctx, []Budget{{DepartmentID: department, Year: y, AmountPence: amount}}, c.Actor.Username); err != nil {
			return err
		}
		return tx.Log(s.entry(c, auditlog.WorksBudgetSet, fmt.Sprintf("department %d, %s: %s", department, period.YearLabel(y), money.Pounds(amount))))
	})
}

// ImportBudgets sets budgets read from a council's spreadsheet, all or
// none, with one audit record for the lot. The caller has checked each
// department is one c sees.
func (s *Service) ImportBudgets(ctx context.Context, c Caller, bs []Budget) error {
	if err := s.MayChange(c); err != nil {
		return err
	}
	return s.change(ctx, func(tx Repo) error {
		if err := tx.SetWorksBudgets(ctx, bs, c.Actor.Username); err != nil {
			return err
		}
		return tx.Log(s.entry(c, auditlog.WorksBudgetImport, fmt.Sprintf("%d budgets", len(bs))))
	})
}

// NewOrder is a department's order to raise.
type NewOrder struct {
	ContractID    int64
	DepartmentID  int64
	Kind          string
	Funding       string // "": ad hoc
	Title         string
	EstimatePence int64
}

// Raise records a department's order, dated now: it counts against the
// department's budget for this financial year and the contract's
// allowance for this contract year. It returns the warnings its estimate
// sets off, but never refuses for them: asking commits nothing.
func (s *Service) Raise(ctx context.Context, c Caller, in NewOrder) (Order, []Warning, error) {
	if err := s.MayChange(c); err != nil {
		return Order{}, nil, err
	}
	if in.Funding == "" {
		in.Funding = AdHoc
	}
	if err := s.Org(c, in.DepartmentID); err != nil {
		return Order{}, nil, err
	}
	var o Order
	var ws []Warning
	err := s.change(ctx, func(tx Repo) error {
		k, err := tx.WorksContract(ctx, in.ContractID)
		if errors.Is(err, problem.ErrNotFound) {
			return problem.Invalidf("there is no works contract %d", in.ContractID)
		}
		if err != nil {
			return err
		}
		now := s.now().UTC()
		o = Order{ContractID: k.ID, DepartmentID: in.DepartmentID, Kind: in.Kind, Funding: in.Funding, Title: in.Title,
			EstimatePence: in.EstimatePence, BudgetYear: period.YearOf(now), ContractYear: max(1, ContractYear(k.StartsOn, now)),
			RaisedAt: now, RaisedBy: c.Actor.Username}
		if err := tx.CreateWorksOrder(ctx, &o); err != nil {
			return err
		}
		// Figures that cannot be added up give no warnings, but do not
		// stop a department asking: asking commits nothing.
		switch f, err := figures(ctx, tx); {
		case errors.Is(err, money.ErrOverflow):
		case err != nil:
			return err
		default:
			ws = after(f.Position(o, departmentName(c, o.DepartmentID)), o, Raised)
		}
		return tx.Log(s.entry(c, auditlog.WorksOrderRaise, fmt.Sprintf("order %d for department %d on contract %d: %s %q, estimate %s",
			o.ID, o.DepartmentID, o.ContractID, o.Kind, o.Title, money.Pounds(o.EstimatePence))))
	})
	return o, ws, err
}

// TakeStep takes order id the step st (dated now, by the caller), with
// its audit record, in one transaction: the order's state and the
// figures it is checked against are read in it, so a step its state no
// longer allows is refused and leaves no record. Approving a quoted
// order that its warnings say overspends is refused (*OverrideNeeded)
// unless st.Override says why it goes ahead, which the order keeps; a
// reason given where none is needed is not kept. An approval with
// st.AtQuote is at the order's quote, and a quoted order is approved
// only for more than nothing (problem.ErrInvalid). It returns the order
// and the warnings the step set off.
func (s *Service) TakeStep(ctx context.Context, c Caller, id int64, st Step) (Order, []Warning, error) {
	if err := s.MayChange(c); err != nil {
		return Order{}, nil, err
	}
	action, ok := StepAction[st.To]
	if !ok {
		return Order{}, nil, problem.Invalidf("an order cannot be moved to %q", st.To)
	}
	st.At, st.By = s.now().UTC(), c.Actor.Username
	// Two approvals at once must not both pass the same check. (Servers
	// sharing one database do not share this lock; works are approved by
	// one manager, not a crowd.)
	s.steps.Lock()
	defer s.steps.Unlock()
	var o Order
	var ws []Warning
	err := s.change(ctx, func(tx Repo) error {
		f, err := figures(ctx, tx)
		if err != nil {
			return err
		}
		var p Position
		i := slices.IndexFunc(f.Orders, func(o Order) bool { return o.ID == id })
		if i >= 0 {
			was := f.Orders[i]
			if st.To == Approved && st.AtQuote {
				st.Amount = was.QuotePence
			}
			if st.To == Approved && was.State == Quoted && st.Amount <= 0 {
				return problem.Invalidf("an order is approved for an amount more than nothing")
			}
			p = f.Position(was, departmentName(c, was.DepartmentID))
			override := st.Override
			st.Override = ""
			if st.To == Approved && was.State == Quoted {
				if ws := Check(p, st.Amount); len(ws) > 0 {
					if override == "" {
						return &OverrideNeeded{Warnings: ws}
					}
					st.Override = override
				}
			}
		}
		if o, err = tx.StepWorksOrder(ctx, id, st); err != nil {
			return err
		}
		ws = after(p, o, st.To)
		detail := fmt.Sprintf("order %d: %s", id, money.Pounds(st.Amount))
		if st.Override != "" {
			detail += ", past its warnings: " + st.Override
		}
		return tx.Log(s.entry(c, action, detail))
	})
	return o, ws, err
}

// Figures are every works figure a page or answer needs, read at once:
// what the caller may see of them is the caller's to pick.
type Figures struct {
	Contracts []Contract
	Budgets   []Budget
	Orders    []Order // newest first
	// Ledger adds the orders up; figures that cannot be added up are
	// money.ErrOverflow, from Figures.
	Ledger *Ledger
}

// Figures reads every contract, budget and order, and adds the orders up.
func (s *Service) Figures(ctx context.Context) (Figures, error) { return figures(ctx, s.repo) }

// figures reads the figures from r: the store, or a change's transaction.
func figures(ctx context.Context, r Repo) (Figures, error) {
	var f Figures
	var err error
	if f.Contracts, err = r.ListWorksContracts(ctx); err != nil {
		return f, err
	}
	if f.Budgets, err = r.ListWorksBudgets(ctx, 0); err != nil {
		return f, err
	}
	if f.Orders, err = r.ListWorksOrders(ctx, OrderFilter{}); err != nil {
		return f, err
	}
	spend := make([]Spend, 0, len(f.Orders))
	for _, o := range f.Orders {
		spend = append(spend, o.Spend())
	}
	f.Ledger, err = NewLedger(spend)
	return f, err
}
