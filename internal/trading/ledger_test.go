package trading_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
	"github.com/vigil-cctv/vigil/internal/trading"
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

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The ledger's income is what finance's statement reads through this.
var _ interface {
	Invoiced(ctx context.Context, from, to time.Time) (int64, error)
} = (*trading.Ledger)(nil)

// TestLedger: a quarter of a customer whose units rise mid-quarter and a
// customer starting mid-quarter, invoiced month by month; the quarter's
// income is the sum of the three months' invoices to the penny, a rerun
// issues nothing new, and a credit note and reissue move income by the
// difference only.
func TestLedger(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		top, err := st.EnsureOrganisation(ctx, "Partnership", "partnership")
		must(t, err)
		cust := func(name string) trading.Customer {
			o := access.Organisation{Name: name, Kind: "customer", ParentID: top.ID}
			must(t, st.CreateOrganisation(ctx, &o))
			return trading.Customer{ID: o.ID, Name: o.Name, Kind: o.Kind}
		}
		harbour, riverside := cust("Harbour Retail Ltd"), cust("Riverside Business Park")
		councilOrg := access.Organisation{Name: "Council", Kind: "council", ParentID: top.ID}
		must(t, st.CreateOrganisation(ctx, &councilOrg))
		council := trading.Customer{ID: councilOrg.ID, Name: councilOrg.Name, Kind: councilOrg.Kind}
		s1 := trading.Subscription{CustomerID: harbour.ID, Service: trading.ServiceMonitored, UnitPrice: 4523, StartsOn: d("2024-04-01"),
			Units: []trading.Units{{From: d("2024-04-01"), Units: 12}, {From: d("2024-08-15"), Units: 14}}}
		s2 := trading.Subscription{CustomerID: riverside.ID, Service: trading.ServiceRecorded, UnitPrice: 1800, StartsOn: d("2024-07-16"),
			Units: []trading.Units{{From: d("2024-07-16"), Units: 5}}}
		must(t, st.CreateTradingSubscription(ctx, &s1))
		must(t, st.CreateTradingSubscription(ctx, &s2))
		must(t, st.CreateTradingCharge(ctx, &trading.Charge{CustomerID: harbour.ID, On: d("2024-09-12"), Description: "Mileage", Amount: 3780}))

		l := trading.NewLedger(st, nil)
		now := d("2024-10-02").Add(10 * time.Hour)
		q, _ := period.ParseSpan("2024/25-Q2")
		var months int64
		for m := q.From; m.Before(q.To); m = m.AddDate(0, 1, 0) {
			p := trading.Period{Name: m.Format("2006-01"), From: m, To: m.AddDate(0, 1, 0)}
			outs, err := l.IssueAll(ctx, p, now, 1, nil)
			must(t, err)
			if len(outs) != 2 {
				t.Fatalf("%s: got %d outcomes, want one per customer", p.Name, len(outs))
			}
			for _, o := range outs {
				if o.Status != "issued" {
					t.Errorf("%s, %s: got %q, want issued", p.Name, o.Customer.Name, o.Status)
				}
				months += o.Invoice.Net
			}
		}
		// Harbour: July 12 × 45.23; August 12 × 14/31 + 14 × 17/31; September 14; mileage.
		// Riverside: 5 × 18.00 × 16/31, then two whole months.
		want := int64(54276+trading.ProRata(12, 4523, 14, 31)+trading.ProRata(14, 4523, 17, 31)+14*4523+3780) + trading.ProRata(5, 1800, 16, 31) + 2*5*1800
		if months != want {
			t.Errorf("the three months' invoices: got %d pence net, want %d", months, want)
		}
		got, err := l.Invoiced(ctx, q.From, q.To)
		must(t, err)
		if got != want {
			t.Errorf("Invoiced(Q2): got %d, want %d", got, want)
		}
		// A whole-quarter draft bills the same subscription lines, to the penny.
		var draft int64
		for _, c := range []trading.Customer{harbour, riverside} {
			subs, err := st.ListTradingSubscriptions(ctx, c.ID)
			must(t, err)
			inv, err := trading.Draft(c, subs, nil, q.From, q.To, 2000)
			if err != nil {
				t.Fatal(err)
			}
			draft += inv.Net
		}
		if draft != want-3780 {
			t.Errorf("a quarterly invoice would bill %d, the months %d: want equal", draft, want-3780)
		}

		// A rerun issues nothing new, even after the units changed.
		must(t, st.SetTradingUnits(ctx, s2.ID, trading.Units{From: d("2024-09-01"), Units: 6}))
		outs, err := l.IssueAll(ctx, trading.Period{Name: "2024-09", From: d("2024-09-01"), To: d("2024-10-01")}, now, 1, nil)
		must(t, err)
		var sept trading.Invoice
		for _, o := range outs {
			if o.Status != "existing" {
				t.Errorf("rerun for %s: got %q, want existing", o.Customer.Name, o.Status)
			}
			if o.Customer.ID == riverside.ID {
				sept = o.Invoice
			}
		}
		if sept.Net != 5*1800 || len(sept.Lines) != 1 {
			t.Errorf("September's invoice after a rerun: got net %d in %d lines, want 9000 in 1, unchanged", sept.Net, len(sept.Lines))
		}
		// Credit it and reissue: income moves by one unit's month.
		_, err = st.CreditTradingInvoice(ctx, sept.ID, "six units from 1 September", now, 1)
		must(t, err)
		o, err := l.Issue(ctx, riverside, trading.Period{Name: "2024-09", From: d("2024-09-01"), To: d("2024-10-01")}, now, 1)
		must(t, err)
		if o.Status != "issued" || o.Invoice.Net != 6*1800 || o.Invoice.VAT != 2160 || o.Invoice.Number != 8 {
			t.Errorf("reissue: got %s net %d VAT %d number %d, want issued, 10800, 2160, number 8 (6 invoices and a credit note before)",
				o.Status, o.Invoice.Net, o.Invoice.VAT, o.Invoice.Number)
		}
		got, err = l.Invoiced(ctx, q.From, q.To)
		must(t, err)
		if got != want+1800 {
			t.Errorf("Invoiced(Q2) after the reissue: got %d, want %d", got, want+1800)
		}
		// A year's run while Q2's monthly invoices stand: both customers
		// refused, with the invoice in the way named, and nothing issued.
		outs, err = l.IssueAll(ctx, trading.Period{Name: "2024/25", From: d("2024-04-01"), To: d("2025-04-01")}, now, 1, nil)
		must(t, err)
		for _, o := range outs {
			if o.Status != "refused" || !strings.Contains(o.Reason, "INV-") {
				t.Errorf("the year for %s: got %q %q, want refused naming the overlapping invoice", o.Customer.Name, o.Status, o.Reason)
			}
		}
		if got, _ := l.Invoiced(ctx, q.From, q.To); got != want+1800 {
			t.Errorf("Invoiced(Q2) after the refused run: got %d, want %d", got, want+1800)
		}
		// Nothing to bill: no invoice; a council is not a customer.
		o, err = l.Issue(ctx, riverside, trading.Period{Name: "2024-04", From: d("2024-04-01"), To: d("2024-05-01")}, now, 1)
		if err != nil || o.Status != "nothing" {
			t.Errorf("a month before the service: got %q, %v, want nothing", o.Status, err)
		}
		if _, err := l.Issue(ctx, council, q, now, 1); err == nil {
			t.Errorf("invoicing a council: got no error, want a refusal")
		}
	})
}
