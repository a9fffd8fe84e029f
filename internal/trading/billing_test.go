package trading

import (
	"encoding/csv"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/period"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestRounding: half up, not to even; a whole month exact; VAT half up on
// the invoice's net.
func TestRounding(t *testing.T) {
	for _, tc := range []struct {
		name                          string
		units, price, days, monthDays int64
		want                          int64
	}{
		{"whole month is exact", 7, 4523, 31, 31, 31661},
		{"half a penny rounds up", 1, 1, 15, 30, 1},         // 0.5: to even would give 0
		{"two and a half pence rounds up", 5, 1, 15, 30, 3}, // 2.5: to even would give 2
		{"below a half rounds down", 1, 100, 1, 31, 3},      // 3.2258
		{"above a half rounds up", 1, 100, 2, 31, 6},        // 6.4516
		{"16 of 31 days", 10, 4000, 16, 31, 20645},          // 20645.16
		{"February of a leap year", 3, 2900, 14, 29, 4200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ProRata(tc.units, tc.price, tc.days, tc.monthDays); got != tc.want {
				t.Errorf("ProRata(%d, %d, %d, %d): got %d, want %d", tc.units, tc.price, tc.days, tc.monthDays, got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ net, bp, want int64 }{
		{123456, 2000, 24691}, // 24691.2
		{10, 500, 1},          // 0.5 at 5%: half up
		{30, 500, 2},          // 1.5
		{-123456, 2000, -24691},
		{0, 2000, 0},
	} {
		if got := VAT(tc.net, tc.bp); got != tc.want {
			t.Errorf("VAT(%d, %d): got %d, want %d", tc.net, tc.bp, got, tc.want)
		}
	}
	for p, want := range map[int64]string{0: "£0.00", 5: "£0.05", 123456789: "£1,234,567.89", -2500: "-£25.00", 100000: "£1,000.00"} {
		if got := money.Pounds(p); got != want {
			t.Errorf("money.Pounds(%d): got %q, want %q", p, got, want)
		}
	}
}

func sub(id int64, service string, price int64, starts string, ends string, units ...any) Subscription {
	s := Subscription{ID: id, CustomerID: 1, Service: service, UnitPrice: price, StartsOn: d(starts)}
	if ends != "" {
		e := d(ends)
		s.EndsOn = &e
	}
	for i := 0; i < len(units); i += 2 {
		s.Units = append(s.Units, Units{From: d(units[i].(string)), Units: int64(units[i+1].(int))})
	}
	return s
}

type lineWant struct {
	from, to         string
	units, days, net int64
}

func checkLines(t *testing.T, got []Line, want []lineWant) {
	t.Helper()
	if len(got) != len(want) {
		for _, l := range got {
			t.Logf("line %s..%s %d units %d days %d", date(l.ServiceFrom), date(l.ServiceTo), l.Units, l.Days, l.Net)
		}
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i, w := range want {
		l := got[i]
		if date(l.ServiceFrom) != w.from || date(l.ServiceTo) != w.to || l.Units != w.units || l.Days != w.days || l.Net != w.net {
			t.Errorf("line %d: got %s..%s %d units %d days %d pence, want %s..%s %d units %d days %d pence", i+1,
				date(l.ServiceFrom), date(l.ServiceTo), l.Units, l.Days, l.Net, w.from, w.to, w.units, w.days, w.net)
		}
	}
}

// TestMidPeriodStart: a customer starting on 16 July is billed for the 16
// days of July it was served, and whole months after.
func TestMidPeriodStart(t *testing.T) {
	s := sub(1, ServiceMonitored, 4000, "2024-07-16", "", "2024-07-16", 10)
	q, _ := period.ParseSpan("2024/25-Q2")
	checkLines(t, SubscriptionLines(s, q.From, q.To), []lineWant{
		{"2024-07-16", "2024-08-01", 10, 16, 20645}, // 10 × £40 × 16/31 = 206.4516…
		{"2024-08-01", "2024-09-01", 10, 31, 40000},
		{"2024-09-01", "2024-10-01", 10, 30, 40000},
	})
}

// TestUnitsIncreaseMidQuarter: units rising on 15 August are billed at the
// old count for 14 days of August and the new for 17.
func TestUnitsIncreaseMidQuarter(t *testing.T) {
	s := sub(1, ServiceRecorded, 2500, "2024-04-01", "2024-09-20", "2024-04-01", 10, "2024-08-15", 14)
	q, _ := period.ParseSpan("2024/25-Q2")
	checkLines(t, SubscriptionLines(s, q.From, q.To), []lineWant{
		{"2024-07-01", "2024-08-01", 10, 31, 25000},
		{"2024-08-01", "2024-08-15", 10, 14, 11290}, // 11290.32
		{"2024-08-15", "2024-09-01", 14, 17, 19194}, // 19193.55
		{"2024-09-01", "2024-09-20", 14, 19, 22167}, // ends 20 Sep: 19 of 30 days, 22166.67
	})
	// Units dated before the start count from the start; none before the
	// first count bill nothing.
	late := sub(2, ServiceMonitored, 1000, "2024-07-01", "", "2024-07-11", 3)
	checkLines(t, SubscriptionLines(late, q.From, d("2024-08-01")), []lineWant{{"2024-07-11", "2024-08-01", 3, 21, 2032}}) // 2032.26
	// A subscription ended before the period bills nothing.
	if got := SubscriptionLines(s, d("2024-10-01"), d("2025-01-01")); len(got) != 0 {
		t.Errorf("got %d lines after the end, want 0", len(got))
	}
}

func sum(ls []Line) int64 {
	var n int64
	for _, l := range ls {
		n += l.Net
	}
	return n
}

// randomSub is a subscription with random dates, price and changes of
// units within 2024/25 and around it.
func randomSub(r *rand.Rand, id int64) Subscription {
	base := d("2024-02-01")
	starts := base.AddDate(0, 0, r.IntN(500))
	s := Subscription{ID: id, CustomerID: 1, Service: Services[r.IntN(3)], UnitPrice: int64(r.IntN(20000) + 1), StartsOn: starts}
	if r.IntN(2) == 0 {
		e := starts.AddDate(0, 0, 1+r.IntN(400))
		s.EndsOn = &e
	}
	at := starts.AddDate(0, 0, -r.IntN(3))
	for k := r.IntN(6) + 1; k > 0; k-- {
		s.Units = append(s.Units, Units{From: at, Units: int64(r.IntN(60))})
		at = at.AddDate(0, 0, 1+r.IntN(90))
	}
	return s
}

// TestPropertyMonthsSumToQuarter: for random subscriptions, the lines of
// the three monthly invoices of every quarter are exactly the quarter's
// lines, so they sum to it to the penny; and monthly invoices over the
// year sum to the yearly invoice exactly.
func TestPropertyMonthsSumToQuarter(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 2024))
	for i := range 500 {
		s := randomSub(r, int64(i+1))
		year, _ := period.ParseSpan("2024/25")
		var months int64
		for q := 1; q <= 4; q++ {
			qp, _ := period.ParseSpan("2024/25-Q" + string(rune('0'+q)))
			whole := SubscriptionLines(s, qp.From, qp.To)
			var parts []Line
			for m := qp.From; m.Before(qp.To); m = m.AddDate(0, 1, 0) {
				parts = append(parts, SubscriptionLines(s, m, m.AddDate(0, 1, 0))...)
			}
			if sum(parts) != sum(whole) || len(parts) != len(whole) {
				t.Fatalf("subscription %+v, %s: months sum to %d in %d lines, the quarter to %d in %d lines; want equal",
					s, qp.Name, sum(parts), len(parts), sum(whole), len(whole))
			}
			months += sum(parts)
		}
		if y := sum(SubscriptionLines(s, year.From, year.To)); y != months {
			t.Fatalf("subscription %+v: months sum to %d, the year to %d; want equal", s, months, y)
		}
	}
}

// TestPropertyCutsWithinRounding: cutting a quarter at arbitrary days
// changes the total by at most a penny per cut (each cut inside a month
// splits one line in two, each rounded half up).
func TestPropertyCutsWithinRounding(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	q, _ := period.ParseSpan("2024/25-Q3")
	span := int(q.To.Sub(q.From) / (24 * time.Hour))
	for i := range 500 {
		s := randomSub(r, int64(i+1))
		whole := sum(SubscriptionLines(s, q.From, q.To))
		cuts := r.IntN(6) + 1
		at := []time.Time{q.From}
		for _, c := range r.Perm(span - 1)[:cuts] {
			at = append(at, q.From.AddDate(0, 0, c+1))
		}
		at = append(at, q.To)
		sortTimes(at)
		var parts int64
		for k := 0; k+1 < len(at); k++ {
			parts += sum(SubscriptionLines(s, at[k], at[k+1]))
		}
		if diff := parts - whole; diff < -int64(cuts) || diff > int64(cuts) {
			t.Fatalf("subscription %+v cut %d times: parts sum to %d, the whole to %d; want within %d pence", s, cuts, parts, whole, cuts)
		}
	}
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// TestPropertyDaysBilled: a subscription with constant units is billed
// for exactly the days it was served in the period, however it starts
// and ends.
func TestPropertyDaysBilled(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	q, _ := period.ParseSpan("2024/25")
	for i := range 500 {
		s := randomSub(r, 1)
		s.Units = []Units{{From: s.StartsOn, Units: int64(r.IntN(50) + 1)}}
		from, to := s.StartsOn, q.To
		if from.Before(q.From) {
			from = q.From
		}
		if s.EndsOn != nil && s.EndsOn.Before(to) {
			to = *s.EndsOn
		}
		var want int64
		if to.After(from) {
			want = int64(to.Sub(from) / (24 * time.Hour))
		}
		var got int64
		for _, l := range SubscriptionLines(s, q.From, q.To) {
			got += l.Days
			if l.Units != s.Units[0].Units {
				t.Fatalf("case %d: a line bills %d units, want %d", i, l.Units, s.Units[0].Units)
			}
		}
		if got != want {
			t.Fatalf("case %d, %+v: billed %d days, want %d", i, s, got, want)
		}
	}
}

func TestDraft(t *testing.T) {
	cust := Customer{ID: 1, Name: "Harbour Retail Ltd", Kind: "customer"}
	subs := []Subscription{
		sub(1, ServiceMonitored, 4523, "2024-04-01", "", "2024-04-01", 12),
		{ID: 9, CustomerID: 2, Service: ServiceMonitored, UnitPrice: 100, StartsOn: d("2024-04-01"), Units: []Units{{From: d("2024-04-01"), Units: 1}}},
	}
	charges := []Charge{
		{ID: 4, CustomerID: 1, On: d("2024-06-20"), Description: "Mileage: 84 miles at 45p", Amount: 3780}, // entered late, billed now
		{ID: 5, CustomerID: 1, On: d("2024-07-02"), Description: "Call-out", Amount: 7500},
		{ID: 6, CustomerID: 1, On: d("2024-08-02"), Description: "After the period", Amount: 100},
		{ID: 7, CustomerID: 1, On: d("2024-07-03"), Description: "Billed before", Amount: 100, InvoiceID: 3},
	}
	inv, err := Draft(cust, subs, charges, d("2024-07-01"), d("2024-08-01"), 2000)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Lines) != 3 {
		t.Fatalf("got %d lines, want 3 (July's units, the late mileage, the call-out)", len(inv.Lines))
	}
	if want := int64(12*4523 + 3780 + 7500); inv.Net != want {
		t.Errorf("net: got %d, want %d", inv.Net, want)
	}
	// 65556 × 20% = 13111.2
	if inv.VAT != 13111 || inv.Gross != 78667 {
		t.Errorf("VAT and gross: got %d and %d, want 13111 and 78667", inv.VAT, inv.Gross)
	}
	for i, l := range inv.Lines {
		if l.Seq != i+1 {
			t.Errorf("line %d numbered %d", i+1, l.Seq)
		}
	}
}

// TestLinesCSVParties: the invoice's CSV names the seller and the buyer
// as issued on every row, the unit price and the line's total in columns
// of their own.
func TestLinesCSVParties(t *testing.T) {
	v := Invoice{Reference: "INV-000007", CustomerName: "Harbour Retail Ltd", CustomerAddress: "Unit 4, Harbour Quay\nLeavale LV1 2AB",
		SellerName: "Lea Vale CCTV Partnership Ltd", SellerAddress: "Civic Centre\nLeavale LV1 1AA", SellerVATNumber: "GB 123 4567 89",
		VATBasisPoints: 2000, Net: 54276, VAT: 10855, Gross: 65131,
		Lines: []Line{{Seq: 1, Description: "Monitored CCTV", Service: ServiceMonitored, ServiceFrom: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
			ServiceTo: time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), Units: 12, UnitPrice: 4523, Days: 31, MonthDays: 31, Net: 54276}}}
	var b strings.Builder
	if err := WriteLinesCSV(&b, v); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, tc := range []struct {
		row    int
		column string
		want   string
	}{
		{1, "unit_price", "45.23"},
		{1, "net", "542.76"},
		{1, "seller", "Lea Vale CCTV Partnership Ltd"},
		{1, "seller_address", "Civic Centre, Leavale LV1 1AA"},
		{1, "seller_vat_number", "GB 123 4567 89"},
		{1, "customer", "Harbour Retail Ltd"},
		{1, "customer_address", "Unit 4, Harbour Quay, Leavale LV1 2AB"},
		{4, "description", "gross"},
		{4, "net", "651.31"},
		{4, "seller_vat_number", "GB 123 4567 89"},
	} {
		if len(rows) <= tc.row {
			t.Fatalf("got %d rows, want more than %d", len(rows), tc.row)
		}
		if got := rows[tc.row][col[tc.column]]; got != tc.want {
			t.Errorf("row %d, %s: got %q, want %q", tc.row, tc.column, got, tc.want)
		}
	}
}
