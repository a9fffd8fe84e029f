// Package store is Vigil's only SQL: hand-written queries over database/sql
// that run unchanged on SQLite (modernc.org/sqlite) and PostgreSQL (pgx).
//
// Portability rests on a few conventions. Placeholders are $1, $2, ... on
// both engines (modernc binds $N to the N-th argument); only the large
// generated batch statements switch to "?" on SQLite, for speed. Instants
// are BIGINT microseconds since the Unix epoch in UTC, durations BIGINT
// nanoseconds, flags BOOLEAN. Otherwise the only dialect-specific text is
// in the migrations, as {{ID}} and {{BLOB}} substitutions.
//
// On SQLite all writes go through a single-connection pool so that writers
// queue in Go rather than spin on SQLITE_BUSY, while reads use a separate
// read-only pool that WAL lets proceed concurrently with the writer.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vigil-cctv/vigil/internal/problem"
)

// ErrNotFound is returned, wrapped, when a looked-up row does not exist.
// It is problem.ErrNotFound, so the capabilities need not know the store.
var ErrNotFound = problem.ErrNotFound

// ErrConflict is returned, wrapped, when a write would violate a uniqueness
// rule, whichever engine detected it. It is problem.ErrConflict.
var ErrConflict = problem.ErrConflict

const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"

	// defaultLimit and maxLimit bound list queries so that a careless or
	// hostile caller cannot make the store materialise a whole table.
	defaultLimit = 100
	maxLimit     = 10000

	sqliteReaders = 4
)

// Store is a handle on Vigil's database. It is safe for concurrent use,
// except the *Store that Update hands its function: that one is bound to
// one transaction and belongs to that call.
type Store struct {
	dialect string
	wdb     *sql.DB // every write goes here
	rdb     *sql.DB // reads; the same pool as wdb on PostgreSQL
	// w and r are what queries run on: the pools above, or, on a Store
	// bound to a transaction by Update, that transaction for both, so
	// that every method reads what the transaction wrote.
	w, r   dbtx
	tx     *txState // nil unless bound to a transaction
	logger *slog.Logger

	stmts map[stmtKey]*sql.Stmt // batch statements, fixed after Open
}

// Open connects to the database named by dsn and brings its schema up to
// date. dsn is a PostgreSQL URL ("postgres://" or "postgresql://") or a
// SQLite file path, optionally prefixed with "sqlite:" or "sqlite://".
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{logger: logger, stmts: make(map[stmtKey]*sql.Stmt)}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(4)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.dialect, s.wdb, s.rdb = dialectPostgres, db, db
	} else {
		path, err := sqlitePath(dsn)
		if err != nil {
			return nil, err
		}
		// busy_timeout comes first so that switching to WAL waits for
		// another process's lock instead of failing.
		w, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"+
			"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
		s.dialect, s.wdb = dialectSQLite, w
	}
	s.w, s.r = s.wdb, s.wdb
	if err := s.pingWriter(ctx); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.wdb.Close()
		return nil, err
	}
	if err := s.fillSkeletons(ctx); err != nil {
		s.wdb.Close()
		return nil, err
	}
	if err := s.prepareBatch(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.dialect == dialectSQLite {
		// Refresh the planner's statistics where they are stale; SQLite
		// bounds the work, and a failure costs only plan quality.
		if _, err := s.wdb.ExecContext(ctx, `PRAGMA optimize=0x10002`); err != nil {
			s.logger.Warn("store: sqlite optimize failed", "err", err)
		}
		// The reader opens after migration so that WAL mode and the
		// schema are already on disk when it first looks.
		path, _ := sqlitePath(dsn)
		r, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_query_only=1")
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("store: open sqlite reader: %w", err)
		}
		r.SetMaxOpenConns(sqliteReaders)
		r.SetMaxIdleConns(sqliteReaders)
		s.rdb, s.r = r, r
		if err := r.PingContext(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("store: connect sqlite reader: %w", err)
		}
	}
	return s, nil
}

func sqlitePath(dsn string) (string, error) {
	path := dsn
	if p, ok := strings.CutPrefix(path, "sqlite://"); ok {
		path = p
	} else if p, ok := strings.CutPrefix(path, "sqlite:"); ok {
		path = p
	}
	switch {
	case path == "":
		return "", errors.New("store: empty database path")
	case path == ":memory:" || strings.HasPrefix(path, "file::memory:"):
		// Two pools would each see their own empty database.
		return "", errors.New("store: in-memory sqlite is not supported, use a file")
	case strings.ContainsAny(path, "?#"):
		return "", fmt.Errorf("store: sqlite path %q must not contain '?' or '#'", path)
	}
	return path, nil
}

// Close releases every connection. Prepared statements go with them.
func (s *Store) Close() error {
	for _, st := range s.stmts {
		st.Close()
	}
	err := s.wdb.Close()
	if s.rdb != nil && s.rdb != s.wdb {
		if rerr := s.rdb.Close(); err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Dialect reports the engine: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that both pools can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.wdb.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if s.rdb != s.wdb {
		if err := s.rdb.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping reader: %w", err)
		}
	}
	return nil
}

// inTx runs fn in a transaction on the writer, committing if fn succeeds.
// On a Store bound to a transaction it runs fn in that one, which commits
// or rolls back with everything else done in it.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.tx != nil {
		return fn(s.tx.tx)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// wrap turns a driver error into the store's vocabulary: sql.ErrNoRows
// becomes ErrNotFound and a unique violation ErrConflict on either engine.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %s", ErrNotFound, op)
	case isUniqueViolation(err):
		return fmt.Errorf("%w: %s: %v", ErrConflict, op, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotFound}, args...)...)
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505" // unique_violation
	}
	return false
}

// checkAffected maps "no row changed" to ErrNotFound.
func checkAffected(res sql.Result, what string, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("%s %d", what, id)
	}
	return nil
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

// Instants are stored as microseconds; these helpers keep the conversion
// in one place so that every value read back is UTC.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// normal returns t as the store will give it back: UTC, whole microseconds.
func normal(t time.Time) time.Time { return fromMicros(t.UnixMicro()) }

func now() time.Time { return normal(time.Now()) }

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func normalPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normal(*t)
	return &n
}

type scanner interface{ Scan(dest ...any) error }

// pingWriter opens the writer's connection. SQLite answers SQLITE_BUSY at
// once, without waiting out busy_timeout, when another process is switching
// the same new file to WAL at the same moment (the busy handler is not
// called where waiting could deadlock); the switch is over in
// milliseconds, so the open is simply tried again for a while.
func (s *Store) pingWriter(ctx context.Context) error {
	wait := 5 * time.Millisecond
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.wdb.PingContext(ctx)
		if err == nil || s.dialect != dialectSQLite || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}
