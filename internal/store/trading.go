package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/trading"
)

// The trading company's data (package trading holds its types and rules):
// its settings, its customers' subscriptions and one-off charges.
// Customers are organisations of kind customer; nothing here copies them.

var _ trading.Repo = (*Store)(nil)

// TradingCustomers returns the organisations of kind customer, by id.
func (s *Store) TradingCustomers(ctx context.Context) ([]trading.Customer, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+customerCols+` WHERE o.kind = $1 ORDER BY o.id`, rights.KindCustomer)
	if err != nil {
		return nil, wrap("trading customers", err)
	}
	defer rows.Close()
	var out []trading.Customer
	for rows.Next() {
		var c trading.Customer
		if err := rows.Scan(&c.ID, &c.Name, &c.Kind, &c.Address); err != nil {
			return nil, wrap("trading customers", err)
		}
		out = append(out, c)
	}
	return out, wrap("trading customers", rows.Err())
}

// TradingCustomer returns organisation id as the trading company knows it,
// whatever its kind (Kind says whether it is a customer).
func (s *Store) TradingCustomer(ctx context.Context, id int64) (trading.Customer, error) {
	var c trading.Customer
	err := s.r.QueryRowContext(ctx, `SELECT `+customerCols+` WHERE o.id = $1`, id).Scan(&c.ID, &c.Name, &c.Kind, &c.Address)
	return c, wrap(fmt.Sprintf("organisation %d", id), err)
}

// customerCols read an organisation with its billing address.
const customerCols = `o.id, o.name, o.kind, COALESCE(d.address, '')
	FROM organisations o LEFT JOIN trading_customer_details d ON d.organisation_id = o.id`

// SetTradingCustomerAddress records the address customer id's invoices
// are sent to, from the next one issued; the organisation must be a
// customer.
func (s *Store) SetTradingCustomerAddress(ctx context.Context, id int64, address string) error {
	address, err := trading.CheckAddress(address)
	if err != nil {
		return invalid(err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkCustomer(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO trading_customer_details (organisation_id, address, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (organisation_id) DO UPDATE SET address = excluded.address, updated_at = excluded.updated_at`, id, address, micros(now()))
		return err
	})
	return wrapInvalid("set customer address", err)
}

// TradingSettings returns the trading company's settings.
func (s *Store) TradingSettings(ctx context.Context) (trading.Settings, error) {
	var t trading.Settings
	var upd int64
	err := s.r.QueryRowContext(ctx, `SELECT company, address, vat_number, vat_basis_points, invoice_prefix, next_invoice, payment_days, updated_at
		FROM trading_settings WHERE id = 1`).Scan(&t.Company, &t.Address, &t.VATNumber, &t.VATBasisPoints, &t.InvoicePrefix, &t.NextInvoice, &t.PaymentDays, &upd)
	t.UpdatedAt = fromMicros(upd)
	return t, wrap("trading settings", err)
}

// UpdateTradingSettings writes everything but NextInvoice, which only
// issuing moves, so that numbers are never reused or skipped.
func (s *Store) UpdateTradingSettings(ctx context.Context, t *trading.Settings) error {
	if err := trading.CheckSettings(t); err != nil {
		return invalid(err)
	}
	t.UpdatedAt = now()
	_, err := s.w.ExecContext(ctx, `UPDATE trading_settings SET company = $1, address = $2, vat_number = $3, vat_basis_points = $4,
		invoice_prefix = $5, payment_days = $6, updated_at = $7 WHERE id = 1`,
		t.Company, t.Address, t.VATNumber, t.VATBasisPoints, t.InvoicePrefix, t.PaymentDays, micros(t.UpdatedAt))
	return wrap("update trading settings", err)
}

// checkCustomer checks, inside tx, that id is an organisation of kind
// customer.
func checkCustomer(ctx context.Context, tx *sql.Tx, id int64) error {
	var kind string
	err := tx.QueryRowContext(ctx, `SELECT kind FROM organisations WHERE id = $1`, id).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return invalid(fmt.Errorf("there is no organisation %d", id))
	}
	if err != nil {
		return err
	}
	if kind != rights.KindCustomer {
		return invalid(fmt.Errorf("organisation %d is a %s, not a customer of the trading company", id, kind))
	}
	return nil
}

// CreateTradingSubscription files t with its units (at least its count on
// StartsOn) and sets its ID and CreatedAt. A customer that is not an
// organisation of kind customer, or values out of bounds, are an
// *InvalidError.
func (s *Store) CreateTradingSubscription(ctx context.Context, t *trading.Subscription) error {
	if err := trading.CheckNewSubscription(t); err != nil {
		return invalid(err)
	}
	t.CreatedAt = now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkCustomer(ctx, tx, t.CustomerID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO trading_subscriptions (customer_id, reference, service, unit_price, starts_on, ends_on, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			t.CustomerID, t.Reference, t.Service, t.UnitPrice, micros(t.StartsOn), nullMicros(t.EndsOn), micros(t.CreatedAt)).Scan(&t.ID); err != nil {
			return err
		}
		for _, u := range t.Units {
			if err := putUnits(ctx, tx, t.ID, u, t.CreatedAt); err != nil {
				return err
			}
		}
		return nil
	})
	return wrapInvalid("create trading subscription", err)
}

func putUnits(ctx context.Context, tx *sql.Tx, sub int64, u trading.Units, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO trading_units (subscription_id, from_on, units, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (subscription_id, from_on) DO UPDATE SET units = excluded.units, created_at = excluded.created_at`,
		sub, micros(u.From), u.Units, micros(at))
	return err
}

// wrapInvalid passes an *InvalidError through and wraps anything else.
func wrapInvalid(op string, err error) error {
	var ie *InvalidError
	if errors.As(err, &ie) {
		return ie
	}
	return wrap(op, err)
}

// UpdateTradingSubscription writes t's reference and end. Its service,
// price and start stay as agreed: a new price is a new subscription, so
// that what earlier invoices billed can always be recomputed.
func (s *Store) UpdateTradingSubscription(ctx context.Context, t *trading.Subscription) error {
	cur, err := s.TradingSubscription(ctx, t.ID)
	if err != nil {
		return err
	}
	next := cur
	next.Reference, next.EndsOn = t.Reference, t.EndsOn
	if err := trading.CheckSubscription(&next); err != nil {
		return invalid(err)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE trading_subscriptions SET reference = $2, ends_on = $3 WHERE id = $1`,
		t.ID, next.Reference, nullMicros(next.EndsOn))
	if err == nil {
		err = checkAffected(res, "trading subscription", t.ID)
	}
	if err != nil {
		return wrap("update trading subscription", err)
	}
	*t = next
	return nil
}

// SetTradingUnits records that subscription sub has u.Units units from
// u.From on; a count already dated that day is replaced. Past dates may
// be given: an increase found late is billed on the next invoice run
// whose period covers it.
func (s *Store) SetTradingUnits(ctx context.Context, sub int64, u trading.Units) error {
	if err := trading.CheckUnits(&u); err != nil {
		return invalid(err)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM trading_subscriptions WHERE id = $1`, sub).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("trading subscription %d", sub)
		}
		return putUnits(ctx, tx, sub, u, now())
	})
	return wrap("set trading units", err)
}

const subscriptionCols = `id, customer_id, reference, service, unit_price, starts_on, ends_on, created_at`

func scanSubscription(sc scanner) (trading.Subscription, error) {
	var t trading.Subscription
	var starts, created int64
	var ends sql.NullInt64
	if err := sc.Scan(&t.ID, &t.CustomerID, &t.Reference, &t.Service, &t.UnitPrice, &starts, &ends, &created); err != nil {
		return t, err
	}
	t.StartsOn, t.EndsOn, t.CreatedAt = fromMicros(starts), fromNullMicros(ends), fromMicros(created)
	return t, nil
}

// TradingSubscription returns a subscription with its units.
func (s *Store) TradingSubscription(ctx context.Context, id int64) (trading.Subscription, error) {
	t, err := scanSubscription(s.r.QueryRowContext(ctx, `SELECT `+subscriptionCols+` FROM trading_subscriptions WHERE id = $1`, id))
	if err != nil {
		return t, wrap(fmt.Sprintf("trading subscription %d", id), err)
	}
	units, err := s.tradingUnits(ctx, id, 0)
	t.Units = units[id]
	return t, err
}

// ListTradingSubscriptions returns the subscriptions of a customer (0:
// of every customer), with their units, by customer and id.
func (s *Store) ListTradingSubscriptions(ctx context.Context, customer int64) ([]trading.Subscription, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+subscriptionCols+` FROM trading_subscriptions
		WHERE $1 = 0 OR customer_id = $1 ORDER BY customer_id, id`, customer)
	if err != nil {
		return nil, wrap("list trading subscriptions", err)
	}
	defer rows.Close()
	var out []trading.Subscription
	for rows.Next() {
		t, err := scanSubscription(rows)
		if err != nil {
			return nil, wrap("list trading subscriptions", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list trading subscriptions", err)
	}
	units, err := s.tradingUnits(ctx, 0, customer)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Units = units[out[i].ID]
	}
	return out, nil
}

// tradingUnits returns the unit history of one subscription, or of one
// customer's (0 for either: all), by subscription, oldest first.
func (s *Store) tradingUnits(ctx context.Context, sub, customer int64) (map[int64][]trading.Units, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT subscription_id, from_on, units FROM trading_units
		WHERE ($1 = 0 OR subscription_id = $1)
		AND ($2 = 0 OR subscription_id IN (SELECT id FROM trading_subscriptions WHERE customer_id = $2))
		ORDER BY subscription_id, from_on`, sub, customer)
	if err != nil {
		return nil, wrap("trading units", err)
	}
	defer rows.Close()
	out := map[int64][]trading.Units{}
	for rows.Next() {
		var id, from, n int64
		if err := rows.Scan(&id, &from, &n); err != nil {
			return nil, wrap("trading units", err)
		}
		out[id] = append(out[id], trading.Units{From: fromMicros(from), Units: n})
	}
	return out, wrap("trading units", rows.Err())
}

// CreateTradingCharge files c and sets its ID and CreatedAt. A negative
// amount is an allowance, billed as a deduction.
func (s *Store) CreateTradingCharge(ctx context.Context, c *trading.Charge) error {
	if err := trading.CheckCharge(c); err != nil {
		return invalid(err)
	}
	c.InvoiceID, c.CreatedAt = 0, now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkCustomer(ctx, tx, c.CustomerID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO trading_charges (customer_id, on_date, description, amount, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, c.CustomerID, micros(c.On), c.Description, c.Amount, micros(c.CreatedAt)).Scan(&c.ID)
	})
	return wrapInvalid("create trading charge", err)
}

// ListTradingCharges returns a customer's charges (0: every customer's),
// only those not yet billed if unbilled, by day.
func (s *Store) ListTradingCharges(ctx context.Context, customer int64, unbilled bool) ([]trading.Charge, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, customer_id, on_date, description, amount, invoice_id, created_at FROM trading_charges
		WHERE ($1 = 0 OR customer_id = $1) AND ($2 = FALSE OR invoice_id IS NULL) ORDER BY on_date, id`, customer, unbilled)
	if err != nil {
		return nil, wrap("list trading charges", err)
	}
	defer rows.Close()
	var out []trading.Charge
	for rows.Next() {
		var c trading.Charge
		var on, created int64
		var inv sql.NullInt64
		if err := rows.Scan(&c.ID, &c.CustomerID, &on, &c.Description, &c.Amount, &inv, &created); err != nil {
			return nil, wrap("list trading charges", err)
		}
		c.On, c.InvoiceID, c.CreatedAt = fromMicros(on), inv.Int64, fromMicros(created)
		out = append(out, c)
	}
	return out, wrap("list trading charges", rows.Err())
}
