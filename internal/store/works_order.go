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

// WorksOrder is an order for CCTV works, raised by a department against
// its budget for BudgetYear and a contract's allowance for ContractYear
// and Funding. It moves raised → quoted → approved → completed, or is
// cancelled before it completes; each step says when and by whom.
type WorksOrder struct {
	ID           int64
	ContractID   int64
	DepartmentID int64
	Kind         string // new_installation, relocation, repair, enhancement
	Funding      string // planned or ad_hoc
	Title        string
	State        string
	BudgetYear   int
	ContractYear int

	EstimatePence int64 // the department's own estimate, 0 if none
	QuotePence    int64
	ApprovedPence int64
	FinalPence    int64

	RaisedAt       time.Time
	RaisedBy       string
	QuotedAt       *time.Time
	QuotedBy       string
	ApprovedAt     *time.Time
	ApprovedBy     string
	OverrideReason string // why an approval went ahead past its warnings
	CompletedAt    *time.Time
	CompletedBy    string
	CancelledAt    *time.Time
	CancelledBy    string
}

var worksKinds = map[string]bool{"new_installation": true, "relocation": true, "repair": true, "enhancement": true}

// MaxWorksTitle bounds an order's title, in characters.
const MaxWorksTitle = 300

// CreateWorksOrder inserts o as raised and sets its ID and State. Its
// department must be a department within the organisation that holds the
// contract; RaisedAt, BudgetYear and ContractYear are the caller's.
func (s *Store) CreateWorksOrder(ctx context.Context, o *WorksOrder) error {
	o.Title = strings.TrimSpace(o.Title)
	switch {
	case o.Title == "" || utf8.RuneCountInString(o.Title) > MaxWorksTitle:
		return invalid(fmt.Errorf("an order's title must be 1 to %d characters", MaxWorksTitle))
	case !worksKinds[o.Kind]:
		return invalid(fmt.Errorf("an order's kind is new_installation, relocation, repair or enhancement, not %q", o.Kind))
	case o.Funding != "planned" && o.Funding != "ad_hoc":
		return invalid(fmt.Errorf("an order's funding is planned or ad_hoc, not %q", o.Funding))
	case o.EstimatePence < 0:
		return invalid(errors.New("an estimate cannot be negative"))
	case o.EstimatePence > money.Max:
		return invalid(fmt.Errorf("an estimate must be at most £%d", money.Max/100))
	}
	o.State = "raised"
	o.RaisedAt = normal(o.RaisedAt)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkDepartment(ctx, tx, o.DepartmentID); err != nil {
			return err
		}
		var holder int64
		err := tx.QueryRowContext(ctx, `SELECT organisation_id FROM works_contracts WHERE id = $1`, o.ContractID).Scan(&holder)
		if errors.Is(err, sql.ErrNoRows) {
			return invalid(fmt.Errorf("there is no works contract %d", o.ContractID))
		}
		if err != nil {
			return err
		}
		// The department must sit below the contract's holder: a council's
		// contract serves its own departments.
		below := false
		seen := map[int64]bool{}
		for id := o.DepartmentID; id != 0 && !seen[id]; {
			if id == holder {
				below = true
				break
			}
			seen[id] = true
			var parent sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT parent_id FROM organisations WHERE id = $1`, id).Scan(&parent); err != nil {
				return err
			}
			id = parent.Int64
		}
		if !below {
			return invalid(fmt.Errorf("department %d is not part of the organisation holding contract %d", o.DepartmentID, o.ContractID))
		}
		return tx.QueryRowContext(ctx, `INSERT INTO works_orders (contract_id, department_id, kind, funding, title, state, budget_year,
			contract_year, estimate_pence, raised_at, raised_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			o.ContractID, o.DepartmentID, o.Kind, o.Funding, o.Title, o.State, o.BudgetYear, o.ContractYear, o.EstimatePence,
			micros(o.RaisedAt), o.RaisedBy).Scan(&o.ID)
	})
	var ie *InvalidError
	if errors.As(err, &ie) {
		return err
	}
	return wrap("create works order", err)
}

const worksOrderCols = `id, contract_id, department_id, kind, funding, title, state, budget_year, contract_year,
	estimate_pence, quote_pence, approved_pence, final_pence, raised_at, raised_by, quoted_at, quoted_by,
	approved_at, approved_by, override_reason, completed_at, completed_by, cancelled_at, cancelled_by`

func scanWorksOrder(sc scanner) (WorksOrder, error) {
	var o WorksOrder
	var raised int64
	var quoted, approved, completed, cancelled sql.NullInt64
	err := sc.Scan(&o.ID, &o.ContractID, &o.DepartmentID, &o.Kind, &o.Funding, &o.Title, &o.State, &o.BudgetYear, &o.ContractYear,
		&o.EstimatePence, &o.QuotePence, &o.ApprovedPence, &o.FinalPence, &raised, &o.RaisedBy, &quoted, &o.QuotedBy,
		&approved, &o.ApprovedBy, &o.OverrideReason, &completed, &o.CompletedBy, &cancelled, &o.CancelledBy)
	o.RaisedAt = fromMicros(raised)
	o.QuotedAt, o.ApprovedAt = fromNullMicros(quoted), fromNullMicros(approved)
	o.CompletedAt, o.CancelledAt = fromNullMicros(completed), fromNullMicros(cancelled)
	return o, err
}

// WorksOrder returns the order with the given id.
func (s *Store) WorksOrder(ctx context.Context, id int64) (WorksOrder, error) {
	o, err := scanWorksOrder(s.r.QueryRowContext(ctx, `SELECT `+worksOrderCols+` FROM works_orders WHERE id = $1`, id))
	return o, wrap(fmt.Sprintf("works order %d", id), err)
}

// WorksOrderFilter narrows a list of orders; zero values match all.
type WorksOrderFilter struct {
	ContractID   int64
	DepartmentID int64
	State        string
}

// ListWorksOrders returns the orders f matches, newest first. Orders are
// few (a council raises tens a year), so the list is not paged.
func (s *Store) ListWorksOrders(ctx context.Context, f WorksOrderFilter) ([]WorksOrder, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+worksOrderCols+` FROM works_orders
		WHERE ($1 = 0 OR contract_id = $1) AND ($2 = 0 OR department_id = $2) AND ($3 = '' OR state = $3)
		ORDER BY id DESC`, f.ContractID, f.DepartmentID, f.State)
	if err != nil {
		return nil, wrap("list works orders", err)
	}
	defer rows.Close()
	var out []WorksOrder
	for rows.Next() {
		o, err := scanWorksOrder(rows)
		if err != nil {
			return nil, wrap("list works orders", err)
		}
		out = append(out, o)
	}
	return out, wrap("list works orders", rows.Err())
}

// WorksStep is one step of an order: its new state, the amount it sets
// (quote, approved amount or final cost), when and by whom.
type WorksStep struct {
	To     string // quoted, approved, completed or cancelled
	Amount int64
	At     time.Time
	By     string
	// Override is the reason an approval goes ahead past its warnings.
	Override string
}

// stepFrom is the states each step may be taken from. A quote may be
// revised until the order is approved.
var stepFrom = map[string][]string{
	"quoted":    {"raised", "quoted"},
	"approved":  {"quoted"},
	"completed": {"approved"},
	"cancelled": {"raised", "quoted", "approved"},
}

// StepWorksOrder takes an order one step on and returns it. A step its
// state does not allow is an *InvalidError saying why.
func (s *Store) StepWorksOrder(ctx context.Context, id int64, st WorksStep) (WorksOrder, error) {
	from, ok := stepFrom[st.To]
	if !ok {
		return WorksOrder{}, invalid(fmt.Errorf("an order cannot be moved to %q", st.To))
	}
	if st.Amount < 0 {
		return WorksOrder{}, invalid(errors.New("an amount cannot be negative"))
	}
	if st.Amount > money.Max {
		// Each amount bounded, so that the sums of a department's or a
		// contract's orders stay far from overflow.
		return WorksOrder{}, invalid(fmt.Errorf("an amount must be at most £%d", money.Max/100))
	}
	at := micros(st.At)
	var q string
	args := []any{id, from[0], from[len(from)-1], st.To, at, st.By}
	switch st.To {
	case "quoted":
		q = `quote_pence = $7, quoted_at = $5, quoted_by = $6`
		args = append(args, st.Amount)
	case "approved":
		q = `approved_pence = $7, approved_at = $5, approved_by = $6, override_reason = $8`
		args = append(args, st.Amount, st.Override)
	case "completed":
		q = `final_pence = $7, completed_at = $5, completed_by = $6`
		args = append(args, st.Amount)
	case "cancelled":
		q = `cancelled_at = $5, cancelled_by = $6`
		// Cancelling may start from any of three states.
		args[2] = "approved"
		args = append(args, "quoted")
	}
	where := `state IN ($2, $3)`
	if st.To == "cancelled" {
		where = `state IN ($2, $3, $7)`
	}
	var o WorksOrder
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE works_orders SET state = $4, `+q+` WHERE id = $1 AND `+where, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		o, err = scanWorksOrder(tx.QueryRowContext(ctx, `SELECT `+worksOrderCols+` FROM works_orders WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("works order %d", id)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return invalid(fmt.Errorf("order %d is %s, so it cannot be %s (only from %s)", id, o.State, st.To, strings.Join(from, " or ")))
		}
		return nil
	})
	var ie *InvalidError
	if errors.As(err, &ie) {
		return o, err
	}
	return o, wrap("step works order", err)
}
