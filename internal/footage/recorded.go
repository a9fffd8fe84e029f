// Package footage owns the decisions about recorded video: what is
// recorded of a camera in a range and why the rest is not (spans and
// gaps with their reasons), who may play back, export or delete which
// camera's footage and when (the playback delay for those who may not
// view a camera live, the four-eyes rule over exports and early
// deletions), and the audit of it: footage is not sent before its view
// or export is in the trail, and an early deletion commits with its
// record.
//
// It decides; the media core does the work. Clips are built by playback
// and footage is deleted by recording's eraser, each behind a small
// interface of the service's, and the segment index is read through the
// service's Repo. The transports decode a request, call the Service and
// encode what it answers; its refusals are problem errors whose messages
// are safe to show.
package footage

import (
	"time"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// Segment is a recorded segment of a camera as the footage rules read it:
// its time and the format of its video.
type Segment struct {
	Start, End    time.Time
	Codec         string // RFC 6381 codecs string, e.g. "avc1.4d401e"
	Width, Height int
	// ClockOffset is the camera's own clock minus ours when the segment
	// began; 0 if unknown.
	ClockOffset time.Duration
}

// segmentsOf reads the segment index's rows as the footage rules do.
func segmentsOf(rows []segindex.Segment) []Segment {
	out := make([]Segment, 0, len(rows))
	for _, r := range rows {
		out = append(out, Segment{Start: r.Start, End: r.End, Codec: r.Codec, Width: r.Width, Height: r.Height, ClockOffset: r.ClockOffset})
	}
	return out
}

// gapsOf reads the index's recorded gaps as the footage rules do.
func gapsOf(rows []segindex.Gap) []Gap {
	out := make([]Gap, 0, len(rows))
	for _, r := range rows {
		out = append(out, Gap{Start: r.Start, End: r.End, Reason: r.Reason})
	}
	return out
}

// Gap is time without footage and why: as recorded (a camera offline, a
// disk too slow, an early deletion), or "no footage recorded".
type Gap struct {
	Start, End time.Time
	Reason     string
}

// Span is unbroken footage in one format: segments joined where they
// meet within JoinTolerance.
type Span struct {
	Start, End    time.Time
	Codec         string
	Width, Height int
	// ClockOffset is the camera's clock minus ours when the span began:
	// what an investigator needs to compare the camera's on-screen clock
	// with the recorded time.
	ClockOffset time.Duration
}

// Recorded is what a camera holds of a range: its spans of footage, and
// the gaps before, between and after them with their reasons.
type Recorded struct {
	CameraID   int64
	Start, End time.Time
	Spans      []Span
	Gaps       []Gap
}

// MaxListRange is the longest range one listing covers.
const MaxListRange = 31 * 24 * time.Hour

// JoinTolerance is how close two segments must be to count as one span.
const JoinTolerance = 250 * time.Millisecond

// UnknownGap is the reason of a hole no recorded gap explains.
const UnknownGap = "no footage recorded"

// MergeSpans joins segments (in order of start) into spans: a segment
// that starts within JoinTolerance of the last span's end, in the same
// format, extends it. Empty segments are left out.
func MergeSpans(segs []Segment) []Span {
	out := []Span{}
	for _, sg := range segs {
		if !sg.End.After(sg.Start) {
			continue
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if sg.Start.Sub(last.End) <= JoinTolerance && last.Codec == sg.Codec && last.Width == sg.Width && last.Height == sg.Height {
				if sg.End.After(last.End) {
					last.End = sg.End
				}
				continue
			}
		}
		out = append(out, Span(sg))
	}
	return out
}

// Holes lists the parts of the range from start that hold no footage
// before and between spans, and the recorded gaps after the last span (a
// camera offline now). parts are the recorded gaps as the index gives
// them, cut to the range: a hole is split where they meet, each part with
// its own reason (an outage next to an early deletion is two gaps), and
// what no recorded gap covers is UnknownGap. Slivers under JoinTolerance
// go to their neighbour, as spans are joined across them. The time after
// the newest footage of a camera still recording is not a gap: it is now.
func Holes(spans []Span, parts []Gap, start time.Time) []Gap {
	out := []Gap{}
	add := func(a, b time.Time) {
		if b.Sub(a) <= JoinTolerance {
			return
		}
		first := len(out)
		cur := a
		for _, p := range parts {
			if !p.End.After(cur) || !p.Start.Before(b) {
				continue
			}
			ps, pe := later(p.Start, cur), p.End
			if pe.After(b) {
				pe = b
			}
			if ps.Sub(cur) > JoinTolerance {
				out = append(out, Gap{Start: cur, End: ps, Reason: UnknownGap})
			} else {
				ps = cur
			}
			out = append(out, Gap{Start: ps, End: pe, Reason: p.Reason})
			cur = pe
		}
		switch {
		case b.Sub(cur) > JoinTolerance:
			out = append(out, Gap{Start: cur, End: b, Reason: UnknownGap})
		case len(out) > first:
			out[len(out)-1].End = b
		}
	}
	cur := start
	for _, sp := range spans {
		if sp.Start.After(cur) {
			add(cur, sp.Start)
		}
		if sp.End.After(cur) {
			cur = sp.End
		}
	}
	for _, p := range parts {
		if a := later(p.Start, cur); p.End.Sub(a) > JoinTolerance {
			out = append(out, Gap{Start: a, End: p.End, Reason: p.Reason})
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
