package store

import (
	"context"
	"database/sql"

	"github.com/vigil-cctv/vigil/internal/rights"
)

// RightsData reads everything rights decisions rest on (organisations,
// every user's roles, camera groups, sharing agreements and four-eyes
// policies) in one read transaction, so the snapshot never mixes two
// moments.
func (s *Store) RightsData(ctx context.Context) (rights.Data, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == dialectPostgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	if s.tx != nil {
		return rightsData(ctx, s.tx.tx)
	}
	tx, err := s.rdb.BeginTx(ctx, opts)
	if err != nil {
		return rights.Data{}, wrap("rights data", err)
	}
	defer tx.Rollback()
	return rightsData(ctx, tx)
}

func rightsData(ctx context.Context, tx querier) (rights.Data, error) {
	var d rights.Data
	if err := tx.QueryRowContext(ctx, `SELECT version FROM rights_version WHERE id = 1`).Scan(&d.Version); err != nil {
		return d, wrap("rights data: version", err)
	}
	orgs, err := listOrganisations(ctx, tx)
	if err != nil {
		return d, err
	}
	for _, o := range orgs {
		d.Orgs = append(d.Orgs, rights.Org{ID: o.ID, Parent: o.ParentID, Name: o.Name, Kind: o.Kind})
	}

	// Every user appears, those with no role too, so that a user the
	// snapshot does not know is one made since.
	d.Grants = map[int64][]rights.Grant{}
	rows, err := tx.QueryContext(ctx, `SELECT u.id, r.role, r.camera_group_id FROM users u LEFT JOIN user_roles r ON r.user_id = u.id
		ORDER BY u.id, r.role, r.camera_group_id`)
	if err != nil {
		return d, wrap("rights data: roles", err)
	}
	for rows.Next() {
		var user int64
		var role sql.NullString
		var group sql.NullInt64
		if err := rows.Scan(&user, &role, &group); err != nil {
			rows.Close()
			return d, wrap("rights data: roles", err)
		}
		gs := d.Grants[user]
		if role.Valid {
			gs = append(gs, rights.Grant{Role: rights.Role(role.String), Group: group.Int64})
		} else if gs == nil {
			gs = []rights.Grant{}
		}
		d.Grants[user] = gs
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, wrap("rights data: roles", err)
	}

	groups, err := listCameraGroups(ctx, tx, 0)
	if err != nil {
		return d, err
	}
	for _, g := range groups {
		d.Groups = append(d.Groups, rights.Group{ID: g.ID, Org: g.OrganisationID, Name: g.Name, Cameras: g.Cameras})
	}
	agreements, err := listSharing(ctx, tx, 0)
	if err != nil {
		return d, err
	}
	for _, a := range agreements {
		d.Agreements = append(d.Agreements, a.RightsAgreement())
	}
	if d.FourEyes, err = listFourEyes(ctx, tx); err != nil {
		return d, err
	}
	return d, nil
}

// RightsVersion is bumped by every change RightsData would show.
func (s *Store) RightsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.r.QueryRowContext(ctx, `SELECT version FROM rights_version WHERE id = 1`).Scan(&v)
	return v, wrap("rights version", err)
}

// rightsTx is inTx for a change of what rights rest on: it bumps the
// rights version in the same transaction.
func (s *Store) rightsTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE rights_version SET version = version + 1 WHERE id = 1`)
		return err
	})
}
