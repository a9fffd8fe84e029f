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
	"github.com/vigil-cctv/vigil/internal/rights"
)

// WorksContract is a contract with a supplier for CCTV works, held by the
// organisation that let it: its value over the whole term, from StartsOn
// to EndsOn (its last day, inclusive; both UTC midnight).
type WorksContract struct {
	ID             int64
	OrganisationID int64
	Reference      string
	Supplier       string
	ValuePence     int64
	StartsOn       time.Time
	EndsOn         time.Time
	Allowances     []WorksAllowance
	CreatedAt      time.Time
}

// WorksAllowance is what a contract allows in one contract year (1: its
// first twelve months) for one funding ("planned" or "ad_hoc").
type WorksAllowance struct {
	Year        int
	Funding     string
	AmountPence int64
}

// Allowance returns the contract's allowance for a year and funding.
func (c WorksContract) Allowance(year int, funding string) (int64, bool) {
	for _, a := range c.Allowances {
		if a.Year == year && a.Funding == funding {
			return a.AmountPence, true
		}
	}
	return 0, false
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func validContract(c *WorksContract) error {
	c.Reference = strings.TrimSpace(c.Reference)
	c.Supplier = strings.TrimSpace(c.Supplier)
	c.StartsOn, c.EndsOn = day(c.StartsOn), day(c.EndsOn)
	switch {
	case c.Reference == "" || utf8.RuneCountInString(c.Reference) > 100:
		return errors.New("a contract's reference must be 1 to 100 characters")
	case c.Supplier == "" || utf8.RuneCountInString(c.Supplier) > 200:
		return errors.New("a contract's supplier must be 1 to 200 characters")
	case c.ValuePence <= 0:
		return errors.New("a contract's value must be more than nothing")
	case c.ValuePence > money.Max:
		return fmt.Errorf("a contract's value must be at most £%d", money.Max/100)
	case c.StartsOn.IsZero() || c.EndsOn.IsZero() || c.EndsOn.Before(c.StartsOn):
		return errors.New("a contract's last day must be on or after its first")
	case c.OrganisationID == 0:
		return errors.New("say which organisation holds the contract")
	}
	if err := checkName("a contract's supplier", c.Supplier); err != nil {
		return err
	}
	if err := checkName("a contract's reference", c.Reference); err != nil {
		return err
	}
	// The contract years the term spans: year n begins n-1 years after
	// the start.
	years := 1
	for !c.EndsOn.Before(c.StartsOn.AddDate(years, 0, 0)) {
		years++
	}
	seen := map[[2]any]bool{}
	for _, a := range c.Allowances {
		switch {
		case a.Funding != "planned" && a.Funding != "ad_hoc":
			return fmt.Errorf("an allowance's funding is planned or ad_hoc, not %q", a.Funding)
		case a.Year < 1 || a.Year > years:
			return fmt.Errorf("the contract's term spans contract years 1 to %d, not %d", years, a.Year)
		case a.AmountPence < 0:
			return errors.New("an allowance cannot be negative")
		case a.AmountPence > money.Max:
			return fmt.Errorf("an allowance must be at most £%d", money.Max/100)
		case seen[[2]any{a.Year, a.Funding}]:
			return fmt.Errorf("contract year %d has two %s allowances", a.Year, a.Funding)
		}
		seen[[2]any{a.Year, a.Funding}] = true
	}
	return nil
}

// CreateWorksContract inserts c with its allowances and sets its ID and
// CreatedAt. A taken reference is ErrConflict; unsuitable values an
// *InvalidError.
func (s *Store) CreateWorksContract(ctx context.Context, c *WorksContract) error {
	if err := validContract(c); err != nil {
		return invalid(err)
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

func scanWorksContract(sc scanner) (WorksContract, error) {
	var c WorksContract
	var starts, ends, created int64
	if err := sc.Scan(&c.ID, &c.OrganisationID, &c.Reference, &c.Supplier, &c.ValuePence, &starts, &ends, &created); err != nil {
		return c, err
	}
	c.StartsOn, c.EndsOn, c.CreatedAt = fromMicros(starts), fromMicros(ends), fromMicros(created)
	return c, nil
}

// WorksContract returns the contract with the given id.
func (s *Store) WorksContract(ctx context.Context, id int64) (WorksContract, error) {
	c, err := scanWorksContract(s.r.QueryRowContext(ctx, `SELECT `+worksContractCols+` FROM works_contracts WHERE id = $1`, id))
	if err != nil {
		return c, wrap(fmt.Sprintf("works contract %d", id), err)
	}
	all, err := s.allowances(ctx, id)
	c.Allowances = all[id]
	return c, err
}

// ListWorksContracts returns every contract, by id.
func (s *Store) ListWorksContracts(ctx context.Context) ([]WorksContract, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+worksContractCols+` FROM works_contracts ORDER BY id`)
	if err != nil {
		return nil, wrap("list works contracts", err)
	}
	defer rows.Close()
	var out []WorksContract
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
func (s *Store) allowances(ctx context.Context, id int64) (map[int64][]WorksAllowance, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT contract_id, contract_year, funding, amount_pence FROM works_allowances
		WHERE $1 = 0 OR contract_id = $1 ORDER BY contract_id, contract_year, funding DESC`, id)
	if err != nil {
		return nil, wrap("list works allowances", err)
	}
	defer rows.Close()
	out := map[int64][]WorksAllowance{}
	for rows.Next() {
		var cid int64
		var a WorksAllowance
		if err := rows.Scan(&cid, &a.Year, &a.Funding, &a.AmountPence); err != nil {
			return nil, wrap("list works allowances", err)
		}
		out[cid] = append(out[cid], a)
	}
	return out, wrap("list works allowances", rows.Err())
}
