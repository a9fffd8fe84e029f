package recording

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/mp4"
	"github.com/vigil-cctv/vigil/internal/store"
)

// ReconcileStore is what Reconcile needs of the store.
type ReconcileStore interface {
	OpenSegments(ctx context.Context) ([]store.Segment, error)
	SegmentByPath(ctx context.Context, storage, path string) (store.Segment, error)
	ReplaceFragments(ctx context.Context, segmentID int64, frags []store.Fragment, end time.Time, size int64) error
	DeleteSegment(ctx context.Context, id int64) error
	LogDeletion(ctx context.Context, d *store.Deletion) error
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
func Reconcile(ctx context.Context, st ReconcileStore, storages map[string]string, log *slog.Logger) (ReconcileReport, error) {
	var rep ReconcileReport
	open, err := st.OpenSegments(ctx)
	if err != nil {
		return rep, err
	}
	for _, seg := range open {
		root, ok := storages[seg.Storage]
		if !ok {
			log.Warn("segment in a storage folder no longer configured; left as it is", "storage", seg.Storage, "path", seg.Path)
			continue
		}
		abs := filepath.Join(root, seg.Path)
		frags, end, size, err := scanSegment(abs, seg)
		if err != nil || len(frags) == 0 {
			reason := "reconcile: no whole fragment in file"
			if err != nil {
				reason = "reconcile: " + err.Error()
			}
			if err := st.DeleteSegment(ctx, seg.ID); err != nil {
				return rep, err
			}
			os.Remove(abs)
			st.LogDeletion(ctx, &store.Deletion{At: time.Now().UTC(), CameraID: seg.CameraID, SegmentID: seg.ID, Storage: seg.Storage, Path: seg.Path, Start: seg.Start, End: seg.End, Reason: reason})
			rep.EmptyRemoved++
			continue
		}
		if fi, err := os.Stat(abs); err == nil && fi.Size() > size {
			rep.TruncatedBytes += fi.Size() - size
			if err := os.Truncate(abs, size); err != nil {
				return rep, fmt.Errorf("recording: truncate %s: %w", seg.Path, err)
			}
		}
		if err := st.ReplaceFragments(ctx, seg.ID, frags, end, size); err != nil {
			return rep, err
		}
		rep.Recovered++
	}
	for name, root := range storages {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() || !strings.HasSuffix(p, ".mp4") {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			_, err = st.SegmentByPath(ctx, name, rel)
			if errors.Is(err, store.ErrNotFound) {
				log.Warn("deleting a segment file no index row knows of", "path", p)
				if err := os.Remove(p); err == nil {
					rep.OrphansRemoved++
				}
				return nil
			}
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("recording: scan %s: %w", root, err)
		}
	}
	return rep, nil
}

// scanSegment reads a segment file's fragments back into index rows.
func scanSegment(path string, seg store.Segment) ([]store.Fragment, time.Time, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, time.Time{}, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, 0, err
	}
	track, initEnd, err := mp4.ReadInit(f, fi.Size())
	if err != nil {
		return nil, time.Time{}, 0, err
	}
	mfrags, validEnd, err := mp4.ScanFragments(f, initEnd, fi.Size())
	if err != nil {
		return nil, time.Time{}, 0, err
	}
	out := make([]store.Fragment, 0, len(mfrags))
	end := seg.Start
	for _, m := range mfrags {
		var dur uint64
		for _, s := range m.Samples {
			dur += uint64(s.Duration)
		}
		start := seg.Start.Add(scaleDuration(m.BaseDecodeTime, track.Timescale))
		d := scaleDuration(dur, track.Timescale)
		out = append(out, store.Fragment{
			SegmentID: seg.ID, Start: start, Duration: d,
			Offset: m.Offset, Size: m.Size, DataOffset: m.DataOffset,
			Samples: len(m.Samples), Keyframe: len(m.Samples) > 0 && m.Samples[0].Keyframe,
		})
		end = start.Add(d)
	}
	if len(out) == 0 {
		validEnd = initEnd
	}
	return out, end, validEnd, nil
}

func scaleDuration(v uint64, timescale uint32) time.Duration {
	if timescale == 0 {
		return 0
	}
	return time.Duration(v/uint64(timescale)*uint64(time.Second) + v%uint64(timescale)*uint64(time.Second)/uint64(timescale))
}
