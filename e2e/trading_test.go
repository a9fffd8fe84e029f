package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/period"
)

// TestConsoleTrading: the trading company's pages in a real Chromium
// (trading.mjs), against the demo with its three customers and their last
// quarter invoiced. The partnership's CCTV manager reads the quarter,
// downloads its CSV, adds a charge in pounds, issues the month's invoices
// from the form and prints one; Mimram's partner officer sees none of the
// partnership's customers and cannot open the manager's invoice.
func TestConsoleTrading(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser through two people's sessions")
	}
	d := startDemo(t, 2, 0)
	now := time.Now().UTC()
	cur := period.Of(now).Span()
	last := period.Of(cur.From.AddDate(0, 0, -1)).Span()
	// The newest whole month: the charge falls in it, and it is issued.
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	res := browserScript(t, "trading.mjs", map[string]any{
		"base": d.base, "accounts": d.accounts, "lastQuarter": last.Name,
		"month": month.Format("2006-01"), "chargeDay": month.AddDate(0, 0, 9).Format(time.DateOnly),
	})
	type file struct{ Name, Text string }
	m := field[struct {
		Nav, LastQuarterNet, Heading, Gross, InvoicePath string
		OpenedOn, Seller, Buyer                          string
		LastQuarter, Month, Charges                      []string
		ChargesAfter, Lines                              int
		ScreenNav, PrintNav, PrintTools, PrintInvoice    bool
		PeriodCSV, InvoiceCSV                            file
	}](t, res, "manager")
	if m.OpenedOn != last.Name {
		t.Errorf("manager: /trading opens on %q, want %s, the latest period invoiced", m.OpenedOn, last.Name)
	}
	// The issued invoice names both parties, the seller with its VAT
	// registration number.
	if !strings.Contains(m.Seller, "Lea Vale CCTV Services Ltd") || !strings.Contains(m.Seller, "VAT registration no. GB") || !strings.Contains(m.Buyer, "Leavale") {
		t.Errorf("manager: the invoice names seller %q and buyer %q, want the demo's company with its VAT number and the customer's address", m.Seller, m.Buyer)
	}
	if m.Nav != "Trading" {
		t.Errorf("manager: the current navigation item is %q, want Trading", m.Nav)
	}
	if len(m.LastQuarter) != 3 || m.LastQuarterNet != "£2,586.34" {
		t.Errorf("manager: the last quarter shows %v totalling %s, want the demo's 3 invoices totalling £2,586.34", m.LastQuarter, m.LastQuarterNet)
	}
	if lines := strings.Split(strings.TrimSpace(m.PeriodCSV.Text), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "number,kind,") ||
		!strings.HasPrefix(m.PeriodCSV.Name, "invoices-"+last.From.Format(time.DateOnly)) {
		t.Errorf("manager: the quarter's CSV %s:\n%s\nwant a header and 3 rows", m.PeriodCSV.Name, m.PeriodCSV.Text)
	}
	if !slices.Contains(m.Charges, "£75.50") {
		t.Errorf("manager: the unbilled charges show %v, want the £75.50 typed as 75.5", m.Charges)
	}
	if len(m.Month) != 3 || m.ChargesAfter != 1 {
		t.Errorf("manager: issuing %s gave %v with %d 'none' rows of charges, want 3 invoices and the charge billed", month.Format("2006-01"), m.Month, m.ChargesAfter)
	}
	if !strings.HasPrefix(m.Heading, "Invoice INV-") || !strings.HasPrefix(m.Gross, "£") || m.Lines == 0 {
		t.Errorf("manager: the printable invoice shows %q, gross %q, %d lines", m.Heading, m.Gross, m.Lines)
	}
	if !m.ScreenNav || m.PrintNav || m.PrintTools || !m.PrintInvoice {
		t.Errorf("manager: navigation on screen %v, printed %v; tools printed %v; invoice printed %v: want the invoice alone on paper",
			m.ScreenNav, m.PrintNav, m.PrintTools, m.PrintInvoice)
	}
	ref := strings.TrimPrefix(m.Heading, "Invoice ")
	if m.InvoiceCSV.Name != ref+".csv" || !strings.HasPrefix(m.InvoiceCSV.Text, "invoice,line,description") || !strings.Contains(m.InvoiceCSV.Text, ref+",,gross,") {
		t.Errorf("manager: the invoice's CSV %s:\n%s\nwant its lines and totals", m.InvoiceCSV.Name, m.InvoiceCSV.Text)
	}

	o := field[struct {
		Nav                  []string
		Rows                 []string
		Subscriptions, Forms int
		Invoice, InvoiceAPI  int
		PeriodCSV            file
	}](t, res, "officer")
	if !slices.Contains(o.Nav, "Trading") {
		t.Errorf("officer: navigation %v, want Trading (they read finance)", o.Nav)
	}
	if len(o.Rows) != 0 || o.Subscriptions != 0 || o.Forms != 0 {
		t.Errorf("officer: sees invoices %v, %d subscriptions, %d forms; want none of the partnership's customers and no forms", o.Rows, o.Subscriptions, o.Forms)
	}
	if o.Invoice != 404 || o.InvoiceAPI != 404 {
		t.Errorf("officer: the manager's invoice answers %d (page) and %d (API), want 404", o.Invoice, o.InvoiceAPI)
	}
	if lines := strings.Split(strings.TrimSpace(o.PeriodCSV.Text), "\n"); len(lines) != 1 {
		t.Errorf("officer: the quarter's CSV:\n%s\nwant the header alone", o.PeriodCSV.Text)
	}
}
