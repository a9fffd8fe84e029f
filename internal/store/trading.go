package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/rights"
)

// The trading company's data: its settings, its customers' subscriptions
// (camera units at a service level and a price) and one-off charges.
// Customers are organisations of kind customer; nothing here copies them.

// Service levels a subscription may buy.
const (
	ServiceMonitored   = "monitored"   // watched in the control room and recorded
	ServiceRecorded    = "recorded"    // recorded only, reviewed on request
	ServiceMaintenance = "maintenance" // maintenance only
)

// TradingServices lists the service levels, in the order tables show them.
var TradingServices = []string{ServiceMonitored, ServiceRecorded, ServiceMaintenance}

// Bounds on what a person may enter, so that no sum of pence can overflow:
// units × price × 31 days stays far below 2^63.
const (
	MaxTradingUnits     = 100_000
	MaxTradingUnitPrice = 100_000_000   // pence per unit per month: £1m
	MaxTradingCharge    = 1_000_000_000 // pence: £10m either way
	MaxTradingText      = 500
)

// TradingSettings is what every invoice is issued under.
type TradingSettings struct {
	Company   string // the trading company's name, printed on invoices
	Address   string
	VATNumber string
	// VATBasisPoints is the VAT rate in hundredths of a percent: 2000 is
	// the UK standard rate of 20%.
	VATBasisPoints int64
	InvoicePrefix  string // "INV-": an invoice's reference is the prefix and its number
	NextInvoice    int64  // the number the next invoice or credit note takes
	PaymentDays    int64  // an invoice is due this many days after it is issued
	UpdatedAt      time.Time
}

// TradingSettings returns the trading company's settings.
func (s *Store) TradingSettings(ctx context.Context) (TradingSettings, error) {
	var t TradingSettings
	var upd int64
	err := s.r.QueryRowContext(ctx, `SELECT company, address, vat_number, vat_basis_points, invoice_prefix, next_invoice, payment_days, updated_at
		FROM trading_settings WHERE id = 1`).Scan(&t.Company, &t.Address, &t.VATNumber, &t.VATBasisPoints, &t.InvoicePrefix, &t.NextInvoice, &t.PaymentDays, &upd)
	t.UpdatedAt = fromMicros(upd)
	return t, wrap("trading settings", err)
}

// UpdateTradingSettings writes everything but NextInvoice, which only
// issuing moves, so that numbers are never reused or skipped.
func (s *Store) UpdateTradingSettings(ctx context.Context, t *TradingSettings) error {
	t.Company = strings.TrimSpace(t.Company)
	switch {
	case t.Company == "" || utf8.RuneCountInString(t.Company) > MaxTradingText:
		return invalid(fmt.Errorf("the company's name must be 1 to %d characters", MaxTradingText))
	case utf8.RuneCountInString(t.Address) > MaxTradingText || utf8.RuneCountInString(t.VATNumber) > 40:
		return invalid(errors.New("the address or VAT number is too long"))
	case t.VATBasisPoints < 0 || t.VATBasisPoints > 10000:
		return invalid(errors.New("the VAT rate must be between 0% and 100%"))
	case utf8.RuneCountInString(t.InvoicePrefix) > 20:
		return invalid(errors.New("the invoice prefix must be at most 20 characters"))
	case t.PaymentDays < 0 || t.PaymentDays > 365:
		return invalid(errors.New("payment terms must be 0 to 365 days"))
	}
	t.UpdatedAt = now()
	_, err := s.w.ExecContext(ctx, `UPDATE trading_settings SET company = $1, address = $2, vat_number = $3, vat_basis_points = $4,
		invoice_prefix = $5, payment_days = $6, updated_at = $7 WHERE id = 1`,
		t.Company, t.Address, t.VATNumber, t.VATBasisPoints, t.InvoicePrefix, t.PaymentDays, micros(t.UpdatedAt))
	return wrap("update trading settings", err)
}

// TradingUnits is a dated number of camera units: from From until the
// next change.
type TradingUnits struct {
	From  time.Time
	Units int64
}

// TradingSubscription is what a customer buys: Units (dated history,
// oldest first) camera units at service level Service, at UnitPrice pence
// per unit per calendar month net of VAT, from StartsOn until EndsOn
// (the first day no longer served; nil: open-ended).
type TradingSubscription struct {
	ID         int64
	CustomerID int64
	Reference  string
	Service    string
	UnitPrice  int64
	StartsOn   time.Time
	EndsOn     *time.Time
	Units      []TradingUnits
	CreatedAt  time.Time
}

// UnitsOn is the number of units the subscription has on day d (0 before
// its first dated count).
func (t TradingSubscription) UnitsOn(d time.Time) int64 {
	var n int64
	for _, u := range t.Units {
		if u.From.After(d) {
			break
		}
		n = u.Units
	}
	return n
}

// Day is t's UTC date, as the trading tables hold dates: midnight.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func validSubscription(t *TradingSubscription) error {
	t.Reference = strings.TrimSpace(t.Reference)
	t.StartsOn = Day(t.StartsOn)
	if t.EndsOn != nil {
		e := Day(*t.EndsOn)
		t.EndsOn = &e
	}
	switch {
	case utf8.RuneCountInString(t.Reference) > MaxTradingText:
		return fmt.Errorf("a reference must be at most %d characters", MaxTradingText)
	case !slices.Contains(TradingServices, t.Service):
		return fmt.Errorf("service %q is not one of %s", t.Service, strings.Join(TradingServices, ", "))
	case t.UnitPrice < 0 || t.UnitPrice > MaxTradingUnitPrice:
		return fmt.Errorf("the price per unit per month must be 0 to %d pence", MaxTradingUnitPrice)
	case t.StartsOn.Year() < 2000 || t.StartsOn.Year() > 2200:
		return errors.New("give the day the service starts")
	case t.EndsOn != nil && !t.EndsOn.After(t.StartsOn):
		return errors.New("the service must end after it starts")
	}
	return nil
}

func validUnits(u *TradingUnits) error {
	u.From = Day(u.From)
	switch {
	case u.Units < 0 || u.Units > MaxTradingUnits:
		return fmt.Errorf("camera units must be 0 to %d", MaxTradingUnits)
	case u.From.Year() < 2000 || u.From.Year() > 2200:
		return errors.New("give the day the number of units changes")
	}
	return nil
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
func (s *Store) CreateTradingSubscription(ctx context.Context, t *TradingSubscription) error {
	if err := validSubscription(t); err != nil {
		return invalid(err)
	}
	if len(t.Units) == 0 {
		return invalid(errors.New("give the number of camera units"))
	}
	for i := range t.Units {
		if err := validUnits(&t.Units[i]); err != nil {
			return invalid(err)
		}
	}
	slices.SortFunc(t.Units, func(a, b TradingUnits) int { return a.From.Compare(b.From) })
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

func putUnits(ctx context.Context, tx *sql.Tx, sub int64, u TradingUnits, at time.Time) error {
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
func (s *Store) UpdateTradingSubscription(ctx context.Context, t *TradingSubscription) error {
	cur, err := s.TradingSubscription(ctx, t.ID)
	if err != nil {
		return err
	}
	next := cur
	next.Reference, next.EndsOn = t.Reference, t.EndsOn
	if err := validSubscription(&next); err != nil {
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
func (s *Store) SetTradingUnits(ctx context.Context, sub int64, u TradingUnits) error {
	if err := validUnits(&u); err != nil {
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

func scanSubscription(sc scanner) (TradingSubscription, error) {
	var t TradingSubscription
	var starts, created int64
	var ends sql.NullInt64
	if err := sc.Scan(&t.ID, &t.CustomerID, &t.Reference, &t.Service, &t.UnitPrice, &starts, &ends, &created); err != nil {
		return t, err
	}
	t.StartsOn, t.EndsOn, t.CreatedAt = fromMicros(starts), fromNullMicros(ends), fromMicros(created)
	return t, nil
}

// TradingSubscription returns a subscription with its units.
func (s *Store) TradingSubscription(ctx context.Context, id int64) (TradingSubscription, error) {
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
func (s *Store) ListTradingSubscriptions(ctx context.Context, customer int64) ([]TradingSubscription, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+subscriptionCols+` FROM trading_subscriptions
		WHERE $1 = 0 OR customer_id = $1 ORDER BY customer_id, id`, customer)
	if err != nil {
		return nil, wrap("list trading subscriptions", err)
	}
	defer rows.Close()
	var out []TradingSubscription
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
func (s *Store) tradingUnits(ctx context.Context, sub, customer int64) (map[int64][]TradingUnits, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT subscription_id, from_on, units FROM trading_units
		WHERE ($1 = 0 OR subscription_id = $1)
		AND ($2 = 0 OR subscription_id IN (SELECT id FROM trading_subscriptions WHERE customer_id = $2))
		ORDER BY subscription_id, from_on`, sub, customer)
	if err != nil {
		return nil, wrap("trading units", err)
	}
	defer rows.Close()
	out := map[int64][]TradingUnits{}
	for rows.Next() {
		var id, from, n int64
		if err := rows.Scan(&id, &from, &n); err != nil {
			return nil, wrap("trading units", err)
		}
		out[id] = append(out[id], TradingUnits{From: fromMicros(from), Units: n})
	}
	return out, wrap("trading units", rows.Err())
}

// TradingCharge is a one-off charge to a customer, such as mileage, net of
// VAT: billed on the first invoice issued to the customer for a period
// ending after On. InvoiceID is that invoice (0: not yet billed).
type TradingCharge struct {
	ID          int64
	CustomerID  int64
	On          time.Time
	Description string
	Amount      int64
	InvoiceID   int64
	CreatedAt   time.Time
}

// CreateTradingCharge files c and sets its ID and CreatedAt. A negative
// amount is an allowance, billed as a deduction.
func (s *Store) CreateTradingCharge(ctx context.Context, c *TradingCharge) error {
	c.Description = strings.TrimSpace(c.Description)
	c.On = Day(c.On)
	switch {
	case c.Description == "" || utf8.RuneCountInString(c.Description) > MaxTradingText:
		return invalid(fmt.Errorf("describe the charge in 1 to %d characters", MaxTradingText))
	case c.Amount == 0 || c.Amount > MaxTradingCharge || c.Amount < -MaxTradingCharge:
		return invalid(fmt.Errorf("a charge must be non-zero and at most %d pence either way", MaxTradingCharge))
	case c.On.Year() < 2000 || c.On.Year() > 2200:
		return invalid(errors.New("give the day of the charge"))
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
func (s *Store) ListTradingCharges(ctx context.Context, customer int64, unbilled bool) ([]TradingCharge, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, customer_id, on_date, description, amount, invoice_id, created_at FROM trading_charges
		WHERE ($1 = 0 OR customer_id = $1) AND ($2 = FALSE OR invoice_id IS NULL) ORDER BY on_date, id`, customer, unbilled)
	if err != nil {
		return nil, wrap("list trading charges", err)
	}
	defer rows.Close()
	var out []TradingCharge
	for rows.Next() {
		var c TradingCharge
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
