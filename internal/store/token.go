package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Token is an API token. Only its hash is stored.
type Token struct {
	ID, UserID int64
	Name       string
	Hash       []byte
	CreatedAt  time.Time
	ExpiresAt  *time.Time // nil: never expires
	LastUsedAt *time.Time
}

// maxTokenHash bounds the stored digest; SHA-512 is the largest we expect.
const maxTokenHash = 64

const tokenCols = `t.id, t.user_id, t.name, t.hash, t.created_at, t.expires_at, t.last_used_at`

type tokenScan struct {
	t                 Token
	created           int64
	expires, lastUsed sql.NullInt64
}

func (ts *tokenScan) dest() []any {
	return []any{&ts.t.ID, &ts.t.UserID, &ts.t.Name, &ts.t.Hash, &ts.created, &ts.expires, &ts.lastUsed}
}

func (ts *tokenScan) token() Token {
	ts.t.CreatedAt = fromMicros(ts.created)
	ts.t.ExpiresAt = fromNullMicros(ts.expires)
	ts.t.LastUsedAt = fromNullMicros(ts.lastUsed)
	return ts.t
}

// CreateToken inserts t and sets its ID and CreatedAt. A hash already in
// use yields ErrConflict.
func (s *Store) CreateToken(ctx context.Context, t *Token) error {
	switch {
	case t.UserID <= 0:
		return errors.New("store: token has no user")
	case len(t.Hash) == 0 || len(t.Hash) > maxTokenHash:
		return errors.New("store: token hash must be 1 to 64 bytes")
	}
	created := now()
	t.ExpiresAt = normalPtr(t.ExpiresAt)
	t.LastUsedAt = normalPtr(t.LastUsedAt)
	err := s.w.QueryRowContext(ctx, `INSERT INTO tokens (user_id, name, hash, created_at, expires_at, last_used_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		t.UserID, t.Name, t.Hash, micros(created), nullMicros(t.ExpiresAt), nullMicros(t.LastUsedAt)).Scan(&t.ID)
	if err != nil {
		return wrap("create token", err)
	}
	t.CreatedAt = created
	return nil
}

// TokenByHash returns the unexpired token with the given hash and its
// owner. An expired token is reported as ErrNotFound, exactly like an
// unknown one, so callers cannot leak which tokens once existed.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (Token, User, error) {
	if len(hash) == 0 || len(hash) > maxTokenHash {
		return Token{}, User{}, notFound("token")
	}
	var ts tokenScan
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT u.id, u.username, u.password_hash, u.organisation_id, u.role,
		u.must_change_password, u.created_at, `+tokenCols+`
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2)`, hash, micros(now())), ts.dest()...)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Token{}, User{}, notFound("token")
		}
		return Token{}, User{}, wrap("token by hash", err)
	}
	return ts.token(), u, nil
}

// TouchToken records that token id was used at the given time. It is kept
// apart from TokenByHash so that authenticating stays a read.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE tokens SET last_used_at = $2 WHERE id = $1`, id, micros(at))
	if err != nil {
		return wrap("touch token", err)
	}
	return checkAffected(res, "token", id)
}

// ListTokens returns every token of a user, expired ones included, by id.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenCols+` FROM tokens t WHERE t.user_id = $1 ORDER BY t.id`, userID)
	if err != nil {
		return nil, wrap("list tokens", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var ts tokenScan
		if err := rows.Scan(ts.dest()...); err != nil {
			return nil, wrap("list tokens", err)
		}
		out = append(out, ts.token())
	}
	return out, wrap("list tokens", rows.Err())
}
