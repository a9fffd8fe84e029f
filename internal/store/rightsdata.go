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
	tx, err := s.r.BeginTx(ctx, opts)
	if err != nil {
		return rights.Data{}, wrap("rights data", err)
	}
	defer tx.Rollback()
	var d rights.Data
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
		d.Agreements = append(d.Agreements, AgreementRights(a))
	}
	if d.FourEyes, err = listFourEyes(ctx, tx); err != nil {
		return d, err
	}
	return d, nil
}

// AgreementRights is an agreement as decisions see it.
func AgreementRights(a SharingAgreement) rights.Agreement {
	out := rights.Agreement{
		ID: a.ID, Grantor: a.GrantorID, Grantee: a.GranteeID, Reference: a.Reference, AllCameras: a.AllCameras,
		Cameras: a.Cameras, Groups: a.Groups, Starts: a.StartsAt, Condition: a.Condition, IncidentOpen: a.IncidentOpenAt != nil,
	}
	for _, r := range a.Rights {
		if act, ok := rights.ParseAction(r); ok {
			out.Rights |= rights.SetOf(act)
		}
	}
	if a.EndsAt != nil {
		out.Ends = *a.EndsAt
	}
	return out
}
