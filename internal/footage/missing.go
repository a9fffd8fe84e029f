package footage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/cameras"
)

// What a file of footage does not hold. A range asked for is seldom all
// recorded: a camera was offline, footage was deleted early. An export
// says which parts of the range it lacks and why, and a range with none
// of it is refused with the same answer, so that nobody takes the gap
// for footage or a frame from before it for the range.

// NoFootageError is the cause of the refusal of a range with no footage
// at all (a problem.ErrNotFound): the parts of the range and why each
// holds none, which a transport may send beside the message.
type NoFootageError struct {
	Start, End time.Time
	Gaps       []Gap
}

func (e *NoFootageError) Error() string {
	return "footage: " + DescribeGaps(e.Gaps)
}

// DescribeGaps says in a sentence what is missing and why, as "no
// footage from X to Y: camera offline; from Y to Z: deleted early, ...".
func DescribeGaps(gs []Gap) string {
	var parts []string
	for i, g := range gs {
		p := fmt.Sprintf("from %s to %s: %s", g.Start.UTC().Format(time.RFC3339), g.End.UTC().Format(time.RFC3339), g.Reason)
		if i == 0 {
			p = "no footage " + p
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// Missing lists the parts of [start, end) that hold no footage, each
// with its reason: the holes between and around spans as Holes finds
// them, cut to the range, and the time after the newest footage up to
// end, which an export of a range that has ended lacks even where no
// gap was recorded (Holes leaves it out: for a listing it is now).
func Missing(spans []Span, parts []Gap, start, end time.Time) []Gap {
	out := []Gap{}
	cur := start
	for _, g := range Holes(spans, parts, start) {
		if g.End.After(end) {
			g.End = end
		}
		if g.End.Sub(g.Start) <= JoinTolerance {
			continue
		}
		out = append(out, g)
	}
	for _, sp := range spans {
		cur = later(cur, sp.End)
	}
	if n := len(out); n > 0 {
		cur = later(cur, out[n-1].End)
	}
	if end.Sub(cur) > JoinTolerance {
		out = append(out, Gap{Start: cur, End: end, Reason: UnknownGap})
	}
	return out
}

// missing is what camera c's footage lacks of [start, end).
func (s *Service) missing(ctx context.Context, c cameras.Camera, start, end time.Time) ([]Gap, error) {
	rows, err := s.repo.SegmentsInRange(ctx, c.ID, start, end)
	if err != nil {
		return nil, err
	}
	parts, err := s.repo.GapPartsInRange(ctx, c.ID, start, end)
	if err != nil {
		return nil, err
	}
	return Missing(MergeSpans(segmentsOf(rows)), gapsOf(parts), start, end), nil
}
