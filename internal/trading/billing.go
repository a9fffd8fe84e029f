// Package trading is the partnership's trading company: it bills
// customers outside the partnership for the cameras it monitors, records
// or maintains for them, and tells the finance statement what it earned.
//
// Billing rules, which the tests hold to:
//
//   - A subscription's price is pence per camera unit per calendar month,
//     net of VAT.
//   - A line of an invoice covers one subscription, one calendar month and
//     one unchanging number of units. A whole month is units × price,
//     exactly. Part of a month (the service starting or ending, or the
//     units changing, within it) is units × price × days served / days in
//     that month, rounded to the penny half up, once per line.
//   - Half up rather than to even: each line is what the customer checks
//     with a calculator or a spreadsheet, whose ROUND goes half up, so the
//     invoice agrees with their check; the drift towards the trading
//     company is at most half a penny per part-month line.
//   - Because no line crosses a month boundary, three monthly invoices
//     hold exactly the lines of one quarterly invoice, and sum to it to
//     the penny. Periods cut inside a month add one rounding per cut and
//     subscription: at most a penny each.
//   - VAT is worked out once per invoice on its net total, at the rate in
//     the settings (standard 20%), rounded half up to the penny; a credit
//     note negates its invoice's figures exactly.
//   - Income for the finance statement is net of VAT: the company
//     collects VAT for HMRC, it is not the partnership's income.
package trading

import (
	"fmt"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/internal/store"
)

// DaysIn is the number of days in t's calendar month.
func DaysIn(t time.Time) int64 {
	return int64(day(t.Year(), t.Month(), 1).AddDate(0, 1, -1).Day())
}

// ProRata is units × price × days / monthDays in pence, rounded half up;
// a whole month is exact.
func ProRata(units, price, days, monthDays int64) int64 {
	if days == monthDays {
		return units * price
	}
	return divHalfUp(units*price*days, monthDays)
}

// divHalfUp is n / d rounded to the nearest integer, halves away from
// zero, for d > 0.
func divHalfUp(n, d int64) int64 {
	if n < 0 {
		return -divHalfUp(-n, d)
	}
	return (2*n + d) / (2 * d)
}

// VAT is the VAT on net pence at basisPoints (2000: 20%), rounded half up.
func VAT(net, basisPoints int64) int64 { return divHalfUp(net*basisPoints, 10000) }

var serviceNames = map[string]string{
	store.ServiceMonitored:   "Monitored CCTV",
	store.ServiceRecorded:    "Recorded-only CCTV",
	store.ServiceMaintenance: "CCTV maintenance",
}

// ServiceName is a service level as an invoice reads it.
func ServiceName(s string) string {
	if n, ok := serviceNames[s]; ok {
		return n
	}
	return s
}

// SubscriptionLines are the lines billing sub for the days of [from, to)
// it served, in date order, unnumbered.
func SubscriptionLines(sub store.TradingSubscription, from, to time.Time) []store.TradingInvoiceLine {
	from, to = store.Day(from), store.Day(to)
	if sub.StartsOn.After(from) {
		from = sub.StartsOn
	}
	if sub.EndsOn != nil && sub.EndsOn.Before(to) {
		to = *sub.EndsOn
	}
	if !to.After(from) {
		return nil
	}
	// Cut at every month boundary and every change of units.
	cuts := []time.Time{from, to}
	for m := day(from.Year(), from.Month(), 1).AddDate(0, 1, 0); m.Before(to); m = m.AddDate(0, 1, 0) {
		cuts = append(cuts, m)
	}
	for _, u := range sub.Units {
		if u.From.After(from) && u.From.Before(to) {
			cuts = append(cuts, u.From)
		}
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = slices.CompactFunc(cuts, func(a, b time.Time) bool { return a.Equal(b) })
	var out []store.TradingInvoiceLine
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		units := sub.UnitsOn(a)
		if units == 0 {
			continue
		}
		days := int64(b.Sub(a) / (24 * time.Hour))
		md := DaysIn(a)
		l := store.TradingInvoiceLine{
			SubscriptionID: sub.ID, Service: sub.Service, ServiceFrom: a, ServiceTo: b,
			Units: units, UnitPrice: sub.UnitPrice, Days: days, MonthDays: md,
			Net: ProRata(units, sub.UnitPrice, days, md),
		}
		ref := ""
		if sub.Reference != "" {
			ref = " (" + sub.Reference + ")"
		}
		if days == md {
			l.Description = fmt.Sprintf("%s%s, %s: %d units at %s per unit per month",
				ServiceName(sub.Service), ref, a.Format("January 2006"), units, Pounds(sub.UnitPrice))
		} else {
			l.Description = fmt.Sprintf("%s%s, %s to %s: %d units at %s per unit per month, %d of %d days",
				ServiceName(sub.Service), ref, a.Format("2 Jan 2006"), b.AddDate(0, 0, -1).Format("2 Jan 2006"), units, Pounds(sub.UnitPrice), days, md)
		}
		out = append(out, l)
	}
	return out
}

// ChargeLine is the line billing a one-off charge.
func ChargeLine(c store.TradingCharge) store.TradingInvoiceLine {
	return store.TradingInvoiceLine{
		Description: fmt.Sprintf("%s (%s)", c.Description, c.On.Format("2 Jan 2006")),
		ChargeID:    c.ID, Service: "charge", ServiceFrom: c.On, ServiceTo: c.On.AddDate(0, 0, 1),
		Units: 1, UnitPrice: c.Amount, Days: 1, MonthDays: 1, Net: c.Amount,
	}
}

// Draft is the invoice that would bill a customer for [from, to): every
// subscription's lines, then every unbilled charge dated before to
// (including earlier ones entered late), with VAT at basisPoints. It has
// no number; Ledger.Issue gives it one.
func Draft(customer store.Organisation, subs []store.TradingSubscription, charges []store.TradingCharge, from, to time.Time, basisPoints int64) store.TradingInvoice {
	inv := store.TradingInvoice{
		Kind: store.InvoiceKindInvoice, CustomerID: customer.ID, CustomerName: customer.Name,
		PeriodFrom: store.Day(from), PeriodTo: store.Day(to), VATBasisPoints: basisPoints,
	}
	for _, s := range subs {
		if s.CustomerID == customer.ID {
			inv.Lines = append(inv.Lines, SubscriptionLines(s, from, to)...)
		}
	}
	for _, c := range charges {
		if c.CustomerID == customer.ID && c.InvoiceID == 0 && c.On.Before(inv.PeriodTo) {
			inv.Lines = append(inv.Lines, ChargeLine(c))
		}
	}
	for i := range inv.Lines {
		inv.Lines[i].Seq = i + 1
		inv.Net += inv.Lines[i].Net
	}
	inv.VAT = VAT(inv.Net, basisPoints)
	inv.Gross = inv.Net + inv.VAT
	return inv
}

// Pounds formats pence as "£1,234.56" ("-£12.00" below zero).
func Pounds(p int64) string {
	sign := ""
	if p < 0 {
		sign, p = "-", -p
	}
	whole := fmt.Sprint(p / 100)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return fmt.Sprintf("%s£%s.%02d", sign, whole, p%100)
}

// Decimal formats pence as "1234.56" for CSV, where a spreadsheet reads it
// as a number.
func Decimal(p int64) string {
	sign := ""
	if p < 0 {
		sign, p = "-", -p
	}
	return fmt.Sprintf("%s%d.%02d", sign, p/100, p%100)
}
