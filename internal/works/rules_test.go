package works

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// fakeRepo answers what these tests ask and panics (through the nil
// Repo it embeds) on anything else, so a refusal that reached storage
// would show.
type fakeRepo struct {
	Repo
	created []Contract
	records []auditlog.Entry
}

func (f *fakeRepo) CreateWorksContract(ctx context.Context, c *Contract) error {
	if err := CheckContract(c); err != nil {
		return err
	}
	for _, x := range f.created {
		if x.Reference == c.Reference {
			return fmt.Errorf("%w: works contract: duplicate key", problem.ErrConflict)
		}
	}
	c.ID = int64(len(f.created) + 1)
	f.created = append(f.created, *c)
	return nil
}

func (f *fakeRepo) Log(e auditlog.Entry) error {
	f.records = append(f.records, e)
	return nil
}

// TestServiceRules: a taken reference is a conflict naming it; the
// contract's record says what was let; a step no order can take, or an
// organisation outside the caller's sight, is refused before storage is
// asked anything.
func TestServiceRules(t *testing.T) {
	ctx := t.Context()
	f := &fakeRepo{}
	svc := New(f, func(ctx context.Context, fn func(Repo) error) error { return fn(f) }, func() time.Time { return time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC) })
	orgs := []rights.Org{{ID: 1, Name: "Partnership", Kind: rights.KindPartnership}, {ID: 2, Parent: 1, Name: "Harrow", Kind: rights.KindCouncil},
		{ID: 3, Parent: 1, Name: "Brent", Kind: rights.KindCouncil}}
	snap := rights.NewSnapshot(rights.Data{Orgs: orgs, Grants: map[int64][]rights.Grant{1: {{Role: rights.CCTVManager}}, 2: {{Role: rights.PartnerOfficer}}}})
	manager := Caller{Actor: auditlog.Actor{UserID: 1, Username: "manager"}, P: snap.Principal(1, 1), Snap: snap}
	officer := Caller{Actor: auditlog.Actor{UserID: 2, Username: "officer"}, P: snap.Principal(2, 3), Snap: snap}

	in := NewContract{OrganisationID: 2, Reference: "VSS-2026", Supplier: "DSSL Ltd", ValuePence: 100_000, StartsOn: "2026-04-01", EndsOn: "2027-03-31"}
	k, err := svc.CreateContract(ctx, manager, in)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`contract %d "VSS-2026" with DSSL Ltd, £1,000.00 from 2026-04-01 to 2027-03-31`, k.ID); len(f.records) != 1 || f.records[0].Detail != want ||
		f.records[0].Action != auditlog.WorksContractCreate {
		t.Errorf("got records %+v, want one works.contract.create %q", f.records, want)
	}
	_, err = svc.CreateContract(ctx, manager, in)
	if !errors.Is(err, problem.ErrConflict) || problem.Message(err, "") != `there is already a contract "VSS-2026"` {
		t.Errorf("the same reference again: got %v (%q), want a conflict naming it", err, problem.Message(err, ""))
	}
	in.StartsOn = "1 April"
	if _, err := svc.CreateContract(ctx, manager, in); !errors.Is(err, problem.ErrInvalid) {
		t.Errorf("a start that is not a date: got %v, want problem.ErrInvalid", err)
	}
	if _, _, err := svc.TakeStep(ctx, manager, 1, Step{To: "paid"}); !errors.Is(err, problem.ErrInvalid) {
		t.Errorf("a step no order takes: got %v, want problem.ErrInvalid", err)
	}
	if _, _, err := svc.Raise(ctx, manager, NewOrder{DepartmentID: 99}); !errors.Is(err, problem.ErrNotFound) {
		t.Errorf("an organisation that does not exist: got %v, want problem.ErrNotFound", err)
	}
	if _, err := svc.SetBudget(ctx, officer, 2, "2026/27", 1); !errors.Is(err, problem.ErrForbidden) {
		t.Errorf("a council's officer setting a budget: got %v, want problem.ErrForbidden", err)
	}
	if _, err := svc.SetBudget(ctx, manager, 2, "next year", 1); !errors.Is(err, problem.ErrInvalid) {
		t.Errorf("a year that is not a financial year: got %v, want problem.ErrInvalid", err)
	}
	if len(f.records) != 1 {
		t.Errorf("after the refusals: got %d records, want the first contract's alone", len(f.records))
	}
}
