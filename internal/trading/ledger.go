package trading

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Ledger issues the trading company's invoices and answers what it has
// invoiced. It is safe for concurrent use: the repository serialises
// issuing. Issuing through a Ledger on its own commits each invoice by
// itself, with no audit record; the Service issues a run in one
// transaction with a record per invoice.
type Ledger struct {
	st  Repo
	log *slog.Logger
}

// NewLedger returns the ledger kept in st.
func NewLedger(st Repo, logger *slog.Logger) *Ledger {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Ledger{st: st, log: logger}
}

// Invoiced is the net pence (VAT excluded) of every invoice line, less
// credit notes, for service in [from, to): a line counts by the day its
// service starts, and no line spans two calendar months, so for periods of
// whole months, such as a financial year to date, it is exact. It is the
// income of the finance statement's trading company line.
func (l *Ledger) Invoiced(ctx context.Context, from, to time.Time) (int64, error) {
	return l.st.TradingInvoicedNet(ctx, Day(from), Day(to))
}

// Customers returns the organisations of kind customer, by id.
func (l *Ledger) Customers(ctx context.Context) ([]Customer, error) {
	return l.st.TradingCustomers(ctx)
}

// Draft is the invoice that Issue would issue to customer for p now.
func (l *Ledger) Draft(ctx context.Context, customer Customer, p Period) (Invoice, error) {
	set, err := l.st.TradingSettings(ctx)
	if err != nil {
		return Invoice{}, err
	}
	subs, err := l.st.ListTradingSubscriptions(ctx, customer.ID)
	if err != nil {
		return Invoice{}, err
	}
	charges, err := l.st.ListTradingCharges(ctx, customer.ID, true)
	if err != nil {
		return Invoice{}, err
	}
	return Draft(customer, subs, charges, p.From, p.To, set.VATBasisPoints)
}

// Outcome is what issuing did for one customer.
type Outcome struct {
	Customer Customer
	Invoice  Invoice
	// Status: "issued", "existing" (issued before for exactly this
	// period; returned unchanged), "nothing" (nothing to bill) or
	// "refused" (Reason says why, such as an invoice for an overlapping
	// period).
	Status string
	Reason string
}

// Issue issues customer's invoice for p at now, by user: idempotent, so
// asking again for the same period returns the invoice issued the first
// time, unchanged, even if units changed since (credit it to reissue).
func (l *Ledger) Issue(ctx context.Context, customer Customer, p Period, now time.Time, by int64) (Outcome, error) {
	if customer.Kind != rights.KindCustomer {
		return Outcome{}, problem.Invalidf("%s is a %s, not a customer of the trading company", customer.Name, customer.Kind)
	}
	out := Outcome{Customer: customer}
	existing, err := l.st.ListTradingInvoices(ctx, InvoiceFilter{CustomerID: customer.ID, From: p.From, To: p.From.AddDate(0, 0, 1)})
	if err != nil {
		return out, err
	}
	for _, e := range existing {
		if e.Kind == KindInvoice && e.CreditedBy == 0 && e.PeriodTo.Equal(Day(p.To)) {
			out.Invoice, out.Status = e, "existing"
			inv, err := l.st.TradingInvoice(ctx, e.ID)
			out.Invoice = inv
			return out, err
		}
	}
	inv, err := l.Draft(ctx, customer, p)
	if err != nil {
		return out, err
	}
	if len(inv.Lines) == 0 {
		out.Status = "nothing"
		return out, nil
	}
	inv.IssuedAt, inv.IssuedBy = now, by
	err = l.st.IssueTradingInvoice(ctx, &inv)
	out.Invoice = inv
	switch {
	case errors.Is(err, ErrInvoiced):
		out.Status = "existing"
		return out, nil
	case err != nil:
		return out, err
	}
	out.Status = "issued"
	l.log.Info("trading invoice issued", "invoice", inv.Reference, "customer", customer.Name, "period", p.Name, "net", inv.Net)
	return out, nil
}

// IssueAll issues every customer's invoice for p that include admits
// (nil: all), in customer order; customers with nothing to bill get none.
// A customer whose invoice is refused (its period overlaps one issued
// before) is reported and the run goes on, so one customer's earlier
// monthly invoice does not hold up everyone's quarterly one.
func (l *Ledger) IssueAll(ctx context.Context, p Period, now time.Time, by int64, include func(Customer) bool) ([]Outcome, error) {
	customers, err := l.Customers(ctx)
	if err != nil {
		return nil, err
	}
	var out []Outcome
	for _, c := range customers {
		if include != nil && !include(c) {
			continue
		}
		o, err := l.Issue(ctx, c, p, now, by)
		if errors.Is(err, problem.ErrInvalid) {
			o, err = Outcome{Customer: c, Status: "refused", Reason: problem.Message(err, err.Error())}, nil
		} else if errors.Is(err, money.ErrOverflow) {
			// This customer's figures cannot be right; the others' are
			// still invoiced.
			o, err = Outcome{Customer: c, Status: "refused", Reason: err.Error()}, nil
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", c.Name, err)
		}
		out = append(out, o)
	}
	return out, nil
}
