package trading

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/spreadsheet"
)

// Money in CSV is pounds with two decimals ("1234.56"), which every
// spreadsheet reads as a number; dates are ISO (2024-07-31), and a
// period's "to" is its last day, as people write one.

func date(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// WriteInvoicesCSV writes one row per invoice or credit note.
func WriteInvoicesCSV(w io.Writer, invs []Invoice) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"number", "kind", "credits", "customer", "period_from", "period_to", "issued", "due", "vat_rate_percent", "net", "vat", "gross", "credited_by",
		"customer_address", "seller", "seller_address", "seller_vat_number"})
	byID := map[int64]string{}
	for _, v := range invs {
		byID[v.ID] = v.Reference
	}
	for _, v := range invs {
		cw.Write([]string{v.Reference, v.Kind, byID[v.CreditsID], spreadsheet.Text(v.CustomerName), date(v.PeriodFrom), date(v.PeriodTo.AddDate(0, 0, -1)),
			date(v.IssuedAt), date(v.DueOn), money.Plain(v.VATBasisPoints), money.Plain(v.Net), money.Plain(v.VAT), money.Plain(v.Gross), byID[v.CreditedBy],
			spreadsheet.Text(oneLine(v.CustomerAddress)), spreadsheet.Text(v.SellerName), spreadsheet.Text(oneLine(v.SellerAddress)), spreadsheet.Text(v.SellerVATNumber)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteLinesCSV writes an invoice's lines, each with its unit price and
// its total (net) in columns of their own, then its net, VAT and gross.
// Every row also names the parties as the invoice was issued (seller,
// its address and VAT registration number; the customer and its
// address), so that any row cut out of the file still says whose it is.
func WriteLinesCSV(w io.Writer, v Invoice) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"invoice", "line", "description", "service", "from", "to", "units", "unit_price", "days", "month_days", "net",
		"seller", "seller_address", "seller_vat_number", "customer", "customer_address"})
	parties := []string{spreadsheet.Text(v.SellerName), spreadsheet.Text(oneLine(v.SellerAddress)), spreadsheet.Text(v.SellerVATNumber),
		spreadsheet.Text(v.CustomerName), spreadsheet.Text(oneLine(v.CustomerAddress))}
	for _, l := range v.Lines {
		cw.Write(append([]string{v.Reference, strconv.Itoa(l.Seq), spreadsheet.Text(l.Description), l.Service, date(l.ServiceFrom), date(l.ServiceTo.AddDate(0, 0, -1)),
			strconv.FormatInt(l.Units, 10), money.Plain(l.UnitPrice), strconv.FormatInt(l.Days, 10), strconv.FormatInt(l.MonthDays, 10), money.Plain(l.Net)}, parties...))
	}
	for _, t := range []struct {
		name string
		v    int64
	}{{"net", v.Net}, {"vat at " + money.Plain(v.VATBasisPoints) + "%", v.VAT}, {"gross", v.Gross}} {
		cw.Write(append([]string{v.Reference, "", t.name, "", "", "", "", "", "", "", money.Plain(t.v)}, parties...))
	}
	cw.Flush()
	return cw.Error()
}

// oneLine writes an address on one line, its lines separated by commas,
// as a spreadsheet cell shows it best.
func oneLine(a string) string { return strings.ReplaceAll(a, "\n", ", ") }
