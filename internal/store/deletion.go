package store

import (
	"context"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// LogDeletion inserts d and sets its ID. A zero At means now.
func (s *Store) LogDeletion(ctx context.Context, d *segindex.Deletion) error {
	if d.At.IsZero() {
		d.At = now()
	}
	d.At, d.Start, d.End = normal(d.At), normal(d.Start), normal(d.End)
	err := s.w.QueryRowContext(ctx, `INSERT INTO deletions (at_us, camera_id, segment_id, storage, path, start_us, end_us, bytes, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		micros(d.At), d.CameraID, d.SegmentID, d.Storage, d.Path, micros(d.Start), micros(d.End), d.Bytes, d.Reason).Scan(&d.ID)
	return wrap("log deletion", err)
}

// ListDeletions returns a camera's deletions, or every camera's when
// cameraID is 0, newest first. limit <= 0 means a default of 100.
func (s *Store) ListDeletions(ctx context.Context, cameraID int64, limit int) ([]segindex.Deletion, error) {
	q := `SELECT id, at_us, camera_id, segment_id, storage, path, start_us, end_us, bytes, reason FROM deletions `
	args := []any{clampLimit(limit)}
	if cameraID != 0 {
		q += `WHERE camera_id = $2 `
		args = append(args, cameraID)
	}
	rows, err := s.r.QueryContext(ctx, q+`ORDER BY at_us DESC, id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, wrap("list deletions", err)
	}
	defer rows.Close()
	var out []segindex.Deletion
	for rows.Next() {
		var d segindex.Deletion
		var at, a, b int64
		if err := rows.Scan(&d.ID, &at, &d.CameraID, &d.SegmentID, &d.Storage, &d.Path, &a, &b, &d.Bytes, &d.Reason); err != nil {
			return nil, wrap("list deletions", err)
		}
		d.At, d.Start, d.End = fromMicros(at), fromMicros(a), fromMicros(b)
		out = append(out, d)
	}
	return out, wrap("list deletions", rows.Err())
}
