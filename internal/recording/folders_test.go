package recording

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/segstore"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
)

// TestStorageFolders: a camera records into the emptier folder, moves to
// the other when it fills, is refused with "storage full" when both are
// (its footage so far kept), and carries on once one has room; then
// Reconcile, across both folders, cuts a half-written fragment in the
// second and deletes a file no row knows of in the first.
func TestStorageFolders(t *testing.T) {
	st, cam, dir := fixture.OneCamera(t)
	pathA, pathB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	var mu sync.Mutex
	free := map[string]int64{pathA: 1 << 40, pathB: 1 << 30}
	now := time.Now()
	setFree := func(path string, n int64) {
		mu.Lock()
		defer mu.Unlock()
		free[path] = n
		now = now.Add(time.Minute) // past the store's cached free space
	}
	folders := []segstore.Folder{{Name: "a", Path: pathA}, {Name: "b", Path: pathB}}
	opt := segstore.LocalOptions{
		FreeSpace: func(p string) (int64, error) { mu.Lock(); defer mu.Unlock(); return free[p], nil },
		Now:       func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
	}
	segs, err := segstore.NewLocal(folders, opt)
	if err != nil {
		t.Fatal(err)
	}
	rec := startRecorder(t, st, Options{Storage: segs, SegmentDuration: time.Hour})
	cr := rec.Camera(context.Background(), cam.ID)
	params, frames := clipFrames(t, codec.H264, "../simcam/clips/h264.mp4")
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	// run records n frames from start; the first error is returned.
	run := func(start time.Time, n int, end bool) error {
		var first error
		for k, fr := range frames[:n] {
			fr.Params = &params
			fr.Time = start.Add(time.Duration(fr.PTS) * time.Second / 90000)
			fr.Discontinuity = k == 0
			if err := cr.WriteFrame(&fr); err != nil && first == nil {
				first = err
			}
		}
		if end {
			cr.StreamEnded(errors.New("test: run over"))
		}
		if err := rec.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		return first
	}
	segments := func() []segindex.Segment {
		t.Helper()
		ss, err := st.SegmentsInRange(context.Background(), cam.ID, t0, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return ss
	}

	if err := run(t0, 100, true); err != nil {
		t.Fatal(err)
	}
	setFree(pathA, 0)
	if err := run(t0.Add(10*time.Second), 100, true); err != nil {
		t.Fatal(err)
	}
	if ss := segments(); len(ss) != 2 || ss[0].Storage != "a" || ss[1].Storage != "b" {
		t.Fatalf("got segments %+v, want the first in a, the second in b once a filled", ss)
	}
	setFree(pathB, 0)
	err = run(t0.Add(20*time.Second), 100, true)
	if !errors.Is(err, segstore.ErrNoRoom) || Classify(err) != ClassStorageFull {
		t.Errorf("with both folders full got %v (class %q), want segstore.ErrNoRoom, class %q", err, Classify(err), ClassStorageFull)
	}
	if s := cr.Stats(); s.LastError != ClassStorageFull {
		t.Errorf("got last error %q, want %q", s.LastError, ClassStorageFull)
	}
	ss := segments()
	if len(ss) != 2 {
		t.Fatalf("got %d segments after both folders filled, want the 2 recorded before", len(ss))
	}
	for _, s := range ss {
		if r, err := segs.Open(segstore.Ref{Folder: s.Storage, Path: s.Path}); err != nil {
			t.Errorf("segment %d's file in %s: %v", s.ID, s.Storage, err)
		} else {
			r.Close()
		}
	}

	// b has room again: the camera records there, and is cut off with
	// half a fragment written after its index's last row.
	setFree(pathB, 1<<30)
	if err := run(t0.Add(30*time.Second), 151, false); err != nil && !errors.Is(err, ingest.ErrAwaitingKeyframe) {
		t.Fatal(err)
	}
	open, err := st.OpenSegments(context.Background())
	if err != nil || len(open) != 1 || open[0].Storage != "b" {
		t.Fatalf("got open segments %+v (%v), want one in b", open, err)
	}
	path := filepath.Join(pathB, open[0].Path)
	whole, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.Write([]byte{0, 0, 1, 0, 'm', 'o', 'o', 'f', 1, 2, 3})
	fh.Close()
	orphan := filepath.Join(pathA, "99", "2026-12-07", "100000.000.mp4")
	os.MkdirAll(filepath.Dir(orphan), 0o750)
	if err := os.WriteFile(orphan, []byte("nobody's"), 0o600); err != nil {
		t.Fatal(err)
	}

	again, err := segstore.NewLocal(folders, opt)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Reconcile(context.Background(), st, again, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Recovered != 1 || rep.TruncatedBytes != 11 || rep.OrphansRemoved != 1 || rep.EmptyRemoved != 0 {
		t.Errorf("got %+v, want 1 recovered, 11 bytes cut, 1 orphan removed", rep)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != whole.Size() {
		t.Errorf("the open segment in b after Reconcile: %v, want %d bytes", err, whole.Size())
	}
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the orphan in a: got %v, want it deleted", err)
	}
	if ss := segments(); len(ss) != 3 {
		t.Errorf("got %d segments after Reconcile, want 3 (a, b, b)", len(ss))
	}
}
