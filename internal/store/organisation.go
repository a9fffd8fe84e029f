package store

import (
	"context"
	"fmt"
	"time"
)

// Organisation is a body that owns cameras or users.
type Organisation struct {
	ID        int64
	Name      string
	Kind      string // "council", "department", "police", "customer" or "camera_owner"
	CreatedAt time.Time
}

var organisationKinds = map[string]bool{
	"council": true, "department": true, "police": true, "customer": true, "camera_owner": true,
}

const organisationCols = `id, name, kind, created_at`

func scanOrganisation(sc scanner) (Organisation, error) {
	var o Organisation
	var created int64
	if err := sc.Scan(&o.ID, &o.Name, &o.Kind, &created); err != nil {
		return Organisation{}, err
	}
	o.CreatedAt = fromMicros(created)
	return o, nil
}

// EnsureOrganisation returns the organisation called name, creating it with
// kind if there is none. An existing organisation keeps its own kind.
func (s *Store) EnsureOrganisation(ctx context.Context, name, kind string) (Organisation, error) {
	if name == "" {
		return Organisation{}, fmt.Errorf("store: organisation name is empty")
	}
	if !organisationKinds[kind] {
		return Organisation{}, fmt.Errorf("store: unknown organisation kind %q", kind)
	}
	// Insert-or-ignore then select, rather than select-then-insert, so two
	// concurrent callers cannot both decide to create.
	if _, err := s.w.ExecContext(ctx, `INSERT INTO organisations (name, kind, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, name, kind, micros(now())); err != nil {
		return Organisation{}, wrap("ensure organisation", err)
	}
	o, err := scanOrganisation(s.w.QueryRowContext(ctx,
		`SELECT `+organisationCols+` FROM organisations WHERE name = $1`, name))
	return o, wrap("organisation "+name, err)
}

// Organisation returns the organisation with the given id.
func (s *Store) Organisation(ctx context.Context, id int64) (Organisation, error) {
	o, err := scanOrganisation(s.r.QueryRowContext(ctx,
		`SELECT `+organisationCols+` FROM organisations WHERE id = $1`, id))
	return o, wrap(fmt.Sprintf("organisation %d", id), err)
}

// ListOrganisations returns every organisation by id.
func (s *Store) ListOrganisations(ctx context.Context) ([]Organisation, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+organisationCols+` FROM organisations ORDER BY id`)
	if err != nil {
		return nil, wrap("list organisations", err)
	}
	defer rows.Close()
	var out []Organisation
	for rows.Next() {
		o, err := scanOrganisation(rows)
		if err != nil {
			return nil, wrap("list organisations", err)
		}
		out = append(out, o)
	}
	return out, wrap("list organisations", rows.Err())
}
