package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/internal/rights"
)

// User is someone who signs in to Vigil.
type User struct {
	ID             int64
	Username       string
	PasswordHash   string
	OrganisationID int64
	// Role is the role the account was made with, kept for display; what
	// the user may do comes from their roles (UserRoles), of which
	// CreateUser makes this the first when it names a built-in role.
	Role               string
	MustChangePassword bool
	CreatedAt          time.Time
}

const userCols = `id, username, password_hash, organisation_id, role, must_change_password, created_at`

func scanUser(sc scanner, extra ...any) (User, error) {
	var u User
	var created int64
	dest := append([]any{&u.ID, &u.Username, &u.PasswordHash, &u.OrganisationID, &u.Role, &u.MustChangePassword, &created}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return User{}, err
	}
	u.CreatedAt = fromMicros(created)
	return u, nil
}

// CreateUser inserts u and sets its ID and CreatedAt; when u.Role names a
// built-in role, the user holds it over all of their organisation's
// cameras. A taken username yields ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	switch {
	case u.Username == "":
		return errors.New("store: username is empty")
	case u.OrganisationID <= 0:
		return errors.New("store: user has no organisation")
	case u.Role == "":
		return errors.New("store: user has no role")
	}
	created := now()
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO users (username, password_hash, organisation_id, role, must_change_password, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			u.Username, u.PasswordHash, u.OrganisationID, u.Role, u.MustChangePassword, micros(created)).Scan(&u.ID)
		if err != nil {
			return err
		}
		if _, ok := rights.ParseRole(u.Role); ok {
			_, err = tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role, camera_group_id, created_at) VALUES ($1, $2, 0, $3)`,
				u.ID, u.Role, micros(created))
		}
		return err
	})
	if err != nil {
		return wrap("create user", err)
	}
	u.CreatedAt = created
	return nil
}

// UserByName returns the user with the given username.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, username))
	return u, wrap(fmt.Sprintf("user %q", username), err)
}

// User returns the user with the given id.
func (s *Store) User(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	return u, wrap(fmt.Sprintf("user %d", id), err)
}

// CountUsers returns how many users exist, so that first start can tell
// whether an initial administrator is needed.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, wrap("count users", err)
}

// ListUsers returns every user by id.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
	if err != nil {
		return nil, wrap("list users", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrap("list users", err)
		}
		out = append(out, u)
	}
	return out, wrap("list users", rows.Err())
}

// DeleteUser removes a user with their roles, tokens and layouts. The
// audit trail keeps their name.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id)
		if err != nil {
			return err
		}
		return checkAffected(res, "user", id)
	})
	return wrap("delete user", err)
}
