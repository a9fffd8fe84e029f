package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/money"
)

// Invoice kinds.
const (
	InvoiceKindInvoice = "invoice"
	InvoiceKindCredit  = "credit" // a credit note, cancelling one invoice
)

// TradingInvoice is an invoice or credit note of the trading company, as
// issued: it is written once and never changed. A credit note cancels an
// invoice whole, with every amount negated; the period may then be
// invoiced again.
type TradingInvoice struct {
	ID           int64
	Number       int64  // in one sequence with credit notes, without gaps
	Reference    string // the settings' prefix and the number, as printed
	Kind         string
	CreditsID    int64 // a credit note: the invoice it cancels
	CreditedBy   int64 // an invoice: the credit note that cancelled it (0: none); read, not stored
	CustomerID   int64
	CustomerName string // as it was when issued
	PeriodFrom   time.Time
	PeriodTo     time.Time // the period is [PeriodFrom, PeriodTo)
	IssuedAt     time.Time
	DueOn        time.Time
	IssuedBy     int64 // the user who issued it
	// VATBasisPoints is the VAT rate it was issued at (2000: 20%).
	VATBasisPoints  int64
	Net, VAT, Gross int64 // pence; negative on a credit note
	Note            string
	Lines           []TradingInvoiceLine
}

// TradingInvoiceLine is one line of an invoice: a subscription's units for
// days of one calendar month, or a one-off charge (ChargeID set).
type TradingInvoiceLine struct {
	Seq            int
	Description    string
	SubscriptionID int64
	ChargeID       int64
	Service        string // the service level; "charge" for a one-off charge
	ServiceFrom    time.Time
	ServiceTo      time.Time // [ServiceFrom, ServiceTo)
	Units          int64
	UnitPrice      int64 // pence per unit per month
	Days           int64 // days served of MonthDays
	MonthDays      int64
	Net            int64 // pence
}

// ErrInvoiced is returned, wrapped, when an invoice for exactly the asked
// customer and period was issued before; the existing one comes with it.
var ErrInvoiced = errors.New("store: already invoiced")

// takeNumber takes the next invoice number inside tx. On PostgreSQL the
// update locks the settings row until tx ends, so issuing transactions
// queue here and each sees what the one before it committed; on SQLite
// the writer's transactions are already one at a time.
func takeNumber(ctx context.Context, tx *sql.Tx) (int64, string, time.Duration, error) {
	var n, days int64
	var prefix string
	err := tx.QueryRowContext(ctx, `UPDATE trading_settings SET next_invoice = next_invoice + 1 WHERE id = 1
		RETURNING next_invoice - 1, invoice_prefix, payment_days`).Scan(&n, &prefix, &days)
	return n, fmt.Sprintf("%s%06d", prefix, n), time.Duration(days) * 24 * time.Hour, err
}

// IssueTradingInvoice issues inv: it takes the next number, marks the
// charges of its lines billed and writes the invoice and lines, all or
// nothing. Issuing is idempotent: if an invoice (not cancelled by a
// credit note) for the same customer and exactly the same period exists,
// nothing is written and it is returned with ErrInvoiced. One whose period
// overlaps without matching is an *InvalidError, as is a charge billed
// meanwhile by another invoice.
func (s *Store) IssueTradingInvoice(ctx context.Context, inv *TradingInvoice) error {
	inv.Kind, inv.CreditsID, inv.CreditedBy = InvoiceKindInvoice, 0, 0
	inv.PeriodFrom, inv.PeriodTo, inv.IssuedAt = Day(inv.PeriodFrom), Day(inv.PeriodTo), normal(inv.IssuedAt)
	if !inv.PeriodTo.After(inv.PeriodFrom) {
		return invalid(errors.New("an invoice's period must end after it starts"))
	}
	inv.Note = strings.TrimSpace(inv.Note)
	if utf8.RuneCountInString(inv.Note) > MaxTradingText {
		return invalid(fmt.Errorf("a note must be at most %d characters", MaxTradingText))
	}
	var existing int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n, ref, terms, err := takeNumber(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT i.id, i.reference, i.period_from, i.period_to FROM trading_invoices i
			WHERE i.customer_id = $1 AND i.kind = $2 AND i.period_from < $4 AND i.period_to > $3
			AND NOT EXISTS (SELECT 1 FROM trading_invoices c WHERE c.credits_id = i.id) ORDER BY i.id`,
			inv.CustomerID, InvoiceKindInvoice, micros(inv.PeriodFrom), micros(inv.PeriodTo))
		if err != nil {
			return err
		}
		var clash error
		for rows.Next() {
			var id, from, to int64
			var r string
			if err := rows.Scan(&id, &r, &from, &to); err != nil {
				rows.Close()
				return err
			}
			if from == micros(inv.PeriodFrom) && to == micros(inv.PeriodTo) {
				existing = id
			} else if clash == nil {
				clash = invalid(fmt.Errorf("invoice %s already bills %s to %s, which overlaps this period: credit it first to invoice a different period",
					r, fromMicros(from).Format(time.DateOnly), fromMicros(to).AddDate(0, 0, -1).Format(time.DateOnly)))
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if existing != 0 {
			return ErrInvoiced // rolls back, so the number is not used
		}
		if clash != nil {
			return clash
		}
		inv.Number, inv.Reference, inv.DueOn = n, ref, Day(inv.IssuedAt.Add(terms))
		inv.Net = 0
		for _, l := range inv.Lines {
			if inv.Net, err = money.Add(inv.Net, l.Net); err != nil {
				return fmt.Errorf("the invoice's net total: %w", err)
			}
		}
		if inv.Gross, err = money.Add(inv.Net, inv.VAT); err != nil {
			return fmt.Errorf("the invoice's gross total: %w", err)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO trading_invoices (number, reference, kind, credits_id, customer_id, customer_name,
			period_from, period_to, issued_at, due_on, issued_by, vat_basis_points, net, vat, gross, note)
			VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			inv.Number, inv.Reference, inv.Kind, inv.CustomerID, inv.CustomerName, micros(inv.PeriodFrom), micros(inv.PeriodTo),
			micros(inv.IssuedAt), micros(inv.DueOn), inv.IssuedBy, inv.VATBasisPoints, inv.Net, inv.VAT, inv.Gross, inv.Note).Scan(&inv.ID); err != nil {
			return err
		}
		for i := range inv.Lines {
			l := &inv.Lines[i]
			l.Seq = i + 1
			if l.ChargeID != 0 {
				res, err := tx.ExecContext(ctx, `UPDATE trading_charges SET invoice_id = $1 WHERE id = $2 AND customer_id = $3 AND invoice_id IS NULL`,
					inv.ID, l.ChargeID, inv.CustomerID)
				if err != nil {
					return err
				}
				if k, err := res.RowsAffected(); err != nil || k != 1 {
					return invalid(fmt.Errorf("charge %d has been billed by another invoice meanwhile: try again", l.ChargeID))
				}
			}
			if err := insertLine(ctx, tx, inv.ID, l); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrInvoiced) {
		got, gerr := s.TradingInvoice(ctx, existing)
		if gerr != nil {
			return gerr
		}
		*inv = got
		return fmt.Errorf("%w: %s", ErrInvoiced, got.Reference)
	}
	return wrapInvalid("issue trading invoice", err)
}

func insertLine(ctx context.Context, tx *sql.Tx, invoice int64, l *TradingInvoiceLine) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO trading_invoice_lines (invoice_id, seq, description, subscription_id, charge_id, service,
		service_from, service_to, units, unit_price, days, month_days, net) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		invoice, l.Seq, l.Description, nullID(l.SubscriptionID), nullID(l.ChargeID), l.Service, micros(Day(l.ServiceFrom)), micros(Day(l.ServiceTo)),
		l.Units, l.UnitPrice, l.Days, l.MonthDays, l.Net)
	return err
}

// CreditTradingInvoice issues a credit note cancelling invoice id whole:
// the next number, every line and amount negated, dated at; the invoice's
// charges are released to be billed again. An invoice credited already,
// or a credit note, is an *InvalidError.
func (s *Store) CreditTradingInvoice(ctx context.Context, id int64, note string, at time.Time, by int64) (TradingInvoice, error) {
	orig, err := s.TradingInvoice(ctx, id)
	if err != nil {
		return orig, err
	}
	note = strings.TrimSpace(note)
	switch {
	case orig.Kind != InvoiceKindInvoice:
		return orig, invalid(fmt.Errorf("%s is a credit note: only an invoice can be credited", orig.Reference))
	case note == "" || utf8.RuneCountInString(note) > MaxTradingText:
		return orig, invalid(fmt.Errorf("say why the invoice is credited, in 1 to %d characters", MaxTradingText))
	}
	cn := orig
	cn.Kind, cn.CreditsID, cn.CreditedBy, cn.IssuedAt, cn.IssuedBy, cn.Note = InvoiceKindCredit, orig.ID, 0, normal(at), by, note
	cn.Net, cn.VAT, cn.Gross = -orig.Net, -orig.VAT, -orig.Gross
	cn.Lines = make([]TradingInvoiceLine, len(orig.Lines))
	for i, l := range orig.Lines {
		l.Net = -l.Net
		cn.Lines[i] = l
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		n, ref, _, err := takeNumber(ctx, tx)
		if err != nil {
			return err
		}
		var k int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM trading_invoices WHERE credits_id = $1`, orig.ID).Scan(&k); err != nil {
			return err
		}
		if k > 0 {
			return invalid(fmt.Errorf("%s has been credited already", orig.Reference))
		}
		cn.Number, cn.Reference, cn.DueOn = n, ref, Day(cn.IssuedAt)
		if err := tx.QueryRowContext(ctx, `INSERT INTO trading_invoices (number, reference, kind, credits_id, customer_id, customer_name,
			period_from, period_to, issued_at, due_on, issued_by, vat_basis_points, net, vat, gross, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
			cn.Number, cn.Reference, cn.Kind, cn.CreditsID, cn.CustomerID, cn.CustomerName, micros(cn.PeriodFrom), micros(cn.PeriodTo),
			micros(cn.IssuedAt), micros(cn.DueOn), cn.IssuedBy, cn.VATBasisPoints, cn.Net, cn.VAT, cn.Gross, cn.Note).Scan(&cn.ID); err != nil {
			return err
		}
		for i := range cn.Lines {
			if err := insertLine(ctx, tx, cn.ID, &cn.Lines[i]); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE trading_charges SET invoice_id = NULL WHERE invoice_id = $1`, orig.ID)
		return err
	})
	if err != nil {
		return TradingInvoice{}, wrapInvalid("credit trading invoice", err)
	}
	return cn, nil
}

const invoiceCols = `i.id, i.number, i.reference, i.kind, i.credits_id, i.customer_id, i.customer_name, i.period_from, i.period_to,
	i.issued_at, i.due_on, i.issued_by, i.vat_basis_points, i.net, i.vat, i.gross, i.note,
	(SELECT c.id FROM trading_invoices c WHERE c.credits_id = i.id)`

func scanInvoice(sc scanner) (TradingInvoice, error) {
	var v TradingInvoice
	var credits, creditedBy sql.NullInt64
	var from, to, issued, due int64
	err := sc.Scan(&v.ID, &v.Number, &v.Reference, &v.Kind, &credits, &v.CustomerID, &v.CustomerName, &from, &to,
		&issued, &due, &v.IssuedBy, &v.VATBasisPoints, &v.Net, &v.VAT, &v.Gross, &v.Note, &creditedBy)
	v.CreditsID, v.CreditedBy = credits.Int64, creditedBy.Int64
	v.PeriodFrom, v.PeriodTo, v.IssuedAt, v.DueOn = fromMicros(from), fromMicros(to), fromMicros(issued), fromMicros(due)
	return v, err
}

// TradingInvoice returns an invoice or credit note with its lines.
func (s *Store) TradingInvoice(ctx context.Context, id int64) (TradingInvoice, error) {
	v, err := scanInvoice(s.r.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM trading_invoices i WHERE i.id = $1`, id))
	if err != nil {
		return v, wrap(fmt.Sprintf("trading invoice %d", id), err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT seq, description, subscription_id, charge_id, service, service_from, service_to,
		units, unit_price, days, month_days, net FROM trading_invoice_lines WHERE invoice_id = $1 ORDER BY seq`, id)
	if err != nil {
		return v, wrap("trading invoice lines", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l TradingInvoiceLine
		var sub, charge sql.NullInt64
		var from, to int64
		if err := rows.Scan(&l.Seq, &l.Description, &sub, &charge, &l.Service, &from, &to, &l.Units, &l.UnitPrice, &l.Days, &l.MonthDays, &l.Net); err != nil {
			return v, wrap("trading invoice lines", err)
		}
		l.SubscriptionID, l.ChargeID, l.ServiceFrom, l.ServiceTo = sub.Int64, charge.Int64, fromMicros(from), fromMicros(to)
		v.Lines = append(v.Lines, l)
	}
	return v, wrap("trading invoice lines", rows.Err())
}

// TradingInvoiceFilter selects invoices: of one customer (0: any), whose
// period starts in [From, To) (zero: unbounded).
type TradingInvoiceFilter struct {
	CustomerID int64
	From, To   time.Time
}

// ListTradingInvoices returns invoices and credit notes, without lines, by
// number.
func (s *Store) ListTradingInvoices(ctx context.Context, f TradingInvoiceFilter) ([]TradingInvoice, error) {
	to := int64(1) << 62
	if !f.To.IsZero() {
		to = micros(f.To)
	}
	from := int64(-1) << 62
	if !f.From.IsZero() {
		from = micros(f.From)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+invoiceCols+` FROM trading_invoices i
		WHERE ($1 = 0 OR i.customer_id = $1) AND i.period_from >= $2 AND i.period_from < $3 ORDER BY i.number`, f.CustomerID, from, to)
	if err != nil {
		return nil, wrap("list trading invoices", err)
	}
	defer rows.Close()
	var out []TradingInvoice
	for rows.Next() {
		v, err := scanInvoice(rows)
		if err != nil {
			return nil, wrap("list trading invoices", err)
		}
		out = append(out, v)
	}
	return out, wrap("list trading invoices", rows.Err())
}

// TradingInvoicedNet is the net pence of every invoice and credit note
// line whose service starts in [from, to). A line never spans two calendar
// months, so for periods of whole months this is exactly the service
// billed in them; credit notes count against it.
func (s *Store) TradingInvoicedNet(ctx context.Context, from, to time.Time) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(net), 0) AS BIGINT) FROM trading_invoice_lines
		WHERE service_from >= $1 AND service_from < $2`, micros(from), micros(to)).Scan(&n)
	return n, wrap("trading invoiced", err)
}
