package store

import (
	"context"
	"errors"
	"slices"
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

// GapPartsInRange returns a camera's recorded gaps over [start, end) as
// parts that do not overlap, by start, each clipped to the range and
// carrying its own gap's reason and ID: an outage next to (or inside)
// an early deletion is two (or three) parts, never one with the first
// gap's reason. Where recorded gaps overlap, the one recorded first
// (the lowest ID) gives the reason: a gap recorded later over the same
// time found that time already without footage, for the earlier reason
// (an early deletion whose extent spans an outage, or an earlier
// deletion). Touching parts with the same reason are one part.
func (s *Store) GapPartsInRange(ctx context.Context, cameraID int64, start, end time.Time) ([]Gap, error) {
	gaps, err := s.GapsInRange(ctx, cameraID, start, end)
	if err != nil {
		return nil, err
	}
	return GapParts(gaps, normal(start), normal(end)), nil
}

// GapParts splits gaps into the parts GapPartsInRange describes, within
// [start, end).
func GapParts(gaps []Gap, start, end time.Time) []Gap {
	var cuts []time.Time
	var in []Gap
	for _, g := range gaps {
		if g.Start.Before(start) {
			g.Start = start
		}
		if g.End.After(end) {
			g.End = end
		}
		if !g.End.After(g.Start) {
			continue
		}
		in = append(in, g)
		cuts = append(cuts, g.Start, g.End)
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = slices.CompactFunc(cuts, time.Time.Equal)
	// A sweep over the cuts with the gaps open at each: a camera that
	// flapped all month has thousands of gaps, seldom many at once.
	slices.SortFunc(in, func(a, b Gap) int { return a.Start.Compare(b.Start) })
	var out []Gap
	var open []Gap
	next := 0
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		open = slices.DeleteFunc(open, func(g Gap) bool { return !g.End.After(a) })
		for ; next < len(in) && !in[next].Start.After(a); next++ {
			open = append(open, in[next])
		}
		var by *Gap
		for k := range open {
			if by == nil || open[k].ID < by.ID {
				by = &open[k]
			}
		}
		if by == nil {
			continue // between gaps
		}
		if n := len(out); n > 0 && out[n-1].End.Equal(a) && out[n-1].Reason == by.Reason {
			out[n-1].End = b
			continue
		}
		out = append(out, Gap{ID: by.ID, CameraID: by.CameraID, Start: a, End: b, Reason: by.Reason})
	}
	return out
}
