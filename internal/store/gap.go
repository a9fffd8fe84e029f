package store

import (
	"context"
	"errors"
	"time"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// AddGap inserts g and sets its ID; Start and End are normalised to UTC
// microseconds.
func (s *Store) AddGap(ctx context.Context, g *segindex.Gap) error {
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
func (s *Store) GapsInRange(ctx context.Context, cameraID int64, start, end time.Time) ([]segindex.Gap, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, camera_id, start_us, end_us, reason FROM gaps
		WHERE camera_id = $1 AND start_us < $3 AND end_us > $2 ORDER BY start_us, id`, cameraID, micros(start), micros(end))
	if err != nil {
		return nil, wrap("gaps in range", err)
	}
	defer rows.Close()
	var out []segindex.Gap
	for rows.Next() {
		var g segindex.Gap
		var a, b int64
		if err := rows.Scan(&g.ID, &g.CameraID, &a, &b, &g.Reason); err != nil {
			return nil, wrap("gaps in range", err)
		}
		g.Start, g.End = fromMicros(a), fromMicros(b)
		out = append(out, g)
	}
	return out, wrap("gaps in range", rows.Err())
}

// GapPartsInRange returns a camera's recorded gaps over [start, end) as
// parts that do not overlap, by start, each clipped to the range and
// carrying its own gap's reason and ID: an outage next to (or inside)
// an early deletion is two (or three) parts, never one with the first
// gap's reason. Where recorded gaps overlap, the one recorded first
// (the lowest ID) gives the reason: a gap recorded later over the same
// time found that time already without footage, for the earlier reason
// (an early deletion whose extent spans an outage, or an earlier
// deletion). Touching parts with the same reason are one part.
func (s *Store) GapPartsInRange(ctx context.Context, cameraID int64, start, end time.Time) ([]segindex.Gap, error) {
	gaps, err := s.GapsInRange(ctx, cameraID, start, end)
	if err != nil {
		return nil, err
	}
	return segindex.GapParts(gaps, normal(start), normal(end)), nil
}
