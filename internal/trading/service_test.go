package trading

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// fakeRepo keeps the trading company's figures in memory. Its change
// copies them first and puts the copy back when the function fails, as a
// transaction's rollback would, records included.
type fakeRepo struct {
	orgs     map[int64]Customer
	settings Settings
	subs     map[int64]Subscription
	charges  map[int64]Charge
	invoices map[int64]Invoice
	records  []auditlog.Entry
	nextID   int64
	failLog  int // the Log call (1-based) that fails; 0: none
	logs     int
}

func newFakeRepo() *fakeRepo {
	return &fakeRepo{orgs: map[int64]Customer{}, settings: Settings{Company: "Vigil Trading", VATBasisPoints: 2000, InvoicePrefix: "INV-", NextInvoice: 1, PaymentDays: 30},
		subs: map[int64]Subscription{}, charges: map[int64]Charge{}, invoices: map[int64]Invoice{}, nextID: 100}
}

func (f *fakeRepo) change(ctx context.Context, fn func(Repo) error) error {
	saved := *f
	saved.subs, saved.charges, saved.invoices = maps.Clone(f.subs), maps.Clone(f.charges), maps.Clone(f.invoices)
	saved.records = slices.Clone(f.records)
	if err := fn(f); err != nil {
		logs := f.logs
		*f = saved
		f.logs = logs
		return err
	}
	return nil
}

func (f *fakeRepo) id() int64 { f.nextID++; return f.nextID }

func (f *fakeRepo) TradingCustomers(ctx context.Context) ([]Customer, error) {
	var out []Customer
	for _, id := range slices.Sorted(maps.Keys(f.orgs)) {
		if f.orgs[id].Kind == rights.KindCustomer {
			out = append(out, f.orgs[id])
		}
	}
	return out, nil
}

func (f *fakeRepo) TradingCustomer(ctx context.Context, id int64) (Customer, error) {
	c, ok := f.orgs[id]
	if !ok {
		return c, problem.Notf("organisation %d", id)
	}
	return c, nil
}

func (f *fakeRepo) SetTradingCustomerAddress(ctx context.Context, id int64, address string) error {
	c := f.orgs[id]
	c.Address = address
	f.orgs[id] = c
	return nil
}

func (f *fakeRepo) TradingSettings(ctx context.Context) (Settings, error) { return f.settings, nil }
func (f *fakeRepo) UpdateTradingSettings(ctx context.Context, t *Settings) error {
	if err := CheckSettings(t); err != nil {
		return err
	}
	f.settings = *t
	return nil
}

func (f *fakeRepo) TradingSubscription(ctx context.Context, id int64) (Subscription, error) {
	t, ok := f.subs[id]
	if !ok {
		return t, problem.Notf("subscription %d", id)
	}
	return t, nil
}

func (f *fakeRepo) ListTradingSubscriptions(ctx context.Context, customer int64) ([]Subscription, error) {
	var out []Subscription
	for _, id := range slices.Sorted(maps.Keys(f.subs)) {
		if customer == 0 || f.subs[id].CustomerID == customer {
			out = append(out, f.subs[id])
		}
	}
	return out, nil
}

func (f *fakeRepo) CreateTradingSubscription(ctx context.Context, t *Subscription) error {
	if err := CheckNewSubscription(t); err != nil {
		return err
	}
	t.ID = f.id()
	f.subs[t.ID] = *t
	return nil
}

func (f *fakeRepo) UpdateTradingSubscription(ctx context.Context, t *Subscription) error {
	f.subs[t.ID] = *t
	return nil
}

func (f *fakeRepo) SetTradingUnits(ctx context.Context, sub int64, u Units) error {
	t := f.subs[sub]
	t.Units = append(slices.Clone(t.Units), u)
	f.subs[sub] = t
	return nil
}

func (f *fakeRepo) ListTradingCharges(ctx context.Context, customer int64, unbilled bool) ([]Charge, error) {
	return nil, nil
}

func (f *fakeRepo) CreateTradingCharge(ctx context.Context, c *Charge) error {
	c.ID = f.id()
	f.charges[c.ID] = *c
	return nil
}

func (f *fakeRepo) TradingInvoice(ctx context.Context, id int64) (Invoice, error) {
	v, ok := f.invoices[id]
	if !ok {
		return v, problem.Notf("invoice %d", id)
	}
	return v, nil
}

func (f *fakeRepo) ListTradingInvoices(ctx context.Context, flt InvoiceFilter) ([]Invoice, error) {
	var out []Invoice
	for _, id := range slices.Sorted(maps.Keys(f.invoices)) {
		v := f.invoices[id]
		if (flt.CustomerID == 0 || v.CustomerID == flt.CustomerID) && !v.PeriodFrom.Before(flt.From) && (flt.To.IsZero() || v.PeriodFrom.Before(flt.To)) {
			out = append(out, v)
		}
	}
	return out, nil
}

func (f *fakeRepo) IssueTradingInvoice(ctx context.Context, inv *Invoice) error {
	inv.ID, inv.Number = f.id(), f.settings.NextInvoice
	inv.Reference = fmt.Sprintf("%s%06d", f.settings.InvoicePrefix, inv.Number)
	f.settings.NextInvoice++
	f.invoices[inv.ID] = *inv
	return nil
}

func (f *fakeRepo) CreditTradingInvoice(ctx context.Context, id int64, note string, at time.Time, by int64) (Invoice, error) {
	return Invoice{}, errors.New("not in this fake")
}

func (f *fakeRepo) TradingInvoicedNet(ctx context.Context, from, to time.Time) (int64, error) {
	return 0, nil
}

func (f *fakeRepo) Log(e auditlog.Entry) error {
	f.logs++
	if f.logs == f.failLog {
		return errors.New("the outbox is full")
	}
	f.records = append(f.records, e)
	return nil
}

// world is a partnership with a council below it, a customer of each,
// the partnership's CCTV manager and the council's partner officer.
type world struct {
	repo                         *fakeRepo
	svc                          *Service
	manager, officer             Caller
	partnership, council         int64
	harbour, carParks, notCustom int64
}

func newWorld(t *testing.T) *world {
	w := &world{repo: newFakeRepo(), partnership: 1, council: 2, harbour: 3, carParks: 4, notCustom: 5}
	orgs := []rights.Org{{ID: 1, Name: "Partnership", Kind: rights.KindPartnership}, {ID: 2, Parent: 1, Name: "Council", Kind: rights.KindCouncil},
		{ID: 3, Parent: 1, Name: "Harbour Retail Ltd", Kind: rights.KindCustomer}, {ID: 4, Parent: 2, Name: "Council Car Parks Ltd", Kind: rights.KindCustomer},
		{ID: 5, Parent: 1, Name: "Riverside Council", Kind: rights.KindCouncil}}
	for _, o := range orgs {
		w.repo.orgs[o.ID] = Customer{ID: o.ID, Name: o.Name, Kind: o.Kind}
	}
	snap := rights.NewSnapshot(rights.Data{Orgs: orgs, Grants: map[int64][]rights.Grant{
		10: {{Role: rights.CCTVManager}}, 11: {{Role: rights.PartnerOfficer}}}})
	w.manager = Caller{Actor: auditlog.Actor{UserID: 10, Username: "manager"}, P: snap.Principal(10, 1), Snap: snap}
	w.officer = Caller{Actor: auditlog.Actor{UserID: 11, Username: "officer"}, P: snap.Principal(11, 2), Snap: snap}
	clock := func() time.Time { return time.Date(2024, 10, 2, 10, 0, 0, 0, time.UTC) }
	w.svc = New(w.repo, w.repo.change, clock, nil)
	return w
}

func ptr[T any](v T) *T { return &v }

// TestServiceDecides: who may read and change which customer's figures,
// refused in the order the API has always given (who, then whether they
// may, then what), and nothing changed or recorded by a refusal.
func TestServiceDecides(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	good := NewSubscription{CustomerID: w.harbour, Service: ServiceMonitored, UnitPrice: ptr(int64(4523)), StartsOn: "2024-04-01", Units: ptr(int64(12))}
	for _, tc := range []struct {
		name string
		by   Caller
		in   NewSubscription
		want error
		msg  string
	}{
		{"a customer outside the officer's council", w.officer, good, problem.ErrNotFound, fmt.Sprintf("no customer %d", w.harbour)},
		{"an organisation that is not a customer", w.manager, NewSubscription{CustomerID: w.notCustom}, problem.ErrNotFound, fmt.Sprintf("no customer %d", w.notCustom)},
		{"an organisation that does not exist", w.manager, NewSubscription{CustomerID: 99}, problem.ErrNotFound, "no customer 99"},
		{"the council's own customer, by its officer", w.officer, NewSubscription{CustomerID: w.carParks}, problem.ErrForbidden, ""},
		{"no price", w.manager, NewSubscription{CustomerID: w.harbour, Units: ptr(int64(1))}, problem.ErrInvalid, ""},
		{"a start that is not a date", w.manager, NewSubscription{CustomerID: w.harbour, UnitPrice: ptr(int64(1)), Units: ptr(int64(1)), StartsOn: "1/4/24"}, problem.ErrInvalid, `starts_on "1/4/24" is not a date like 2024-07-01`},
		{"a service level that does not exist", w.manager, NewSubscription{CustomerID: w.harbour, Service: "gold", UnitPrice: ptr(int64(1)), Units: ptr(int64(1)), StartsOn: "2024-04-01"}, problem.ErrInvalid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := w.svc.CreateSubscription(ctx, tc.by, tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.msg != "" && problem.Message(err, "") != tc.msg {
				t.Errorf("got message %q, want %q", problem.Message(err, ""), tc.msg)
			}
			if len(w.repo.subs) != 0 || len(w.repo.records) != 0 {
				t.Errorf("after a refusal: got %d subscriptions and %d records, want none", len(w.repo.subs), len(w.repo.records))
			}
		})
	}
	sub, cust, err := w.svc.CreateSubscription(ctx, w.manager, good)
	if err != nil || cust.ID != w.harbour || sub.ID == 0 {
		t.Fatalf("the partnership's manager: got subscription %d of %d, %v; want one of %d", sub.ID, cust.ID, err, w.harbour)
	}
	if len(w.repo.records) != 1 || w.repo.records[0].Action != auditlog.TradingSubscriptionCreate || w.repo.records[0].Username != "manager" ||
		w.repo.records[0].Detail != fmt.Sprintf("subscription %d: Harbour Retail Ltd, 12 monitored units at 4523 pence", sub.ID) {
		t.Errorf("got records %+v, want one trading.subscription.create by manager", w.repo.records)
	}
	if w.svc.Sees(w.officer, w.harbour) || !w.svc.Sees(w.manager, w.carParks) {
		t.Errorf("Sees: got officer sees Harbour %v, manager sees Car Parks %v; want false, true", w.svc.Sees(w.officer, w.harbour), w.svc.Sees(w.manager, w.carParks))
	}
	if subs, _ := w.svc.Subscriptions(ctx, w.officer); len(subs) != 0 {
		t.Errorf("the officer's subscriptions: got %d, want none (Harbour is not theirs)", len(subs))
	}
}

// TestIssueRunIsOneChange: a run's invoices and their records commit
// together: when the second record cannot be written, neither invoice
// stands and the numbers are not used; asked again, both issue with a
// record each.
func TestIssueRunIsOneChange(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for _, c := range []int64{w.harbour, w.carParks} {
		if _, _, err := w.svc.CreateSubscription(ctx, w.manager, NewSubscription{CustomerID: c, Service: ServiceRecorded, UnitPrice: ptr(int64(1800)),
			StartsOn: "2024-07-01", Units: ptr(int64(5))}); err != nil {
			t.Fatal(err)
		}
	}
	w.repo.records, w.repo.logs = nil, 0
	w.repo.failLog = 2
	if _, _, err := w.svc.Issue(ctx, w.manager, IssueRun{Period: "2024/25-Q2"}); err == nil {
		t.Fatal("a run whose second record fails: got no error, want one")
	}
	if len(w.repo.invoices) != 0 || len(w.repo.records) != 0 || w.repo.settings.NextInvoice != 1 {
		t.Errorf("after the failed run: got %d invoices, %d records, next number %d; want none, none, 1",
			len(w.repo.invoices), len(w.repo.records), w.repo.settings.NextInvoice)
	}
	w.repo.failLog = 0
	p, outs, err := w.svc.Issue(ctx, w.manager, IssueRun{Period: "2024/25-Q2"})
	if err != nil || p.Name != "2024/25-Q2" || len(outs) != 2 {
		t.Fatalf("the run: got %q, %d outcomes, %v; want 2024/25-Q2 and two", p.Name, len(outs), err)
	}
	if len(w.repo.records) != 2 {
		t.Fatalf("got %d records, want one per invoice", len(w.repo.records))
	}
	for i, o := range outs {
		r := w.repo.records[i]
		want := fmt.Sprintf("%s to %s for 2024/25-Q2: net %d, VAT %d", o.Invoice.Reference, o.Customer.Name, o.Invoice.Net, o.Invoice.VAT)
		if o.Status != "issued" || r.Action != auditlog.TradingInvoice || r.Detail != want {
			t.Errorf("outcome %d: got %s, record %s %q; want issued, trading.invoice %q", i, o.Status, r.Action, r.Detail, want)
		}
	}
	// The officer may not issue, and a run longer than a year is refused.
	if _, _, err := w.svc.Issue(ctx, w.officer, IssueRun{Period: "2024/25-Q3"}); !errors.Is(err, problem.ErrForbidden) {
		t.Errorf("the officer issuing: got %v, want problem.ErrForbidden", err)
	}
	if _, _, err := w.svc.Issue(ctx, w.manager, IssueRun{Period: "2024-04-01..2025-06-30"}); !errors.Is(err, problem.ErrInvalid) || !strings.Contains(err.Error(), "at most a year") {
		t.Errorf("a run of fifteen months: got %v, want problem.ErrInvalid saying at most a year", err)
	}
}

// TestLatestInvoiced: the latest period billed to a customer the caller
// sees, where the trading page opens.
func TestLatestInvoiced(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	if _, ok, err := w.svc.LatestInvoiced(ctx, w.manager); ok || err != nil {
		t.Fatalf("nothing invoiced: got %v, %v; want none", ok, err)
	}
	if _, _, err := w.svc.CreateSubscription(ctx, w.manager, NewSubscription{CustomerID: w.harbour, Service: ServiceRecorded, UnitPrice: ptr(int64(1800)),
		StartsOn: "2024-04-01", Units: ptr(int64(5))}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"2024/25-Q2", "2024/25-Q1"} {
		if _, _, err := w.svc.Issue(ctx, w.manager, IssueRun{Period: p}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		by   Caller
		ok   bool
		want time.Time
	}{
		{"the manager", w.manager, true, time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)},
		{"an officer who does not see the customer", w.officer, false, time.Time{}},
	} {
		got, ok, err := w.svc.LatestInvoiced(ctx, tc.by)
		if err != nil || ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("%s: got %v, %v, %v; want %v, %v", tc.name, got, ok, err, tc.want, tc.ok)
		}
	}
}

// TestSetCustomerAddress: the manager records where a customer's invoices
// go, tidied, with a record; the next invoice is addressed there; others
// are refused and change nothing.
func TestSetCustomerAddress(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		by   Caller
		id   int64
		addr string
		want error
	}{
		// Outside their council, not found before anything else is said
		// of it; their council's own, but no figures of theirs to change.
		{"the council's officer, another's customer", w.officer, w.harbour, "1 Quay Street", problem.ErrNotFound},
		{"the council's officer, its own customer", w.officer, w.carParks, "1 Quay Street", problem.ErrForbidden},
		{"not a customer", w.manager, w.notCustom, "1 Quay Street", problem.ErrNotFound},
		{"too long", w.manager, w.harbour, strings.Repeat("x", MaxAddress+1), problem.ErrInvalid},
	} {
		if _, err := w.svc.SetCustomerAddress(ctx, tc.by, tc.id, tc.addr); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if len(w.repo.records) != 0 || w.repo.orgs[w.harbour].Address != "" {
		t.Fatalf("after refusals: got %d records, address %q; want none", len(w.repo.records), w.repo.orgs[w.harbour].Address)
	}
	cu, err := w.svc.SetCustomerAddress(ctx, w.manager, w.harbour, "  Unit 4, Harbour Quay \n\n Leavale  LV1 2AB\n")
	if want := "Unit 4, Harbour Quay\nLeavale  LV1 2AB"; err != nil || cu.Address != want || w.repo.orgs[w.harbour].Address != want {
		t.Fatalf("the manager: got %q (stored %q), %v; want %q", cu.Address, w.repo.orgs[w.harbour].Address, err, want)
	}
	if len(w.repo.records) != 1 || w.repo.records[0].Action != auditlog.TradingCustomerAddress {
		t.Errorf("got records %+v, want one %s", w.repo.records, auditlog.TradingCustomerAddress)
	}
	if _, _, err := w.svc.CreateSubscription(ctx, w.manager, NewSubscription{CustomerID: w.harbour, Service: ServiceRecorded, UnitPrice: ptr(int64(1800)),
		StartsOn: "2024-04-01", Units: ptr(int64(5))}); err != nil {
		t.Fatal(err)
	}
	_, outs, err := w.svc.Issue(ctx, w.manager, IssueRun{Period: "2024/25-Q1", CustomerID: w.harbour})
	if err != nil || len(outs) != 1 || outs[0].Invoice.CustomerAddress != cu.Address || outs[0].Invoice.CustomerName != "Harbour Retail Ltd" {
		t.Errorf("the next invoice: got %+v, %v; want it addressed to %q", outs, err, cu.Address)
	}
}
