package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/trading"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The trading company's pages: its customers, subscriptions and the
// period's invoices, with forms for those who may change them
// (static/trading.js sends them to the API), and a printable page per
// invoice. The trading service decides who sees which customer.

// tradingCaller is the request's user as the trading service knows them.
func tradingCaller(r *http.Request) trading.Caller {
	a := accessOf(r)
	return trading.Caller{Actor: actor(r), P: a.P, Snap: a.Snap}
}

// canWriteTrading reports whether the user may change the trading
// company's figures: the page shows its forms.
func (c *Console) canWriteTrading(r *http.Request) bool {
	return c.opt.Trading.MayChange(tradingCaller(r)) == nil
}

// seesCustomer reports whether the user may read customer id's figures.
func (c *Console) seesCustomer(r *http.Request, id int64) bool {
	return c.opt.Trading.Sees(tradingCaller(r), id)
}

// tradingPeriod reads ?period=; if none, the financial quarter of the
// latest period the user's customers were invoiced for, where there is
// something to read, else the current quarter.
func (c *Console) tradingPeriod(r *http.Request) (trading.Period, error) {
	if r.URL.Query().Get("period") == "" {
		latest, ok, err := c.opt.Trading.LatestInvoiced(r.Context(), tradingCaller(r))
		if err != nil {
			return trading.Period{}, err
		}
		if ok {
			return period.Of(latest).Span(), nil
		}
	}
	return httpx.Span(r, c.now())
}

// visibleInvoices are the invoices of the period (by its start) of the
// customers the user sees, of one customer if ?customer_id= says so.
func (c *Console) visibleInvoices(r *http.Request, p trading.Period) ([]trading.Invoice, error) {
	f := trading.InvoiceFilter{From: p.From, To: p.To}
	if v := r.URL.Query().Get("customer_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, httpx.BadRequest("customer_id must be a whole number")
		}
		f.CustomerID = id
	}
	return c.opt.Trading.Invoices(r.Context(), tradingCaller(r), f)
}

// targetInvoice returns the request's {id} invoice, with its lines, if the
// user may read its customer's figures.
func (c *Console) targetInvoice(r *http.Request) (trading.Invoice, error) {
	id, err := httpx.PathID(r, "invoice")
	if err != nil {
		return trading.Invoice{}, err
	}
	v, err := c.opt.Trading.Invoice(r.Context(), tradingCaller(r), id)
	return v, httpx.FromProblem(err)
}

// chargeView is a one-off charge not yet billed, as the page lists it.
type chargeView struct {
	ID          int64
	CustomerID  int64
	Customer    string
	On          string
	Description string
	Amount      int64 // net of VAT
}

func chargeViewOf(c trading.Charge, names map[int64]string) chargeView {
	return chargeView{ID: c.ID, CustomerID: c.CustomerID, Customer: names[c.CustomerID], On: c.On.UTC().Format(time.DateOnly),
		Description: c.Description, Amount: c.Amount}
}

// The pages' templates get figures already written out (money as
// "£1,234.56", days as "1 Jul 2024"), so that no template does sums.

type lineView struct {
	Seq                          int
	Description                  string
	From, To, Units, Price, Days string
	Net                          string
}

type invoiceView struct {
	ID                        int64
	Reference, Kind, Customer string
	// The parties as the invoice was issued: the seller's (the trading
	// company's) name, address and VAT registration number, the
	// customer's address; addresses line by line.
	CustomerAddress           []string
	Seller, SellerVAT         string
	SellerAddress             []string
	Period, Issued, Due       string
	VATRate, Net, VAT, Gross  string
	Note, Credits, CreditedBy string
	Credit, Cancelled         bool
	Lines                     []lineView
}

// vatRate writes basis points as a percentage: 2000 is "20%", 1750 "17.5%".
func vatRate(bp int64) string {
	return strings.TrimSuffix(strings.TrimSuffix(money.Plain(bp), "0"), ".0") + "%"
}

// pounds writes an amount of the trading company's in pounds and pence,
// a negative one (a credit note's, an allowance) in brackets as accounts
// print it: "(£1,234.56)".
func pounds(p int64) string { return money.Accounting(p, money.Pounds) }

// addressLines splits an address into the lines it is printed on.
func addressLines(a string) []string {
	var out []string
	for l := range strings.Lines(a) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func longDay(t time.Time) string { return t.UTC().Format("2 January 2006") }

func (c *Console) invoiceViewOf(r *http.Request, v trading.Invoice) invoiceView {
	out := invoiceView{ID: v.ID, Reference: v.Reference, Kind: v.Kind, Customer: v.CustomerName,
		Period: longDay(v.PeriodFrom) + " to " + longDay(v.PeriodTo.AddDate(0, 0, -1)), Issued: longDay(v.IssuedAt), Due: longDay(v.DueOn),
		VATRate: vatRate(v.VATBasisPoints),
		Net:     pounds(v.Net), VAT: pounds(v.VAT), Gross: pounds(v.Gross), Note: v.Note,
		Credit: v.Kind == trading.KindCredit, Cancelled: v.CreditedBy != 0,
		CustomerAddress: addressLines(v.CustomerAddress), Seller: v.SellerName, SellerAddress: addressLines(v.SellerAddress), SellerVAT: v.SellerVATNumber}
	ref := func(id int64) string {
		if id == 0 {
			return ""
		}
		if o, err := c.opt.Store.TradingInvoice(r.Context(), id); err == nil {
			return o.Reference
		}
		return fmt.Sprint(id)
	}
	out.Credits, out.CreditedBy = ref(v.CreditsID), ref(v.CreditedBy)
	for _, l := range v.Lines {
		lv := lineView{Seq: l.Seq, Description: l.Description, From: l.ServiceFrom.Format("2 Jan 2006"),
			To: l.ServiceTo.AddDate(0, 0, -1).Format("2 Jan 2006"), Units: fmt.Sprint(l.Units), Price: money.Pounds(l.UnitPrice),
			Days: fmt.Sprintf("%d/%d", l.Days, l.MonthDays), Net: pounds(l.Net)}
		if l.ChargeID != 0 {
			lv.Units, lv.Days = "", ""
		}
		out.Lines = append(out.Lines, lv)
	}
	return out
}

type subscriptionView struct {
	ID                           int64
	Customer, Reference          string
	Service, Price, Starts, Ends string
	UnitsNow                     int64
	History                      string
}

// tradingPageData is what trading.html shows.
type tradingPageData struct {
	Period          trading.Period
	PeriodText      string
	Prev, Next      string
	Writer          bool
	Customers       []trading.Customer
	Subscriptions   []subscriptionView
	Invoices        []invoiceView
	Charges         []chargeView
	ChargeAmounts   []string
	Net, VAT, Gross string
	Settings        trading.Settings
	SellerAddress   string // the settings' address on one line
	VATRate         string
	Services        []string
	CSV             string
}

// tradingPage is the trading company's customers, subscriptions and the
// period's invoices, with forms for those who may change them
// (static/trading.js sends them to the API).
func (c *Console) tradingPage(w http.ResponseWriter, r *http.Request) error {
	p, err := c.tradingPeriod(r)
	if err != nil {
		return err
	}
	d := tradingPageData{Period: p, PeriodText: longDay(p.From) + " to " + longDay(p.Last()), Writer: c.canWriteTrading(r), Services: trading.Services,
		CSV: "/api/v1/trading/invoices.csv?period=" + url.QueryEscape(p.Name)}
	d.Prev = period.Of(p.From.AddDate(0, 0, -1)).String()
	d.Next = period.Of(p.To).String()
	cs, err := c.opt.Trading.Ledger().Customers(r.Context())
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, cu := range cs {
		names[cu.ID] = cu.Name
		if c.seesCustomer(r, cu.ID) {
			d.Customers = append(d.Customers, cu)
		}
	}
	subs, err := c.opt.Trading.Subscriptions(r.Context(), tradingCaller(r))
	if err != nil {
		return err
	}
	for _, t := range subs {
		v := subscriptionView{ID: t.ID, Customer: names[t.CustomerID], Reference: t.Reference, Service: trading.ServiceName(t.Service),
			Price: money.Pounds(t.UnitPrice), Starts: longDay(t.StartsOn), Ends: "open-ended", UnitsNow: t.UnitsOn(c.now())}
		if t.EndsOn != nil {
			v.Ends = "until " + longDay(t.EndsOn.AddDate(0, 0, -1))
		}
		var hist []string
		for _, u := range t.Units {
			hist = append(hist, fmt.Sprintf("%d from %s", u.Units, u.From.Format("2 Jan 2006")))
		}
		v.History = strings.Join(hist, "; ")
		d.Subscriptions = append(d.Subscriptions, v)
	}
	invs, err := c.visibleInvoices(r, p)
	if err != nil {
		return err
	}
	var net, vat, gross int64
	for _, v := range invs {
		net, vat, gross = net+v.Net, vat+v.VAT, gross+v.Gross
		d.Invoices = append(d.Invoices, c.invoiceViewOf(r, v))
	}
	d.Net, d.VAT, d.Gross = pounds(net), pounds(vat), pounds(gross)
	charges, err := c.opt.Trading.Charges(r.Context(), tradingCaller(r), true)
	if err != nil {
		return err
	}
	for _, ch := range charges {
		d.Charges = append(d.Charges, chargeViewOf(ch, names))
		d.ChargeAmounts = append(d.ChargeAmounts, pounds(ch.Amount))
	}
	if d.Settings, err = c.opt.Trading.Settings(r.Context()); err != nil {
		return err
	}
	d.VATRate = vatRate(d.Settings.VATBasisPoints)
	d.SellerAddress = strings.Join(addressLines(d.Settings.Address), ", ")
	return c.Show(w, r, "trading.html", "Trading", "trading", d)
}

// invoicePage is one invoice or credit note, laid out to print
// (static/trading.css leaves the console out on paper).
func (c *Console) invoicePage(w http.ResponseWriter, r *http.Request) error {
	v, err := c.targetInvoice(r)
	if err != nil {
		return err
	}
	set, err := c.opt.Trading.Settings(r.Context())
	if err != nil {
		return err
	}
	iv := c.invoiceViewOf(r, v)
	if iv.Seller == "" {
		// Only an invoice written without its seller (none should be)
		// takes today's settings.
		iv.Seller, iv.SellerAddress, iv.SellerVAT = set.Company, addressLines(set.Address), set.VATNumber
	}
	return c.Show(w, r, "trading_invoice.html", v.Reference, "trading", struct {
		Invoice  invoiceView
		Settings trading.Settings
		Writer   bool
	}{iv, set, c.canWriteTrading(r)})
}
