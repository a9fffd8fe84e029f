package cli

import (
	"context"
	"errors"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/trading"
)

// demoCustomers are the trading company's customers in the demo: shops
// and a business park whose cameras the control room watches, records or
// maintains for a monthly fee per camera.
var demoCustomers = []struct {
	name, address, service, reference string
	price, units                      int64 // pence per unit per month; units at the start
	startDays                         int   // days after the start of the last quarter but one
	more                              int64 // units added halfway through the last quarter
}{
	{"Harbour Retail Ltd", "Unit 4, Harbour Quay\nWharf Road\nLeavale\nLV2 7QT", trading.ServiceMonitored, "PO 7781", 4523, 12, 0, 2},
	{"Riverside Business Park", "Estate Office, Riverside Business Park\nMead Lane\nLeavale\nLV3 9RB", trading.ServiceRecorded, "RBP/CCTV/2", 1800, 8, 100, 0},
	{"Lea Vale Housing Association", "Fanshawe House\n12 Fore Street\nLeavale\nLV1 3EW", trading.ServiceMaintenance, "", 650, 20, 0, 0},
}

// demoCompany is the trading company the demo's invoices are issued by:
// the partnership's company, with an address and a VAT registration
// number as a real invoice must have.
var demoCompany = struct{ name, address, vat string }{
	"Lea Vale CCTV Services Ltd", "Civic Offices\nGascoyne Way\nLeavale\nLV1 1HD", "GB 284 6193 57",
}

// seedDemoTrading files the demo's customers below the partnership with
// their subscriptions and a mileage charge, and issues their invoices for
// the last full quarter, so the Trading page has something to show. A
// data folder that has the first customer already is left alone. It
// commits with its records through change.
func seedDemoTrading(ctx context.Context, change changer, top access.Organisation, now time.Time) error {
	return change(ctx, func(st *store.Store) error { return seedTrading(ctx, st, top, now) })
}

// seedTrading is seedDemoTrading's change, in the transaction st.
func seedTrading(ctx context.Context, st *store.Store, top access.Organisation, now time.Time) error {
	if _, err := st.OrganisationByName(ctx, demoCustomers[0].name); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	set, err := st.TradingSettings(ctx)
	if err != nil {
		return err
	}
	set.Company, set.Address, set.VATNumber = demoCompany.name, demoCompany.address, demoCompany.vat
	if err := st.UpdateTradingSettings(ctx, &set); err != nil {
		return err
	}
	if err := seedLog(st, auditlog.TradingSettings, 0, "company %s, VAT registration %s, VAT %d basis points, prefix %q, %d days",
		set.Company, set.VATNumber, set.VATBasisPoints, set.InvoicePrefix, set.PaymentDays); err != nil {
		return err
	}
	lastQ := period.Of(now).Prev()
	last := lastQ.Span()
	start := lastQ.Prev().From()
	mid := last.From.AddDate(0, 1, 14)
	var customers []access.Organisation
	for i, c := range demoCustomers {
		o := access.Organisation{Name: c.name, Kind: "customer", ParentID: top.ID}
		if err := createSeedOrganisation(ctx, st, &o); err != nil {
			return err
		}
		customers = append(customers, o)
		if err := st.SetTradingCustomerAddress(ctx, o.ID, c.address); err != nil {
			return err
		}
		if err := seedLog(st, auditlog.TradingCustomerAddress, 0, "customer %s (%d): address %q", o.Name, o.ID, c.address); err != nil {
			return err
		}
		from := start.AddDate(0, 0, c.startDays)
		s := trading.Subscription{CustomerID: o.ID, Reference: c.reference, Service: c.service, UnitPrice: c.price, StartsOn: from,
			Units: []trading.Units{{From: from, Units: c.units}}}
		if c.more != 0 {
			s.Units = append(s.Units, trading.Units{From: mid, Units: c.units + c.more})
		}
		if err := st.CreateTradingSubscription(ctx, &s); err != nil {
			return err
		}
		if err := seedLog(st, auditlog.TradingSubscriptionCreate, 0, "subscription %d: %s, %d %s units at %d pence from %s",
			s.ID, o.Name, c.units, s.Service, s.UnitPrice, from.Format(time.DateOnly)); err != nil {
			return err
		}
		if c.more != 0 {
			if err := seedLog(st, auditlog.TradingUnits, 0, "subscription %d of %s: %d units from %s",
				s.ID, o.Name, c.units+c.more, mid.Format(time.DateOnly)); err != nil {
				return err
			}
		}
		if i == 0 {
			ch := trading.Charge{CustomerID: o.ID, On: mid, Description: "Mileage: 84 miles at 45p", Amount: 3780}
			if err := st.CreateTradingCharge(ctx, &ch); err != nil {
				return err
			}
			if err := seedLog(st, auditlog.TradingCharge, 0, "charge %d to %s: %q, %d pence", ch.ID, o.Name, ch.Description, ch.Amount); err != nil {
				return err
			}
		}
	}
	l := trading.NewLedger(st, nil)
	for _, o := range customers {
		cu, err := st.TradingCustomer(ctx, o.ID)
		if err != nil {
			return err
		}
		out, err := l.Issue(ctx, cu, last, now, 0)
		if err != nil {
			return err
		}
		if out.Status != "issued" {
			continue
		}
		if err := seedLog(st, auditlog.TradingInvoice, 0, "%s to %s for %s: net %d, VAT %d",
			out.Invoice.Reference, o.Name, last.Name, out.Invoice.Net, out.Invoice.VAT); err != nil {
			return err
		}
	}
	return nil
}
