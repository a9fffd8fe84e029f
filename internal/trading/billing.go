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
	"math"
	"math/big"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/internal/money"
)

// DaysIn is the number of days in t's calendar month.
func DaysIn(t time.Time) int64 {
	return int64(day(t.Year(), t.Month(), 1).AddDate(0, 1, -1).Day())
}

// ProRata is units × price × days / monthDays in pence, rounded half up;
// a whole month is exact. It is worked out exactly whatever the figures;
// one that does not fit in int64 comes out as the largest int64 of its
// sign, which Draft refuses as past money.Max.
func ProRata(units, price, days, monthDays int64) int64 {
	n := new(big.Int).Mul(big.NewInt(units), big.NewInt(price))
	if days != monthDays {
		n.Mul(n, big.NewInt(days))
		neg := n.Sign() < 0
		n.Abs(n)
		n.Add(n.Mul(n, big.NewInt(2)), big.NewInt(monthDays))
		n.Quo(n, big.NewInt(2*monthDays))
		if neg {
			n.Neg(n)
		}
	}
	switch {
	case n.IsInt64():
		return n.Int64()
	case n.Sign() < 0:
		return math.MinInt64
	}
	return math.MaxInt64
}

// VAT is the VAT on net pence at basisPoints (2000: 20%), rounded half up.
// It is worked out exactly: net × basisPoints can be past int64 for an
// invoice of many subscriptions at a high rate, and once wrapped into a
// negative VAT. For basisPoints from 0 to 10000 (100%) the VAT is no
// larger than net, so it always fits.
func VAT(net, basisPoints int64) int64 {
	n := new(big.Int).Mul(big.NewInt(net), big.NewInt(basisPoints))
	neg := n.Sign() < 0
	n.Abs(n)
	n.Add(n.Mul(n, big.NewInt(2)), big.NewInt(10000))
	n.Quo(n, big.NewInt(20000))
	if neg {
		n.Neg(n)
	}
	return n.Int64()
}

var serviceNames = map[string]string{
	ServiceMonitored:   "Monitored CCTV",
	ServiceRecorded:    "Recorded-only CCTV",
	ServiceMaintenance: "CCTV maintenance",
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
func SubscriptionLines(sub Subscription, from, to time.Time) []Line {
	from, to = Day(from), Day(to)
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
	var out []Line
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		units := sub.UnitsOn(a)
		if units == 0 {
			continue
		}
		days := int64(b.Sub(a) / (24 * time.Hour))
		md := DaysIn(a)
		l := Line{
			SubscriptionID: sub.ID, Service: sub.Service, ServiceFrom: a, ServiceTo: b,
			Units: units, UnitPrice: sub.UnitPrice, Days: days, MonthDays: md,
			Net: ProRata(units, sub.UnitPrice, days, md),
		}
		ref := ""
		if sub.Reference != "" {
			ref = " (" + sub.Reference + ")"
		}
		// The units, the unit price, the days and the line's total have
		// columns of their own on the invoice and in its CSV: the
		// description says what and when.
		if days == md {
			l.Description = fmt.Sprintf("%s%s, %s", ServiceName(sub.Service), ref, a.Format("January 2006"))
		} else {
			l.Description = fmt.Sprintf("%s%s, %s to %s", ServiceName(sub.Service), ref, a.Format("2 Jan 2006"), b.AddDate(0, 0, -1).Format("2 Jan 2006"))
		}
		out = append(out, l)
	}
	return out
}

// ChargeLine is the line billing a one-off charge.
func ChargeLine(c Charge) Line {
	return Line{
		Description: fmt.Sprintf("%s (%s)", c.Description, c.On.Format("2 Jan 2006")),
		ChargeID:    c.ID, Service: "charge", ServiceFrom: c.On, ServiceTo: c.On.AddDate(0, 0, 1),
		Units: 1, UnitPrice: c.Amount, Days: 1, MonthDays: 1, Net: c.Amount,
	}
}

// Draft is the invoice that would bill a customer for [from, to): every
// subscription's lines, then every unbilled charge dated before to
// (including earlier ones entered late), with VAT at basisPoints. It has
// no number; Ledger.Issue gives it one.
//
// A line past money.Max, or lines whose total does not fit in int64
// pence, are money.ErrOverflow: no invoice is better than a wrapped one.
func Draft(customer Customer, subs []Subscription, charges []Charge, from, to time.Time, basisPoints int64) (Invoice, error) {
	inv := Invoice{
		Kind: KindInvoice, CustomerID: customer.ID, CustomerName: customer.Name, CustomerAddress: customer.Address,
		PeriodFrom: Day(from), PeriodTo: Day(to), VATBasisPoints: basisPoints,
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
		l := &inv.Lines[i]
		l.Seq = i + 1
		if !money.InRange(l.Net) {
			return inv, fmt.Errorf("%s to %s: line %d (%s) is past £%d: %w", customer.Name, money.Pounds(l.Net), l.Seq, l.Description, money.Max/100, money.ErrOverflow)
		}
		var err error
		if inv.Net, err = money.Add(inv.Net, l.Net); err != nil {
			return inv, fmt.Errorf("%s: the invoice's net total: %w", customer.Name, err)
		}
	}
	inv.VAT = VAT(inv.Net, basisPoints)
	var err error
	if inv.Gross, err = money.Add(inv.Net, inv.VAT); err != nil {
		return inv, fmt.Errorf("%s: the invoice's gross total: %w", customer.Name, err)
	}
	return inv, nil
}
