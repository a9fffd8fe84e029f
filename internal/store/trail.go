package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Trail is the audit trail's own database: a file of its own on SQLite, a
// schema of its own on PostgreSQL, with its own migrations. It only stores
// and reads; chaining, signing and verifying are package audit's. Its
// tables refuse UPDATE and DELETE (triggers), except the deletion of what
// the newest checkpoint says retention removed.
type Trail struct {
	dialect string
	w       *sql.DB
	r       *sql.DB
	logger  *slog.Logger
}

//go:embed trail/*.sql
var trailFS embed.FS

// trailMigrationLock serialises trail migrations on PostgreSQL.
const trailMigrationLock = 0x5669_6769_6C01

// OpenTrail connects to the trail's database and brings its schema up to
// date. dsn is a SQLite file path or a PostgreSQL URL; a search_path in
// the URL names the schema, which is created if missing.
func OpenTrail(ctx context.Context, dsn string, logger *slog.Logger) (*Trail, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	t := &Trail{logger: logger}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open audit postgres: %w", err)
		}
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(4)
		db.SetConnMaxIdleTime(5 * time.Minute)
		t.dialect, t.w, t.r = dialectPostgres, db, db
		if err := t.createSchema(ctx, dsn); err != nil {
			db.Close()
			return nil, err
		}
	} else {
		p, err := sqlitePath(dsn)
		if err != nil {
			return nil, err
		}
		// synchronous(FULL): a record is on disk when Append returns, since
		// footage is served on the strength of it.
		w, err := sql.Open("sqlite", p+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"+
			"&_pragma=synchronous(FULL)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("store: open audit sqlite: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
		t.dialect, t.w = dialectSQLite, w
	}
	if err := t.w.PingContext(ctx); err != nil {
		t.w.Close()
		return nil, fmt.Errorf("store: connect audit database: %w", err)
	}
	if err := t.migrate(ctx); err != nil {
		t.w.Close()
		return nil, err
	}
	if t.dialect == dialectSQLite {
		p, _ := sqlitePath(dsn)
		r, err := sql.Open("sqlite", p+"?_pragma=busy_timeout(10000)&_query_only=1")
		if err != nil {
			t.w.Close()
			return nil, fmt.Errorf("store: open audit sqlite reader: %w", err)
		}
		r.SetMaxOpenConns(sqliteReaders)
		r.SetMaxIdleConns(sqliteReaders)
		t.r = r
	}
	return t, nil
}

// createSchema makes the schema a search_path in dsn names, so that the
// migrations have somewhere to go.
func (t *Trail) createSchema(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("store: audit database URL: %w", err)
	}
	first, _, _ := strings.Cut(u.Query().Get("search_path"), ",")
	if first = strings.TrimSpace(first); first == "" {
		return nil
	}
	if _, err := t.w.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{first}.Sanitize()); err != nil {
		return fmt.Errorf("store: create audit schema %s: %w", first, err)
	}
	return nil
}

// Close releases every connection.
func (t *Trail) Close() error {
	err := t.w.Close()
	if t.r != nil && t.r != t.w {
		if rerr := t.r.Close(); err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("store: close audit database: %w", err)
	}
	return nil
}

// Dialect reports the engine: "sqlite" or "postgres".
func (t *Trail) Dialect() string { return t.dialect }

// Ping checks that the database can be reached.
func (t *Trail) Ping(ctx context.Context) error {
	if err := t.r.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping audit database: %w", err)
	}
	return nil
}

var trailTypes = map[string]*strings.Replacer{
	dialectSQLite:   strings.NewReplacer("{{SEQ}}", "INTEGER PRIMARY KEY", "{{BLOB}}", "BLOB"),
	dialectPostgres: strings.NewReplacer("{{SEQ}}", "BIGINT PRIMARY KEY", "{{BLOB}}", "BYTEA"),
}

// loadTrailMigrations reads trail/NNNN_name.sql and the dialect's own
// NNNN_name.DIALECT.sql of each version: the trail's guards are triggers,
// whose text differs between the engines far more than a type name.
func loadTrailMigrations(fsys fs.FS, dialect string) ([]migration, error) {
	names, err := fs.Glob(fsys, "trail/*.sql")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]*migration{}
	for _, n := range names {
		base := path.Base(n)
		num, rest, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: audit migration %q: name must start with a positive number and '_'", base)
		}
		stem := strings.TrimSuffix(rest, ".sql")
		own := false
		if name, d, ok := strings.Cut(stem, "."); ok {
			if _, known := trailTypes[d]; !known {
				return nil, fmt.Errorf("store: audit migration %q: unknown dialect %q", base, d)
			}
			if d != dialect {
				continue
			}
			stem, own = name, true
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		m := byVersion[v]
		if m == nil {
			m = &migration{version: v, name: num + "_" + stem}
			byVersion[v] = m
		} else if m.name != num+"_"+stem {
			return nil, fmt.Errorf("store: audit migrations %q and %q share version %d", m.name, base, v)
		}
		// The common file's statements go first, so tables exist before
		// the dialect's triggers on them.
		stmts := splitTrailSQL(trailTypes[dialect].Replace(string(b)))
		if own {
			m.stmts = append(m.stmts, stmts...)
		} else {
			m.stmts = append(stmts, m.stmts...)
		}
	}
	var ms []migration
	for _, m := range byVersion {
		ms = append(ms, *m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: audit migration %q: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// splitTrailSQL drops "--" comments outside $$ quotes and ends a statement
// at a semicolon that ends a line outside them, so trigger bodies, whose
// own statements end inside a line or inside $$, stay whole.
func splitTrailSQL(text string) []string {
	var out []string
	var cur strings.Builder
	inDollar := false
	for line := range strings.Lines(text) {
		if !inDollar {
			if i := strings.Index(line, "--"); i >= 0 && !strings.Contains(line[:i], "$$") {
				line = line[:i] + "\n"
			}
		}
		if strings.Count(line, "$$")%2 == 1 {
			inDollar = !inDollar
		}
		cur.WriteString(line)
		if !inDollar && strings.HasSuffix(strings.TrimSpace(line), ";") {
			if s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); strings.TrimSpace(s) != "" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

func (t *Trail) migrate(ctx context.Context) error {
	ms, err := loadTrailMigrations(trailFS, t.dialect)
	if err != nil {
		return err
	}
	for _, m := range ms {
		applied := false
		err := t.inTx(ctx, func(tx *sql.Tx) error {
			if t.dialect == dialectPostgres {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(trailMigrationLock)); err != nil {
					return fmt.Errorf("take migration lock: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version BIGINT PRIMARY KEY,
				name TEXT NOT NULL,
				applied_at BIGINT NOT NULL)`); err != nil {
				return err
			}
			var current int
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
				return err
			}
			if current > len(ms) {
				return fmt.Errorf("audit database schema version %d is newer than this program's %d", current, len(ms))
			}
			if current >= m.version {
				return nil
			}
			for _, stmt := range m.stmts {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%w\n%s", err, stmt)
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, micros(now())); err != nil {
				return err
			}
			applied = true
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: audit migration %s: %w", m.name, err)
		}
		if applied {
			t.logger.Info("store: applied audit migration", "version", m.version, "name", m.name, "dialect", t.dialect)
		}
	}
	return nil
}

func (t *Trail) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := t.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// AuditRecord is one record of the audit trail as stored: what happened,
// who did it, from where, to which camera and range and why, and its place
// in the chain.
type AuditRecord struct {
	Seq                  int64
	At                   time.Time
	UserID               int64 // 0 when no account is known (a failed sign-in)
	Username             string
	OrganisationID       int64 // the acting user's organisation; 0 when unknown
	Action               string
	CameraID             int64 // 0 when the action concerns no camera
	RangeStart, RangeEnd *time.Time
	RemoteAddr           string
	Reason               string // why, where the user gave a reason
	Detail               string
	Version              int // of the encoding the hash covers
	PrevHash, Hash       []byte
	MAC                  []byte
}

// AuditCheckpoint is a signed statement that the chain up to Seq ends in
// Hash, and that the retained chain starts at StartSeq.
type AuditCheckpoint struct {
	N               int64
	Seq             int64
	Hash            []byte
	At              time.Time
	StartSeq        int64
	StartPrev       []byte
	FirstCheckpoint int64
	Kind            string
	Prev            []byte // the hash of checkpoint N-1 and its signature
	KeyID           string
	Signature       []byte
	// Acknowledges, when not 0, makes this an acknowledgement: the
	// checkpoints from number Acknowledges to N-1 no longer vouch for
	// records (the damage that voided them was accepted), and this one
	// re-anchors the trail.
	Acknowledges int64
}

const auditCols = `seq, at_us, user_id, username, organisation_id, action, camera_id, range_start_us, range_end_us,
	remote_addr, reason, detail, version, prev_hash, hash, mac`

const checkpointCols = `n, seq, hash, at_us, start_seq, start_prev, first_checkpoint, kind, prev, key_id, signature, acknowledges`

func scanAuditRecord(sc scanner) (AuditRecord, error) {
	var r AuditRecord
	var at int64
	var rs, re sql.NullInt64
	err := sc.Scan(&r.Seq, &at, &r.UserID, &r.Username, &r.OrganisationID, &r.Action, &r.CameraID, &rs, &re,
		&r.RemoteAddr, &r.Reason, &r.Detail, &r.Version, &r.PrevHash, &r.Hash, &r.MAC)
	r.At, r.RangeStart, r.RangeEnd = fromMicros(at), fromNullMicros(rs), fromNullMicros(re)
	return r, err
}

func scanCheckpoint(sc scanner) (AuditCheckpoint, error) {
	var c AuditCheckpoint
	var at int64
	err := sc.Scan(&c.N, &c.Seq, &c.Hash, &at, &c.StartSeq, &c.StartPrev, &c.FirstCheckpoint, &c.Kind, &c.Prev, &c.KeyID, &c.Signature, &c.Acknowledges)
	c.At = fromMicros(at)
	return c, err
}

// TrailWriter appends within one transaction that holds the trail's write
// lock, so the head it reports stays the head until it commits: appends
// from every process are serialised and the chain cannot fork.
type TrailWriter struct {
	t       *Trail
	tx      *sql.Tx
	ctx     context.Context
	head    AuditRecord // Seq 0 when the trail is empty
	hasHead bool
	last    *AuditCheckpoint
	pending []AuditRecord
}

// Head is the last record, or ok false when the trail is empty.
func (w *TrailWriter) Head() (AuditRecord, bool) { return w.head, w.hasHead }

// LastCheckpoint is the newest checkpoint, or nil.
func (w *TrailWriter) LastCheckpoint() *AuditCheckpoint { return w.last }

// Insert queues records; they are written in batches and by commit.
// Their times are normalised to whole microseconds, UTC.
func (w *TrailWriter) Insert(recs ...AuditRecord) error {
	for _, r := range recs {
		r.At, r.RangeStart, r.RangeEnd = normal(r.At), normalPtr(r.RangeStart), normalPtr(r.RangeEnd)
		w.pending = append(w.pending, r)
		w.head, w.hasHead = r, true
	}
	if len(w.pending) >= trailInsertRows {
		return w.flush()
	}
	return nil
}

// trailInsertRows is how many records one INSERT carries: well under
// SQLite's limit of 32766 bound values at 16 a row.
const trailInsertRows = 200

func (w *TrailWriter) flush() error {
	for len(w.pending) > 0 {
		n := min(len(w.pending), trailInsertRows)
		var q strings.Builder
		q.WriteString(`INSERT INTO records (` + auditCols + `) VALUES `)
		args := make([]any, 0, n*16)
		for i, r := range w.pending[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(")
			for j := range 16 {
				if j > 0 {
					q.WriteString(", ")
				}
				// SQLite looks $N names up in a list, which makes a
				// statement of thousands quadratic to parse; plain ?
				// is what the store's other batch statements use too.
				if w.t.dialect == dialectSQLite {
					q.WriteString("?")
				} else {
					q.WriteString("$")
					q.WriteString(strconv.Itoa(len(args) + j + 1))
				}
			}
			q.WriteString(")")
			args = append(args, r.Seq, micros(r.At), r.UserID, r.Username, r.OrganisationID, r.Action, r.CameraID,
				nullMicros(r.RangeStart), nullMicros(r.RangeEnd), r.RemoteAddr, r.Reason, r.Detail, r.Version,
				r.PrevHash, r.Hash, r.MAC)
		}
		if _, err := w.tx.ExecContext(w.ctx, q.String(), args...); err != nil {
			return wrap("append audit records", err)
		}
		w.pending = w.pending[n:]
	}
	w.pending = nil
	return nil
}

// Records reads records from seq from to seq to, inclusive, in order,
// within the writer's transaction (so including its own, once flushed).
func (w *TrailWriter) Records(from, to int64) ([]AuditRecord, error) {
	if err := w.flush(); err != nil {
		return nil, err
	}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT `+auditCols+` FROM records WHERE seq >= $1 AND seq <= $2 ORDER BY seq`, from, to)
	if err != nil {
		return nil, wrap("read audit records", err)
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		r, err := scanAuditRecord(rows)
		if err != nil {
			return nil, wrap("read audit records", err)
		}
		out = append(out, r)
	}
	return out, wrap("read audit records", rows.Err())
}

// InsertCheckpoint writes a checkpoint after the records queued so far.
func (w *TrailWriter) InsertCheckpoint(c AuditCheckpoint) error {
	if err := w.flush(); err != nil {
		return err
	}
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO checkpoints (`+checkpointCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.N, c.Seq, c.Hash, micros(c.At), c.StartSeq, c.StartPrev, c.FirstCheckpoint, c.Kind, c.Prev, c.KeyID, c.Signature, c.Acknowledges)
	if err != nil {
		return wrap("write audit checkpoint", err)
	}
	w.last = &c
	return nil
}

// FirstAtOrAfter is the first record at or after instant at, or ok false.
func (w *TrailWriter) FirstAtOrAfter(at time.Time) (AuditRecord, bool, error) {
	if err := w.flush(); err != nil {
		return AuditRecord{}, false, err
	}
	var seq int64
	err := w.tx.QueryRowContext(w.ctx, `SELECT COALESCE(MIN(seq), 0) FROM records WHERE at_us >= $1`, micros(at)).Scan(&seq)
	if err != nil || seq == 0 {
		return AuditRecord{}, false, wrap("find audit records to keep", err)
	}
	r, err := scanAuditRecord(w.tx.QueryRowContext(w.ctx, `SELECT `+auditCols+` FROM records WHERE seq = $1`, seq))
	return r, err == nil, wrap("find audit records to keep", err)
}

// FirstCheckpointFrom is the number of the first checkpoint at or after
// seq, or 0 when there is none.
func (w *TrailWriter) FirstCheckpointFrom(seq int64) (int64, error) {
	var n int64
	err := w.tx.QueryRowContext(w.ctx, `SELECT COALESCE(MIN(n), 0) FROM checkpoints WHERE seq >= $1`, seq).Scan(&n)
	return n, wrap("find audit checkpoints to keep", err)
}

// DeleteBefore removes the records before seq and the checkpoints before
// checkpoint n: allowed by the guards only once a checkpoint stating that
// start has been written.
func (w *TrailWriter) DeleteBefore(seq, n int64) (records int64, err error) {
	if err := w.flush(); err != nil {
		return 0, err
	}
	res, err := w.tx.ExecContext(w.ctx, `DELETE FROM records WHERE seq < $1`, seq)
	if err != nil {
		return 0, wrap("prune audit records", err)
	}
	records, _ = res.RowsAffected()
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM checkpoints WHERE n < $1`, n); err != nil {
		return records, wrap("prune audit checkpoints", err)
	}
	return records, nil
}

// Write runs fn in a transaction holding the trail's write lock, with the
// chain's head and newest checkpoint read inside it, and commits what fn
// inserted. On SQLite the transaction begins IMMEDIATE, which is the lock;
// on PostgreSQL it locks the records table against other writers (readers
// go on).
func (t *Trail) Write(ctx context.Context, fn func(w *TrailWriter) error) error {
	return t.inTx(ctx, func(tx *sql.Tx) error {
		if t.dialect == dialectPostgres {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE records IN EXCLUSIVE MODE`); err != nil {
				return wrap("lock audit trail", err)
			}
		}
		w := &TrailWriter{t: t, tx: tx, ctx: ctx}
		r, err := scanAuditRecord(tx.QueryRowContext(ctx, `SELECT `+auditCols+` FROM records ORDER BY seq DESC LIMIT 1`))
		switch {
		case err == nil:
			w.head, w.hasHead = r, true
		case !errors.Is(err, sql.ErrNoRows):
			return wrap("read audit head", err)
		}
		c, err := scanCheckpoint(tx.QueryRowContext(ctx, `SELECT `+checkpointCols+` FROM checkpoints ORDER BY n DESC LIMIT 1`))
		switch {
		case err == nil:
			w.last = &c
		case !errors.Is(err, sql.ErrNoRows):
			return wrap("read audit checkpoint", err)
		}
		if err := fn(w); err != nil {
			return err
		}
		return w.flush()
	})
}

// AuditCheckpoints returns every checkpoint, in order.
func (t *Trail) AuditCheckpoints(ctx context.Context) ([]AuditCheckpoint, error) {
	var out []AuditCheckpoint
	err := t.EachAuditCheckpoint(ctx, false, func(c *AuditCheckpoint) error {
		out = append(out, *c)
		return nil
	})
	return out, err
}

// EachAuditCheckpoint calls fn with every checkpoint in order of n, or
// newest first when descending, streaming: a trail checkpointed every few
// minutes for years holds hundreds of thousands.
func (t *Trail) EachAuditCheckpoint(ctx context.Context, descending bool, fn func(*AuditCheckpoint) error) error {
	order := "n"
	if descending {
		order = "n DESC"
	}
	rows, err := t.r.QueryContext(ctx, `SELECT `+checkpointCols+` FROM checkpoints ORDER BY `+order)
	if err != nil {
		return wrap("list audit checkpoints", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return wrap("list audit checkpoints", err)
		}
		if err := fn(&c); err != nil {
			return err
		}
	}
	return wrap("list audit checkpoints", rows.Err())
}

// AuditAcknowledgements returns the checkpoints that acknowledge damage
// (acknowledges not 0), in order: few, and read at every start and
// verification to know which earlier checkpoints they void.
func (t *Trail) AuditAcknowledgements(ctx context.Context) ([]AuditCheckpoint, error) {
	rows, err := t.r.QueryContext(ctx, `SELECT `+checkpointCols+` FROM checkpoints WHERE acknowledges <> 0 ORDER BY n`)
	if err != nil {
		return nil, wrap("list audit acknowledgements", err)
	}
	defer rows.Close()
	var out []AuditCheckpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, wrap("list audit acknowledgements", err)
		}
		out = append(out, c)
	}
	return out, wrap("list audit acknowledgements", rows.Err())
}

// AuditBounds returns the first and last seq held, both 0 when empty.
func (t *Trail) AuditBounds(ctx context.Context) (first, last int64, err error) {
	err = t.r.QueryRowContext(ctx, `SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM records`).Scan(&first, &last)
	return first, last, wrap("audit bounds", err)
}

// AuditRecords returns up to limit records from seq from on, in order.
func (t *Trail) AuditRecords(ctx context.Context, from int64, limit int) ([]AuditRecord, error) {
	rows, err := t.r.QueryContext(ctx, `SELECT `+auditCols+` FROM records WHERE seq >= $1 ORDER BY seq LIMIT $2`, from, limit)
	if err != nil {
		return nil, wrap("read audit records", err)
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		r, err := scanAuditRecord(rows)
		if err != nil {
			return nil, wrap("read audit records", err)
		}
		out = append(out, r)
	}
	return out, wrap("read audit records", rows.Err())
}

// ChainRow is one record as verification reads it: the raw column values,
// valid only during the callback that receives it.
type ChainRow struct {
	Seq, AtUS, UserID          int64
	Username                   string
	OrganisationID             int64
	Action                     string
	CameraID                   int64
	RangeStartUS, RangeEndUS   int64
	HasRangeStart, HasRangeEnd bool
	RemoteAddr, Reason, Detail string
	Version                    int64
	PrevHash, Hash             []byte
}

// ScanChain calls fn with every record whose seq is in [from, to), in
// order, streaming. It reads below database/sql's Scan, straight from the
// driver's values: verification reads every record there is, and the
// conversions Scan makes were a fifth of its time.
func (t *Trail) ScanChain(ctx context.Context, from, to int64, fn func(*ChainRow) error) error {
	conn, err := t.r.Conn(ctx)
	if err != nil {
		return wrap("scan audit chain", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		if pc, ok := dc.(*stdlib.Conn); ok {
			return scanChainPostgres(ctx, pc.Conn(), from, to, fn)
		}
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("driver %T cannot query", dc)
		}
		rows, err := q.QueryContext(ctx, `SELECT seq, at_us, user_id, username, organisation_id, action, camera_id,
			range_start_us, range_end_us, remote_addr, reason, detail, version, prev_hash, hash
			FROM records WHERE seq >= $1 AND seq < $2 ORDER BY seq`,
			[]driver.NamedValue{{Ordinal: 1, Value: from}, {Ordinal: 2, Value: to}})
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, 15)
		var r ChainRow
		for {
			if err := rows.Next(dest); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			r.Seq = asInt(dest[0])
			r.AtUS = asInt(dest[1])
			r.UserID = asInt(dest[2])
			r.Username = asString(dest[3])
			r.OrganisationID = asInt(dest[4])
			r.Action = asString(dest[5])
			r.CameraID = asInt(dest[6])
			r.HasRangeStart, r.RangeStartUS = dest[7] != nil, asInt(dest[7])
			r.HasRangeEnd, r.RangeEndUS = dest[8] != nil, asInt(dest[8])
			r.RemoteAddr = asString(dest[9])
			r.Reason = asString(dest[10])
			r.Detail = asString(dest[11])
			r.Version = asInt(dest[12])
			r.PrevHash = asBytes(dest[13])
			r.Hash = asBytes(dest[14])
			if err := fn(&r); err != nil {
				return err
			}
		}
	})
	return wrap("scan audit chain", err)
}

// scanChainPostgres is ScanChain on PostgreSQL, through pgx itself: every
// column comes in binary and is read from the wire's bytes, which spares
// the conversion of each value to an interface (a third of verification's
// time through database/sql).
func scanChainPostgres(ctx context.Context, c *pgx.Conn, from, to int64, fn func(*ChainRow) error) error {
	rows, err := c.Query(ctx, `SELECT seq, at_us, user_id, username, organisation_id, action, camera_id,
		range_start_us, range_end_us, remote_addr, reason, detail, version, prev_hash, hash
		FROM records WHERE seq >= $1 AND seq < $2 ORDER BY seq`,
		pgx.QueryResultFormats{pgx.BinaryFormatCode}, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	var r ChainRow
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 15 {
			return fmt.Errorf("scan audit chain: %d columns, want 15", len(v))
		}
		r.Seq = wireInt(v[0])
		r.AtUS = wireInt(v[1])
		r.UserID = wireInt(v[2])
		r.Username = string(v[3])
		r.OrganisationID = wireInt(v[4])
		r.Action = string(v[5])
		r.CameraID = wireInt(v[6])
		r.HasRangeStart, r.RangeStartUS = v[7] != nil, wireInt(v[7])
		r.HasRangeEnd, r.RangeEndUS = v[8] != nil, wireInt(v[8])
		r.RemoteAddr = string(v[9])
		r.Reason = string(v[10])
		r.Detail = string(v[11])
		r.Version = wireInt(v[12])
		r.PrevHash = v[13]
		r.Hash = v[14]
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// wireInt reads a PostgreSQL integer in binary: 8, 4 or 2 bytes, big
// endian. A column whose type someone altered reads as 0, so the record's
// hash no longer matches, rather than as an error that stops verification.
func wireInt(b []byte) int64 {
	switch len(b) {
	case 8:
		return int64(binary.BigEndian.Uint64(b))
	case 4:
		return int64(int32(binary.BigEndian.Uint32(b)))
	case 2:
		return int64(int16(binary.BigEndian.Uint16(b)))
	}
	return 0
}

// The driver's values are int64, string, []byte or nil; a column an
// attacker rewrote with another type reads as its bytes, so the hash no
// longer matches, rather than as an error that stops verification.
func asInt(v driver.Value) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

func asString(v driver.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

func asBytes(v driver.Value) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}

// AuditMACs calls fn with the seq, hash and MAC of every record after seq
// from, in order.
func (t *Trail) AuditMACs(ctx context.Context, from int64, fn func(seq int64, hash, mac []byte) error) error {
	rows, err := t.r.QueryContext(ctx, `SELECT seq, hash, mac FROM records WHERE seq > $1 ORDER BY seq`, from)
	if err != nil {
		return wrap("read audit MACs", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var hash, mac []byte
		if err := rows.Scan(&seq, &hash, &mac); err != nil {
			return wrap("read audit MACs", err)
		}
		if err := fn(seq, hash, mac); err != nil {
			return err
		}
	}
	return wrap("read audit MACs", rows.Err())
}

// AuditFilter selects records; zero fields do not filter.
type AuditFilter struct {
	UserID         int64
	Username       string
	OrganisationID int64
	CameraID       int64
	Action         string
	Since, Until   time.Time // [Since, Until)
	Before         int64     // only records with a smaller seq: the cursor of the next page
	Limit          int       // <= 0: 100; at most 10000
	// Scoped limits the records to those by a user of one of
	// Organisations or about one of Cameras: what a reader whose scope
	// is not the whole partnership may see.
	Scoped        bool
	Organisations []int64
	Cameras       []int64
}

func (f AuditFilter) where() (string, []any) {
	var q strings.Builder
	q.WriteString(` WHERE TRUE`)
	var args []any
	cond := func(sql string, v any) {
		args = append(args, v)
		q.WriteString(" AND " + sql + " $" + strconv.Itoa(len(args)))
	}
	if f.UserID != 0 {
		cond("user_id =", f.UserID)
	}
	if f.Username != "" {
		cond("username =", f.Username)
	}
	if f.OrganisationID != 0 {
		cond("organisation_id =", f.OrganisationID)
	}
	if f.CameraID != 0 {
		cond("camera_id =", f.CameraID)
	}
	if f.Action != "" {
		cond("action =", f.Action)
	}
	if !f.Since.IsZero() {
		cond("at_us >=", micros(f.Since))
	}
	if !f.Until.IsZero() {
		cond("at_us <", micros(f.Until))
	}
	if f.Before > 0 {
		cond("seq <", f.Before)
	}
	if f.Scoped {
		// The lists are the reader's own organisations and cameras, a few
		// thousand at most; they are written into the query as numbers,
		// never as text from a request.
		q.WriteString(" AND (organisation_id IN (" + idList(f.Organisations) + ") OR camera_id IN (" + idList(f.Cameras) + "))")
	}
	return q.String(), args
}

// ListAudit returns the records matching f, newest (highest seq) first.
func (t *Trail) ListAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	var out []AuditRecord
	f.Limit = clampLimit(f.Limit)
	err := t.EachAudit(ctx, f, func(r *AuditRecord) error {
		out = append(out, *r)
		return nil
	})
	return out, err
}

// EachAudit calls fn with every record matching f, newest first, streaming;
// f.Limit <= 0 here means no limit.
func (t *Trail) EachAudit(ctx context.Context, f AuditFilter, fn func(*AuditRecord) error) error {
	where, args := f.where()
	q := `SELECT ` + auditCols + ` FROM records` + where + ` ORDER BY seq DESC`
	if f.Limit > 0 {
		args = append(args, min(f.Limit, maxLimit))
		q += ` LIMIT $` + strconv.Itoa(len(args))
	}
	rows, err := t.r.QueryContext(ctx, q, args...)
	if err != nil {
		return wrap("list audit", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanAuditRecord(rows)
		if err != nil {
			return wrap("list audit", err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return wrap("list audit", rows.Err())
}

// idList writes ids as a SQL list; an empty list is one that matches no
// id, since ids start at 1.
func idList(ids []int64) string {
	if len(ids) == 0 {
		return "0"
	}
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// OutboxPosition is how far the trail has taken the outbox of the main
// database named source: the id of the last record taken (0: none).
func (w *TrailWriter) OutboxPosition(source string) (int64, error) {
	var through int64
	err := w.tx.QueryRowContext(w.ctx, `SELECT through FROM outbox_drained WHERE source = $1`, source).Scan(&through)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return through, wrap("read outbox position", err)
}

// SetOutboxPosition records, in the transaction of the records taken, how
// far the trail has taken source's outbox.
func (w *TrailWriter) SetOutboxPosition(source string, through int64) error {
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO outbox_drained (source, through) VALUES ($1, $2)
		ON CONFLICT (source) DO UPDATE SET through = excluded.through`, source, through)
	return wrap("write outbox position", err)
}

// OutboxPosition reads how far the trail has taken source's outbox,
// outside a write.
func (t *Trail) OutboxPosition(ctx context.Context, source string) (int64, error) {
	var through int64
	err := t.r.QueryRowContext(ctx, `SELECT through FROM outbox_drained WHERE source = $1`, source).Scan(&through)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return through, wrap("read outbox position", err)
}
