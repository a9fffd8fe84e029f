package playback

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/segstore"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
)

// footage records runs of the simulated camera's clip at chosen instants
// through the real recorder, and returns a Builder over them.
type footage struct {
	st   *store.Store
	segs *segstore.Local
	cam  int64
	clip *simcam.Clip
	rec  *recording.Recorder
	cr   *recording.CameraRecorder
	stop func()
}

func newFootage(t *testing.T) *footage {
	t.Helper()
	return newFootageIn(t, func(dir string) []segstore.Folder {
		return []segstore.Folder{{Name: "local", Path: filepath.Join(dir, "rec")}}
	}, segstore.LocalOptions{})
}

// newFootageIn records into the storage folders folders(dir) gives.
func newFootageIn(t *testing.T, folders func(dir string) []segstore.Folder, opt segstore.LocalOptions) *footage {
	t.Helper()
	st, c, dir := fixture.OneCamera(t)
	clip, err := simcam.LoadClip(codec.H264)
	if err != nil {
		t.Fatal(err)
	}
	segs, err := segstore.NewLocal(folders(dir), opt)
	if err != nil {
		t.Fatal(err)
	}
	rec := recording.New(st, recording.Options{Storage: segs})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	f := &footage{st: st, segs: segs, cam: c.ID, clip: clip, rec: rec, cr: rec.Camera(context.Background(), c.ID)}
	f.stop = func() { cancel(); <-done }
	t.Cleanup(f.stop)
	return f
}

// run records n frames from start with the given parameter sets.
func (f *footage) run(t *testing.T, start time.Time, n int, params *codec.Params) {
	t.Helper()
	dur := time.Duration(f.clip.FrameDur) * time.Second / 90000
	for k := range n {
		i := k % len(f.clip.Units)
		err := f.cr.WriteFrame(&ingest.Frame{Codec: codec.H264, Params: params, PTS: int64(k) * int64(f.clip.FrameDur),
			Time: start.Add(time.Duration(k) * dur), NALUs: f.clip.Units[i], Keyframe: f.clip.Keyframe[i], Discontinuity: k == 0})
		if err != nil {
			t.Fatal(err)
		}
	}
	f.cr.StreamEnded(errors.New("test: run over"))
	if err := f.rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (f *footage) builder() *Builder { return NewBuilder(f.st, f.segs) }

// TestSecondFolder: with the first storage folder full, footage goes on
// in the second and plays back from there, in one clip with the footage
// the first folder took before it filled.
func TestSecondFolder(t *testing.T) {
	var first string
	var full atomic.Bool
	var mu sync.Mutex
	now := time.Now()
	f := newFootageIn(t, func(dir string) []segstore.Folder {
		first = filepath.Join(dir, "one")
		return []segstore.Folder{{Name: "one", Path: first}, {Name: "two", Path: filepath.Join(dir, "two")}}
	}, segstore.LocalOptions{
		FreeSpace: func(path string) (int64, error) {
			switch {
			case path == first && full.Load():
				return 0, nil
			case path == first:
				return 1 << 40, nil // the emptier: chosen first
			}
			return 1 << 30, nil
		},
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
	})
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	params := f.clip.Params
	f.run(t, t0, 100, &params) // 10:00:00 to 10:00:04
	full.Store(true)
	mu.Lock()
	now = now.Add(time.Minute) // past the store's cached free space
	mu.Unlock()
	f.run(t, t0.Add(4*time.Second), 100, &params) // to 10:00:08
	segs, err := f.st.SegmentsInRange(ctx, f.cam, t0, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 2 || segs[0].Storage != "one" || segs[1].Storage != "two" {
		t.Fatalf("got segments %+v, want one in folder one, then one in folder two", segs)
	}
	if r, err := f.segs.Open(segstore.Ref{Folder: "two", Path: segs[1].Path}); err != nil {
		t.Errorf("the second segment's file in folder two: %v", err)
	} else {
		r.Close()
	}
	clip, err := f.builder().Build(ctx, f.cam, t0, t0.Add(8*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer clip.Close()
	if !clip.Start.Equal(t0) || !clip.End.Equal(t0.Add(8*time.Second)) || len(clip.Gaps) != 0 {
		t.Errorf("got a clip of %s to %s with gaps %v, want 10:00:00 to 10:00:08 without a gap", clip.Start, clip.End, clip.Gaps)
	}
	n, err := io.Copy(io.Discard, io.NewSectionReader(clip, 0, clip.Size()))
	if err != nil || n != clip.Size() {
		t.Errorf("read %d of %d bytes: %v", n, clip.Size(), err)
	}
}

func TestGapsAndChanges(t *testing.T) {
	f := newFootage(t)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	params := f.clip.Params
	other := params
	other.PPS = append(append([]byte{}, params.PPS...), 0)
	f.run(t, t0, 100, &params)                               // 10:00:00 to 10:00:04
	f.run(t, t0.Add(10*time.Second), 100, &params)           // a 6 s gap
	f.run(t, t0.Add(2*time.Hour), 100, &params)              // a gap of almost 2 h
	f.run(t, t0.Add(2*time.Hour+4*time.Second), 100, &other) // new parameters, no gap

	t.Run("short gap held", func(t *testing.T) {
		clip, err := f.builder().Build(context.Background(), f.cam, t0, t0.Add(14*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer clip.Close()
		if len(clip.Gaps) != 1 || !clip.Gaps[0].Start.Equal(t0.Add(4*time.Second)) || !clip.Gaps[0].End.Equal(t0.Add(10*time.Second)) {
			t.Errorf("gaps %+v, want 10:00:04 to 10:00:10", clip.Gaps)
		}
		path := filepath.Join(t.TempDir(), "gap.mp4")
		out, _ := os.Create(path)
		io.Copy(out, io.NewSectionReader(clip, 0, clip.Size()))
		out.Close()
		testkit.NeedTool(t, "ffmpeg")
		ffprobe := testkit.NeedTool(t, "ffprobe")
		if b, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(b) > 0 {
			t.Fatalf("ffmpeg: %v %s", err, b)
		}
		b, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path).Output()
		if err != nil || string(b) != "14.000000\n" {
			t.Errorf("duration %q (%v), want the wall-clock 14 s with the last picture held across the gap", b, err)
		}
	})
	t.Run("long gap refused", func(t *testing.T) {
		_, err := f.builder().Build(context.Background(), f.cam, t0, t0.Add(3*time.Hour))
		var lg *LongGapError
		if !errors.As(err, &lg) || !lg.Start.Equal(t0.Add(14*time.Second)) || !lg.End.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("got %v, want a LongGapError from 10:00:14 to 12:00:00", err)
		}
	})
	t.Run("codec change refused", func(t *testing.T) {
		_, err := f.builder().Build(context.Background(), f.cam, t0.Add(2*time.Hour), t0.Add(2*time.Hour+8*time.Second))
		var cc *CodecChangeError
		if !errors.As(err, &cc) || !cc.At.Equal(t0.Add(2*time.Hour+4*time.Second)) {
			t.Errorf("got %v, want a CodecChangeError at 12:00:04", err)
		}
	})
	// A range that starts after footage ended (in a gap, or after the
	// newest footage) must not be answered with the footage before it.
	t.Run("nothing after the footage", func(t *testing.T) {
		for _, tc := range []struct {
			name       string
			start, end time.Time
		}{
			{"in a gap", t0.Add(5 * time.Second), t0.Add(9 * time.Second)},
			{"after the newest footage", t0.Add(3 * time.Hour), t0.Add(3*time.Hour + time.Minute)},
			{"starting where footage ends", t0.Add(14 * time.Second), t0.Add(20 * time.Second)},
		} {
			clip, err := f.builder().Build(context.Background(), f.cam, tc.start, tc.end)
			if !errors.Is(err, ErrNoFootage) {
				if err == nil {
					clip.Close()
					t.Errorf("%s: got a clip of %s to %s, want ErrNoFootage", tc.name, clip.Start, clip.End)
				} else {
					t.Errorf("%s: got %v, want ErrNoFootage", tc.name, err)
				}
			}
		}
	})
	t.Run("start in a gap", func(t *testing.T) {
		clip, err := f.builder().Build(context.Background(), f.cam, t0.Add(5*time.Second), t0.Add(12*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer clip.Close()
		if !clip.Start.Equal(t0.Add(10*time.Second)) || len(clip.Gaps) != 0 {
			t.Errorf("got a clip from %s with gaps %+v, want one from 10:00:10, the first footage in the range, with no gap", clip.Start, clip.Gaps)
		}
	})
	t.Run("nothing there", func(t *testing.T) {
		_, err := f.builder().Build(context.Background(), f.cam, t0.Add(-time.Hour), t0.Add(-time.Minute))
		if !errors.Is(err, ErrNoFootage) {
			t.Errorf("got %v, want ErrNoFootage", err)
		}
	})
}
