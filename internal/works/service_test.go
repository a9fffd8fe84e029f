package works_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
	"github.com/vigil-cctv/vigil/internal/works"
)

func forEachStore(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	open := func(t *testing.T, dsn string) *store.Store {
		st, err := store.Open(context.Background(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	t.Run("sqlite", func(t *testing.T) { fn(t, open(t, filepath.Join(t.TempDir(), "vigil.db"))) })
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, open(t, testkit.PostgresSchema(t, pg))) })
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// failingLog is the store bound to a change, whose Log always fails.
type failingLog struct{ *store.Store }

func (failingLog) Log(auditlog.Entry) error { return errors.New("the outbox cannot be written") }

// TestWorksChangesAreAllOrNothing, on real stores: raising an order and
// each step of it commit with their record or not at all; a step the
// order's state does not allow leaves no record; the partnership's
// manager may change the figures, a council's officer may not, and an
// organisation outside what they see is "no organisation N".
func TestWorksChangesAreAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org := func(name, kind string, parent int64) access.Organisation {
			o := access.Organisation{Name: name, Kind: kind, ParentID: parent}
			must(t, st.CreateOrganisation(ctx, &o))
			return o
		}
		top := org("Partnership", "partnership", 0)
		council := org("Harrow", "council", top.ID)
		housing := org("Housing", "department", council.ID)
		brent := org("Brent", "council", top.ID)
		var ro []rights.Org
		for _, o := range []access.Organisation{top, council, housing, brent} {
			ro = append(ro, rights.Org{ID: o.ID, Parent: o.ParentID, Name: o.Name, Kind: o.Kind})
		}
		snap := rights.NewSnapshot(rights.Data{Orgs: ro, Grants: map[int64][]rights.Grant{1: {{Role: rights.CCTVManager}}, 2: {{Role: rights.PartnerOfficer}}}})
		manager := works.Caller{Actor: auditlog.Actor{UserID: 1, Username: "manager"}, P: snap.Principal(1, top.ID), Snap: snap}
		officer := works.Caller{Actor: auditlog.Actor{UserID: 2, Username: "officer"}, P: snap.Principal(2, brent.ID), Snap: snap}
		fail := false
		change := func(ctx context.Context, fn func(works.Repo) error) error {
			_, err := st.Update(ctx, func(tx *store.Store) error {
				if fail {
					return fn(failingLog{tx})
				}
				return fn(tx)
			})
			return err
		}
		now := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
		svc := works.New(st, change, func() time.Time { return now })
		pending := func() int64 {
			n, _, err := st.OutboxPending(ctx)
			must(t, err)
			return n
		}

		if _, err := svc.CreateContract(ctx, officer, works.NewContract{OrganisationID: council.ID}); !errors.Is(err, problem.ErrForbidden) {
			t.Errorf("a council's officer letting a contract: got %v, want problem.ErrForbidden", err)
		}
		k, err := svc.CreateContract(ctx, manager, works.NewContract{OrganisationID: council.ID, Reference: "VSS-2026", Supplier: "DSSL Ltd",
			ValuePence: 10_000_000, StartsOn: "2026-04-01", EndsOn: "2028-03-31"})
		must(t, err)
		if err := svc.Org(officer, council.ID); !errors.Is(err, problem.ErrNotFound) || problem.Message(err, "") != fmt.Sprintf("no organisation %d", council.ID) {
			t.Errorf("Harrow to Brent's officer: got %v, want no organisation %d", err, council.ID)
		}

		fail = true
		if _, _, err := svc.Raise(ctx, manager, works.NewOrder{ContractID: k.ID, DepartmentID: housing.ID, Kind: works.Repair, Title: "Sele Walk"}); err == nil {
			t.Fatal("raising with a record that fails: got no error, want one")
		}
		if os, err := st.ListWorksOrders(ctx, works.OrderFilter{}); err != nil || len(os) != 0 || pending() != 1 {
			t.Errorf("after the failed raise: got %d orders and %d records (%v), want none and the contract's", len(os), pending(), err)
		}
		fail = false
		o, _, err := svc.Raise(ctx, manager, works.NewOrder{ContractID: k.ID, DepartmentID: housing.ID, Kind: works.Repair, Title: "Sele Walk", EstimatePence: 250_000})
		must(t, err)
		if o.State != works.Raised || o.RaisedBy != "manager" || o.BudgetYear != 2026 || o.ContractYear != 1 || pending() != 2 {
			t.Errorf("raised: got %s by %q, years %d and %d, %d records; want raised by manager, 2026 and 1, 2", o.State, o.RaisedBy, o.BudgetYear, o.ContractYear, pending())
		}

		fail = true
		if _, _, err := svc.TakeStep(ctx, manager, o.ID, works.Step{To: works.Quoted, Amount: 300_000}); err == nil {
			t.Fatal("a quote whose record fails: got no error, want one")
		}
		if got, err := st.WorksOrder(ctx, o.ID); err != nil || got.State != works.Raised || got.QuotePence != 0 || pending() != 2 {
			t.Errorf("after the failed quote: got %s at %d, %d records (%v); want raised, no quote, 2", got.State, got.QuotePence, pending(), err)
		}
		fail = false
		if _, _, err := svc.TakeStep(ctx, manager, o.ID, works.Step{To: works.Completed, Amount: 1}); !errors.Is(err, problem.ErrInvalid) || pending() != 2 {
			t.Errorf("completing a raised order: got %v and %d records, want problem.ErrInvalid and no record", err, pending())
		}
		got, _, err := svc.TakeStep(ctx, manager, o.ID, works.Step{To: works.Quoted, Amount: 300_000})
		must(t, err)
		if got.State != works.Quoted || got.QuotedBy != "manager" || got.QuotedAt == nil || !got.QuotedAt.Equal(now) || pending() != 3 {
			t.Errorf("quoted: got %s by %q at %v, %d records; want quoted by manager at %v, 3", got.State, got.QuotedBy, got.QuotedAt, pending(), now)
		}
		entries, err := st.OutboxAfter(ctx, 0, 10)
		must(t, err)
		if len(entries) != 3 || entries[2].Action != auditlog.WorksOrderQuote.String() || entries[2].Detail != fmt.Sprintf("order %d: £3,000.00", o.ID) {
			t.Errorf("the records: got %+v, want the quote's last, order %d: £3,000.00", entries, o.ID)
		}
		if _, _, err := svc.TakeStep(ctx, officer, o.ID, works.Step{To: works.Cancelled}); !errors.Is(err, problem.ErrForbidden) {
			t.Errorf("a council's officer cancelling: got %v, want problem.ErrForbidden", err)
		}
	})
}
