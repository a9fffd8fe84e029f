package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/works"
)

// The works contracts, departments' budgets and works orders of the
// councils (package works holds their types and rules).

var _ works.Repo = (*Store)(nil)

// invalidProblem is a capability's refusal of values as the store's
// *InvalidError, its cause (a *names.Error) kept.
func invalidProblem(err error) error {
	var p *problem.Problem
	if errors.As(err, &p) {
		return &InvalidError{Msg: p.Msg, Err: p.Err}
	}
	return invalid(err)
}

// CreateWorksContract inserts c with its allowances and sets its ID and
// CreatedAt. A taken reference is ErrConflict; unsuitable values an
// *InvalidError.
func (s *Store) CreateWorksContract(ctx context.Context, c *works.Contract) error {
	if err := works.CheckContract(c); err != nil {
		return invalidProblem(err)
	}
	created := now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var kind string
		err := tx.QueryRowContext(ctx, `SELECT kind FROM organisations WHERE id = $1`, c.OrganisationID).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			return invalid(fmt.Errorf("there is no organisation %d", c.OrganisationID))
		}
		if err != nil {
			return err
		}
		if kind != rights.KindPartnership && kind != rights.KindCouncil {
			return invalid(fmt.Errorf("a works contract is held by a partnership or council, not a %s", kind))
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO works_contracts (organisation_id, reference, supplier, value_pence, starts_on, ends_on, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			c.OrganisationID, c.Reference, c.Supplier, c.ValuePence, micros(c.StartsOn), micros(c.EndsOn), micros(created)).Scan(&c.ID); err != nil {
			return err
		}
		for _, a := range c.Allowances {
			if _, err := tx.ExecContext(ctx, `INSERT INTO works_allowances (contract_id, contract_year, funding, amount_pence) VALUES ($1, $2, $3, $4)`,
				c.ID, a.Year, a.Funding, a.AmountPence); err != nil {
				return err
			}
		}
		return nil
	})
	var ie *InvalidError
	if errors.As(err, &ie) {
		return err
	}
	if err != nil {
		return wrap("create works contract", err)
	}
	c.CreatedAt = created
	return nil
}

const worksContractCols = `id, organisation_id, reference, supplier, value_pence, starts_on, ends_on, created_at`

func scanWorksContract(sc scanner) (works.Contract, error) {
	var c works.Contract
	var starts, ends, created int64
	if err := sc.Scan(&c.ID, &c.OrganisationID, &c.Reference, &c.Supplier, &c.ValuePence, &starts, &ends, &created); err != nil {
		return c, err
	}
	c.StartsOn, c.EndsOn, c.CreatedAt = fromMicros(starts), fromMicros(ends), fromMicros(created)
	return c, nil
}

// WorksContract returns the contract with the given id.
func (s *Store) WorksContract(ctx context.Context, id int64) (works.Contract, error) {
	c, err := scanWorksContract(s.r.QueryRowContext(ctx, `SELECT `+worksContractCols+` FROM works_contracts WHERE id = $1`, id))
	if err != nil {
		return c, wrap(fmt.Sprintf("works contract %d", id), err)
	}
	all, err := s.allowances(ctx, id)
	c.Allowances = all[id]
	return c, err
}

// ListWorksContracts returns every contract, by id.
func (s *Store) ListWorksContracts(ctx context.Context) ([]works.Contract, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+worksContractCols+` FROM works_contracts ORDER BY id`)
	if err != nil {
		return nil, wrap("list works contracts", err)
	}
	defer rows.Close()
	var out []works.Contract
	for rows.Next() {
		c, err := scanWorksContract(rows)
		if err != nil {
			return nil, wrap("list works contracts", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list works contracts", err)
	}
	all, err := s.allowances(ctx, 0)
	for i := range out {
		out[i].Allowances = all[out[i].ID]
	}
	return out, err
}

// allowances returns one contract's allowances (id 0: every contract's),
// by contract.
func (s *Store) allowances(ctx context.Context, id int64) (map[int64][]works.Allowance, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT contract_id, contract_year, funding, amount_pence FROM works_allowances
		WHERE $1 = 0 OR contract_id = $1 ORDER BY contract_id, contract_year, funding DESC`, id)
	if err != nil {
		return nil, wrap("list works allowances", err)
	}
	defer rows.Close()
	out := map[int64][]works.Allowance{}
	for rows.Next() {
		var cid int64
		var a works.Allowance
		if err := rows.Scan(&cid, &a.Year, &a.Funding, &a.AmountPence); err != nil {
			return nil, wrap("list works allowances", err)
		}
		out[cid] = append(out[cid], a)
	}
	return out, wrap("list works allowances", rows.Err())
}
