package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/identity"
)

// maxTokenText bounds the free text stored with a token (its name, the
// browser's user agent).
const maxTokenText = 300

// maxTokenHash bounds the stored digest; SHA-512 is the largest we expect.
const maxTokenHash = 64

const tokenCols = `t.id, t.user_id, t.name, t.hash, t.created_at, t.expires_at, t.last_used_at, t.kind, t.remote_addr, t.user_agent`

type tokenScan struct {
	t                 identity.Token
	created           int64
	expires, lastUsed sql.NullInt64
}

func (ts *tokenScan) dest() []any {
	return []any{&ts.t.ID, &ts.t.UserID, &ts.t.Name, &ts.t.Hash, &ts.created, &ts.expires, &ts.lastUsed, &ts.t.Kind, &ts.t.RemoteAddr, &ts.t.UserAgent}
}

func (ts *tokenScan) token() identity.Token {
	ts.t.CreatedAt = fromMicros(ts.created)
	ts.t.ExpiresAt = fromNullMicros(ts.expires)
	ts.t.LastUsedAt = fromNullMicros(ts.lastUsed)
	return ts.t
}

// CreateToken inserts t and sets its ID and CreatedAt. A hash already in
// use yields ErrConflict.
func (s *Store) CreateToken(ctx context.Context, t *identity.Token) error {
	switch {
	case t.UserID <= 0:
		return errors.New("store: token has no user")
	case len(t.Hash) == 0 || len(t.Hash) > maxTokenHash:
		return errors.New("store: token hash must be 1 to 64 bytes")
	case t.Kind != "" && t.Kind != identity.TokenAPI && t.Kind != identity.TokenSession && t.Kind != identity.TokenPending:
		return fmt.Errorf("store: unknown token kind %q", t.Kind)
	}
	if t.Kind == "" {
		t.Kind = identity.TokenAPI
	}
	if err := checkName("a token's name", t.Name); err != nil {
		return err
	}
	t.Name, t.UserAgent, t.RemoteAddr = clip(t.Name, maxTokenText), clip(t.UserAgent, maxTokenText), clip(t.RemoteAddr, maxTokenText)
	created := now()
	t.ExpiresAt = normalPtr(t.ExpiresAt)
	t.LastUsedAt = normalPtr(t.LastUsedAt)
	err := s.w.QueryRowContext(ctx, `INSERT INTO tokens (user_id, name, hash, created_at, expires_at, last_used_at, kind, remote_addr, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		t.UserID, t.Name, t.Hash, micros(created), nullMicros(t.ExpiresAt), nullMicros(t.LastUsedAt), t.Kind, t.RemoteAddr, t.UserAgent).Scan(&t.ID)
	if err != nil {
		return wrap("create token", err)
	}
	t.CreatedAt = created
	return nil
}

// TokenByHash returns the unexpired token of the given kind with the
// given hash, and its owner. An expired token, or one of another kind, is
// reported as ErrNotFound, exactly like an unknown one, so callers cannot
// leak which tokens once existed.
func (s *Store) TokenByHash(ctx context.Context, hash []byte, kind string) (identity.Token, identity.User, error) {
	if len(hash) == 0 || len(hash) > maxTokenHash {
		return identity.Token{}, identity.User{}, notFound("token")
	}
	var ts tokenScan
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColsOf("u.")+`, `+tokenCols+`
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = $1 AND t.kind = $3 AND (t.expires_at IS NULL OR t.expires_at > $2)`, hash, micros(now()), kind), ts.dest()...)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return identity.Token{}, identity.User{}, notFound("token")
		}
		return identity.Token{}, identity.User{}, wrap("token by hash", err)
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
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]identity.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenCols+` FROM tokens t WHERE t.user_id = $1 ORDER BY t.id`, userID)
	if err != nil {
		return nil, wrap("list tokens", err)
	}
	defer rows.Close()
	var out []identity.Token
	for rows.Next() {
		var ts tokenScan
		if err := rows.Scan(ts.dest()...); err != nil {
			return nil, wrap("list tokens", err)
		}
		out = append(out, ts.token())
	}
	return out, wrap("list tokens", rows.Err())
}

// DeleteToken removes one of a user's tokens of a kind; another user's,
// or one of another kind, is ErrNotFound, as if it did not exist.
func (s *Store) DeleteToken(ctx context.Context, userID, id int64, kind string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM tokens WHERE id = $1 AND user_id = $2 AND kind = $3`, id, userID, kind)
	if err != nil {
		return wrap("delete token", err)
	}
	return checkAffected(res, "token", id)
}

// DeleteUserTokens removes a user's tokens of one kind, except the one
// with id except (0: none), and returns how many went.
func (s *Store) DeleteUserTokens(ctx context.Context, userID int64, kind string, except int64) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = $1 AND kind = $2 AND id <> $3`, userID, kind, except)
	if err != nil {
		return 0, wrap("delete user tokens", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("delete user tokens", err)
}

// DeleteExpiredTokens removes every token that expired before cutoff.
func (s *Store) DeleteExpiredTokens(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at < $1`, micros(cutoff))
	if err != nil {
		return 0, wrap("delete expired tokens", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("delete expired tokens", err)
}

// clip shortens s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
