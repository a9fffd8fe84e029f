package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/problem"
)

const sharingCols = `id, grantor_id, grantee_id, reference, rights, all_cameras, starts_at, ends_at, condition_name,
	incident_open_at, incident_reference, created_by, created_at, updated_at`

func scanSharing(sc scanner) (access.SharingAgreement, error) {
	var a access.SharingAgreement
	var rs string
	var starts, created, updated int64
	var ends, incident sql.NullInt64
	if err := sc.Scan(&a.ID, &a.GrantorID, &a.GranteeID, &a.Reference, &rs, &a.AllCameras, &starts, &ends, &a.Condition,
		&incident, &a.IncidentReference, &a.CreatedBy, &created, &updated); err != nil {
		return access.SharingAgreement{}, err
	}
	a.Rights = strings.Fields(rs)
	a.StartsAt, a.EndsAt, a.IncidentOpenAt = fromMicros(starts), fromNullMicros(ends), fromNullMicros(incident)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	a.Cameras, a.Groups = []int64{}, []int64{}
	return a, nil
}

func writeShared(ctx context.Context, tx *sql.Tx, a *access.SharingAgreement) error {
	for _, q := range []string{`DELETE FROM sharing_cameras WHERE agreement_id = $1`, `DELETE FROM sharing_groups WHERE agreement_id = $1`} {
		if _, err := tx.ExecContext(ctx, q, a.ID); err != nil {
			return err
		}
	}
	for _, c := range a.Cameras {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sharing_cameras (agreement_id, camera_id) VALUES ($1, $2)`, a.ID, c); err != nil {
			return err
		}
	}
	for _, g := range a.Groups {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sharing_groups (agreement_id, group_id) VALUES ($1, $2)`, a.ID, g); err != nil {
			return err
		}
	}
	return nil
}

// CreateSharingAgreement inserts a and sets its ID and times. That the
// cameras and groups are the grantor's is the caller's to check.
func (s *Store) CreateSharingAgreement(ctx context.Context, a *access.SharingAgreement) error {
	if err := a.Validate(); err != nil {
		return &InvalidError{Msg: problem.Message(err, err.Error()), Err: err}
	}
	a.StartsAt, a.EndsAt = normal(a.StartsAt), normalPtr(a.EndsAt)
	t := now()
	a.IncidentOpenAt = normalPtr(a.IncidentOpenAt)
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO sharing_agreements (grantor_id, grantee_id, reference, rights, all_cameras,
			starts_at, ends_at, condition_name, incident_open_at, incident_reference, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`,
			a.GrantorID, a.GranteeID, a.Reference, strings.Join(a.Rights, " "), a.AllCameras, micros(a.StartsAt), nullMicros(a.EndsAt),
			a.Condition, nullMicros(a.IncidentOpenAt), a.IncidentReference, a.CreatedBy, micros(t)).Scan(&a.ID); err != nil {
			return err
		}
		return writeShared(ctx, tx, a)
	})
	if err != nil {
		return wrap("create sharing agreement", err)
	}
	a.CreatedAt, a.UpdatedAt = t, t
	return nil
}

// UpdateSharingAgreement writes every field of a but its parties and its
// creation.
func (s *Store) UpdateSharingAgreement(ctx context.Context, a *access.SharingAgreement) error {
	if err := a.Validate(); err != nil {
		return &InvalidError{Msg: problem.Message(err, err.Error()), Err: err}
	}
	a.StartsAt, a.EndsAt = normal(a.StartsAt), normalPtr(a.EndsAt)
	t := now()
	a.IncidentOpenAt = normalPtr(a.IncidentOpenAt)
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sharing_agreements SET reference = $2, rights = $3, all_cameras = $4, starts_at = $5,
			ends_at = $6, condition_name = $7, incident_open_at = $8, incident_reference = $9, updated_at = $10 WHERE id = $1`,
			a.ID, a.Reference, strings.Join(a.Rights, " "), a.AllCameras, micros(a.StartsAt), nullMicros(a.EndsAt),
			a.Condition, nullMicros(a.IncidentOpenAt), a.IncidentReference, micros(t))
		if err != nil {
			return err
		}
		if err := checkAffected(res, "sharing agreement", a.ID); err != nil {
			return err
		}
		return writeShared(ctx, tx, a)
	})
	if err != nil {
		return wrap("update sharing agreement", err)
	}
	a.UpdatedAt = t
	return nil
}

// SharingAgreement returns one agreement.
func (s *Store) SharingAgreement(ctx context.Context, id int64) (access.SharingAgreement, error) {
	as, err := listSharing(ctx, s.r, id)
	if err != nil {
		return access.SharingAgreement{}, err
	}
	if len(as) == 0 {
		return access.SharingAgreement{}, notFound("sharing agreement %d", id)
	}
	return as[0], nil
}

// ListSharingAgreements returns every agreement, ended ones included, by
// id.
func (s *Store) ListSharingAgreements(ctx context.Context) ([]access.SharingAgreement, error) {
	return listSharing(ctx, s.r, 0)
}

func listSharing(ctx context.Context, q querier, id int64) ([]access.SharingAgreement, error) {
	where, args := "", []any{}
	if id > 0 {
		where, args = ` WHERE id = $1`, []any{id}
	}
	rows, err := q.QueryContext(ctx, `SELECT `+sharingCols+` FROM sharing_agreements`+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, wrap("list sharing agreements", err)
	}
	var out []access.SharingAgreement
	index := map[int64]int{}
	for rows.Next() {
		a, err := scanSharing(rows)
		if err != nil {
			rows.Close()
			return nil, wrap("list sharing agreements", err)
		}
		index[a.ID] = len(out)
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("list sharing agreements", err)
	}
	for _, part := range []struct {
		sql  string
		dest func(a *access.SharingAgreement, v int64)
	}{
		{`SELECT agreement_id, camera_id FROM sharing_cameras`, func(a *access.SharingAgreement, v int64) { a.Cameras = append(a.Cameras, v) }},
		{`SELECT agreement_id, group_id FROM sharing_groups`, func(a *access.SharingAgreement, v int64) { a.Groups = append(a.Groups, v) }},
	} {
		q2 := part.sql
		if id > 0 {
			q2 += ` WHERE agreement_id = $1`
		}
		rows, err := q.QueryContext(ctx, q2+` ORDER BY 1, 2`, args...)
		if err != nil {
			return nil, wrap("list sharing agreements", err)
		}
		for rows.Next() {
			var aid, v int64
			if err := rows.Scan(&aid, &v); err != nil {
				rows.Close()
				return nil, wrap("list sharing agreements", err)
			}
			if i, ok := index[aid]; ok {
				part.dest(&out[i], v)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, wrap("list sharing agreements", err)
		}
	}
	return out, nil
}
