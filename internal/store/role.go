package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// UserRoles returns a user's roles, by role then group.
func (s *Store) UserRoles(ctx context.Context, userID int64) ([]access.UserRole, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT role, camera_group_id, created_at FROM user_roles WHERE user_id = $1
		ORDER BY role, camera_group_id`, userID)
	if err != nil {
		return nil, wrap("user roles", err)
	}
	defer rows.Close()
	out := []access.UserRole{}
	for rows.Next() {
		var r access.UserRole
		var created int64
		if err := rows.Scan(&r.Role, &r.CameraGroupID, &created); err != nil {
			return nil, wrap("user roles", err)
		}
		r.CreatedAt = fromMicros(created)
		out = append(out, r)
	}
	return out, wrap("user roles", rows.Err())
}

// SetUserRoles replaces a user's roles. Every role must be a built-in one
// and every group one of the user's own organisation; otherwise the
// answer is an *InvalidError and nothing changes. users.role becomes the
// first role, or "none".
func (s *Store) SetUserRoles(ctx context.Context, userID int64, roles []access.UserRole) error {
	seen := map[access.UserRole]bool{}
	var clean []access.UserRole
	for _, r := range roles {
		if _, ok := rights.ParseRole(r.Role); !ok {
			return &InvalidError{Msg: fmt.Sprintf("%q is not a role; the roles are operator, supervisor, cctv_manager, partner_officer, police_viewer, police_investigator, auditor and administrator", r.Role)}
		}
		if r.CameraGroupID < 0 {
			return &InvalidError{Msg: "a camera group id is a positive whole number"}
		}
		k := access.UserRole{Role: r.Role, CameraGroupID: r.CameraGroupID}
		if !seen[k] {
			seen[k] = true
			clean = append(clean, k)
		}
	}
	sort.Slice(clean, func(i, j int) bool {
		if clean[i].Role != clean[j].Role {
			return clean[i].Role < clean[j].Role
		}
		return clean[i].CameraGroupID < clean[j].CameraGroupID
	})
	t := micros(now())
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		var org int64
		if err := tx.QueryRowContext(ctx, `SELECT organisation_id FROM users WHERE id = $1`, userID).Scan(&org); err != nil {
			return err
		}
		for _, r := range clean {
			if r.CameraGroupID == 0 {
				continue
			}
			var gorg int64
			err := tx.QueryRowContext(ctx, `SELECT organisation_id FROM camera_groups WHERE id = $1`, r.CameraGroupID).Scan(&gorg)
			if err == sql.ErrNoRows || err == nil && gorg != org {
				return &InvalidError{Msg: fmt.Sprintf("camera group %d is not one of the user's organisation", r.CameraGroupID)}
			}
			if err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = $1`, userID); err != nil {
			return err
		}
		first := "none"
		for i, r := range clean {
			if i == 0 {
				first = r.Role
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role, camera_group_id, created_at) VALUES ($1, $2, $3, $4)`,
				userID, r.Role, r.CameraGroupID, t); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET role = $2 WHERE id = $1`, userID, first)
		return err
	})
	if _, ok := err.(*InvalidError); ok {
		return err
	}
	return wrap(fmt.Sprintf("set roles of user %d", userID), err)
}

// RolesHolder is the username of the user whose roles these are, for the
// record of a change of them.
func (s *Store) RolesHolder(ctx context.Context, userID int64) (string, error) {
	var name string
	err := s.r.QueryRowContext(ctx, `SELECT username FROM users WHERE id = $1`, userID).Scan(&name)
	return name, wrap(fmt.Sprintf("user %d", userID), err)
}

var _ access.Repo = (*Store)(nil)
