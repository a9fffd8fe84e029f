package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/trading"
)

// The trading company's invoices and credit notes (package trading holds
// their types and rules).

// takeNumber takes the next invoice number inside tx. On PostgreSQL the
// update locks the settings row until tx ends, so issuing transactions
// queue here and each sees what the one before it committed; on SQLite
// the writer's transactions are already one at a time.
// It also fills in the seller (the trading company's name, address and
// VAT number) from the settings the number is taken under, so that an
// invoice names who issued it as they were that day.
func takeNumber(ctx context.Context, tx *sql.Tx, seller *trading.Invoice) (int64, string, time.Duration, error) {
	var n, days int64
	var prefix, name, address, vat string
	err := tx.QueryRowContext(ctx, `UPDATE trading_settings SET next_invoice = next_invoice + 1 WHERE id = 1
		RETURNING next_invoice - 1, invoice_prefix, payment_days, company, address, vat_number`).Scan(&n, &prefix, &days, &name, &address, &vat)
	if seller != nil {
		seller.SellerName, seller.SellerAddress, seller.SellerVATNumber = name, address, vat
	}
	return n, fmt.Sprintf("%s%06d", prefix, n), time.Duration(days) * 24 * time.Hour, err
}

// IssueTradingInvoice issues inv: it takes the next number, marks the
// charges of its lines billed and writes the invoice and lines, all or
// nothing. Issuing is idempotent: if an invoice (not cancelled by a
// credit note) for the same customer and exactly the same period exists,
// nothing is written and it is returned with ErrInvoiced. One whose period
// overlaps without matching is an *InvalidError, as is a charge billed
// meanwhile by another invoice.
func (s *Store) IssueTradingInvoice(ctx context.Context, inv *trading.Invoice) error {
	inv.Kind, inv.CreditsID, inv.CreditedBy, inv.IssuedAt = trading.KindInvoice, 0, 0, normal(inv.IssuedAt)
	if err := trading.CheckIssue(inv); err != nil {
		return invalid(err)
	}
	var existing int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return s.savepoint(ctx, tx, func() error {
			n, ref, terms, err := takeNumber(ctx, tx, inv)
			if err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, `SELECT i.id, i.reference, i.period_from, i.period_to FROM trading_invoices i
			WHERE i.customer_id = $1 AND i.kind = $2 AND i.period_from < $4 AND i.period_to > $3
			AND NOT EXISTS (SELECT 1 FROM trading_invoices c WHERE c.credits_id = i.id) ORDER BY i.id`,
				inv.CustomerID, trading.KindInvoice, micros(inv.PeriodFrom), micros(inv.PeriodTo))
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
					clash = invalid(trading.Overlaps(r, fromMicros(from), fromMicros(to)))
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if existing != 0 {
				return trading.ErrInvoiced // rolls back, so the number is not used
			}
			if clash != nil {
				return clash
			}
			inv.Number, inv.Reference, inv.DueOn = n, ref, trading.Day(inv.IssuedAt.Add(terms))
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
			period_from, period_to, issued_at, due_on, issued_by, vat_basis_points, net, vat, gross, note,
			customer_address, seller_name, seller_address, seller_vat_number)
			VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id`,
				inv.Number, inv.Reference, inv.Kind, inv.CustomerID, inv.CustomerName, micros(inv.PeriodFrom), micros(inv.PeriodTo),
				micros(inv.IssuedAt), micros(inv.DueOn), inv.IssuedBy, inv.VATBasisPoints, inv.Net, inv.VAT, inv.Gross, inv.Note,
				inv.CustomerAddress, inv.SellerName, inv.SellerAddress, inv.SellerVATNumber).Scan(&inv.ID); err != nil {
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
	})
	if errors.Is(err, trading.ErrInvoiced) {
		got, gerr := s.TradingInvoice(ctx, existing)
		if gerr != nil {
			return gerr
		}
		*inv = got
		return fmt.Errorf("%w: %s", trading.ErrInvoiced, got.Reference)
	}
	return wrapInvalid("issue trading invoice", err)
}

func insertLine(ctx context.Context, tx *sql.Tx, invoice int64, l *trading.Line) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO trading_invoice_lines (invoice_id, seq, description, subscription_id, charge_id, service,
		service_from, service_to, units, unit_price, days, month_days, net) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		invoice, l.Seq, l.Description, nullID(l.SubscriptionID), nullID(l.ChargeID), l.Service, micros(trading.Day(l.ServiceFrom)), micros(trading.Day(l.ServiceTo)),
		l.Units, l.UnitPrice, l.Days, l.MonthDays, l.Net)
	return err
}

// CreditTradingInvoice issues a credit note cancelling invoice id whole:
// the next number, every line and amount negated, dated at; the invoice's
// charges are released to be billed again. An invoice credited already,
// or a credit note, is an *InvalidError.
func (s *Store) CreditTradingInvoice(ctx context.Context, id int64, note string, at time.Time, by int64) (trading.Invoice, error) {
	orig, err := s.TradingInvoice(ctx, id)
	if err != nil {
		return orig, err
	}
	cn, err := trading.CreditNote(orig, note, normal(at), by)
	if err != nil {
		return orig, invalid(err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// Lock the numbers first, so that two credits of one invoice
		// queue here and the second sees the first.
		if _, err := tx.ExecContext(ctx, `UPDATE trading_settings SET next_invoice = next_invoice WHERE id = 1`); err != nil {
			return err
		}
		var k int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM trading_invoices WHERE credits_id = $1`, orig.ID).Scan(&k); err != nil {
			return err
		}
		if k > 0 {
			return invalid(fmt.Errorf("%s has been credited already", orig.Reference))
		}
		// A credit note names the parties as the invoice it cancels did.
		n, ref, _, err := takeNumber(ctx, tx, nil)
		if err != nil {
			return err
		}
		cn.Number, cn.Reference, cn.DueOn = n, ref, trading.Day(cn.IssuedAt)
		if err := tx.QueryRowContext(ctx, `INSERT INTO trading_invoices (number, reference, kind, credits_id, customer_id, customer_name,
			period_from, period_to, issued_at, due_on, issued_by, vat_basis_points, net, vat, gross, note,
			customer_address, seller_name, seller_address, seller_vat_number)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id`,
			cn.Number, cn.Reference, cn.Kind, cn.CreditsID, cn.CustomerID, cn.CustomerName, micros(cn.PeriodFrom), micros(cn.PeriodTo),
			micros(cn.IssuedAt), micros(cn.DueOn), cn.IssuedBy, cn.VATBasisPoints, cn.Net, cn.VAT, cn.Gross, cn.Note,
			cn.CustomerAddress, cn.SellerName, cn.SellerAddress, cn.SellerVATNumber).Scan(&cn.ID); err != nil {
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
		return trading.Invoice{}, wrapInvalid("credit trading invoice", err)
	}
	return cn, nil
}

const invoiceCols = `i.id, i.number, i.reference, i.kind, i.credits_id, i.customer_id, i.customer_name, i.period_from, i.period_to,
	i.issued_at, i.due_on, i.issued_by, i.vat_basis_points, i.net, i.vat, i.gross, i.note,
	(SELECT c.id FROM trading_invoices c WHERE c.credits_id = i.id),
	i.customer_address, i.seller_name, i.seller_address, i.seller_vat_number`

func scanInvoice(sc scanner) (trading.Invoice, error) {
	var v trading.Invoice
	var credits, creditedBy sql.NullInt64
	var from, to, issued, due int64
	err := sc.Scan(&v.ID, &v.Number, &v.Reference, &v.Kind, &credits, &v.CustomerID, &v.CustomerName, &from, &to,
		&issued, &due, &v.IssuedBy, &v.VATBasisPoints, &v.Net, &v.VAT, &v.Gross, &v.Note, &creditedBy,
		&v.CustomerAddress, &v.SellerName, &v.SellerAddress, &v.SellerVATNumber)
	v.CreditsID, v.CreditedBy = credits.Int64, creditedBy.Int64
	v.PeriodFrom, v.PeriodTo, v.IssuedAt, v.DueOn = fromMicros(from), fromMicros(to), fromMicros(issued), fromMicros(due)
	return v, err
}

// TradingInvoice returns an invoice or credit note with its lines.
func (s *Store) TradingInvoice(ctx context.Context, id int64) (trading.Invoice, error) {
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
		var l trading.Line
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

// ListTradingInvoices returns invoices and credit notes, without lines, by
// number.
func (s *Store) ListTradingInvoices(ctx context.Context, f trading.InvoiceFilter) ([]trading.Invoice, error) {
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
	var out []trading.Invoice
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

// savepoint runs fn inside tx; on a Store bound to a transaction by
// Update, fn's writes are undone when it fails while the transaction goes
// on, so that a run issuing many invoices in one transaction can refuse
// one customer's (a period overlapping, nothing new to issue) and keep
// the others'. On a transaction of its own, failing rolls it all back
// anyway.
func (s *Store) savepoint(ctx context.Context, tx *sql.Tx, fn func() error) error {
	if s.tx == nil {
		return fn()
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT trading_issue`); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT trading_issue`); rerr != nil {
			return errors.Join(err, rerr)
		}
		if _, rerr := tx.ExecContext(ctx, `RELEASE SAVEPOINT trading_issue`); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	_, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT trading_issue`)
	return err
}
