package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// AddHold inserts h and sets its ID and, if zero, CreatedAt.
func (s *Store) AddHold(ctx context.Context, h *segindex.Hold) error {
	switch {
	case h.CameraID <= 0:
		return errors.New("store: hold has no camera")
	case !h.End.After(h.Start):
		return errors.New("store: hold must end after it starts")
	}
	if h.CreatedAt.IsZero() {
		h.CreatedAt = now()
	}
	h.Start, h.End, h.CreatedAt, h.ReleasedAt = normal(h.Start), normal(h.End), normal(h.CreatedAt), normalPtr(h.ReleasedAt)
	err := s.w.QueryRowContext(ctx, `INSERT INTO holds (camera_id, start_us, end_us, reason, created_by, created_at, released_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		h.CameraID, micros(h.Start), micros(h.End), h.Reason, h.CreatedBy, micros(h.CreatedAt), nullMicros(h.ReleasedAt)).Scan(&h.ID)
	return wrap("add hold", err)
}

// ReleaseHold ends a hold at the given time, now if zero. Releasing a
// released hold changes nothing, so the first release is the one on record.
func (s *Store) ReleaseHold(ctx context.Context, id int64, at time.Time) error {
	if at.IsZero() {
		at = now()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE holds SET released_at = $2 WHERE id = $1 AND released_at IS NULL`, id, micros(at)); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM holds WHERE id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("hold %d", id)
		}
		return nil
	})
	return wrap("release hold", err)
}

// ActiveHolds returns a camera's holds overlapping [start, end) that are
// active at at (not released, or released later), by start.
func (s *Store) ActiveHolds(ctx context.Context, cameraID int64, start, end, at time.Time) ([]segindex.Hold, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, camera_id, start_us, end_us, reason, created_by, created_at, released_at FROM holds
		WHERE camera_id = $1 AND start_us < $3 AND end_us > $2 AND (released_at IS NULL OR released_at > $4)
		ORDER BY start_us, id`, cameraID, micros(start), micros(end), micros(at))
	if err != nil {
		return nil, wrap("active holds", err)
	}
	defer rows.Close()
	var out []segindex.Hold
	for rows.Next() {
		var h segindex.Hold
		var a, b, created int64
		var released sql.NullInt64
		if err := rows.Scan(&h.ID, &h.CameraID, &a, &b, &h.Reason, &h.CreatedBy, &created, &released); err != nil {
			return nil, wrap("active holds", err)
		}
		h.Start, h.End, h.CreatedAt, h.ReleasedAt = fromMicros(a), fromMicros(b), fromMicros(created), fromNullMicros(released)
		out = append(out, h)
	}
	return out, wrap("active holds", rows.Err())
}
