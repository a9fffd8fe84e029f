package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/access"
)

func cleanIDs(ids []int64) ([]int64, error) {
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] <= 0 {
		return nil, &InvalidError{Msg: fmt.Sprintf("camera id %d is not a positive whole number", out[0])}
	}
	if out == nil {
		out = []int64{}
	}
	return out, nil
}

func validGroup(g *access.CameraGroup) error {
	g.Name = strings.TrimSpace(g.Name)
	if n := utf8.RuneCountInString(g.Name); n == 0 || n > access.MaxCameraGroupName {
		return &InvalidError{Msg: fmt.Sprintf("a camera group's name must be 1 to %d characters", access.MaxCameraGroupName)}
	}
	if err := checkName("a camera group's name", g.Name); err != nil {
		return err
	}
	if g.OrganisationID <= 0 {
		return errors.New("store: camera group has no organisation")
	}
	ids, err := cleanIDs(g.Cameras)
	g.Cameras = ids
	return err
}

// writeMembers replaces a group's cameras inside tx.
func writeMembers(ctx context.Context, tx *sql.Tx, id int64, cams []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM camera_group_members WHERE group_id = $1`, id); err != nil {
		return err
	}
	for _, c := range cams {
		if _, err := tx.ExecContext(ctx, `INSERT INTO camera_group_members (group_id, camera_id) VALUES ($1, $2)`, id, c); err != nil {
			return err
		}
	}
	return nil
}

// CreateCameraGroup inserts g and sets its ID and CreatedAt. Which cameras
// the organisation may put in it is the caller's to check. A name the
// organisation already uses yields ErrConflict.
func (s *Store) CreateCameraGroup(ctx context.Context, g *access.CameraGroup) error {
	if err := validGroup(g); err != nil {
		return err
	}
	created := now()
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO camera_groups (organisation_id, name, created_at) VALUES ($1, $2, $3) RETURNING id`,
			g.OrganisationID, g.Name, micros(created)).Scan(&g.ID); err != nil {
			return err
		}
		return writeMembers(ctx, tx, g.ID, g.Cameras)
	})
	if err != nil {
		return wrap("create camera group", err)
	}
	g.CreatedAt = created
	return nil
}

// UpdateCameraGroup writes g's name and cameras.
func (s *Store) UpdateCameraGroup(ctx context.Context, g *access.CameraGroup) error {
	if err := validGroup(g); err != nil {
		return err
	}
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE camera_groups SET name = $2 WHERE id = $1`, g.ID, g.Name)
		if err != nil {
			return err
		}
		if err := checkAffected(res, "camera group", g.ID); err != nil {
			return err
		}
		return writeMembers(ctx, tx, g.ID, g.Cameras)
	})
	return wrap("update camera group", err)
}

// DeleteCameraGroup removes a group. Roles limited to it go with it, and
// sharing agreements stop naming it: both only ever narrow what anyone
// may see.
func (s *Store) DeleteCameraGroup(ctx context.Context, id int64) error {
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE camera_group_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sharing_groups WHERE group_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM camera_group_members WHERE group_id = $1`, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM camera_groups WHERE id = $1`, id)
		if err != nil {
			return err
		}
		return checkAffected(res, "camera group", id)
	})
	return wrap("delete camera group", err)
}

// CameraGroup returns one group with its cameras.
func (s *Store) CameraGroup(ctx context.Context, id int64) (access.CameraGroup, error) {
	gs, err := listCameraGroups(ctx, s.r, id)
	if err != nil {
		return access.CameraGroup{}, err
	}
	if len(gs) == 0 {
		return access.CameraGroup{}, notFound("camera group %d", id)
	}
	return gs[0], nil
}

// ListCameraGroups returns every group, by id, with its cameras.
func (s *Store) ListCameraGroups(ctx context.Context) ([]access.CameraGroup, error) {
	return listCameraGroups(ctx, s.r, 0)
}

// listCameraGroups lists one group (id > 0) or all.
func listCameraGroups(ctx context.Context, q querier, id int64) ([]access.CameraGroup, error) {
	where := ""
	args := []any{}
	if id > 0 {
		where, args = ` WHERE g.id = $1`, append(args, id)
	}
	rows, err := q.QueryContext(ctx, `SELECT g.id, g.organisation_id, g.name, g.created_at, m.camera_id
		FROM camera_groups g LEFT JOIN camera_group_members m ON m.group_id = g.id`+where+` ORDER BY g.id, m.camera_id`, args...)
	if err != nil {
		return nil, wrap("list camera groups", err)
	}
	defer rows.Close()
	var out []access.CameraGroup
	for rows.Next() {
		var g access.CameraGroup
		var created int64
		var cam sql.NullInt64
		if err := rows.Scan(&g.ID, &g.OrganisationID, &g.Name, &created, &cam); err != nil {
			return nil, wrap("list camera groups", err)
		}
		if n := len(out); n == 0 || out[n-1].ID != g.ID {
			g.CreatedAt, g.Cameras = fromMicros(created), []int64{}
			out = append(out, g)
		}
		if cam.Valid {
			last := &out[len(out)-1]
			last.Cameras = append(last.Cameras, cam.Int64)
		}
	}
	return out, wrap("list camera groups", rows.Err())
}
