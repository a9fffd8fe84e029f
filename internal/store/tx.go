package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
)

// dbtx is what a query runs on: a pool, or a transaction.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// txState is the transaction a Store from Update is bound to, and the
// audit records waiting to join it.
type txState struct {
	tx     *sql.Tx
	outbox []OutboxEntry
	done   bool
}

// OutboxEntry is an audit record in the main database's outbox: written in
// the transaction of the change it records, then taken into the trail.
// Action is the audit registry's name for it.
type OutboxEntry struct {
	ID                   int64 // set when read back
	At                   time.Time
	UserID               int64
	Username             string
	OrganisationID       int64
	Action               string
	CameraID             int64
	RangeStart, RangeEnd *time.Time
	RemoteAddr           string
	Reason               string
	Detail               string
}

// ErrNoTransaction is returned by Log on a Store not bound to a
// transaction: an audit record of a change goes in the change's own.
var ErrNoTransaction = errors.New("store: an audit record must join the transaction of its change")

// ErrTransactionDone is returned by Log after the transaction ended:
// a function that kept the bound Store beyond its call.
var ErrTransactionDone = errors.New("store: the transaction has ended")

// outboxLock is the PostgreSQL advisory lock that orders outbox writers.
const outboxLock = 0x76696769_6c6f7574 // "vigilout"

// Update runs fn in one transaction on the writer. Every method of the
// *Store fn is given runs in that transaction, reads included, and the
// audit records fn adds with Log are written to the outbox in it,
// last, so the change and its records commit together or not at all.
// through is the outbox id of the last record written (0: none). Called on
// a Store already bound to a transaction, Update runs fn in that one.
func (s *Store) Update(ctx context.Context, fn func(tx *Store) error) (through int64, err error) {
	if s.tx != nil {
		return 0, fn(s)
	}
	sqlTx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrap("begin", err)
	}
	st := &txState{tx: sqlTx}
	bound := *s
	bound.w, bound.r, bound.tx = sqlTx, sqlTx, st
	defer func() { st.done = true }()
	if err := fn(&bound); err != nil {
		sqlTx.Rollback()
		return 0, err
	}
	if len(st.outbox) > 0 {
		if through, err = s.writeOutbox(ctx, sqlTx, st.outbox); err != nil {
			sqlTx.Rollback()
			return 0, err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return 0, wrap("commit", err)
	}
	return through, nil
}

// Log adds the audit record e to the outbox of the transaction s is bound
// to: it commits with the change it records, or not at all. A zero At is
// now.
func (s *Store) Log(e auditlog.Entry) error {
	if e.Action.String() == "" {
		return auditlog.ErrNoAction
	}
	if s.tx == nil {
		return ErrNoTransaction
	}
	if s.tx.done {
		return ErrTransactionDone
	}
	if e.At.IsZero() {
		e.At = now()
	}
	c := auditlog.Clean
	s.tx.outbox = append(s.tx.outbox, OutboxEntry{
		At: normal(e.At), UserID: e.UserID, Username: c(e.Username), OrganisationID: e.OrganisationID,
		Action: e.Action.String(), CameraID: e.CameraID, RangeStart: normalPtr(e.RangeStart), RangeEnd: normalPtr(e.RangeEnd),
		RemoteAddr: c(e.RemoteAddr), Reason: c(e.Reason), Detail: c(e.Detail),
	})
	return nil
}

// InTransaction reports whether s is bound to a transaction by Update.
func (s *Store) InTransaction() bool { return s.tx != nil }

// writeOutbox inserts entries in order and returns the last id. On
// PostgreSQL it first takes the outbox lock, held to the commit, so that
// writers' ids are in the order they commit and the drain, which takes
// rows in id order, never passes one still to commit.
func (s *Store) writeOutbox(ctx context.Context, tx *sql.Tx, entries []OutboxEntry) (int64, error) {
	if s.dialect == dialectPostgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(outboxLock)); err != nil {
			return 0, wrap("lock audit outbox", err)
		}
	}
	var id int64
	for _, e := range entries {
		err := tx.QueryRowContext(ctx, `INSERT INTO audit_outbox (at_us, user_id, username, organisation_id, action, camera_id,
			range_start_us, range_end_us, remote_addr, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			micros(e.At), e.UserID, e.Username, e.OrganisationID, e.Action, e.CameraID,
			nullMicros(e.RangeStart), nullMicros(e.RangeEnd), e.RemoteAddr, e.Reason, e.Detail).Scan(&id)
		if err != nil {
			return 0, wrap("write audit outbox", err)
		}
	}
	return id, nil
}

// OutboxAfter returns up to limit outbox records with ids above after, in
// id order.
func (s *Store) OutboxAfter(ctx context.Context, after int64, limit int) ([]OutboxEntry, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT id, at_us, user_id, username, organisation_id, action, camera_id,
		range_start_us, range_end_us, remote_addr, reason, detail FROM audit_outbox WHERE id > $1 ORDER BY id LIMIT $2`, after, clampLimit(limit))
	if err != nil {
		return nil, wrap("read audit outbox", err)
	}
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		var e OutboxEntry
		var at int64
		var start, end sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &e.UserID, &e.Username, &e.OrganisationID, &e.Action, &e.CameraID,
			&start, &end, &e.RemoteAddr, &e.Reason, &e.Detail); err != nil {
			return nil, wrap("read audit outbox", err)
		}
		e.At, e.RangeStart, e.RangeEnd = fromMicros(at), fromNullMicros(start), fromNullMicros(end)
		out = append(out, e)
	}
	return out, wrap("read audit outbox", rows.Err())
}

// OutboxPending counts the records waiting in the outbox, and the newest
// id it has held (0: none).
func (s *Store) OutboxPending(ctx context.Context) (n, newest int64, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0) FROM audit_outbox`).Scan(&n, &newest)
	return n, newest, wrap("count audit outbox", err)
}

// DeleteOutboxThrough removes the outbox records up to and including id,
// once the trail holds them.
func (s *Store) DeleteOutboxThrough(ctx context.Context, id int64) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM audit_outbox WHERE id <= $1`, id)
	return wrap("clear audit outbox", err)
}

// OutboxSource is this database's name for the trail's record of how far
// it has drained the outbox: random, made the first time it is asked for.
func (s *Store) OutboxSource(ctx context.Context) (string, error) {
	var src string
	err := s.w.QueryRowContext(ctx, `SELECT source FROM audit_outbox_source WHERE id = 1`).Scan(&src)
	if err == nil {
		return src, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", wrap("audit outbox source", err)
	}
	var b [16]byte
	rand.Read(b[:])
	if _, err := s.w.ExecContext(ctx, `INSERT INTO audit_outbox_source (id, source) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`,
		hex.EncodeToString(b[:])); err != nil {
		return "", wrap("audit outbox source", err)
	}
	if err := s.w.QueryRowContext(ctx, `SELECT source FROM audit_outbox_source WHERE id = 1`).Scan(&src); err != nil {
		return "", fmt.Errorf("store: audit outbox source: %w", err)
	}
	return src, nil
}
