package store

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/trading"
)

func tday(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// tradingCustomer makes an organisation of kind customer below a
// partnership.
func tradingCustomer(t *testing.T, s *Store, name string) access.Organisation {
	t.Helper()
	top, err := s.EnsureOrganisation(t.Context(), "Partnership", "partnership")
	must(t, err)
	o := access.Organisation{Name: name, Kind: "customer", ParentID: top.ID}
	must(t, s.CreateOrganisation(t.Context(), &o))
	return o
}

func TestTradingSubscriptions(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		c := tradingCustomer(t, s, "Harbour Retail Ltd")
		council, err := s.EnsureOrganisation(ctx, "Council", "council")
		must(t, err)
		sub := trading.Subscription{CustomerID: c.ID, Reference: " PO 1234 ", Service: trading.ServiceMonitored, UnitPrice: 4523,
			StartsOn: tday("2024-04-01").Add(13 * time.Hour), Units: []trading.Units{{From: tday("2024-04-01"), Units: 12}}}
		must(t, s.CreateTradingSubscription(ctx, &sub))
		if sub.ID == 0 || sub.Reference != "PO 1234" || !sub.StartsOn.Equal(tday("2024-04-01")) {
			t.Errorf("created %+v: want an id, the reference trimmed and the start a day", sub)
		}
		must(t, s.SetTradingUnits(ctx, sub.ID, trading.Units{From: tday("2024-08-15"), Units: 14}))
		must(t, s.SetTradingUnits(ctx, sub.ID, trading.Units{From: tday("2024-06-01"), Units: 13}))
		must(t, s.SetTradingUnits(ctx, sub.ID, trading.Units{From: tday("2024-08-15"), Units: 15})) // replaces that day's count
		got, err := s.TradingSubscription(ctx, sub.ID)
		must(t, err)
		want := []trading.Units{{From: tday("2024-04-01"), Units: 12}, {From: tday("2024-06-01"), Units: 13}, {From: tday("2024-08-15"), Units: 15}}
		if len(got.Units) != len(want) {
			t.Fatalf("units: got %+v, want %+v", got.Units, want)
		}
		for i := range want {
			if !got.Units[i].From.Equal(want[i].From) || got.Units[i].Units != want[i].Units {
				t.Errorf("units[%d]: got %+v, want %+v", i, got.Units[i], want[i])
			}
		}
		for on, n := range map[string]int64{"2024-03-31": 0, "2024-04-01": 12, "2024-07-01": 13, "2024-08-15": 15} {
			if u := got.UnitsOn(tday(on)); u != n {
				t.Errorf("UnitsOn(%s): got %d, want %d", on, u, n)
			}
		}
		end := tday("2025-04-01")
		got.Reference, got.EndsOn = "PO 1235", &end
		must(t, s.UpdateTradingSubscription(ctx, &got))
		list, err := s.ListTradingSubscriptions(ctx, c.ID)
		must(t, err)
		if len(list) != 1 || list[0].Reference != "PO 1235" || list[0].EndsOn == nil || !list[0].EndsOn.Equal(end) || len(list[0].Units) != 3 {
			t.Errorf("list: got %+v, want the one subscription, updated, with its 3 counts", list)
		}
		if err := s.SetTradingUnits(ctx, 999, trading.Units{From: end, Units: 1}); !errors.Is(err, ErrNotFound) {
			t.Errorf("units of no subscription: got %v, want ErrNotFound", err)
		}
		for name, bad := range map[string]trading.Subscription{
			"not a customer": {CustomerID: council.ID, Service: trading.ServiceMonitored, StartsOn: end, Units: []trading.Units{{From: end, Units: 1}}},
			"no such org":    {CustomerID: 9999, Service: trading.ServiceMonitored, StartsOn: end, Units: []trading.Units{{From: end, Units: 1}}},
			"service":        {CustomerID: c.ID, Service: "gold", StartsOn: end, Units: []trading.Units{{From: end, Units: 1}}},
			"price":          {CustomerID: c.ID, Service: trading.ServiceRecorded, UnitPrice: -1, StartsOn: end, Units: []trading.Units{{From: end, Units: 1}}},
			"no units":       {CustomerID: c.ID, Service: trading.ServiceRecorded, StartsOn: end},
			"units":          {CustomerID: c.ID, Service: trading.ServiceRecorded, StartsOn: end, Units: []trading.Units{{From: end, Units: trading.MaxUnits + 1}}},
			"ends first":     {CustomerID: c.ID, Service: trading.ServiceRecorded, StartsOn: end, EndsOn: &end, Units: []trading.Units{{From: end, Units: 1}}},
		} {
			var ie *InvalidError
			if err := s.CreateTradingSubscription(ctx, &bad); !errors.As(err, &ie) {
				t.Errorf("%s: got %v, want an *InvalidError", name, err)
			}
		}
	})
}

func TestTradingSettings(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		set, err := s.TradingSettings(ctx)
		must(t, err)
		if set.VATBasisPoints != 2000 || set.NextInvoice != 1 || set.PaymentDays != 30 {
			t.Errorf("defaults: got %+v, want 20%% VAT, invoice 1 next, 30 days", set)
		}
		set.VATBasisPoints, set.InvoicePrefix, set.NextInvoice, set.Company = 1750, "CPC/", 500, "Herts CCTV Partnership Co"
		must(t, s.UpdateTradingSettings(ctx, &set))
		got, err := s.TradingSettings(ctx)
		must(t, err)
		if got.VATBasisPoints != 1750 || got.InvoicePrefix != "CPC/" || got.NextInvoice != 1 || got.Company != "Herts CCTV Partnership Co" {
			t.Errorf("got %+v, want the rate, prefix and name changed and the next number not", got)
		}
		set.VATBasisPoints = 10001
		var ie *InvalidError
		if err := s.UpdateTradingSettings(ctx, &set); !errors.As(err, &ie) {
			t.Errorf("a VAT rate over 100%%: got %v, want an *InvalidError", err)
		}
	})
}

func testInvoice(c access.Organisation, from, to string, nets ...int64) trading.Invoice {
	inv := trading.Invoice{CustomerID: c.ID, CustomerName: c.Name, PeriodFrom: tday(from), PeriodTo: tday(to),
		IssuedAt: tday(to).Add(9 * time.Hour), IssuedBy: 1, VATBasisPoints: 2000}
	for _, n := range nets {
		inv.Lines = append(inv.Lines, trading.Line{Description: "units", Service: trading.ServiceMonitored, ServiceFrom: tday(from),
			ServiceTo: tday(to), Units: 1, UnitPrice: n, Days: 30, MonthDays: 30, Net: n})
		inv.Net += n
	}
	inv.VAT = inv.Net / 5
	return inv
}

// TestTradingInvoices: numbers in one sequence without gaps, issuing
// idempotent for the same period and refused for an overlapping one, a
// credit note the only correction, after which the period is invoiced
// again with the charges it released.
func TestTradingInvoices(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		c := tradingCustomer(t, s, "Harbour Retail Ltd")
		other := tradingCustomer(t, s, "Riverside Business Park")
		ch := trading.Charge{CustomerID: c.ID, On: tday("2024-07-09"), Description: "Mileage", Amount: 3780}
		must(t, s.CreateTradingCharge(ctx, &ch))

		july := testInvoice(c, "2024-07-01", "2024-08-01", 54276)
		july.Lines = append(july.Lines, trading.Line{Description: "Mileage", ChargeID: ch.ID, Service: "charge",
			ServiceFrom: ch.On, ServiceTo: ch.On.AddDate(0, 0, 1), Units: 1, UnitPrice: 3780, Days: 1, MonthDays: 1, Net: 3780})
		july.VAT = 11611
		must(t, s.IssueTradingInvoice(ctx, &july))
		if july.Number != 1 || july.Reference != "INV-000001" || july.Net != 58056 || july.Gross != 69667 || !july.DueOn.Equal(tday("2024-08-31")) {
			t.Errorf("issued %+v: want number 1, INV-000001, net 58056, gross 69667, due 2024-08-31", july)
		}
		unbilled, err := s.ListTradingCharges(ctx, c.ID, true)
		must(t, err)
		if len(unbilled) != 0 {
			t.Errorf("unbilled charges after issuing: got %+v, want none", unbilled)
		}

		again := testInvoice(c, "2024-07-01", "2024-08-01", 99999)
		if err := s.IssueTradingInvoice(ctx, &again); !errors.Is(err, trading.ErrInvoiced) || again.ID != july.ID || again.Net != 58056 {
			t.Errorf("issuing July again: got %v and invoice %d net %d, want trading.ErrInvoiced and invoice %d unchanged", err, again.ID, again.Net, july.ID)
		}
		q := testInvoice(c, "2024-07-01", "2024-10-01", 100)
		var ie *InvalidError
		if err := s.IssueTradingInvoice(ctx, &q); !errors.As(err, &ie) {
			t.Errorf("a quarter overlapping July: got %v, want an *InvalidError", err)
		}
		aug := testInvoice(c, "2024-08-01", "2024-09-01", 54276)
		must(t, s.IssueTradingInvoice(ctx, &aug))
		otherJuly := testInvoice(other, "2024-07-01", "2024-08-01", 1000)
		must(t, s.IssueTradingInvoice(ctx, &otherJuly))
		if aug.Number != 2 || otherJuly.Number != 3 {
			t.Errorf("numbers: got %d and %d, want 2 and 3 (the refusals took none)", aug.Number, otherJuly.Number)
		}

		cn, err := s.CreditTradingInvoice(ctx, july.ID, "units were 13 from 1 July", tday("2024-08-05"), 1)
		must(t, err)
		if cn.Kind != trading.KindCredit || cn.Number != 4 || cn.CreditsID != july.ID || cn.Net != -58056 || cn.VAT != -11611 || cn.Gross != -69667 || len(cn.Lines) != 2 || cn.Lines[1].Net != -3780 {
			t.Errorf("credit note %+v: want number 4 negating July", cn)
		}
		if _, err := s.CreditTradingInvoice(ctx, july.ID, "twice", tday("2024-08-05"), 1); !errors.As(err, &ie) {
			t.Errorf("crediting twice: got %v, want an *InvalidError", err)
		}
		if _, err := s.CreditTradingInvoice(ctx, cn.ID, "a credit note", tday("2024-08-05"), 1); !errors.As(err, &ie) {
			t.Errorf("crediting a credit note: got %v, want an *InvalidError", err)
		}
		got, err := s.TradingInvoice(ctx, july.ID)
		must(t, err)
		if got.CreditedBy != cn.ID || got.Net != 58056 || len(got.Lines) != 2 || got.Lines[0].Net != 54276 {
			t.Errorf("July after its credit note: got %+v, want it unchanged but for being credited by %d", got, cn.ID)
		}
		unbilled, err = s.ListTradingCharges(ctx, c.ID, true)
		must(t, err)
		if len(unbilled) != 1 || unbilled[0].ID != ch.ID {
			t.Errorf("unbilled charges after the credit note: got %+v, want the mileage again", unbilled)
		}
		re := testInvoice(c, "2024-07-01", "2024-08-01", 58799)
		must(t, s.IssueTradingInvoice(ctx, &re))
		if re.Number != 5 || re.ID == july.ID {
			t.Errorf("reissued July: got number %d, want 5, a new invoice", re.Number)
		}

		list, err := s.ListTradingInvoices(ctx, trading.InvoiceFilter{From: tday("2024-07-01"), To: tday("2024-08-01")})
		must(t, err)
		var refs []string
		for _, v := range list {
			refs = append(refs, v.Reference)
		}
		if len(list) != 4 || refs[0] != "INV-000001" || refs[3] != "INV-000005" {
			t.Errorf("July's invoices: got %v, want 1, 3, 4 and 5", refs)
		}
		// July: 58056 - 58056 + 1000 + 58799 (the reissue has no charge line here).
		n, err := s.TradingInvoicedNet(ctx, tday("2024-07-01"), tday("2024-08-01"))
		must(t, err)
		if n != 1000+58799 {
			t.Errorf("invoiced in July: got %d, want %d", n, 1000+58799)
		}
		n, err = s.TradingInvoicedNet(ctx, tday("2024-04-01"), tday("2025-04-01"))
		must(t, err)
		if n != 1000+58799+54276 {
			t.Errorf("invoiced in 2024/25: got %d, want %d", n, 1000+58799+54276)
		}
	})
}

// TestTradingIssueConcurrent: many issuing the same period at once make
// one invoice, and the numbers stay without gaps.
func TestTradingIssueConcurrent(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		c := tradingCustomer(t, s, "Harbour Retail Ltd")
		var wg sync.WaitGroup
		ids := make([]int64, 8)
		errs := make([]error, 8)
		for i := range ids {
			wg.Go(func() {
				inv := testInvoice(c, "2024-07-01", "2024-08-01", 100)
				errs[i] = s.IssueTradingInvoice(ctx, &inv)
				ids[i] = inv.ID
			})
		}
		wg.Wait()
		issued := 0
		for i, err := range errs {
			switch {
			case err == nil:
				issued++
			case !errors.Is(err, trading.ErrInvoiced):
				t.Errorf("issuer %d: got %v, want nil or trading.ErrInvoiced", i, err)
			}
			if ids[i] != ids[0] {
				t.Errorf("issuer %d got invoice %d, issuer 0 %d: want the same", i, ids[i], ids[0])
			}
		}
		if issued != 1 {
			t.Errorf("got %d invoices issued, want 1", issued)
		}
		set, err := s.TradingSettings(ctx)
		must(t, err)
		if set.NextInvoice != 2 {
			t.Errorf("next number: got %d, want 2", set.NextInvoice)
		}
	})
}

// TestTradingInvoiceParties: an invoice names the seller as the settings
// were when it was issued and the buyer at the address recorded then; a
// later move changes neither, and its credit note names the same parties.
func TestTradingInvoiceParties(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		c := tradingCustomer(t, s, "Harbour Retail Ltd")
		must(t, s.SetTradingCustomerAddress(ctx, c.ID, "Unit 4, Harbour Quay\nLeavale LV1 2AB"))
		cu, err := s.TradingCustomer(ctx, c.ID)
		must(t, err)
		if cu.Address != "Unit 4, Harbour Quay\nLeavale LV1 2AB" {
			t.Fatalf("the customer's address: got %q", cu.Address)
		}
		set, err := s.TradingSettings(ctx)
		must(t, err)
		set.Company, set.Address, set.VATNumber = "Lea Vale CCTV Partnership Ltd", "Civic Centre\nLeavale LV1 1AA", "GB 123 4567 89"
		must(t, s.UpdateTradingSettings(ctx, &set))

		inv := testInvoice(c, "2024-07-01", "2024-08-01", 1000)
		inv.CustomerAddress = cu.Address
		must(t, s.IssueTradingInvoice(ctx, &inv))
		set.Address = "New Civic Centre"
		must(t, s.UpdateTradingSettings(ctx, &set))
		must(t, s.SetTradingCustomerAddress(ctx, c.ID, "Elsewhere"))
		cn, err := s.CreditTradingInvoice(ctx, inv.ID, "wrong units", tday("2024-08-05"), 1)
		must(t, err)
		for _, id := range []int64{inv.ID, cn.ID} {
			got, err := s.TradingInvoice(ctx, id)
			must(t, err)
			if got.SellerName != "Lea Vale CCTV Partnership Ltd" || got.SellerAddress != "Civic Centre\nLeavale LV1 1AA" ||
				got.SellerVATNumber != "GB 123 4567 89" || got.CustomerAddress != "Unit 4, Harbour Quay\nLeavale LV1 2AB" {
				t.Errorf("%s: got seller %q, %q, %q and buyer at %q; want them as they were at issue",
					got.Reference, got.SellerName, got.SellerAddress, got.SellerVATNumber, got.CustomerAddress)
			}
		}
		var ie *InvalidError
		if err := s.SetTradingCustomerAddress(ctx, tradingCustomer(t, s, "x").ParentID, "1 Road"); !errors.As(err, &ie) {
			t.Errorf("an address for the partnership: got %v, want an *InvalidError", err)
		}
	})
}
