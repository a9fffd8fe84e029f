package recording

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-cctv/vigil/internal/mp4"
	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/segstore"
)

// ReconcileStore is what Reconcile needs of the index.
type ReconcileStore interface {
	OpenSegments(ctx context.Context) ([]segindex.Segment, error)
	SegmentByPath(ctx context.Context, storage, path string) (segindex.Segment, error)
	ReplaceFragments(ctx context.Context, segmentID int64, frags []segindex.Fragment, end time.Time, size int64) error
	DeleteSegment(ctx context.Context, id int64) error
	LogDeletion(ctx context.Context, d *segindex.Deletion) error
}

// ReconcileReport says what Reconcile changed.
type ReconcileReport struct {
	Recovered      int   // open segments closed from what their files hold
	TruncatedBytes int64 // half-written fragments cut off
	EmptyRemoved   int   // rows whose files held no whole fragment, or no file
	OrphansRemoved int   // files no row knew of
}

// Reconcile makes index and files agree after an unclean stop: every
// segment left open is closed at the end of its last whole fragment (the
// index rebuilt from the file, since the last index rows may not have been
// written), and every file no row knows of is deleted. Run it before
// recording starts.
func Reconcile(ctx context.Context, st ReconcileStore, segs segstore.Store, log *slog.Logger) (ReconcileReport, error) {
	var rep ReconcileReport
	open, err := st.OpenSegments(ctx)
	if err != nil {
		return rep, err
	}
	for _, seg := range open {
		ref := segstore.Ref{Folder: seg.Storage, Path: seg.Path}
		frags, end, size, onDisk, err := scanSegment(segs, ref, seg)
		if errors.Is(err, segstore.ErrUnknownFolder) {
			log.Warn("segment in a storage folder no longer configured; left as it is", "storage", seg.Storage, "path", seg.Path)
			continue
		}
		if err != nil || len(frags) == 0 {
			reason := "reconcile: no whole fragment in file"
			if err != nil {
				reason = "reconcile: " + err.Error()
			}
			if err := st.DeleteSegment(ctx, seg.ID); err != nil {
				return rep, err
			}
			segs.Remove(ref)
			st.LogDeletion(ctx, &segindex.Deletion{At: time.Now().UTC(), CameraID: seg.CameraID, SegmentID: seg.ID, Storage: seg.Storage, Path: seg.Path, Start: seg.Start, End: seg.End, Reason: reason})
			rep.EmptyRemoved++
			continue
		}
		if onDisk > size {
			rep.TruncatedBytes += onDisk - size
			if err := segs.Truncate(ref, size); err != nil {
				return rep, fmt.Errorf("recording: truncate %s: %w", ref, err)
			}
		}
		if err := st.ReplaceFragments(ctx, seg.ID, frags, end, size); err != nil {
			return rep, err
		}
		rep.Recovered++
	}
	for _, name := range segs.Folders() {
		err := segs.List(ctx, name, func(p string) error {
			_, err := st.SegmentByPath(ctx, name, p)
			if errors.Is(err, segindex.ErrNotFound) {
				log.Warn("deleting a segment file no index row knows of", "storage", name, "path", p)
				if err := segs.Remove(segstore.Ref{Folder: name, Path: p}); err == nil {
					rep.OrphansRemoved++
				}
				return nil
			}
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("recording: scan storage %q: %w", name, err)
		}
	}
	return rep, nil
}

// scanSegment reads a segment's fragments back into index rows; onDisk is
// the segment's length, size where its last whole fragment ends.
func scanSegment(segs segstore.Store, ref segstore.Ref, seg segindex.Segment) (frags []segindex.Fragment, end time.Time, size, onDisk int64, err error) {
	f, err := segs.Open(ref)
	if err != nil {
		return nil, time.Time{}, 0, 0, err
	}
	defer f.Close()
	onDisk = f.Size()
	track, initEnd, err := mp4.ReadInit(f, onDisk)
	if err != nil {
		return nil, time.Time{}, 0, onDisk, err
	}
	mfrags, validEnd, err := mp4.ScanFragments(f, initEnd, onDisk)
	if err != nil {
		return nil, time.Time{}, 0, onDisk, err
	}
	out := make([]segindex.Fragment, 0, len(mfrags))
	end = seg.Start
	for _, m := range mfrags {
		var dur uint64
		for _, s := range m.Samples {
			dur += uint64(s.Duration)
		}
		start := seg.Start.Add(scaleDuration(m.BaseDecodeTime, track.Timescale))
		d := scaleDuration(dur, track.Timescale)
		out = append(out, segindex.Fragment{
			SegmentID: seg.ID, Start: start, Duration: d,
			Offset: m.Offset, Size: m.Size, DataOffset: m.DataOffset,
			Samples: len(m.Samples), Keyframe: len(m.Samples) > 0 && m.Samples[0].Keyframe,
		})
		end = start.Add(d)
	}
	if len(out) == 0 {
		validEnd = initEnd
	}
	return out, end, validEnd, onDisk, nil
}

func scaleDuration(v uint64, timescale uint32) time.Duration {
	if timescale == 0 {
		return 0
	}
	return time.Duration(v/uint64(timescale)*uint64(time.Second) + v%uint64(timescale)*uint64(time.Second)/uint64(timescale))
}
