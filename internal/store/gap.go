package store

import (
	"context"
	"errors"
	"time"
)

// Gap is a stretch of time a camera was expected to record but did not.
type Gap struct {
	ID, CameraID int64
	Start, End   time.Time
	Reason       string
}

// AddGap inserts g and sets its ID; Start and End are normalised to UTC
// microseconds.
func (s *Store) AddGap(ctx context.Context, g *Gap) error {
	switch {
	case g.CameraID <= 0:
		return errors.New("store: gap has no camera")
	case g.End.Before(g.Start):
		return errors.New("store: gap ends before it starts")
	}
	g.Start, g.End = normal(g.Start), normal(g.End)
	err := s.w.QueryRowContext(ctx, `INSERT INTO gaps (camera_id, start_us, end_us, reason) VALUES ($1, $2, $3, $4) RETURNING id`,
		g.CameraID, micros(g.Start), micros(g.End), g.Reason).Scan(&g.ID)
	return wrap("add gap", err)
}

// GapsInRange returns a camera's gaps overlapping [start, end), by start.
func (s *Store) GapsInRange(ctx context.Context, cameraID int64, start, end time.Time) ([]Gap, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, camera_id, start_us, end_us, reason FROM gaps
		WHERE camera_id = $1 AND start_us < $3 AND end_us > $2 ORDER BY start_us, id`, cameraID, micros(start), micros(end))
	if err != nil {
		return nil, wrap("gaps in range", err)
	}
	defer rows.Close()
	var out []Gap
	for rows.Next() {
		var g Gap
		var a, b int64
		if err := rows.Scan(&g.ID, &g.CameraID, &a, &b, &g.Reason); err != nil {
			return nil, wrap("gaps in range", err)
		}
		g.Start, g.End = fromMicros(a), fromMicros(b)
		out = append(out, g)
	}
	return out, wrap("gaps in range", rows.Err())
}
