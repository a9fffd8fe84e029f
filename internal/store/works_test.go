package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/works"
)

// worksTree is a partnership with one council, two of its departments
// and a department of another council.
type worksTree struct {
	council, housing, parks, otherDept int64
}

func newWorksTree(t *testing.T, s *Store) worksTree {
	t.Helper()
	ctx := context.Background()
	top := access.Organisation{Name: "Partnership", Kind: "partnership"}
	must(t, s.CreateOrganisation(ctx, &top))
	org := func(name, kind string, parent int64) int64 {
		o := access.Organisation{Name: name, Kind: kind, ParentID: parent}
		must(t, s.CreateOrganisation(ctx, &o))
		return o.ID
	}
	c := org("Harrow", "council", top.ID)
	other := org("Brent", "council", top.ID)
	return worksTree{council: c, housing: org("Housing", "department", c), parks: org("Parks", "department", c),
		otherDept: org("Brent Housing", "department", other)}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestWorksContracts(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tr := newWorksTree(t, s)
		c := works.Contract{OrganisationID: tr.council, Reference: "VSS-2025", Supplier: "DSSL Ltd", ValuePence: 174_200_000,
			StartsOn: time.Date(2025, 10, 31, 15, 4, 5, 0, time.UTC), EndsOn: date(2027, 8, 1),
			Allowances: []works.Allowance{{Year: 1, Funding: "ad_hoc", AmountPence: 10_000_000}, {Year: 2, Funding: "ad_hoc", AmountPence: 10_000_000}, {Year: 1, Funding: "planned", AmountPence: 70_000_000}}}
		must(t, s.CreateWorksContract(ctx, &c))
		got, err := s.WorksContract(ctx, c.ID)
		must(t, err)
		if !got.StartsOn.Equal(date(2025, 10, 31)) || !got.EndsOn.Equal(date(2027, 8, 1)) || got.ValuePence != 174_200_000 {
			t.Errorf("got term %s to %s value %d, want 2025-10-31 to 2027-08-01 value 174200000", got.StartsOn, got.EndsOn, got.ValuePence)
		}
		if a, ok := got.Allowance(2, "ad_hoc"); !ok || a != 10_000_000 {
			t.Errorf("got year 2 ad hoc allowance %d %v, want 10000000 true", a, ok)
		}
		if _, ok := got.Allowance(2, "planned"); ok {
			t.Errorf("got a year 2 planned allowance, want none")
		}
		list, err := s.ListWorksContracts(ctx)
		must(t, err)
		if len(list) != 1 || len(list[0].Allowances) != 3 {
			t.Errorf("got %d contracts (%+v), want 1 with 3 allowances", len(list), list)
		}
		dup := c
		if err := s.CreateWorksContract(ctx, &dup); !errors.Is(err, ErrConflict) {
			t.Errorf("a second contract VSS-2025: got %v, want ErrConflict", err)
		}
		for name, bad := range map[string]works.Contract{
			"year past the term": {OrganisationID: tr.council, Reference: "X1", Supplier: "S", ValuePence: 1, StartsOn: date(2025, 10, 31), EndsOn: date(2027, 8, 1),
				Allowances: []works.Allowance{{Year: 3, Funding: "ad_hoc", AmountPence: 1}}},
			"ends before it starts": {OrganisationID: tr.council, Reference: "X2", Supplier: "S", ValuePence: 1, StartsOn: date(2025, 10, 31), EndsOn: date(2025, 10, 30)},
			"held by a department":  {OrganisationID: tr.housing, Reference: "X3", Supplier: "S", ValuePence: 1, StartsOn: date(2025, 10, 31), EndsOn: date(2026, 10, 30)},
			"no value":              {OrganisationID: tr.council, Reference: "X4", Supplier: "S", StartsOn: date(2025, 10, 31), EndsOn: date(2026, 10, 30)},
		} {
			t.Run(name, func(t *testing.T) {
				var ie *InvalidError
				if err := s.CreateWorksContract(ctx, &bad); !errors.As(err, &ie) {
					t.Errorf("got %v, want an *InvalidError", err)
				}
			})
		}
	})
}

func TestWorksBudgets(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tr := newWorksTree(t, s)
		must(t, s.SetWorksBudgets(ctx, []works.Budget{{DepartmentID: tr.housing, Year: 2025, AmountPence: 5_000_000},
			{DepartmentID: tr.parks, Year: 2025, AmountPence: 1_000_000}, {DepartmentID: tr.housing, Year: 2026, AmountPence: 6_000_000}}, "manager"))
		// Replacing one, and a failing batch that must change nothing.
		must(t, s.SetWorksBudgets(ctx, []works.Budget{{DepartmentID: tr.parks, Year: 2025, AmountPence: 2_000_000}}, "manager"))
		var ie *InvalidError
		if err := s.SetWorksBudgets(ctx, []works.Budget{{DepartmentID: tr.housing, Year: 2025, AmountPence: 1},
			{DepartmentID: tr.council, Year: 2025, AmountPence: 1}}, "manager"); !errors.As(err, &ie) {
			t.Fatalf("a budget for a council: got %v, want an *InvalidError", err)
		}
		got, err := s.ListWorksBudgets(ctx, 2025)
		must(t, err)
		want := map[int64]int64{tr.housing: 5_000_000, tr.parks: 2_000_000}
		if len(got) != 2 {
			t.Fatalf("got %d budgets for 2025, want 2", len(got))
		}
		for _, b := range got {
			if want[b.DepartmentID] != b.AmountPence || b.UpdatedBy != "manager" {
				t.Errorf("department %d: got %d by %q, want %d by manager", b.DepartmentID, b.AmountPence, b.UpdatedBy, want[b.DepartmentID])
			}
		}
		all, err := s.ListWorksBudgets(ctx, 0)
		must(t, err)
		if len(all) != 3 {
			t.Errorf("got %d budgets in all, want 3", len(all))
		}
	})
}

func TestWorksOrders(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tr := newWorksTree(t, s)
		c := works.Contract{OrganisationID: tr.council, Reference: "VSS", Supplier: "DSSL Ltd", ValuePence: 100_000, StartsOn: date(2025, 10, 31), EndsOn: date(2027, 8, 1)}
		must(t, s.CreateWorksContract(ctx, &c))
		o := works.Order{ContractID: c.ID, DepartmentID: tr.housing, Kind: "new_installation", Funding: "ad_hoc", Title: "Estate camera",
			BudgetYear: 2025, ContractYear: 1, EstimatePence: 4_000, RaisedAt: t0, RaisedBy: "manager"}
		must(t, s.CreateWorksOrder(ctx, &o))
		if o.State != "raised" || o.ID == 0 {
			t.Fatalf("got state %q id %d, want raised and an id", o.State, o.ID)
		}
		var ie *InvalidError
		other := works.Order{ContractID: c.ID, DepartmentID: tr.otherDept, Kind: "repair", Funding: "ad_hoc", Title: "x", RaisedAt: t0, RaisedBy: "m"}
		if err := s.CreateWorksOrder(ctx, &other); !errors.As(err, &ie) {
			t.Errorf("another council's department: got %v, want an *InvalidError", err)
		}
		if _, err := s.StepWorksOrder(ctx, o.ID, works.Step{To: "completed", Amount: 1, At: t0, By: "m"}); !errors.As(err, &ie) {
			t.Errorf("completing a raised order: got %v, want an *InvalidError", err)
		}
		steps := []works.Step{
			{To: "quoted", Amount: 5_000, At: t0.Add(time.Hour), By: "contractor"},
			{To: "quoted", Amount: 4_500, At: t0.Add(2 * time.Hour), By: "contractor"},
			{To: "approved", Amount: 4_500, At: t0.Add(3 * time.Hour), By: "manager", Override: "urgent"},
			{To: "completed", Amount: 4_800, At: t0.Add(4 * time.Hour), By: "manager"},
		}
		for _, st := range steps {
			got, err := s.StepWorksOrder(ctx, o.ID, st)
			must(t, err)
			if got.State != st.To {
				t.Errorf("after %s: got state %q", st.To, got.State)
			}
		}
		got, err := s.WorksOrder(ctx, o.ID)
		must(t, err)
		if got.QuotePence != 4_500 || got.ApprovedPence != 4_500 || got.FinalPence != 4_800 || got.OverrideReason != "urgent" ||
			got.ApprovedBy != "manager" || got.QuotedBy != "contractor" || got.ApprovedAt == nil || !got.ApprovedAt.Equal(normal(t0.Add(3*time.Hour))) ||
			!got.RaisedAt.Equal(normal(t0)) {
			t.Errorf("got %+v, want quote 4500, approved 4500 by manager (urgent), final 4800", got)
		}
		if _, err := s.StepWorksOrder(ctx, o.ID, works.Step{To: "cancelled", At: t0, By: "m"}); !errors.As(err, &ie) {
			t.Errorf("cancelling a completed order: got %v, want an *InvalidError", err)
		}
		if _, err := s.StepWorksOrder(ctx, 999999, works.Step{To: "cancelled", At: t0, By: "m"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("stepping no order: got %v, want ErrNotFound", err)
		}
		o2 := works.Order{ContractID: c.ID, DepartmentID: tr.parks, Kind: "repair", Funding: "planned", Title: "Fix", BudgetYear: 2025, ContractYear: 1, RaisedAt: t0, RaisedBy: "m"}
		must(t, s.CreateWorksOrder(ctx, &o2))
		if _, err := s.StepWorksOrder(ctx, o2.ID, works.Step{To: "cancelled", At: t0, By: "m"}); err != nil {
			t.Errorf("cancelling a raised order: got %v, want nil", err)
		}
		list, err := s.ListWorksOrders(ctx, works.OrderFilter{ContractID: c.ID})
		must(t, err)
		if len(list) != 2 || list[0].ID != o2.ID {
			t.Errorf("got %d orders, want 2, newest first", len(list))
		}
		list, err = s.ListWorksOrders(ctx, works.OrderFilter{DepartmentID: tr.parks, State: "cancelled"})
		must(t, err)
		if len(list) != 1 || list[0].CancelledBy != "m" {
			t.Errorf("got %+v, want the one cancelled Parks order", list)
		}
	})
}
