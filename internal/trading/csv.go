package trading

import (
	"encoding/csv"
	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/spreadsheet"
	"io"
	"strconv"
	"time"
)

// Money in CSV is pounds with two decimals ("1234.56"), which every
// spreadsheet reads as a number; dates are ISO (2024-07-31), and a
// period's "to" is its last day, as people write one.

func date(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// WriteInvoicesCSV writes one row per invoice or credit note.
func WriteInvoicesCSV(w io.Writer, invs []Invoice) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"number", "kind", "credits", "customer", "period_from", "period_to", "issued", "due", "vat_rate_percent", "net", "vat", "gross", "credited_by"})
	byID := map[int64]string{}
	for _, v := range invs {
		byID[v.ID] = v.Reference
	}
	for _, v := range invs {
		cw.Write([]string{v.Reference, v.Kind, byID[v.CreditsID], spreadsheet.Text(v.CustomerName), date(v.PeriodFrom), date(v.PeriodTo.AddDate(0, 0, -1)),
			date(v.IssuedAt), date(v.DueOn), money.Plain(v.VATBasisPoints), money.Plain(v.Net), money.Plain(v.VAT), money.Plain(v.Gross), byID[v.CreditedBy]})
	}
	cw.Flush()
	return cw.Error()
}

// WriteLinesCSV writes an invoice's lines, then its net, VAT and gross.
func WriteLinesCSV(w io.Writer, v Invoice) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"invoice", "line", "description", "service", "from", "to", "units", "unit_price", "days", "month_days", "net"})
	for _, l := range v.Lines {
		cw.Write([]string{v.Reference, strconv.Itoa(l.Seq), spreadsheet.Text(l.Description), l.Service, date(l.ServiceFrom), date(l.ServiceTo.AddDate(0, 0, -1)),
			strconv.FormatInt(l.Units, 10), money.Plain(l.UnitPrice), strconv.FormatInt(l.Days, 10), strconv.FormatInt(l.MonthDays, 10), money.Plain(l.Net)})
	}
	for _, t := range []struct {
		name string
		v    int64
	}{{"net", v.Net}, {"vat at " + money.Plain(v.VATBasisPoints) + "%", v.VAT}, {"gross", v.Gross}} {
		cw.Write([]string{v.Reference, "", t.name, "", "", "", "", "", "", "", money.Plain(t.v)})
	}
	cw.Flush()
	return cw.Error()
}
