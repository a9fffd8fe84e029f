package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

const organisationCols = `id, name, kind, parent_id, created_at`

func scanOrganisation(sc scanner) (access.Organisation, error) {
	var o access.Organisation
	var created int64
	var parent sql.NullInt64
	if err := sc.Scan(&o.ID, &o.Name, &o.Kind, &parent, &created); err != nil {
		return access.Organisation{}, err
	}
	o.ParentID = parent.Int64
	o.CreatedAt = fromMicros(created)
	return o, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// EnsureOrganisation returns the organisation called name, creating it with
// kind (and no parent) if there is none. An existing organisation keeps
// its own kind.
func (s *Store) EnsureOrganisation(ctx context.Context, name, kind string) (access.Organisation, error) {
	if name == "" {
		return access.Organisation{}, fmt.Errorf("store: organisation name is empty")
	}
	if !access.OrganisationKind(kind) {
		return access.Organisation{}, fmt.Errorf("store: unknown organisation kind %q", kind)
	}
	if kind == rights.KindDepartment {
		return access.Organisation{}, errors.New("store: a department must be made with its council (CreateOrganisation)")
	}
	// Insert-or-ignore then select, rather than select-then-insert, so two
	// concurrent callers cannot both decide to create.
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO organisations (name, kind, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, name, kind, micros(now()))
		return err
	})
	if err != nil {
		return access.Organisation{}, wrap("ensure organisation", err)
	}
	o, err := scanOrganisation(s.w.QueryRowContext(ctx,
		`SELECT `+organisationCols+` FROM organisations WHERE name = $1`, name))
	return o, wrap("organisation "+name, err)
}

// Partnership is the organisation at the top of the tree: the
// partnership, found by what it is rather than by name, so renaming it
// changes nothing (the lowest id, should there be more than one).
// ErrNotFound when there is none yet.
func (s *Store) Partnership(ctx context.Context) (access.Organisation, error) {
	o, err := scanOrganisation(s.r.QueryRowContext(ctx, `SELECT `+organisationCols+` FROM organisations
		WHERE parent_id IS NULL AND kind = $1 ORDER BY id LIMIT 1`, rights.KindPartnership))
	return o, wrap("the partnership", err)
}

// EnsurePartnership returns the partnership, making it, named name, when
// there is none: the server's first start names it from its configuration;
// after that the configured name is only what a new partnership would be
// called.
func (s *Store) EnsurePartnership(ctx context.Context, name string) (access.Organisation, error) {
	o, err := s.Partnership(ctx)
	if !errors.Is(err, ErrNotFound) {
		return o, err
	}
	return s.EnsureOrganisation(ctx, name, rights.KindPartnership)
}

// validOrganisation checks o's own fields, in words fit for the person who
// chose them.
func validOrganisation(o *access.Organisation) error {
	o.Name = strings.TrimSpace(o.Name)
	switch n := utf8.RuneCountInString(o.Name); {
	case n == 0 || n > access.MaxOrganisationName:
		return fmt.Errorf("an organisation's name must be 1 to %d characters", access.MaxOrganisationName)
	case !access.OrganisationKind(o.Kind):
		return fmt.Errorf("organisation kind %q is not one of partnership, council, department, police, customer, camera_owner", o.Kind)
	case o.Kind == rights.KindPartnership && o.ParentID != 0:
		return errors.New("a partnership is the top of its tree: it has no parent organisation")
	case o.Kind == rights.KindDepartment && o.ParentID == 0:
		return errors.New("a department belongs to a council: give its parent organisation")
	case o.ParentID != 0 && o.ParentID == o.ID:
		return errors.New("an organisation cannot be its own parent")
	}
	return checkName("an organisation's name", o.Name)
}

// checkParent checks, inside tx, that o's parent exists, suits o's kind
// and is not below o.
func checkParent(ctx context.Context, tx *sql.Tx, o *access.Organisation) error {
	if o.ParentID == 0 {
		return nil
	}
	seen := map[int64]bool{}
	for id, first := o.ParentID, true; id != 0; first = false {
		if id == o.ID {
			return errors.New("an organisation cannot be moved below itself")
		}
		if seen[id] {
			break
		}
		seen[id] = true
		var kind string
		var parent sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT kind, parent_id FROM organisations WHERE id = $1`, id).Scan(&kind, &parent)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("there is no organisation %d", id)
		}
		if err != nil {
			return err
		}
		if first && o.Kind == rights.KindDepartment && kind != rights.KindCouncil && kind != rights.KindDepartment {
			return fmt.Errorf("a department's parent must be a council or a department, not a %s", kind)
		}
		id = parent.Int64
	}
	return nil
}

// InvalidError is a refusal of values a person chose, worded for them.
type InvalidError struct {
	Msg string
	// Err is the typed cause, when there is one (a *names.Error).
	Err error
}

func (e *InvalidError) Error() string { return e.Msg }

func (e *InvalidError) Unwrap() error { return e.Err }

// Is makes an *InvalidError a problem.ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == problem.ErrInvalid }

// checkName refuses, as an *InvalidError, a name no one should be shown:
// the rule of package names, kept in one place.
func checkName(what, name string) error {
	if err := names.Check(what, name); err != nil {
		return &InvalidError{Msg: err.Error(), Err: err}
	}
	return nil
}

func invalid(err error) error {
	var ie *InvalidError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
		return ie
	}
	return &InvalidError{Msg: err.Error()}
}

// CreateOrganisation inserts o under its parent and sets its ID and
// CreatedAt. A taken name yields ErrConflict; unsuitable values an
// *InvalidError.
func (s *Store) CreateOrganisation(ctx context.Context, o *access.Organisation) error {
	o.ID = 0
	if err := validOrganisation(o); err != nil {
		return invalid(err)
	}
	created := now()
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		if err := checkParent(ctx, tx, o); err != nil {
			return invalid(err)
		}
		return tx.QueryRowContext(ctx, `INSERT INTO organisations (name, kind, parent_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			o.Name, o.Kind, nullID(o.ParentID), micros(created)).Scan(&o.ID)
	})
	if err != nil {
		var ie *InvalidError
		if errors.As(err, &ie) {
			return err
		}
		return wrap("create organisation", err)
	}
	o.CreatedAt = created
	return nil
}

// UpdateOrganisation writes o's name, kind and parent. A move below
// itself, or a parent unsuited to its kind, is an *InvalidError.
func (s *Store) UpdateOrganisation(ctx context.Context, o *access.Organisation) error {
	if err := validOrganisation(o); err != nil {
		return invalid(err)
	}
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		if err := checkParent(ctx, tx, o); err != nil {
			return invalid(err)
		}
		if o.Kind != rights.KindCouncil && o.Kind != rights.KindDepartment {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM organisations WHERE parent_id = $1 AND kind = $2`,
				o.ID, rights.KindDepartment).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return invalid(fmt.Errorf("this organisation has departments, so it must stay a council or department"))
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE organisations SET name = $2, kind = $3, parent_id = $4 WHERE id = $1`,
			o.ID, o.Name, o.Kind, nullID(o.ParentID))
		if err != nil {
			return err
		}
		return checkAffected(res, "organisation", o.ID)
	})
	var ie *InvalidError
	if errors.As(err, &ie) {
		return err
	}
	return wrap("update organisation", err)
}

// Organisation returns the organisation with the given id.
func (s *Store) Organisation(ctx context.Context, id int64) (access.Organisation, error) {
	o, err := scanOrganisation(s.r.QueryRowContext(ctx,
		`SELECT `+organisationCols+` FROM organisations WHERE id = $1`, id))
	return o, wrap(fmt.Sprintf("organisation %d", id), err)
}

// OrganisationByName returns the organisation called name.
func (s *Store) OrganisationByName(ctx context.Context, name string) (access.Organisation, error) {
	o, err := scanOrganisation(s.r.QueryRowContext(ctx,
		`SELECT `+organisationCols+` FROM organisations WHERE name = $1`, name))
	return o, wrap(fmt.Sprintf("organisation %q", name), err)
}

// ListOrganisations returns every organisation by id.
func (s *Store) ListOrganisations(ctx context.Context) ([]access.Organisation, error) {
	return listOrganisations(ctx, s.r)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func listOrganisations(ctx context.Context, q querier) ([]access.Organisation, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+organisationCols+` FROM organisations ORDER BY id`)
	if err != nil {
		return nil, wrap("list organisations", err)
	}
	defer rows.Close()
	var out []access.Organisation
	for rows.Next() {
		o, err := scanOrganisation(rows)
		if err != nil {
			return nil, wrap("list organisations", err)
		}
		out = append(out, o)
	}
	return out, wrap("list organisations", rows.Err())
}
