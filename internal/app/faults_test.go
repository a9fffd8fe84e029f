package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/store"
)

// checkIndexMatchesFiles asserts that every segment row has its bytes:
// the file exists, is exactly as long as the row says, and every indexed
// fragment lies inside it.
func checkIndexMatchesFiles(t *testing.T, st *store.Store, cameraID int64, root string) {
	t.Helper()
	segs, err := st.SegmentsInRange(context.Background(), cameraID, time.Unix(0, 0), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) == 0 {
		t.Fatal("no segments indexed")
	}
	for _, s := range segs {
		if s.Open {
			continue
		}
		fi, err := os.Stat(filepath.Join(root, s.Path))
		if err != nil {
			t.Errorf("segment %d: %v", s.ID, err)
			continue
		}
		if fi.Size() != s.Size {
			t.Errorf("segment %d: file is %d bytes, index says %d", s.ID, fi.Size(), s.Size)
		}
		frags, err := st.SegmentFragments(context.Background(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range frags {
			if f.Offset+f.Size > fi.Size() {
				t.Errorf("segment %d: fragment at %d+%d runs past the file's %d bytes", s.ID, f.Offset, f.Size, fi.Size())
			}
		}
	}
}

func TestCameraDropsAndReturns(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{})
	id := h.addCamera("Drops", h.cams.URL(1), nil)
	h.awaitFootage(id, 4*time.Second, 30*time.Second)
	h.cams.Drop(1)
	// Await the camera's return: footage after a gap.
	deadline := time.Now().Add(40 * time.Second)
	var r recordingsJSON
	for {
		h.app.Flush(context.Background())
		r = h.recordings(id)
		if len(r.Gaps) > 0 && len(r.Spans) >= 2 && r.Spans[len(r.Spans)-1].End.Sub(r.Spans[len(r.Spans)-1].Start) > 4*time.Second {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no footage after the drop: %+v, status %v", r, h.status(id))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The first gap may be the time before the camera was added.
	g := r.Gaps[len(r.Gaps)-1]
	if !strings.Contains(g.Reason, "offline") {
		t.Errorf("gap reason %q, want it to say the camera was offline", g.Reason)
	}
	if st := h.status(id); st["status"].(map[string]any)["reconnects"].(float64) < 1 {
		t.Errorf("status got %v, want a reconnection counted", st)
	}
	// A file across the gap is well formed and says where the gap is.
	res, path := h.video(id, g.Start.Add(-2*time.Second), g.End.Add(3*time.Second))
	if res.Header.Get("X-Vigil-Gaps") == "" {
		t.Errorf("no X-Vigil-Gaps header on a file across the gap %+v: %v", g, res.Header)
	}
	ffprobe(t, path)
	checkIndexMatchesFiles(t, h.app.Store, id, h.root)
}

func TestCameraSendsGarbage(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{faults: simcam.Faults{CorruptEvery: 37}})
	id := h.addCamera("Garbage", h.cams.URL(1), nil)
	h.awaitFootage(id, 8*time.Second, 40*time.Second)
	// A damaged picture costs the rest of its GOP (nothing after it can
	// be decoded until the next keyframe), so this camera's footage holds
	// a fraction of its frames, and how many varies from run to run:
	// wait until the recorder has kept 60 (a minute at most), rather than
	// for a length of time, so the file below always has enough to show.
	deadline := time.Now().Add(time.Minute)
	for {
		rec, _ := h.status(id)["recording"].(map[string]any)
		if n, _ := rec["frames"].(float64); n >= 60 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the recorder kept %v frames in a minute, want 60: %v", rec["frames"], rec)
		}
		time.Sleep(200 * time.Millisecond) // polling: stats have no event to await over HTTP
	}
	h.app.Flush(context.Background())
	r := h.recordings(id)
	// The longest span: on a loaded machine a corrupt keyframe may have
	// just begun a new one.
	span := r.Spans[0]
	for _, s := range r.Spans {
		if s.End.Sub(s.Start) > span.End.Sub(span.Start) {
			span = s
		}
	}
	_, path := h.video(id, span.Start, span.End)
	// The camera damages the slices of some pictures, and those are
	// recorded as sent (nothing is re-encoded), so ffmpeg may report
	// them: the file must hold the footage, not decode without a word.
	p := probeFile(t, path)
	if p.Frames < 25 {
		t.Errorf("got %d frames, want footage kept between the corrupt packets", p.Frames)
	}
	checkIndexMatchesFiles(t, h.app.Store, id, h.root)
}

func TestCameraStalls(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{})
	id := h.addCamera("Stalls", h.cams.URL(1), nil)
	h.awaitFootage(id, 3*time.Second, 30*time.Second)
	// Longer than the silence timeout (10 s), with room for the batching of reads: the session is dropped and
	// the camera retried until it speaks again.
	h.cams.Stall(1, 15*time.Second)
	deadline := time.Now().Add(60 * time.Second)
	sawOffline := false
	for {
		st := h.status(id)
		if st["state"] == "offline" {
			sawOffline = true
		}
		if sawOffline && st["state"] == "recording" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("camera did not go offline and come back: %v (saw offline: %v)", st, sawOffline)
		}
		time.Sleep(200 * time.Millisecond)
	}
	st := h.status(id)
	if e := fmt.Sprint(st["status"].(map[string]any)["last_error"]); !strings.Contains(e, "silen") {
		t.Errorf("last_error %q, want it to name the silence", e)
	}
}

// TestQuotaReached records with a storage quota of a few segments: the
// oldest footage goes, recording goes on, every deletion is logged and
// the index still matches the files.
func TestQuotaReached(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{quota: 600 << 10, retentionEvery: 500 * time.Millisecond})
	id := h.addCamera("Quota", h.cams.URL(1), nil)
	deadline := time.Now().Add(60 * time.Second)
	var dels []segindex.Deletion
	for {
		var err error
		dels, err = h.app.Store.ListDeletions(context.Background(), id, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(dels) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no deletions for quota within a minute; usage %v", h.usage())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Each deletion's record committed with it; the outbox's drain takes
	// it into the trail just after, so take what is left before reading.
	if err := h.app.Changes.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	audited, err := h.app.Audit.Store().ListAudit(context.Background(), store.AuditFilter{CameraID: id, Action: "footage.deleted", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dels {
		if !strings.HasPrefix(d.Reason, "quota") {
			t.Errorf("deletion reason %q, want quota", d.Reason)
		}
		// Each deletion is in the audit trail, committed with it.
		found := false
		for _, a := range audited {
			found = found || a.RangeStart != nil && a.RangeStart.Equal(d.Start) && a.RangeEnd.Equal(d.End) && a.Reason == d.Reason
		}
		if !found {
			t.Errorf("deletion of %s to %s is not in the audit trail (%d footage.deleted records)", d.Start, d.End, len(audited))
		}
	}
	if st := h.status(id); st["state"] != "recording" {
		t.Errorf("camera state %v after quota deletions, want recording", st["state"])
	}
	h.app.Flush(context.Background())
	// Within quota but for the segment being written.
	if u := h.usage(); u > 600<<10+400<<10 {
		t.Errorf("storage holds %d bytes, want at most the quota and one open segment", u)
	}
	checkIndexMatchesFiles(t, h.app.Store, id, h.root)
	r := h.awaitFootage(id, 3*time.Second, 20*time.Second)
	last := r.Spans[len(r.Spans)-1]
	_, path := h.video(id, last.Start, last.End)
	ffprobe(t, path)
}
