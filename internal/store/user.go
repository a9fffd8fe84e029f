package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// userColsOf lists a user's columns, each prefixed (as "u.") for joins.
func userColsOf(prefix string) string {
	cols := []string{"id", "username", "password_hash", "organisation_id", "role", "must_change_password", "created_at", "totp_enabled"}
	for i, c := range cols {
		cols[i] = prefix + c
	}
	return strings.Join(cols, ", ") + ", COALESCE(" + prefix + "oidc_issuer, ''), COALESCE(" + prefix + "oidc_subject, ''), COALESCE(" +
		prefix + "created_by, 0)"
}

var userCols = userColsOf("")

func scanUser(sc scanner, extra ...any) (identity.User, error) {
	var u identity.User
	var created int64
	dest := append([]any{&u.ID, &u.Username, &u.PasswordHash, &u.OrganisationID, &u.Role, &u.MustChangePassword, &created,
		&u.TOTPEnabled, &u.OIDCIssuer, &u.OIDCSubject, &u.CreatedBy}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return identity.User{}, err
	}
	u.CreatedAt = fromMicros(created)
	return u, nil
}

// CreateUser inserts u and sets its ID and CreatedAt; when u.Role names a
// built-in role, the user holds it over all of their organisation's
// cameras. A taken username yields ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *identity.User) error {
	switch {
	case u.Username == "":
		return errors.New("store: username is empty")
	case u.OrganisationID <= 0:
		return errors.New("store: user has no organisation")
	case u.Role == "":
		return errors.New("store: user has no role")
	case (u.OIDCIssuer == "") != (u.OIDCSubject == ""):
		return errors.New("store: an OpenID user needs both issuer and subject")
	}
	if err := checkName("a username", u.Username); err != nil {
		return err
	}
	skeleton := names.Skeleton(u.Username)
	created := now()
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		// Asked first for a clear answer; the unique index on the
		// skeleton is what holds when two such users are made at once.
		var like string
		err := tx.QueryRowContext(ctx, `SELECT username FROM users WHERE username_skeleton = $1`, skeleton).Scan(&like)
		switch {
		case err == nil && like == u.Username:
			return fmt.Errorf("%w: username %q is taken", ErrConflict, like)
		case err == nil:
			return &names.ConfusableError{Name: u.Username, Existing: like}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO users (username, password_hash, organisation_id, role, must_change_password, created_at,
		oidc_issuer, oidc_subject, username_skeleton, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			u.Username, u.PasswordHash, u.OrganisationID, u.Role, u.MustChangePassword, micros(created),
			nullString(u.OIDCIssuer), nullString(u.OIDCSubject), skeleton, nullID(u.CreatedBy)).Scan(&u.ID)
		if err != nil {
			return err
		}
		if _, ok := rights.ParseRole(u.Role); ok {
			_, err = tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role, camera_group_id, created_at) VALUES ($1, $2, 0, $3)`,
				u.ID, u.Role, micros(created))
		}
		return err
	})
	if errors.Is(err, names.ErrConfusable) {
		return fmt.Errorf("store: create user: %w", err)
	}
	if err != nil {
		return wrap("create user", err)
	}
	u.CreatedAt = created
	return nil
}

// fillSkeletons gives every user made before migration 12 the skeleton of
// their username. Of two existing users whose names look alike the later
// keeps none (the unique index allows it), and is logged: both go on
// signing in, and a third like them is still refused by the first's.
func (s *Store) fillSkeletons(ctx context.Context) error {
	type user struct {
		id   int64
		name string
	}
	var todo []user
	rows, err := s.w.QueryContext(ctx, `SELECT id, username FROM users WHERE username_skeleton IS NULL ORDER BY id`)
	if err != nil {
		return wrap("read usernames without skeleton", err)
	}
	for rows.Next() {
		var u user
		if err := rows.Scan(&u.id, &u.name); err != nil {
			rows.Close()
			return wrap("read usernames without skeleton", err)
		}
		todo = append(todo, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrap("read usernames without skeleton", err)
	}
	for _, u := range todo {
		sk := names.Skeleton(u.name)
		var like string
		err := s.w.QueryRowContext(ctx, `SELECT username FROM users WHERE username_skeleton = $1`, sk).Scan(&like)
		if err == nil {
			s.logger.Warn("store: two usernames look alike; the later is left without a skeleton", "username", u.name, "like", like, "user", u.id)
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap("fill username skeletons", err)
		}
		if _, err := s.w.ExecContext(ctx, `UPDATE users SET username_skeleton = $1 WHERE id = $2 AND username_skeleton IS NULL`, sk, u.id); err != nil {
			if isUniqueViolation(err) {
				continue // another process filled a look-alike first
			}
			return wrap("fill username skeletons", err)
		}
	}
	return nil
}

// UserByName returns the user with the given username.
func (s *Store) UserByName(ctx context.Context, username string) (identity.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, username))
	return u, wrap(fmt.Sprintf("user %q", username), err)
}

// User returns the user with the given id.
func (s *Store) User(ctx context.Context, id int64) (identity.User, error) {
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
func (s *Store) ListUsers(ctx context.Context) ([]identity.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
	if err != nil {
		return nil, wrap("list users", err)
	}
	defer rows.Close()
	var out []identity.User
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

// nullString stores an empty string as NULL, for columns where NULL means
// "none" and must not collide in a unique index.
func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// UserByOIDC returns the user an OpenID provider knows as subject.
func (s *Store) UserByOIDC(ctx context.Context, issuer, subject string) (identity.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2`, issuer, subject))
	return u, wrap(fmt.Sprintf("user %q at %s", subject, issuer), err)
}

// SetUserRole changes the role and organisation of a user, as an OpenID
// provider's claims say at each sign-in: the user then holds that one
// role (a built-in one) over all of the organisation's cameras, and no
// other.
func (s *Store) SetUserRole(ctx context.Context, id int64, role string, organisationID int64) error {
	if role == "" || organisationID <= 0 {
		return errors.New("store: a user needs a role and an organisation")
	}
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET role = $2, organisation_id = $3 WHERE id = $1`, id, role, organisationID)
		if err != nil {
			return err
		}
		if err := checkAffected(res, "user", id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = $1`, id); err != nil {
			return err
		}
		if _, ok := rights.ParseRole(role); ok {
			_, err = tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role, camera_group_id, created_at) VALUES ($1, $2, 0, $3)`,
				id, role, micros(now()))
		}
		return err
	})
	return wrap("set user role", err)
}

// SetPassword replaces a user's password hash and says whether they must
// change it at their next sign-in (true when someone else chose it).
func (s *Store) SetPassword(ctx context.Context, id int64, hash string, mustChange bool) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at = $4 WHERE id = $1`,
		id, hash, mustChange, micros(now()))
	if err != nil {
		return wrap("set password", err)
	}
	return checkAffected(res, "user", id)
}

// The store is identity's repository.
var _ identity.Repo = (*Store)(nil)

// SetUserGrants replaces the roles a user holds, given as grants: how
// identity names roles without the store's types.
func (s *Store) SetUserGrants(ctx context.Context, id int64, grants []rights.Grant) error {
	roles := make([]access.UserRole, 0, len(grants))
	for _, g := range grants {
		roles = append(roles, access.UserRole{Role: string(g.Role), CameraGroupID: g.Group})
	}
	return s.SetUserRoles(ctx, id, roles)
}
