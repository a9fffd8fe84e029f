// Package segindex is the segment index's rows: the segments a recorder
// writes and the fragments within them, its progress reports, the gaps
// in a camera's footage, the log of deleted footage and the evidence
// holds that keep it. The media core (recording, playback) reads and
// writes them through small interfaces of its own, which the store
// implements; this package holds the rows alone, so that the store can
// keep them without importing the media core, and recording's tests can
// use the store without an import cycle.
package segindex

import (
	"errors"
	"slices"
	"time"
)

// ErrNotFound is returned, wrapped, when the index has no row for what
// was asked: a segment already deleted, or a file no row knows of.
var ErrNotFound = errors.New("segment index: no such row")

// ErrKept is returned, wrapped, when a segment may not be deleted early:
// it is still being written, or an evidence hold covers it.
var ErrKept = errors.New("segment index: the segment is still being recorded or under an evidence hold")

// Segment is one recorded file.
type Segment struct {
	ID, CameraID  int64
	Storage, Path string    // storage folder name and path relative to it
	Start, End    time.Time // UTC, microsecond precision
	Size          int64
	InitSize      int64
	Codec         string // RFC 6381 codecs string, e.g. "avc1.4d401e"
	Width, Height int
	ClockOffset   time.Duration // camera clock minus ours, from RTCP; 0 if unknown
	Open          bool          // still being written
}

// Fragment is one independently addressable run of samples in a segment.
type Fragment struct {
	SegmentID  int64
	Start      time.Time
	Duration   time.Duration
	Offset     int64 // of the fragment within the file
	Size       int64
	DataOffset int64 // of the first sample's data within the file
	Samples    int
	Keyframe   bool
}

// Progress is what a recorder has written to one segment since it last
// reported.
type Progress struct {
	SegmentID int64
	End       time.Time
	Size      int64
	Fragments []Fragment // their SegmentID is ignored in favour of the Progress's
	Close     bool
}

// Gap is a stretch of time a camera was expected to record but did not.
type Gap struct {
	ID, CameraID int64
	Start, End   time.Time
	Reason       string
}

// Deletion records that footage was removed, and why.
type Deletion struct {
	ID            int64
	At            time.Time
	CameraID      int64
	SegmentID     int64
	Storage, Path string
	Start, End    time.Time
	Bytes         int64
	Reason        string
}

// Hold is an evidence hold: while active it exempts the footage of one
// camera in [Start, End) from retention and eviction.
type Hold struct {
	ID, CameraID int64
	Start, End   time.Time
	Reason       string
	CreatedBy    int64 // user id
	CreatedAt    time.Time
	ReleasedAt   *time.Time // nil while active
}

// GapParts splits a camera's recorded gaps into parts that do not
// overlap, by start, each clipped to [start, end) and carrying its own
// gap's reason and ID: an outage next to (or inside) an early deletion
// is two (or three) parts, never one with the first gap's reason. Where
// recorded gaps overlap, the one recorded first (the lowest ID) gives the
// reason: a gap recorded later over the same time found that time
// already without footage, for the earlier reason (an early deletion
// whose extent spans an outage, or an earlier deletion). Touching parts
// with the same reason are one part.
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
