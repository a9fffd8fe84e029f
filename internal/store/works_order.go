package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vigil-cctv/vigil/internal/works"
)

// CreateWorksOrder inserts o as raised and sets its ID and State. Its
// department must be a department within the organisation that holds the
// contract; RaisedAt, BudgetYear and ContractYear are the caller's.
func (s *Store) CreateWorksOrder(ctx context.Context, o *works.Order) error {
	if err := works.CheckOrder(o); err != nil {
		return invalidProblem(err)
	}
	o.State = works.Raised
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

func scanWorksOrder(sc scanner) (works.Order, error) {
	var o works.Order
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
func (s *Store) WorksOrder(ctx context.Context, id int64) (works.Order, error) {
	o, err := scanWorksOrder(s.r.QueryRowContext(ctx, `SELECT `+worksOrderCols+` FROM works_orders WHERE id = $1`, id))
	return o, wrap(fmt.Sprintf("works order %d", id), err)
}

// ListWorksOrders returns the orders f matches, newest first. Orders are
// few (a council raises tens a year), so the list is not paged.
func (s *Store) ListWorksOrders(ctx context.Context, f works.OrderFilter) ([]works.Order, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+worksOrderCols+` FROM works_orders
		WHERE ($1 = 0 OR contract_id = $1) AND ($2 = 0 OR department_id = $2) AND ($3 = '' OR state = $3)
		ORDER BY id DESC`, f.ContractID, f.DepartmentID, f.State)
	if err != nil {
		return nil, wrap("list works orders", err)
	}
	defer rows.Close()
	var out []works.Order
	for rows.Next() {
		o, err := scanWorksOrder(rows)
		if err != nil {
			return nil, wrap("list works orders", err)
		}
		out = append(out, o)
	}
	return out, wrap("list works orders", rows.Err())
}

// StepWorksOrder takes an order one step on and returns it. A step its
// state does not allow is an *InvalidError saying why.
func (s *Store) StepWorksOrder(ctx context.Context, id int64, st works.Step) (works.Order, error) {
	if err := works.CheckStep(st); err != nil {
		return works.Order{}, invalidProblem(err)
	}
	from := works.StepFrom[st.To]
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
	var o works.Order
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
			return invalidProblem(works.StepRefused(id, o.State, st.To))
		}
		return nil
	})
	var ie *InvalidError
	if errors.As(err, &ie) {
		return o, err
	}
	return o, wrap("step works order", err)
}
