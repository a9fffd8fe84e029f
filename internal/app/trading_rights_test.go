package app

import (
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/trading"
)

// The permission matrix's trading company: a customer filed below each
// council, each with a subscription, a charge and an invoice for the
// current quarter, made on first use.

func (f *rightsFixture) tradingCustomer(parent int64, name string) int64 {
	o := access.Organisation{Name: name, Kind: "customer", ParentID: parent}
	mustDo(f.t, f.st.CreateOrganisation(f.t.Context(), &o))
	return o.ID
}

// tradingSubscription returns the id of the council's customer's
// subscription, which bills from the start of the current quarter.
func (f *rightsFixture) tradingSubscription(own bool) int64 {
	cust := f.pick(own, f.custA, f.custB)
	subs, err := f.st.ListTradingSubscriptions(f.t.Context(), cust)
	mustDo(f.t, err)
	if len(subs) > 0 {
		return subs[0].ID
	}
	q := period.Of(time.Now()).Span()
	s := trading.Subscription{CustomerID: cust, Service: trading.ServiceMonitored, UnitPrice: 4000, StartsOn: q.From,
		Units: []trading.Units{{From: q.From, Units: 3}}}
	mustDo(f.t, f.st.CreateTradingSubscription(f.t.Context(), &s))
	return s.ID
}

// tradingCharge returns the id of a charge to the council's customer.
func (f *rightsFixture) tradingCharge(own bool) int64 {
	cust := f.pick(own, f.custA, f.custB)
	cs, err := f.st.ListTradingCharges(f.t.Context(), cust, false)
	mustDo(f.t, err)
	if len(cs) > 0 {
		return cs[0].ID
	}
	c := trading.Charge{CustomerID: cust, On: time.Now(), Description: "Mileage", Amount: 450}
	mustDo(f.t, f.st.CreateTradingCharge(f.t.Context(), &c))
	return c.ID
}

// tradingInvoice returns the id of the council's customer's invoice for
// the current quarter (issuing is idempotent).
func (f *rightsFixture) tradingInvoice(own bool) int64 {
	f.tradingSubscription(own)
	cust, err := f.st.Organisation(f.t.Context(), f.pick(own, f.custA, f.custB))
	mustDo(f.t, err)
	o, err := trading.NewLedger(f.st, nil).Issue(f.t.Context(), trading.Customer{ID: cust.ID, Name: cust.Name, Kind: cust.Kind}, period.Of(time.Now()).Span(), time.Now(), 0)
	mustDo(f.t, err)
	return o.Invoice.ID
}
