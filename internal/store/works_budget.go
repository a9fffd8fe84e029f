package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/works"
)

func checkDepartment(ctx context.Context, q querier, id int64) error {
	var kind string
	err := q.QueryRowContext(ctx, `SELECT kind FROM organisations WHERE id = $1`, id).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return invalid(fmt.Errorf("there is no organisation %d", id))
	}
	if err != nil {
		return err
	}
	if kind != rights.KindDepartment {
		return invalid(fmt.Errorf("organisation %d is a %s, not a department", id, kind))
	}
	return nil
}

// SetWorksBudgets writes budgets, each replacing any for its department
// and year, all or none: every budget is checked before any is written.
// A budget for an organisation that is not a department, below nothing
// or past money.Max is an *ItemError carrying its index, around an
// *InvalidError.
func (s *Store) SetWorksBudgets(ctx context.Context, bs []works.Budget, by string) error {
	at := now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i, b := range bs {
			err := works.CheckBudget(b)
			if err != nil {
				err = invalidProblem(err)
			} else {
				err = checkDepartment(ctx, tx, b.DepartmentID)
			}
			if err != nil {
				return &ItemError{Index: i, Err: err}
			}
		}
		for _, b := range bs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO works_budgets (organisation_id, year, amount_pence, updated_at, updated_by)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (organisation_id, year) DO UPDATE SET amount_pence = excluded.amount_pence,
					updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
				b.DepartmentID, b.Year, b.AmountPence, micros(at), by); err != nil {
				return err
			}
		}
		return nil
	})
	return wrapItem("set works budgets", err)
}

// ListWorksBudgets returns the budgets of a financial year (0: every
// year), by department and year.
func (s *Store) ListWorksBudgets(ctx context.Context, year int) ([]works.Budget, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT organisation_id, year, amount_pence, updated_at, updated_by FROM works_budgets
		WHERE $1 = 0 OR year = $1 ORDER BY organisation_id, year`, year)
	if err != nil {
		return nil, wrap("list works budgets", err)
	}
	defer rows.Close()
	var out []works.Budget
	for rows.Next() {
		var b works.Budget
		var at int64
		if err := rows.Scan(&b.DepartmentID, &b.Year, &b.AmountPence, &at, &b.UpdatedBy); err != nil {
			return nil, wrap("list works budgets", err)
		}
		b.UpdatedAt = fromMicros(at)
		out = append(out, b)
	}
	return out, wrap("list works budgets", rows.Err())
}
