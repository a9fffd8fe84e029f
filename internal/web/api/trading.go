package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-cctv/vigil/internal/trading"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The trading company: its customers' subscriptions, one-off charges and
// invoices (the API under /api/v1/trading/, the console page /trading and
// a printable page per invoice).
//
// Reading needs read finance, and shows the customers in the user's scope
// only: a customer is an organisation of kind customer, so a partner
// officer sees those filed below their own council (normally none) and a
// CCTV manager of the partnership sees all. Changing anything (a
// subscription, its units, a charge, issuing or crediting an invoice, the
// settings) needs manage_finance at the partnership itself, as every
// change of the partnership's figures does: a council's people never bill
// the company's customers. trading.Service makes both decisions.

// tradingCaller is the request's user as the trading service knows them.
func tradingCaller(r *http.Request) trading.Caller {
	a := httpx.AccessOf(r.Context())
	return trading.Caller{Actor: httpx.UserActor(a.User, r), P: a.P, Snap: a.Snap}
}

// tradingPeriod reads ?period=, the current financial quarter if none.
func (s *API) tradingPeriod(r *http.Request) (trading.Period, error) {
	return httpx.Span(r, s.now())
}

func dayString(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func dayPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	v := dayString(*t)
	return &v
}

func idPtr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// customerNames maps the ids of every customer to its name.
func (s *API) customerNames(r *http.Request) (map[int64]string, error) {
	cs, err := s.tradingSvc.Ledger().Customers(r.Context())
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, c := range cs {
		out[c.ID] = c.Name
	}
	return out, nil
}

// --- settings ---

type tradingSettingsJSON struct {
	Company        string `json:"company"`
	Address        string `json:"address"`
	VATNumber      string `json:"vat_number"`
	VATBasisPoints int64  `json:"vat_basis_points"` // 2000: 20%
	InvoicePrefix  string `json:"invoice_prefix"`
	NextInvoice    int64  `json:"next_invoice"`
	PaymentDays    int64  `json:"payment_days"`
}

func tradingSettingsJSONOf(t trading.Settings) tradingSettingsJSON {
	return tradingSettingsJSON{Company: t.Company, Address: t.Address, VATNumber: t.VATNumber, VATBasisPoints: t.VATBasisPoints,
		InvoicePrefix: t.InvoicePrefix, NextInvoice: t.NextInvoice, PaymentDays: t.PaymentDays}
}

func (s *API) getTradingSettings(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tradingSvc.Settings(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, tradingSettingsJSONOf(t))
	return nil
}

func (s *API) putTradingSettings(w http.ResponseWriter, r *http.Request) error {
	c := tradingCaller(r)
	if err := s.tradingSvc.MayChange(c); err != nil {
		return httpx.Refusal(err)
	}
	var in struct {
		Company        *string `json:"company"`
		Address        *string `json:"address"`
		VATNumber      *string `json:"vat_number"`
		VATBasisPoints *int64  `json:"vat_basis_points"`
		InvoicePrefix  *string `json:"invoice_prefix"`
		PaymentDays    *int64  `json:"payment_days"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.tradingSvc.UpdateSettings(r.Context(), c, trading.SettingsChange{Company: in.Company, Address: in.Address, VATNumber: in.VATNumber,
		InvoicePrefix: in.InvoicePrefix, VATBasisPoints: in.VATBasisPoints, PaymentDays: in.PaymentDays})
	if err != nil {
		return httpx.Refusal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, tradingSettingsJSONOf(t))
	return nil
}

// --- subscriptions ---

type unitsJSON struct {
	From  string `json:"from"`
	Units int64  `json:"units"`
}

type SubscriptionJSON struct {
	ID         int64       `json:"id"`
	CustomerID int64       `json:"customer_id"`
	Customer   string      `json:"customer"`
	Reference  string      `json:"reference"`
	Service    string      `json:"service"`
	UnitPrice  int64       `json:"unit_price_pence"` // per unit per calendar month, net of VAT
	StartsOn   string      `json:"starts_on"`
	EndsOn     *string     `json:"ends_on"` // the first day no longer served
	UnitsNow   int64       `json:"units_now"`
	Units      []unitsJSON `json:"units"`
}

func (s *API) subscriptionJSONOf(t trading.Subscription, names map[int64]string) SubscriptionJSON {
	out := SubscriptionJSON{ID: t.ID, CustomerID: t.CustomerID, Customer: names[t.CustomerID], Reference: t.Reference, Service: t.Service,
		UnitPrice: t.UnitPrice, StartsOn: dayString(t.StartsOn), EndsOn: dayPtr(t.EndsOn), UnitsNow: t.UnitsOn(s.now()), Units: []unitsJSON{}}
	for _, u := range t.Units {
		out.Units = append(out.Units, unitsJSON{From: dayString(u.From), Units: u.Units})
	}
	return out
}

func (s *API) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	subs, err := s.tradingSvc.Subscriptions(r.Context(), tradingCaller(r))
	if err != nil {
		return err
	}
	names, err := s.customerNames(r)
	if err != nil {
		return err
	}
	out := []SubscriptionJSON{}
	for _, t := range subs {
		out = append(out, s.subscriptionJSONOf(t, names))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *API) createSubscription(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CustomerID int64   `json:"customer_id"`
		Reference  string  `json:"reference"`
		Service    string  `json:"service"`
		UnitPrice  *int64  `json:"unit_price_pence"`
		StartsOn   string  `json:"starts_on"`
		EndsOn     *string `json:"ends_on"`
		Units      *int64  `json:"units"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, c, err := s.tradingSvc.CreateSubscription(r.Context(), tradingCaller(r), trading.NewSubscription{CustomerID: in.CustomerID,
		Reference: in.Reference, Service: in.Service, UnitPrice: in.UnitPrice, StartsOn: in.StartsOn, EndsOn: in.EndsOn, Units: in.Units})
	if err != nil {
		return httpx.Refusal(err)
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/trading/subscriptions/%d", t.ID))
	httpx.WriteJSON(w, http.StatusCreated, s.subscriptionJSONOf(t, map[int64]string{c.ID: c.Name}))
	return nil
}

// targetSubscription returns the request's {id} subscription if the user
// may read its customer's figures.
func (s *API) targetSubscription(r *http.Request) (trading.Subscription, error) {
	id, err := httpx.PathID(r, "subscription")
	if err != nil {
		return trading.Subscription{}, err
	}
	t, _, err := s.tradingSvc.Subscription(r.Context(), tradingCaller(r), id)
	return t, httpx.Refusal(err)
}

func (s *API) patchSubscription(w http.ResponseWriter, r *http.Request) error {
	t, err := s.targetSubscription(r)
	if err != nil {
		return err
	}
	if err := s.tradingSvc.MayChange(tradingCaller(r)); err != nil {
		return httpx.Refusal(err)
	}
	var in struct {
		Reference *string `json:"reference"`
		EndsOn    *string `json:"ends_on"` // "" makes it open-ended
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, c, err := s.tradingSvc.UpdateSubscription(r.Context(), tradingCaller(r), t.ID, trading.SubscriptionChange{Reference: in.Reference, EndsOn: in.EndsOn})
	if err != nil {
		return httpx.Refusal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, s.subscriptionJSONOf(t, map[int64]string{c.ID: c.Name}))
	return nil
}

// setSubscriptionUnits dates a change of the number of camera units.
func (s *API) setSubscriptionUnits(w http.ResponseWriter, r *http.Request) error {
	t, err := s.targetSubscription(r)
	if err != nil {
		return err
	}
	if err := s.tradingSvc.MayChange(tradingCaller(r)); err != nil {
		return httpx.Refusal(err)
	}
	var in struct {
		From  string `json:"from"`
		Units *int64 `json:"units"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, c, err := s.tradingSvc.SetUnits(r.Context(), tradingCaller(r), t.ID, trading.UnitsChange{From: in.From, Units: in.Units})
	if err != nil {
		return httpx.Refusal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, s.subscriptionJSONOf(t, map[int64]string{c.ID: c.Name}))
	return nil
}

// --- charges ---

type chargeJSON struct {
	ID          int64  `json:"id"`
	CustomerID  int64  `json:"customer_id"`
	Customer    string `json:"customer"`
	On          string `json:"on"`
	Description string `json:"description"`
	Amount      int64  `json:"amount_pence"` // net of VAT
	InvoiceID   *int64 `json:"invoice_id"`   // null: not yet billed
}

func chargeJSONOf(c trading.Charge, names map[int64]string) chargeJSON {
	return chargeJSON{ID: c.ID, CustomerID: c.CustomerID, Customer: names[c.CustomerID], On: dayString(c.On), Description: c.Description,
		Amount: c.Amount, InvoiceID: idPtr(c.InvoiceID)}
}

func (s *API) listCharges(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.tradingSvc.Charges(r.Context(), tradingCaller(r), r.URL.Query().Get("unbilled") == "true")
	if err != nil {
		return err
	}
	names, err := s.customerNames(r)
	if err != nil {
		return err
	}
	out := []chargeJSON{}
	for _, c := range cs {
		out = append(out, chargeJSONOf(c, names))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *API) createCharge(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CustomerID  int64  `json:"customer_id"`
		On          string `json:"on"`
		Description string `json:"description"`
		Amount      int64  `json:"amount_pence"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	ch, c, err := s.tradingSvc.CreateCharge(r.Context(), tradingCaller(r), trading.NewCharge{CustomerID: in.CustomerID, On: in.On,
		Description: in.Description, Amount: in.Amount})
	if err != nil {
		return httpx.Refusal(err)
	}
	httpx.WriteJSON(w, http.StatusCreated, chargeJSONOf(ch, map[int64]string{c.ID: c.Name}))
	return nil
}

// --- invoices ---

type invoiceLineJSON struct {
	Seq         int    `json:"seq"`
	Description string `json:"description"`
	Service     string `json:"service"`
	From        string `json:"from"`
	To          string `json:"to"` // exclusive
	Units       int64  `json:"units"`
	UnitPrice   int64  `json:"unit_price_pence"`
	Days        int64  `json:"days"`
	MonthDays   int64  `json:"month_days"`
	Net         int64  `json:"net_pence"`
}

type InvoiceJSON struct {
	ID             int64             `json:"id"`
	Number         int64             `json:"number"`
	Reference      string            `json:"reference"`
	Kind           string            `json:"kind"`
	CreditsID      *int64            `json:"credits_id"`
	CreditedBy     *int64            `json:"credited_by"`
	CustomerID     int64             `json:"customer_id"`
	Customer       string            `json:"customer"`
	PeriodFrom     string            `json:"period_from"`
	PeriodTo       string            `json:"period_to"` // exclusive
	IssuedAt       time.Time         `json:"issued_at"`
	DueOn          string            `json:"due_on"`
	VATBasisPoints int64             `json:"vat_basis_points"`
	Net            int64             `json:"net_pence"`
	VAT            int64             `json:"vat_pence"`
	Gross          int64             `json:"gross_pence"`
	Note           string            `json:"note"`
	Lines          []invoiceLineJSON `json:"lines,omitempty"`
	Page           string            `json:"page"`
	CSV            string            `json:"csv"`

	// The parties as issued: the customer's address, the seller's name,
	// address and VAT registration number.
	CustomerAddress string `json:"customer_address"`
	Seller          string `json:"seller"`
	SellerAddress   string `json:"seller_address"`
	SellerVATNumber string `json:"seller_vat_number"`
}

func invoiceJSONOf(v trading.Invoice) InvoiceJSON {
	out := InvoiceJSON{ID: v.ID, Number: v.Number, Reference: v.Reference, Kind: v.Kind, CreditsID: idPtr(v.CreditsID), CreditedBy: idPtr(v.CreditedBy),
		CustomerID: v.CustomerID, Customer: v.CustomerName, PeriodFrom: dayString(v.PeriodFrom), PeriodTo: dayString(v.PeriodTo),
		IssuedAt: v.IssuedAt, DueOn: dayString(v.DueOn), VATBasisPoints: v.VATBasisPoints, Net: v.Net, VAT: v.VAT, Gross: v.Gross, Note: v.Note,
		Page: fmt.Sprintf("/trading/invoices/%d", v.ID), CSV: fmt.Sprintf("/api/v1/trading/invoices/%d/csv", v.ID)}
	out.CustomerAddress, out.Seller, out.SellerAddress, out.SellerVATNumber = v.CustomerAddress, v.SellerName, v.SellerAddress, v.SellerVATNumber
	for _, l := range v.Lines {
		out.Lines = append(out.Lines, invoiceLineJSON{Seq: l.Seq, Description: l.Description, Service: l.Service, From: dayString(l.ServiceFrom),
			To: dayString(l.ServiceTo), Units: l.Units, UnitPrice: l.UnitPrice, Days: l.Days, MonthDays: l.MonthDays, Net: l.Net})
	}
	return out
}

// visibleInvoices are the invoices of the period (by its start) of the
// customers the user sees, of one customer if ?customer_id= says so.
func (s *API) visibleInvoices(r *http.Request, p trading.Period) ([]trading.Invoice, error) {
	f := trading.InvoiceFilter{From: p.From, To: p.To}
	if v := r.URL.Query().Get("customer_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, httpx.BadRequest("customer_id must be a whole number")
		}
		f.CustomerID = id
	}
	return s.tradingSvc.Invoices(r.Context(), tradingCaller(r), f)
}

func (s *API) listInvoices(w http.ResponseWriter, r *http.Request) error {
	p, err := s.tradingPeriod(r)
	if err != nil {
		return err
	}
	invs, err := s.visibleInvoices(r, p)
	if err != nil {
		return err
	}
	out := []InvoiceJSON{}
	for _, v := range invs {
		out = append(out, invoiceJSONOf(v))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// invoicesCSV is the period's invoices, one row each.
func (s *API) invoicesCSV(w http.ResponseWriter, r *http.Request) error {
	p, err := s.tradingPeriod(r)
	if err != nil {
		return err
	}
	invs, err := s.visibleInvoices(r, p)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("invoices-%s-%s.csv", dayString(p.From), dayString(p.Last()))
	return httpx.SendCSV(w, name, func(b *bytes.Buffer) error { return trading.WriteInvoicesCSV(b, invs) })
}

// targetInvoice returns the request's {id} invoice, with its lines, if the
// user may read its customer's figures.
func (s *API) targetInvoice(r *http.Request) (trading.Invoice, error) {
	id, err := httpx.PathID(r, "invoice")
	if err != nil {
		return trading.Invoice{}, err
	}
	v, err := s.tradingSvc.Invoice(r.Context(), tradingCaller(r), id)
	return v, httpx.Refusal(err)
}

func (s *API) getInvoice(w http.ResponseWriter, r *http.Request) error {
	v, err := s.targetInvoice(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, invoiceJSONOf(v))
	return nil
}

func (s *API) invoiceCSV(w http.ResponseWriter, r *http.Request) error {
	v, err := s.targetInvoice(r)
	if err != nil {
		return err
	}
	return httpx.SendCSV(w, v.Reference+".csv", func(b *bytes.Buffer) error { return trading.WriteLinesCSV(b, v) })
}

// issueInvoices issues the period's invoices, of one customer or of every
// customer with something to bill. Asking again issues nothing new: each
// customer's invoice for exactly that period comes back unchanged.
func (s *API) issueInvoices(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Period     string `json:"period"`
		CustomerID int64  `json:"customer_id"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	p, outs, err := s.tradingSvc.Issue(r.Context(), tradingCaller(r), trading.IssueRun{Period: in.Period, CustomerID: in.CustomerID})
	if err != nil {
		return httpx.Refusal(err)
	}
	type outcomeJSON struct {
		CustomerID int64        `json:"customer_id"`
		Customer   string       `json:"customer"`
		Status     string       `json:"status"`
		Reason     string       `json:"reason,omitempty"`
		Invoice    *InvoiceJSON `json:"invoice"`
	}
	res := struct {
		Period   string        `json:"period"`
		Outcomes []outcomeJSON `json:"outcomes"`
	}{Period: p.Name, Outcomes: []outcomeJSON{}}
	for _, o := range outs {
		oj := outcomeJSON{CustomerID: o.Customer.ID, Customer: o.Customer.Name, Status: o.Status, Reason: o.Reason}
		if o.Status == "issued" || o.Status == "existing" {
			j := invoiceJSONOf(o.Invoice)
			oj.Invoice = &j
		}
		res.Outcomes = append(res.Outcomes, oj)
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

// creditInvoice cancels an invoice with a credit note, so that its period
// can be invoiced again correctly.
func (s *API) creditInvoice(w http.ResponseWriter, r *http.Request) error {
	v, err := s.targetInvoice(r)
	if err != nil {
		return err
	}
	if err := s.tradingSvc.MayChange(tradingCaller(r)); err != nil {
		return httpx.Refusal(err)
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	cn, _, err := s.tradingSvc.Credit(r.Context(), tradingCaller(r), v.ID, in.Reason)
	if err != nil {
		return httpx.Refusal(err)
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/trading/invoices/%d", cn.ID))
	httpx.WriteJSON(w, http.StatusCreated, invoiceJSONOf(cn))
	return nil
}
