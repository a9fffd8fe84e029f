package works

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// figuresRepo keeps one contract, one budget and orders in memory, for
// the warnings the service gives; a change works on it directly.
type figuresRepo struct {
	Repo
	contract Contract
	budget   Budget
	orders   []Order
	records  []auditlog.Entry
}

func (f *figuresRepo) ListWorksContracts(context.Context) ([]Contract, error) {
	return []Contract{f.contract}, nil
}
func (f *figuresRepo) WorksContract(context.Context, int64) (Contract, error) { return f.contract, nil }
func (f *figuresRepo) ListWorksBudgets(context.Context, int) ([]Budget, error) {
	return []Budget{f.budget}, nil
}
func (f *figuresRepo) ListWorksOrders(context.Context, OrderFilter) ([]Order, error) {
	return slices.Clone(f.orders), nil
}
func (f *figuresRepo) CreateWorksOrder(_ context.Context, o *Order) error {
	o.ID, o.State = int64(len(f.orders)+1), Raised
	f.orders = append(f.orders, *o)
	return nil
}
func (f *figuresRepo) StepWorksOrder(_ context.Context, id int64, st Step) (Order, error) {
	i := slices.IndexFunc(f.orders, func(o Order) bool { return o.ID == id })
	if i < 0 {
		return Order{}, problem.Notf("no works order %d", id)
	}
	o := &f.orders[i]
	o.State = st.To
	switch st.To {
	case Quoted:
		o.QuotePence = st.Amount
	case Approved:
		o.ApprovedPence, o.ApprovedAt, o.OverrideReason = st.Amount, &st.At, st.Override
	case Completed:
		o.FinalPence = st.Amount
	}
	return *o, nil
}
func (f *figuresRepo) Log(e auditlog.Entry) error {
	f.records = append(f.records, e)
	return nil
}

// TestWarningsGiven: raising, quoting, approving and completing an order
// answer with the warnings each sets off; approving a quoted order past
// its department's budget is refused without a reason and, with one,
// keeps it; a reason where none is needed is not kept; a completion past
// the approved amount is reported, never refused.
func TestWarningsGiven(t *testing.T) {
	now := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	snap := rights.NewSnapshot(rights.Data{Orgs: []rights.Org{{ID: 1, Name: "Partnership", Kind: rights.KindPartnership},
		{ID: 2, Parent: 1, Name: "Housing", Kind: rights.KindDepartment}}, Grants: map[int64][]rights.Grant{1: {{Role: rights.CCTVManager}}}})
	manager := Caller{Actor: auditlog.Actor{UserID: 1, Username: "manager"}, P: snap.Principal(1, 1), Snap: snap}
	// Housing has £1,000 for 2026/27, of which another approved order
	// commits £600; the contract is worth £100,000.
	other := Order{ID: 1, ContractID: 1, DepartmentID: 2, Funding: AdHoc, State: Approved, BudgetYear: 2026, ContractYear: 1, ApprovedPence: 60_000, RaisedAt: now}
	quoted := func(quote int64) Order {
		return Order{ID: 2, ContractID: 1, DepartmentID: 2, Funding: AdHoc, State: Quoted, BudgetYear: 2026, ContractYear: 1, QuotePence: quote, RaisedAt: now}
	}
	const over = "Housing's 2026/27 budget would be committed to £1,100.00 of £1,000.00, £100.00 over"
	for _, tt := range []struct {
		name         string
		order        Order
		step         Step
		wantErr      bool
		wantWarnings []string // codes
		wantOverride string
	}{
		{"a quote that fits", quoted(0), Step{To: Quoted, Amount: 30_000}, false, nil, ""},
		{"a quote past the budget", quoted(0), Step{To: Quoted, Amount: 50_000}, false, []string{OverBudget}, ""},
		{"an approval that fits, with a needless reason", quoted(30_000), Step{To: Approved, Amount: 30_000, Override: "urgent"}, false, nil, ""},
		{"an approval past the budget, no reason", quoted(50_000), Step{To: Approved, Amount: 50_000}, true, nil, ""},
		{"an approval past the budget, with a reason", quoted(50_000), Step{To: Approved, Amount: 50_000, Override: "urgent"}, false, []string{OverBudget}, "urgent"},
		{"a completion at the approved amount", Order{ID: 2, ContractID: 1, DepartmentID: 2, Funding: AdHoc, State: Approved, BudgetYear: 2026, ContractYear: 1,
			ApprovedPence: 30_000, RaisedAt: now}, Step{To: Completed, Amount: 30_000}, false, nil, ""},
		{"a completion past the budget", Order{ID: 2, ContractID: 1, DepartmentID: 2, Funding: AdHoc, State: Approved, BudgetYear: 2026, ContractYear: 1,
			ApprovedPence: 30_000, RaisedAt: now}, Step{To: Completed, Amount: 50_000}, false, []string{OverBudget}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &figuresRepo{contract: Contract{ID: 1, Reference: "VSS-2026", ValuePence: 10_000_000, StartsOn: now.AddDate(0, -1, 0), EndsOn: now.AddDate(2, 0, 0)},
				budget: Budget{DepartmentID: 2, Year: 2026, AmountPence: 100_000}, orders: []Order{other, tt.order}}
			svc := New(f, func(ctx context.Context, fn func(Repo) error) error { return fn(f) }, func() time.Time { return now })
			o, ws, err := svc.TakeStep(t.Context(), manager, 2, tt.step)
			var need *OverrideNeeded
			if tt.wantErr {
				if !errors.As(err, &need) || !errors.Is(err, problem.ErrConflict) || len(need.Warnings) != 1 || need.Warnings[0].Message != over ||
					!strings.Contains(err.Error(), "give an override_reason") || len(f.records) != 0 || f.orders[1].State != Quoted {
					t.Errorf("got %v, %d records, order %s; want the override asked for, nothing done", err, len(f.records), f.orders[1].State)
				}
				return
			}
			var codes []string
			for _, w := range ws {
				codes = append(codes, w.Code)
			}
			if err != nil || !slices.Equal(codes, tt.wantWarnings) || o.OverrideReason != tt.wantOverride || len(f.records) != 1 {
				t.Errorf("got %+v, warnings %v, %v, %d records; want warnings %v, override %q, one record", o, codes, err, len(f.records), tt.wantWarnings, tt.wantOverride)
			}
		})
	}
}

// TestRaiseWarns: an order raised past its department's budget is made,
// with the warning; an order still to be decided shows it in the figures.
func TestRaiseWarns(t *testing.T) {
	now := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	snap := rights.NewSnapshot(rights.Data{Orgs: []rights.Org{{ID: 1, Name: "Partnership", Kind: rights.KindPartnership},
		{ID: 2, Parent: 1, Name: "Housing", Kind: rights.KindDepartment}}, Grants: map[int64][]rights.Grant{1: {{Role: rights.CCTVManager}}}})
	manager := Caller{Actor: auditlog.Actor{UserID: 1, Username: "manager"}, P: snap.Principal(1, 1), Snap: snap}
	f := &figuresRepo{contract: Contract{ID: 1, Reference: "VSS-2026", ValuePence: 10_000_000, StartsOn: now.AddDate(0, -1, 0), EndsOn: now.AddDate(2, 0, 0)},
		budget: Budget{DepartmentID: 2, Year: 2026, AmountPence: 100_000}}
	svc := New(f, func(ctx context.Context, fn func(Repo) error) error { return fn(f) }, func() time.Time { return now })
	for _, tt := range []struct {
		estimate int64
		want     []string
	}{{50_000, nil}, {150_000, []string{OverBudget}}} {
		o, ws, err := svc.Raise(t.Context(), manager, NewOrder{ContractID: 1, DepartmentID: 2, Kind: Repair, Title: "Sele Walk", EstimatePence: tt.estimate})
		var codes []string
		for _, w := range ws {
			codes = append(codes, w.Code)
		}
		if err != nil || o.ID == 0 || !slices.Equal(codes, tt.want) {
			t.Errorf("raised at %d: got %+v, %v, %v; want it made, warnings %v", tt.estimate, o, codes, err, tt.want)
		}
		fig, err := svc.Figures(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := fig.Pending(o, "Housing"); len(got) != len(tt.want) {
			t.Errorf("pending at %d: got %v, want %v", tt.estimate, got, tt.want)
		}
	}
}

// TestApprovalAmount: an approval is at the amount given or, by default,
// at the order's quote as its step's transaction reads it; a quoted
// order is approved only for more than nothing, and a refusal records
// nothing.
func TestApprovalAmount(t *testing.T) {
	now := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	snap := rights.NewSnapshot(rights.Data{Orgs: []rights.Org{{ID: 1, Name: "Partnership", Kind: rights.KindPartnership},
		{ID: 2, Parent: 1, Name: "Housing", Kind: rights.KindDepartment}}, Grants: map[int64][]rights.Grant{1: {{Role: rights.CCTVManager}}}})
	manager := Caller{Actor: auditlog.Actor{UserID: 1, Username: "manager"}, P: snap.Principal(1, 1), Snap: snap}
	quoted := func(quote int64) Order {
		return Order{ID: 2, ContractID: 1, DepartmentID: 2, Funding: AdHoc, State: Quoted, BudgetYear: 2026, ContractYear: 1, QuotePence: quote, RaisedAt: now}
	}
	for _, tt := range []struct {
		name     string
		order    Order
		step     Step
		want     int64 // the amount approved
		err      error
		msg      string
		override bool // refused for its warnings
	}{
		{"at the quote", quoted(30_000), Step{To: Approved, AtQuote: true}, 30_000, nil, "", false},
		{"at the quote, whatever the amount says", quoted(30_000), Step{To: Approved, AtQuote: true, Amount: 99}, 30_000, nil, "", false},
		{"at an amount given", quoted(30_000), Step{To: Approved, Amount: 25_000}, 25_000, nil, "", false},
		{"at nothing given", quoted(30_000), Step{To: Approved}, 0, problem.ErrInvalid, "an order is approved for an amount more than nothing", false},
		{"at a quote of nothing", quoted(0), Step{To: Approved, AtQuote: true}, 0, problem.ErrInvalid, "an order is approved for an amount more than nothing", false},
		{"at a negative amount", quoted(30_000), Step{To: Approved, Amount: -1}, 0, problem.ErrInvalid, "an order is approved for an amount more than nothing", false},
		{"at a quote past the budget", quoted(150_000), Step{To: Approved, AtQuote: true}, 0, problem.ErrConflict, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &figuresRepo{contract: Contract{ID: 1, Reference: "VSS-2026", ValuePence: 10_000_000, StartsOn: now.AddDate(0, -1, 0), EndsOn: now.AddDate(2, 0, 0)},
				budget: Budget{DepartmentID: 2, Year: 2026, AmountPence: 100_000}, orders: []Order{tt.order}}
			svc := New(f, func(ctx context.Context, fn func(Repo) error) error { return fn(f) }, func() time.Time { return now })
			o, _, err := svc.TakeStep(t.Context(), manager, 2, tt.step)
			var need *OverrideNeeded
			switch {
			case tt.override:
				if !errors.As(err, &need) {
					t.Errorf("got %v, want the override asked for", err)
				}
			case tt.err != nil:
				if !errors.Is(err, tt.err) || problem.Message(err, "") != tt.msg {
					t.Errorf("got %v, want %v: %q", err, tt.err, tt.msg)
				}
			case err != nil || o.ApprovedPence != tt.want || o.State != Approved:
				t.Errorf("got %s at %d, %v; want approved at %d", o.State, o.ApprovedPence, err, tt.want)
			}
			if tt.err != nil && (len(f.records) != 0 || f.orders[0].State != Quoted) {
				t.Errorf("a refusal: got %d records, order %s; want none, still quoted", len(f.records), f.orders[0].State)
			}
		})
	}
}
