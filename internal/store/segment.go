package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// indexNotFound is a row the index lacks: the store's ErrNotFound, and
// segindex.ErrNotFound too, which is what the media core checks.
type indexNotFound struct{ error }

func (e indexNotFound) Unwrap() error        { return e.error }
func (e indexNotFound) Is(target error) bool { return target == segindex.ErrNotFound }

// wrapIndex is wrap for the segment index's rows.
func wrapIndex(op string, err error) error {
	err = wrap(op, err)
	if errors.Is(err, ErrNotFound) && !errors.Is(err, segindex.ErrNotFound) {
		return indexNotFound{err}
	}
	return err
}

const segmentCols = `id, camera_id, storage, path, start_us, end_us, size, init_size, codec, width, height, clock_offset_ns, open`

// segmentColsS is segmentCols qualified for queries that alias segments s.
const segmentColsS = `s.id, s.camera_id, s.storage, s.path, s.start_us, s.end_us, s.size, s.init_size, s.codec,
	s.width, s.height, s.clock_offset_ns, s.open`

func scanSegment(sc scanner) (segindex.Segment, error) {
	var g segindex.Segment
	var start, end, offset int64
	if err := sc.Scan(&g.ID, &g.CameraID, &g.Storage, &g.Path, &start, &end, &g.Size, &g.InitSize,
		&g.Codec, &g.Width, &g.Height, &offset, &g.Open); err != nil {
		return segindex.Segment{}, err
	}
	g.Start, g.End, g.ClockOffset = fromMicros(start), fromMicros(end), time.Duration(offset)
	return g, nil
}

// The queries whose plans matter, kept as constants so that a test can
// check SQLite reaches them through an index rather than a table scan.
const (
	sqlSegmentsInRange = `FROM segments s WHERE s.camera_id = $1 AND s.start_us < $3 AND s.end_us > $2
		ORDER BY s.start_us, s.id`

	sqlLastSegment = `SELECT ` + segmentCols + ` FROM segments
		WHERE camera_id = $1 ORDER BY start_us DESC, id DESC LIMIT 1`

	// The inner query walks the (camera_id, start_us) index backwards from
	// start and stops at the first keyframe; the outer one walks it forwards.
	sqlFragmentsInRange = `SELECT ` + fragmentCols + ` FROM fragments
		WHERE camera_id = $1 AND start_us < $3 AND start_us >= COALESCE(
			(SELECT k.start_us FROM fragments k WHERE k.camera_id = $1 AND k.start_us <= $2 AND k.keyframe
			 ORDER BY k.start_us DESC LIMIT 1), $2)
		ORDER BY start_us, segment_id, byte_offset`

	sqlSegmentFragments = `SELECT ` + fragmentCols + ` FROM fragments
		WHERE segment_id = $1 ORDER BY start_us, byte_offset`

	// holdFree is true of a segment s that no hold active at $1 overlaps.
	// A hold released at a later instant still counts as active.
	holdFree = `NOT EXISTS (SELECT 1 FROM holds h WHERE h.camera_id = s.camera_id
			AND h.start_us < s.end_us AND h.end_us > s.start_us AND (h.released_at IS NULL OR h.released_at > $1))`

	// CROSS JOIN makes SQLite loop over the few cameras and range over
	// segments(camera_id, end_us) for each instead of scanning every
	// segment; PostgreSQL treats it as an ordinary join.
	sqlExpiredSegments = `FROM cameras c CROSS JOIN segments s
		WHERE s.camera_id = c.id AND NOT s.open AND c.retention_days > 0
		AND s.end_us < $1 - c.retention_days * 86400000000 AND ` + holdFree + `
		ORDER BY s.start_us, s.id LIMIT $2`

	sqlOldestSegments = `FROM segments s WHERE s.storage = $2 AND NOT s.open AND ` + holdFree + `
		ORDER BY s.start_us, s.id LIMIT $3`

	sqlStorageUsage = `SELECT COALESCE(SUM(size), 0) FROM segments WHERE storage = $1`
)

// querySegments runs "SELECT <columns of segments s> " + from.
func (s *Store) querySegments(ctx context.Context, op, from string, args ...any) ([]segindex.Segment, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+segmentColsS+` `+from, args...)
	if err != nil {
		return nil, wrapIndex(op, err)
	}
	defer rows.Close()
	var out []segindex.Segment
	for rows.Next() {
		g, err := scanSegment(rows)
		if err != nil {
			return nil, wrapIndex(op, err)
		}
		out = append(out, g)
	}
	return out, wrapIndex(op, rows.Err())
}

const fragmentCols = `segment_id, start_us, duration_ns, byte_offset, size, data_offset, samples, keyframe`

func (s *Store) queryFragments(ctx context.Context, op, query string, args ...any) ([]segindex.Fragment, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrapIndex(op, err)
	}
	defer rows.Close()
	var out []segindex.Fragment
	for rows.Next() {
		var f segindex.Fragment
		var start, dur int64
		if err := rows.Scan(&f.SegmentID, &start, &dur, &f.Offset, &f.Size, &f.DataOffset, &f.Samples, &f.Keyframe); err != nil {
			return nil, wrapIndex(op, err)
		}
		f.Start, f.Duration = fromMicros(start), time.Duration(dur)
		out = append(out, f)
	}
	return out, wrapIndex(op, rows.Err())
}

// CreateSegment inserts seg and sets its ID; Start and End are normalised
// to what the store keeps (UTC, whole microseconds).
func (s *Store) CreateSegment(ctx context.Context, seg *segindex.Segment) error {
	switch {
	case seg.CameraID <= 0:
		return errors.New("store: segment has no camera")
	case seg.Storage == "" || seg.Path == "":
		return errors.New("store: segment has no storage or path")
	case seg.End.Before(seg.Start):
		return errors.New("store: segment ends before it starts")
	}
	seg.Start, seg.End = normal(seg.Start), normal(seg.End)
	err := s.w.QueryRowContext(ctx, `INSERT INTO segments (camera_id, storage, path, start_us, end_us, size, init_size,
		codec, width, height, clock_offset_ns, open) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		seg.CameraID, seg.Storage, seg.Path, micros(seg.Start), micros(seg.End), seg.Size, seg.InitSize,
		seg.Codec, seg.Width, seg.Height, int64(seg.ClockOffset), seg.Open).Scan(&seg.ID)
	return wrapIndex("create segment", err)
}

// Segment returns the segment with the given id.
func (s *Store) Segment(ctx context.Context, id int64) (segindex.Segment, error) {
	g, err := scanSegment(s.r.QueryRowContext(ctx, `SELECT `+segmentCols+` FROM segments WHERE id = $1`, id))
	return g, wrapIndex(fmt.Sprintf("segment %d", id), err)
}

// OpenSegments returns the segments still being written, by id: after a
// crash these are the files to reconcile.
func (s *Store) OpenSegments(ctx context.Context) ([]segindex.Segment, error) {
	return s.querySegments(ctx, "open segments", `FROM segments s WHERE s.open ORDER BY s.id`)
}

// SegmentByPath returns the segment stored at path in the storage folder.
func (s *Store) SegmentByPath(ctx context.Context, storage, path string) (segindex.Segment, error) {
	g, err := scanSegment(s.r.QueryRowContext(ctx,
		`SELECT `+segmentCols+` FROM segments WHERE storage = $1 AND path = $2`, storage, path))
	return g, wrapIndex(fmt.Sprintf("segment %s/%s", storage, path), err)
}

// SegmentsInRange returns a camera's segments overlapping [start, end), by
// start.
func (s *Store) SegmentsInRange(ctx context.Context, cameraID int64, start, end time.Time) ([]segindex.Segment, error) {
	return s.querySegments(ctx, "segments in range",
		sqlSegmentsInRange, cameraID, micros(start), micros(end))
}

// LastSegment returns the camera's latest-starting segment.
func (s *Store) LastSegment(ctx context.Context, cameraID int64) (segindex.Segment, error) {
	g, err := scanSegment(s.r.QueryRowContext(ctx, sqlLastSegment, cameraID))
	return g, wrapIndex(fmt.Sprintf("last segment of camera %d", cameraID), err)
}

// FragmentsInRange returns what playback of [start, end) must read: the
// last keyframe fragment starting at or before start, if any, then every
// later fragment starting before end, ordered by start across segments.
// Without such a keyframe it starts at the first fragment at or after start.
func (s *Store) FragmentsInRange(ctx context.Context, cameraID int64, start, end time.Time) ([]segindex.Fragment, error) {
	return s.queryFragments(ctx, "fragments in range", sqlFragmentsInRange, cameraID, micros(start), micros(end))
}

// SegmentFragments returns a segment's fragments by start.
func (s *Store) SegmentFragments(ctx context.Context, segmentID int64) ([]segindex.Fragment, error) {
	return s.queryFragments(ctx, "segment fragments", sqlSegmentFragments, segmentID)
}

// ExpiredSegments returns closed segments that ended more than their
// camera's retention before now and overlap no hold active at now, oldest
// first. Cameras with zero retention never expire by age.
func (s *Store) ExpiredSegments(ctx context.Context, now time.Time, limit int) ([]segindex.Segment, error) {
	return s.querySegments(ctx, "expired segments", sqlExpiredSegments, micros(now), clampLimit(limit))
}

// OldestSegments returns the closed segments of a storage folder, oldest
// first, that overlap no hold active now: what to evict when it fills up.
func (s *Store) OldestSegments(ctx context.Context, storage string, limit int) ([]segindex.Segment, error) {
	return s.querySegments(ctx, "oldest segments", sqlOldestSegments, micros(now()), storage, clampLimit(limit))
}

// StorageUsage returns the bytes of every segment, open or closed, in a
// storage folder.
func (s *Store) StorageUsage(ctx context.Context, storage string) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, sqlStorageUsage, storage).Scan(&n)
	return n, wrapIndex("storage usage", err)
}

// DeleteSegment removes a segment row and its fragments.
func (s *Store) DeleteSegment(ctx context.Context, id int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM fragments WHERE segment_id = $1`, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM segments WHERE id = $1`, id)
		if err != nil {
			return err
		}
		return checkAffected(res, "segment", id)
	})
	return wrapIndex("delete segment", err)
}

// DeleteSegmentEarly removes a closed segment and its fragments unless a
// hold active at at overlaps it (segindex.ErrKept, as for one still open),
// deciding both in the statements that delete, so that a hold placed
// after the caller looked still wins; ErrNotFound when there is none.
func (s *Store) DeleteSegmentEarly(ctx context.Context, id int64, at time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM segments WHERE id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("segment %d", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM fragments WHERE segment_id = $2 AND EXISTS (SELECT 1 FROM segments s
			WHERE s.id = $2 AND NOT s.open AND `+holdFree+`)`, micros(at), id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM segments WHERE id = $2 AND id IN (SELECT s.id FROM segments s
			WHERE s.id = $2 AND NOT s.open AND `+holdFree+`)`, micros(at), id)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			return fmt.Errorf("segment %d: %w", id, segindex.ErrKept)
		}
		return nil
	})
	if errors.Is(err, segindex.ErrKept) {
		return err
	}
	return wrapIndex("delete segment early", err)
}

// RecordProgress applies a batch of recorder progress in one transaction:
// it inserts the fragments and moves each segment's end and size, closing
// those marked Close. A segment that does not exist fails the whole batch.
func (s *Store) RecordProgress(ctx context.Context, batch []segindex.Progress) error {
	if len(batch) == 0 {
		return nil
	}
	// A segment reported twice keeps its last end and size; closing sticks.
	updates := make([]segUpdate, 0, len(batch))
	index := make(map[int64]int, len(batch))
	nfrag := 0
	for _, p := range batch {
		nfrag += len(p.Fragments)
		u := segUpdate{id: p.SegmentID, end: micros(p.End), size: p.Size, close: p.Close}
		if i, ok := index[p.SegmentID]; ok {
			u.close = u.close || updates[i].close
			updates[i] = u
			continue
		}
		index[p.SegmentID] = len(updates)
		updates = append(updates, u)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.updateSegments(ctx, tx, updates); err != nil {
			return err
		}
		if nfrag == 0 {
			return nil
		}
		fw := s.newFragWriter(ctx, tx, nfrag)
		for _, p := range batch {
			for i := range p.Fragments {
				if err := fw.add(p.SegmentID, &p.Fragments[i]); err != nil {
					return err
				}
			}
		}
		return fw.flush()
	})
	return wrapIndex("record progress", err)
}

// ReplaceFragments rewrites a segment's fragments from a scan of its file,
// as after a crash, and closes it with the given end and size.
func (s *Store) ReplaceFragments(ctx context.Context, segmentID int64, frags []segindex.Fragment, end time.Time, size int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE segments SET end_us = $2, size = $3, open = FALSE WHERE id = $1`,
			segmentID, micros(end), size)
		if err != nil {
			return err
		}
		if err := checkAffected(res, "segment", segmentID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM fragments WHERE segment_id = $1`, segmentID); err != nil {
			return err
		}
		fw := s.newFragWriter(ctx, tx, len(frags))
		for i := range frags {
			if err := fw.add(segmentID, &frags[i]); err != nil {
				return err
			}
		}
		return fw.flush()
	})
	return wrapIndex("replace fragments", err)
}

// Batched writes. Rows go in multi-row statements of a few fixed sizes so
// that a handful of prepared statements serve every batch size. VALUES
// lists carry explicit CASTs because PostgreSQL cannot otherwise infer
// parameter types there; both engines name the columns column1, column2...

type stmtKey struct {
	kind int
	rows int
}

const (
	kindInsertFragments = iota
	kindUpdateSegments
)

// chunkSizes must be descending and end in 1.
var chunkSizes = [...]int{128, 32, 8, 1}

func chunkFor(n int) int {
	for _, c := range chunkSizes {
		if n >= c {
			return c
		}
	}
	return 1
}

var (
	fragmentValueTypes = []string{"BIGINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "BOOLEAN"}
	segmentValueTypes  = []string{"BIGINT", "BIGINT", "BIGINT", "BOOLEAN"}
)

// valuesList writes the VALUES rows. SQLite gets anonymous "?" parameters:
// it resolves the name of each "$N" by a linear search, which made binding
// a 1000-parameter statement quadratic and dominated RecordProgress.
func valuesList(b *strings.Builder, dialect string, rows int, types []string) {
	b.WriteString("(VALUES ")
	p := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c, typ := range types {
			if c > 0 {
				b.WriteString(", ")
			}
			if dialect == dialectSQLite {
				b.WriteString("CAST(? AS ")
			} else {
				b.WriteString("CAST($")
				b.WriteString(strconv.Itoa(p))
				b.WriteString(" AS ")
			}
			b.WriteString(typ)
			b.WriteByte(')')
			p++
		}
		b.WriteByte(')')
	}
	b.WriteString(") AS v")
}

func batchSQL(dialect string, k stmtKey) string {
	var b strings.Builder
	switch k.kind {
	case kindInsertFragments:
		b.WriteString(`INSERT INTO fragments (segment_id, camera_id, start_us, duration_ns, byte_offset, size, data_offset, samples, keyframe)
SELECT v.column1, s.camera_id, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8 FROM `)
		valuesList(&b, dialect, k.rows, fragmentValueTypes)
		b.WriteString(` JOIN segments s ON s.id = v.column1`)
	case kindUpdateSegments:
		b.WriteString(`UPDATE segments SET end_us = v.column2, size = v.column3,
open = CASE WHEN v.column4 THEN FALSE ELSE segments.open END FROM `)
		valuesList(&b, dialect, k.rows, segmentValueTypes)
		b.WriteString(` WHERE segments.id = v.column1`)
	}
	return b.String()
}

// prepareBatch prepares every batch statement on the writer pool. It runs
// in Open, before any transaction exists: on SQLite the writer has a single
// connection, so preparing on the pool from inside a transaction would wait
// forever for the connection that transaction holds.
func (s *Store) prepareBatch(ctx context.Context) error {
	for _, kind := range []int{kindInsertFragments, kindUpdateSegments} {
		for _, rows := range chunkSizes {
			k := stmtKey{kind, rows}
			st, err := s.wdb.PrepareContext(ctx, batchSQL(s.dialect, k))
			if err != nil {
				return fmt.Errorf("store: prepare batch statement: %w", err)
			}
			s.stmts[k] = st
		}
	}
	return nil
}

// execBatch runs a batch statement of k.rows rows and checks that each row
// matched an existing segment.
func (s *Store) execBatch(ctx context.Context, tx *sql.Tx, k stmtKey, args []any) error {
	res, err := tx.StmtContext(ctx, s.stmts[k]).ExecContext(ctx, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != int64(k.rows) {
		return notFound("%d of %d rows name no segment", int64(k.rows)-n, k.rows)
	}
	return nil
}

type segUpdate struct {
	id, end, size int64
	close         bool
}

func (s *Store) updateSegments(ctx context.Context, tx *sql.Tx, ups []segUpdate) error {
	args := make([]any, 0, len(segmentValueTypes)*chunkFor(len(ups)))
	for len(ups) > 0 {
		n := chunkFor(len(ups))
		args = args[:0]
		for _, u := range ups[:n] {
			args = append(args, u.id, u.end, u.size, u.close)
		}
		if err := s.execBatch(ctx, tx, stmtKey{kindUpdateSegments, n}, args); err != nil {
			return err
		}
		ups = ups[n:]
	}
	return nil
}

// fragWriter accumulates fragment rows and writes them in chunks.
type fragWriter struct {
	s       *Store
	ctx     context.Context
	tx      *sql.Tx
	args    []any
	pending int // rows in args
	left    int // rows not yet flushed, including pending
}

func (s *Store) newFragWriter(ctx context.Context, tx *sql.Tx, total int) *fragWriter {
	return &fragWriter{s: s, ctx: ctx, tx: tx, left: total,
		args: make([]any, 0, len(fragmentValueTypes)*chunkFor(total))}
}

func (w *fragWriter) add(segmentID int64, f *segindex.Fragment) error {
	w.args = append(w.args, segmentID, micros(f.Start), int64(f.Duration), f.Offset, f.Size, f.DataOffset, int64(f.Samples), f.Keyframe)
	w.pending++
	if w.pending == chunkFor(w.left) {
		return w.flushChunk()
	}
	return nil
}

func (w *fragWriter) flushChunk() error {
	if err := w.s.execBatch(w.ctx, w.tx, stmtKey{kindInsertFragments, w.pending}, w.args); err != nil {
		return err
	}
	w.left -= w.pending
	w.pending = 0
	w.args = w.args[:0]
	return nil
}

// flush reports rows added beyond the announced total or still buffered,
// which only a bug in the caller can cause.
func (w *fragWriter) flush() error {
	if w.pending != 0 || w.left != 0 {
		return fmt.Errorf("fragment writer: %d rows left unwritten", w.left)
	}
	return nil
}

// CameraStorage returns the bytes of every segment, open or closed, of
// each camera that has any: what its footage takes on disk, for the
// cameras' administration page. It reads every segment row, once per
// call: a page's cost, never a recorder's.
func (s *Store) CameraStorage(ctx context.Context) (map[int64]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT camera_id, COALESCE(SUM(size), 0) FROM segments GROUP BY camera_id`)
	if err != nil {
		return nil, wrapIndex("camera storage", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, wrapIndex("camera storage", err)
		}
		out[id] = n
	}
	return out, wrapIndex("camera storage", rows.Err())
}
