package playback

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
)

// footage records runs of the simulated camera's clip at chosen instants
// through the real recorder, and returns a Builder over them.
type footage struct {
	st   *store.Store
	root string
	cam  int64
	clip *simcam.Clip
	rec  *recording.Recorder
	cr   *recording.CameraRecorder
	stop func()
}

func newFootage(t *testing.T) *footage {
	t.Helper()
	st, c, dir := fixture.OneCamera(t)
	clip, err := simcam.LoadClip(codec.H264)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "rec")
	rec := recording.New(st, recording.Options{StorageName: "local", StoragePath: root})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	f := &footage{st: st, root: root, cam: c.ID, clip: clip, rec: rec, cr: rec.Camera(context.Background(), c.ID)}
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

func (f *footage) builder() *Builder { return NewBuilder(f.st, map[string]string{"local": f.root}) }

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
