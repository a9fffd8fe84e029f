package recording

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/ingest"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want ErrorClass
	}{
		{"none", nil, ""},
		{"disk full", &os.PathError{Op: "write", Path: "/srv/x.mp4", Err: syscall.ENOSPC}, ClassStorageFull},
		{"quota spent", fmt.Errorf("recording: %w", &os.PathError{Op: "open", Path: "/srv/x.mp4", Err: syscall.EDQUOT}), ClassStorageFull},
		{"disk full on making the folder", failed(ClassStorage, fmt.Errorf("recording: %w", syscall.ENOSPC)), ClassStorageFull},
		{"read-only disk", failed(ClassStorage, &os.PathError{Op: "mkdir", Path: "/srv/1", Err: syscall.EROFS}), ClassStorage},
		{"unclassified write", errors.New("short write"), ClassStorage},
		{"index", failed(ClassIndex, fmt.Errorf("recording: index segment: %w", errors.New("database is locked"))), ClassIndex},
		// The database's own disk full is the index's failure, not the
		// footage's storage.
		{"index on a full disk", failed(ClassIndex, fmt.Errorf("recording: index segment: %w", syscall.ENOSPC)), ClassIndex},
		{"stream", failed(ClassStream, errors.New("recording: parameter sets: no SPS")), ClassStream},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.err); got != tc.want {
				t.Errorf("Classify(%v): got %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

// TestFailuresTellTheirKind: a segment that cannot be made (a file where
// the camera's day folder must go) counts as a write error of its kind,
// with the failure itself apart, and the gaps it and a camera's failure
// leave say only their kind: the timeline is shown to everyone who plays
// the camera back, and the failures name the server's folders and quote
// whatever answered at the camera's address.
func TestFailuresTellTheirKind(t *testing.T) {
	f := newRecFixture(t, 10*time.Second)
	params, frames := clipFrames(t, codec.H264, "../simcam/clips/h264.mp4")
	cr := f.rec.Camera(context.Background(), f.cam)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	// feed sends frames from..to-1 of a stream of the clip over and over,
	// 25 a second, the first one starting a session if session.
	feed := func(from, to int, session bool) {
		for k := from; k < to; k++ {
			fr := frames[k%len(frames)]
			fr.Params = &params
			fr.PTS += int64(k/len(frames)) * 900000
			fr.Time = t0.Add(time.Duration(fr.PTS) * time.Second / 90000)
			fr.Discontinuity = session && k == from
			cr.WriteFrame(&fr) // refusals are what is tested
		}
	}
	feed(0, 250, true) // the first segment: 10 s
	day := filepath.Join(f.root, fmt.Sprint(f.cam), "2026-11-21")
	aside := day + ".aside"
	if err := os.Rename(day, aside); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(day, []byte("not a folder"), 0o640); err != nil {
		t.Fatal(err)
	}
	feed(250, 400, false) // the next segment cannot be made
	st := cr.Stats()
	if st.WriteErrors == 0 || st.LastError != ClassStorage || !strings.Contains(st.LastErrorDetail, day) {
		t.Errorf("with a file for the day folder: got %d write errors, last %q (%q), want a storage error naming the folder", st.WriteErrors, st.LastError, st.LastErrorDetail)
	}
	os.Remove(day)
	if err := os.Rename(aside, day); err != nil {
		t.Fatal(err)
	}
	feed(400, 500, false) // recorded again
	camErr := errors.New(`rtsp: not an RTSP server: it answered "SSH-2.0-OpenSSH_9.6p1"`)
	cr.StreamEnded(camErr)
	feed(600, 700, true) // a new session, after the camera's failure
	cr.StreamEnded(nil)
	f.rec.Flush(context.Background())

	gaps, err := f.st.GapsInRange(context.Background(), f.cam, t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, g := range gaps {
		reasons = append(reasons, g.Reason)
	}
	want := []string{"not recording: storage error", "camera offline: " + string(ingest.Classify(camErr))}
	if strings.Join(reasons, "|") != strings.Join(want, "|") {
		t.Errorf("gaps: got %q, want %q", reasons, want)
	}
}
