package trading_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/trading"
)

// failingLog is the store bound to a change, whose Log fails from its
// n-th record on.
type failingLog struct {
	*store.Store
	n, calls int
}

func (f *failingLog) Log(e auditlog.Entry) error {
	f.calls++
	if f.calls >= f.n {
		return errors.New("the outbox cannot be written")
	}
	return f.Store.Log(e)
}

// TestChangesAreAllOrNothing, on real stores: a run of invoices commits
// with a record for each invoice issued, a customer refused within it
// (its period overlaps an invoice issued before) undone without a gap in
// the numbers; when a record cannot be written, no invoice of the run
// stands, nor any record, nor a used number, and a credit note goes the
// same way.
func TestChangesAreAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		top, err := st.EnsureOrganisation(ctx, "Partnership", "partnership")
		must(t, err)
		var orgs []rights.Org
		orgs = append(orgs, rights.Org{ID: top.ID, Name: top.Name, Kind: top.Kind})
		var custs []int64
		for _, name := range []string{"Harbour Retail Ltd", "Riverside Business Park", "Quayside Ltd"} {
			o := access.Organisation{Name: name, Kind: "customer", ParentID: top.ID}
			must(t, st.CreateOrganisation(ctx, &o))
			orgs = append(orgs, rights.Org{ID: o.ID, Parent: top.ID, Name: o.Name, Kind: o.Kind})
			custs = append(custs, o.ID)
			must(t, st.CreateTradingSubscription(ctx, &trading.Subscription{CustomerID: o.ID, Service: trading.ServiceMonitored, UnitPrice: 4000,
				StartsOn: d("2024-04-01"), Units: []trading.Units{{From: d("2024-04-01"), Units: 3}}}))
		}
		snap := rights.NewSnapshot(rights.Data{Orgs: orgs, Grants: map[int64][]rights.Grant{1: {{Role: rights.CCTVManager}}}})
		manager := trading.Caller{Actor: auditlog.Actor{UserID: 1, Username: "manager"}, P: snap.Principal(1, top.ID), Snap: snap}
		failAt := 0 // the record that fails; 0: none
		change := func(ctx context.Context, fn func(trading.Repo) error) error {
			_, err := st.Update(ctx, func(tx *store.Store) error {
				if failAt > 0 {
					return fn(&failingLog{Store: tx, n: failAt})
				}
				return fn(tx)
			})
			return err
		}
		svc := trading.New(st, change, func() time.Time { return d("2024-10-02") }, nil)
		pending := func() int64 {
			n, _, err := st.OutboxPending(ctx)
			must(t, err)
			return n
		}
		count := func() int {
			invs, err := st.ListTradingInvoices(ctx, trading.InvoiceFilter{})
			must(t, err)
			return len(invs)
		}

		// Riverside's July stands in the way of its quarter.
		_, _, err = svc.Issue(ctx, manager, trading.IssueRun{Period: "2024-07", CustomerID: custs[1]})
		must(t, err)
		if got := pending(); got != 1 {
			t.Fatalf("one invoice issued: got %d records waiting, want 1", got)
		}

		failAt = 2
		if _, _, err := svc.Issue(ctx, manager, trading.IssueRun{Period: "2024/25-Q2"}); err == nil {
			t.Fatal("a run whose second record fails: got no error, want one")
		}
		if n, p := count(), pending(); n != 1 || p != 1 {
			t.Errorf("after the failed run: got %d invoices and %d records, want July's alone (1, 1)", n, p)
		}

		failAt = 0
		_, outs, err := svc.Issue(ctx, manager, trading.IssueRun{Period: "2024/25-Q2"})
		must(t, err)
		var refs []string
		for i, o := range outs {
			want := "issued"
			if i == 1 {
				want = "refused"
			}
			if o.Status != want {
				t.Errorf("%s: got %s (%s), want %s", o.Customer.Name, o.Status, o.Reason, want)
			}
			if o.Status == "issued" {
				refs = append(refs, o.Invoice.Reference)
			}
		}
		// July took 1; the refused customer's number was given back.
		if strings.Join(refs, " ") != "INV-000002 INV-000003" {
			t.Errorf("the run's numbers: got %v, want INV-000002 and INV-000003, no gap for the refused customer", refs)
		}
		if n, p := count(), pending(); n != 3 || p != 3 {
			t.Errorf("after the run: got %d invoices and %d records, want 3 and 3", n, p)
		}

		failAt = 1
		if _, _, err := svc.Credit(ctx, manager, outs[0].Invoice.ID, "units were wrong"); err == nil {
			t.Fatal("a credit whose record fails: got no error, want one")
		}
		if got, err := st.TradingInvoice(ctx, outs[0].Invoice.ID); err != nil || got.CreditedBy != 0 || count() != 3 || pending() != 3 {
			t.Errorf("after the failed credit: got credited by %d, %d invoices, %d records (%v); want no credit note", got.CreditedBy, count(), pending(), err)
		}
		failAt = 0
		cn, _, err := svc.Credit(ctx, manager, outs[0].Invoice.ID, "units were wrong")
		must(t, err)
		if cn.Reference != "INV-000004" || count() != 4 || pending() != 4 {
			t.Errorf("the credit: got %s, %d invoices, %d records; want INV-000004, 4, 4", cn.Reference, count(), pending())
		}
		entries, err := st.OutboxAfter(ctx, 0, 10)
		must(t, err)
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		if got, want := strings.Join(actions, " "), fmt.Sprintf("%s %s %s %s", auditlog.TradingInvoice, auditlog.TradingInvoice, auditlog.TradingInvoice, auditlog.TradingCredit); got != want {
			t.Errorf("the records: got %s, want %s", got, want)
		}
	})
}
