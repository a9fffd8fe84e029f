package trading

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Repo is what the trading company needs of storage; *store.Store
// implements it. In a Service's change, every method runs in the
// change's transaction, and Log's record commits with it.
type Repo interface {
	TradingCustomers(ctx context.Context) ([]Customer, error)
	TradingCustomer(ctx context.Context, id int64) (Customer, error)
	SetTradingCustomerAddress(ctx context.Context, id int64, address string) error

	TradingSettings(ctx context.Context) (Settings, error)
	UpdateTradingSettings(ctx context.Context, t *Settings) error

	TradingSubscription(ctx context.Context, id int64) (Subscription, error)
	ListTradingSubscriptions(ctx context.Context, customer int64) ([]Subscription, error)
	CreateTradingSubscription(ctx context.Context, t *Subscription) error
	UpdateTradingSubscription(ctx context.Context, t *Subscription) error
	SetTradingUnits(ctx context.Context, sub int64, u Units) error

	ListTradingCharges(ctx context.Context, customer int64, unbilled bool) ([]Charge, error)
	CreateTradingCharge(ctx context.Context, c *Charge) error

	TradingInvoice(ctx context.Context, id int64) (Invoice, error)
	ListTradingInvoices(ctx context.Context, f InvoiceFilter) ([]Invoice, error)
	IssueTradingInvoice(ctx context.Context, inv *Invoice) error
	CreditTradingInvoice(ctx context.Context, id int64, note string, at time.Time, by int64) (Invoice, error)
	TradingInvoicedNet(ctx context.Context, from, to time.Time) (int64, error)

	// Log adds an audit record to the change's transaction.
	Log(e auditlog.Entry) error
}

// Caller is who asks: the actor the audit records name, and their rights.
type Caller struct {
	Actor auditlog.Actor
	P     rights.Principal
	Snap  *rights.Snapshot
}

// Service reads and changes the trading company's figures for a caller:
// reading needs read finance on the customer, and shows only customers in
// the caller's scope (a customer is an organisation of kind customer, so
// a partner officer sees those filed below their own council, normally
// none); changing anything needs the right to change the partnership's
// figures (rights.Snapshot.CanManageFinance), so that a council's people
// never bill the company's customers. Every change commits with its
// audit record.
type Service struct {
	repo   Repo
	change func(ctx context.Context, fn func(tx Repo) error) error
	now    func() time.Time
	log    *slog.Logger
}

// New returns the service keeping its figures in repo and changing them
// through change (one transaction with its audit records); now is the
// clock invoices are dated by.
func New(repo Repo, change func(context.Context, func(Repo) error) error, now func() time.Time, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Service{repo: repo, change: change, now: now, log: logger}
}

// Ledger is the book the service keeps, for reading.
func (s *Service) Ledger() *Ledger { return NewLedger(s.repo, s.log) }

// entry is the caller's audit record of action, dated by the service's
// clock.
func (s *Service) entry(c Caller, action auditlog.Action, detail string) auditlog.Entry {
	e := c.Actor.Entry(action, detail)
	e.At = s.now().UTC()
	return e
}

// MayChange refuses (problem.ErrForbidden) a caller who may not change the
// partnership's figures.
func (s *Service) MayChange(c Caller) error {
	if d := c.Snap.CanManageFinance(c.P); !d.Allowed {
		return problem.Forbiddenf("%s", d.Reason)
	}
	return nil
}

// Sees reports whether c may read customer id's figures.
func (s *Service) Sees(c Caller, id int64) bool {
	return c.Snap.Sees(c.P, id) && c.Snap.CanOrg(c.P, rights.ReadFinance, id).Allowed
}

// Customer returns customer id if c may read its figures; any other
// organisation, or one outside c's scope, is "no customer N".
func (s *Service) Customer(ctx context.Context, c Caller, id int64) (Customer, error) {
	return customerFor(ctx, s.repo, c, id)
}

func customerFor(ctx context.Context, repo Repo, c Caller, id int64) (Customer, error) {
	o, err := repo.TradingCustomer(ctx, id)
	missing := problem.Notf("no customer %d", id)
	switch {
	case errors.Is(err, problem.ErrNotFound):
		return o, missing
	case err != nil:
		return o, err
	case o.Kind != rights.KindCustomer || !c.Snap.Sees(c.P, o.ID):
		return o, missing
	}
	switch d := c.Snap.CanOrg(c.P, rights.ReadFinance, o.ID); {
	case d.Hidden:
		return o, missing
	case !d.Allowed:
		return o, problem.Forbiddenf("%s", d.Reason)
	}
	return o, nil
}

// SetCustomerAddress records the address customer id's invoices are sent
// to, from the next one issued (those issued keep the address they were
// issued with), with its record: for those who may change the trading
// company's figures.
func (s *Service) SetCustomerAddress(ctx context.Context, c Caller, id int64, address string) (Customer, error) {
	// A customer outside the caller's scope is not found before anything
	// else is said of it, as for every other change of a customer's.
	if _, err := s.Customer(ctx, c, id); err != nil {
		return Customer{}, err
	}
	if err := s.MayChange(c); err != nil {
		return Customer{}, err
	}
	var cu Customer
	err := s.change(ctx, func(tx Repo) error {
		var err error
		if cu, err = customerFor(ctx, tx, c, id); err != nil {
			return err
		}
		if cu.Address, err = CheckAddress(address); err != nil {
			return err
		}
		if err := tx.SetTradingCustomerAddress(ctx, id, cu.Address); err != nil {
			return err
		}
		return tx.Log(s.entry(c, auditlog.TradingCustomerAddress, fmt.Sprintf("customer %s (%d): address %q", cu.Name, cu.ID, cu.Address)))
	})
	return cu, err
}

// ParseDay reads a day like 2024-07-01; what names the field in the
// refusal (problem.ErrInvalid).
func ParseDay(v, what string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return t, problem.Invalidf("%s %q is not a date like 2024-07-01", what, v)
	}
	return t, nil
}

// --- settings ---

// Settings returns the trading company's settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) { return s.repo.TradingSettings(ctx) }

// SettingsChange is a change of the settings: nil fields stay.
type SettingsChange struct {
	Company, Address, VATNumber, InvoicePrefix *string
	VATBasisPoints, PaymentDays                *int64
}

// UpdateSettings applies in to the settings.
func (s *Service) UpdateSettings(ctx context.Context, c Caller, in SettingsChange) (Settings, error) {
	if err := s.MayChange(c); err != nil {
		return Settings{}, err
	}
	var t Settings
	err := s.change(ctx, func(tx Repo) error {
		var err error
		if t, err = tx.TradingSettings(ctx); err != nil {
			return err
		}
		for _, f := range []struct{ in, out *string }{{in.Company, &t.Company}, {in.Address, &t.Address}, {in.VATNumber, &t.VATNumber}, {in.InvoicePrefix, &t.InvoicePrefix}} {
			if f.in != nil {
				*f.out = *f.in
			}
		}
		if in.VATBasisPoints != nil {
			t.VATBasisPoints = *in.VATBasisPoints
		}
		if in.PaymentDays != nil {
			t.PaymentDays = *in.PaymentDays
		}
		if err := tx.UpdateTradingSettings(ctx, &t); err != nil {
			return err
		}
		return tx.Log(s.entry(c, auditlog.TradingSettings, fmt.Sprintf("VAT %d basis points, prefix %q, %d days", t.VATBasisPoints, t.InvoicePrefix, t.PaymentDays)))
	})
	return t, err
}

// --- subscriptions ---

// Subscriptions are the subscriptions of the customers c sees.
func (s *Service) Subscriptions(ctx context.Context, c Caller) ([]Subscription, error) {
	subs, err := s.repo.ListTradingSubscriptions(ctx, 0)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(subs, func(t Subscription) bool { return !s.Sees(c, t.CustomerID) }), nil
}

// Subscription returns subscription id and its customer if c may read
// the customer's figures: otherwise "no subscription N".
func (s *Service) Subscription(ctx context.Context, c Caller, id int64) (Subscription, Customer, error) {
	t, err := s.repo.TradingSubscription(ctx, id)
	if errors.Is(err, problem.ErrNotFound) || err == nil && !s.Sees(c, t.CustomerID) {
		return t, Customer{}, problem.Notf("no subscription %d", id)
	}
	if err != nil {
		return t, Customer{}, err
	}
	o, err := s.repo.TradingCustomer(ctx, t.CustomerID)
	return t, o, err
}

// NewSubscription is a subscription to file, as asked: nil figures and
// dates not yet read, so that the refusals come in the order the API has
// always given them (who, then whether they may, then what).
type NewSubscription struct {
	CustomerID int64
	Reference  string
	Service    string
	UnitPrice  *int64
	StartsOn   string
	EndsOn     *string // nil or "": open-ended
	Units      *int64
}

// CreateSubscription files a subscription for a customer c sees.
func (s *Service) CreateSubscription(ctx context.Context, c Caller, in NewSubscription) (Subscription, Customer, error) {
	cust, err := s.Customer(ctx, c, in.CustomerID)
	if err != nil {
		return Subscription{}, cust, err
	}
	if err := s.MayChange(c); err != nil {
		return Subscription{}, cust, err
	}
	if in.UnitPrice == nil || in.Units == nil {
		return Subscription{}, cust, problem.Invalidf(`give the customer, service, price, start and units, e.g. {"customer_id": 7, "service": "monitored", "unit_price_pence": 4523, "starts_on": "2024-04-01", "units": 12}`)
	}
	starts, err := ParseDay(in.StartsOn, "starts_on")
	if err != nil {
		return Subscription{}, cust, err
	}
	t := Subscription{CustomerID: cust.ID, Reference: in.Reference, Service: in.Service, UnitPrice: *in.UnitPrice, StartsOn: starts,
		Units: []Units{{From: starts, Units: *in.Units}}}
	if in.EndsOn != nil && *in.EndsOn != "" {
		e, err := ParseDay(*in.EndsOn, "ends_on")
		if err != nil {
			return Subscription{}, cust, err
		}
		t.EndsOn = &e
	}
	err = s.change(ctx, func(tx Repo) error {
		if err := tx.CreateTradingSubscription(ctx, &t); err != nil {
			return err
		}
		return tx.Log(s.entry(c, auditlog.TradingSubscriptionCreate, fmt.Sprintf("subscription %d: %s, %d %s units at %d pence", t.ID, cust.Name, *in.Units, t.Service, t.UnitPrice)))
	})
	return t, cust, err
}

// SubscriptionChange changes a subscription's reference or end (""
// makes it open-ended); nil fields stay.
type SubscriptionChange struct {
	Reference *string
	EndsOn    *string
}

// UpdateSubscription changes subscription id's reference or end. Its
// service, price and start stay as agreed: a new price is a new
// subscription, so that what earlier invoices billed can always be
// recomputed.
func (s *Service) UpdateSubscription(ctx context.Context, c Caller, id int64, in SubscriptionChange) (Subscription, Customer, error) {
	t, cust, err := s.Subscription(ctx, c, id)
	if err != nil {
		return t, cust, err
	}
	if err := s.MayChange(c); err != nil {
		return t, cust, err
	}
	if in.Reference != nil {
		t.Reference = *in.Reference
	}
	if in.EndsOn != nil {
		t.EndsOn = nil
		if *in.EndsOn != "" {
			e, err := ParseDay(*in.EndsOn, "ends_on")
			if err != nil {
				return t, cust, err
			}
			t.EndsOn = &e
		}
	}
	err = s.change(ctx, func(tx Repo) error {
		if err := tx.UpdateTradingSubscription(ctx, &t); err != nil {
			return err
		}
		ends := "open-ended"
		if t.EndsOn != nil {
			ends = t.EndsOn.Format(time.DateOnly)
		}
		return tx.Log(s.entry(c, auditlog.TradingSubscriptionUpdate, fmt.Sprintf("subscription %d of %s: reference %q, ends %s", t.ID, cust.Name, t.Reference, ends)))
	})
	return t, cust, err
}

// UnitsChange dates a change of a subscription's number of camera units.
type UnitsChange struct {
	From  string
	Units *int64
}

// SetUnits records a change of subscription id's units, and returns the
// subscription as it now is.
func (s *Service) SetUnits(ctx context.Context, c Caller, id int64, in UnitsChange) (Subscription, Customer, error) {
	t, cust, err := s.Subscription(ctx, c, id)
	if err != nil {
		return t, cust, err
	}
	if err := s.MayChange(c); err != nil {
		return t, cust, err
	}
	if in.Units == nil {
		return t, cust, problem.Invalidf(`give the day and the number of units from then, e.g. {"from": "2024-08-15", "units": 14}`)
	}
	from, err := ParseDay(in.From, "from")
	if err != nil {
		return t, cust, err
	}
	err = s.change(ctx, func(tx Repo) error {
		if err := tx.SetTradingUnits(ctx, t.ID, Units{From: from, Units: *in.Units}); err != nil {
			return err
		}
		if err := tx.Log(s.entry(c, auditlog.TradingUnits, fmt.Sprintf("subscription %d of %s: %d units from %s", t.ID, cust.Name, *in.Units, in.From))); err != nil {
			return err
		}
		t, err = tx.TradingSubscription(ctx, t.ID)
		return err
	})
	return t, cust, err
}

// --- charges ---

// Charges are the charges (only those not yet billed, if unbilled) of
// the customers c sees.
func (s *Service) Charges(ctx context.Context, c Caller, unbilled bool) ([]Charge, error) {
	cs, err := s.repo.ListTradingCharges(ctx, 0, unbilled)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(cs, func(ch Charge) bool { return !s.Sees(c, ch.CustomerID) }), nil
}

// NewCharge is a one-off charge to file, as asked.
type NewCharge struct {
	CustomerID  int64
	On          string
	Description string
	Amount      int64
}

// CreateCharge files a one-off charge to a customer c sees.
func (s *Service) CreateCharge(ctx context.Context, c Caller, in NewCharge) (Charge, Customer, error) {
	cust, err := s.Customer(ctx, c, in.CustomerID)
	if err != nil {
		return Charge{}, cust, err
	}
	if err := s.MayChange(c); err != nil {
		return Charge{}, cust, err
	}
	on, err := ParseDay(in.On, "on")
	if err != nil {
		return Charge{}, cust, err
	}
	ch := Charge{CustomerID: cust.ID, On: on, Description: in.Description, Amount: in.Amount}
	err = s.change(ctx, func(tx Repo) error {
		if err := tx.CreateTradingCharge(ctx, &ch); err != nil {
			return err
		}
		return tx.Log(s.entry(c, auditlog.TradingCharge, fmt.Sprintf("charge %d to %s: %q, %d pence", ch.ID, cust.Name, ch.Description, ch.Amount)))
	})
	return ch, cust, err
}

// --- invoices ---

// Invoices are the invoices and credit notes f selects of the customers
// c sees, without lines.
func (s *Service) Invoices(ctx context.Context, c Caller, f InvoiceFilter) ([]Invoice, error) {
	invs, err := s.repo.ListTradingInvoices(ctx, f)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(invs, func(v Invoice) bool { return !s.Sees(c, v.CustomerID) }), nil
}

// LatestInvoiced is the start of the latest period billed on an invoice
// or credit note of a customer c sees, and whether there is one: where
// the trading page opens, rather than on a quarter not yet billed.
func (s *Service) LatestInvoiced(ctx context.Context, c Caller) (time.Time, bool, error) {
	invs, err := s.Invoices(ctx, c, InvoiceFilter{})
	if err != nil || len(invs) == 0 {
		return time.Time{}, false, err
	}
	latest := invs[0].PeriodFrom
	for _, v := range invs[1:] {
		if v.PeriodFrom.After(latest) {
			latest = v.PeriodFrom
		}
	}
	return latest, true, nil
}

// Invoice returns invoice id with its lines if c may read its customer's
// figures: otherwise "no invoice N".
func (s *Service) Invoice(ctx context.Context, c Caller, id int64) (Invoice, error) {
	v, err := s.repo.TradingInvoice(ctx, id)
	if errors.Is(err, problem.ErrNotFound) || err == nil && !s.Sees(c, v.CustomerID) {
		return v, problem.Notf("no invoice %d", id)
	}
	return v, err
}

// IssueRun asks for a period's invoices (as period.ParseSpan reads it),
// of one customer or (CustomerID 0) of every customer c sees.
type IssueRun struct {
	Period     string
	CustomerID int64
}

// Issue issues the period's invoices, of one customer or of every
// customer with something to bill, all in one transaction with an audit
// record per invoice issued: the run and its records commit together or
// not at all. Asking again issues nothing new: each customer's invoice
// for exactly that period comes back unchanged. A customer whose invoice
// is refused (an overlapping period) is reported and the run goes on.
func (s *Service) Issue(ctx context.Context, c Caller, in IssueRun) (Period, []Outcome, error) {
	var only Customer
	if in.CustomerID != 0 {
		cust, err := s.Customer(ctx, c, in.CustomerID)
		if err != nil {
			return Period{}, nil, err
		}
		only = cust
	}
	if err := s.MayChange(c); err != nil {
		return Period{}, nil, err
	}
	p, err := period.ParseSpan(in.Period)
	if err != nil {
		return p, nil, problem.Invalidf("%s", err.Error())
	}
	if p.To.After(p.From.AddDate(1, 0, 0)) {
		return p, nil, problem.Invalidf("an invoice covers at most a year: give a shorter period")
	}
	now := s.now()
	var outs []Outcome
	err = s.change(ctx, func(tx Repo) error {
		var err error
		outs, err = NewLedger(tx, s.log).IssueAll(ctx, p, now, c.Actor.UserID, func(o Customer) bool {
			return (only.ID == 0 || o.ID == only.ID) && s.Sees(c, o.ID)
		})
		if err != nil {
			return err
		}
		for _, o := range outs {
			if o.Status == "issued" {
				if err := tx.Log(s.entry(c, auditlog.TradingInvoice, fmt.Sprintf("%s to %s for %s: net %d, VAT %d", o.Invoice.Reference, o.Customer.Name, p.Name, o.Invoice.Net, o.Invoice.VAT))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return p, nil, err
	}
	return p, outs, nil
}

// Credit cancels invoice id with a credit note, for reason, so that its
// period can be invoiced again correctly; it returns the credit note and
// the invoice it cancels.
func (s *Service) Credit(ctx context.Context, c Caller, id int64, reason string) (Invoice, Invoice, error) {
	v, err := s.Invoice(ctx, c, id)
	if err != nil {
		return Invoice{}, v, err
	}
	if err := s.MayChange(c); err != nil {
		return Invoice{}, v, err
	}
	var cn Invoice
	err = s.change(ctx, func(tx Repo) error {
		var err error
		if cn, err = tx.CreditTradingInvoice(ctx, v.ID, reason, s.now(), c.Actor.UserID); err != nil {
			return err
		}
		return tx.Log(s.entry(c, auditlog.TradingCredit, fmt.Sprintf("%s cancels %s: %s", cn.Reference, v.Reference, reason)))
	})
	return cn, v, err
}
