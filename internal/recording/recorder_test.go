package recording

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/mp4"
	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
)

// clipFrames reads a clip into frames in decode order, PTS at 90 kHz.
func clipFrames(t testing.TB, c codec.Codec, path string) (codec.Params, []ingest.Frame) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	track, samples, err := mp4.ReadProgressive(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	params, err := codec.ParseDecoderConfig(c, track.Config)
	if err != nil {
		t.Fatal(err)
	}
	var out []ingest.Frame
	for _, s := range samples {
		nalus, err := codec.SplitAVCC(b[s.Offset : s.Offset+int64(s.Size)])
		if err != nil {
			t.Fatal(err)
		}
		pts := (int64(s.DecodeTime) + int64(s.CompositionOffset)) * 90000 / int64(track.Timescale)
		out = append(out, ingest.Frame{Codec: c, PTS: pts, NALUs: nalus, Keyframe: s.Keyframe})
	}
	return params, out
}

type recFixture struct {
	st   *store.Store
	rec  *Recorder
	root string
	cam  int64
	stop func()
}

func newRecFixture(t *testing.T, segDur time.Duration) *recFixture {
	t.Helper()
	st, cam, dir := fixture.OneCamera(t)
	root := filepath.Join(dir, "rec")
	rec := New(st, Options{StorageName: "local", StoragePath: root, SegmentDuration: segDur})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	f := &recFixture{st: st, rec: rec, root: root, cam: cam.ID}
	f.stop = func() { cancel(); <-done }
	t.Cleanup(f.stop)
	return f
}

func decodeFile(t *testing.T, path string) (frames int) {
	t.Helper()
	testkit.NeedTool(t, "ffmpeg")
	ffprobe := testkit.NeedTool(t, "ffprobe")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("ffmpeg on %s: %v %s", path, err, out)
	}
	out, err := exec.Command(ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "json", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Streams []struct {
			NbReadFrames string `json:"nb_read_frames"`
		}
	}
	json.Unmarshal(out, &r)
	n, _ := strconv.Atoi(r.Streams[0].NbReadFrames)
	return n
}

// TestSegmentsAndFragments records 25 s of the clip with 10 s segments:
// three segment files, each decodable, a fragment per GOP, all indexed.
func TestSegmentsAndFragments(t *testing.T) {
	for _, tc := range []struct {
		name  string
		codec codec.Codec
		clip  string
	}{{"h264", codec.H264, "../simcam/clips/h264.mp4"}, {"h265", codec.H265, "../simcam/clips/h265.mp4"}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newRecFixture(t, 10*time.Second)
			params, frames := clipFrames(t, tc.codec, tc.clip)
			cr := f.rec.Camera(context.Background(), f.cam)
			t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
			n := 625 // 25 s at 25 fps
			for k := 0; k < n; k++ {
				fr := frames[k%len(frames)]
				fr.Params = &params
				fr.PTS += int64(k/len(frames)) * 900000
				fr.Time = t0.Add(time.Duration(fr.PTS) * time.Second / 90000)
				fr.Discontinuity = k == 0
				if err := cr.WriteFrame(&fr); err != nil {
					t.Fatal(err)
				}
			}
			cr.StreamEnded(nil)
			f.rec.Flush(context.Background())
			segs, err := f.st.SegmentsInRange(context.Background(), f.cam, t0, t0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(segs) != 3 {
				t.Fatalf("got %d segments, want 3 (10 s each for 25 s)", len(segs))
			}
			total := 0
			for i, s := range segs {
				if s.Open {
					t.Errorf("segment %d still open", i)
				}
				frags, _ := f.st.SegmentFragments(context.Background(), s.ID)
				samples, keys := 0, 0
				for _, fr := range frags {
					samples += fr.Samples
					// The GOP is 2 s, longer than a second: parts of a second.
					if fr.Duration > time.Second {
						t.Errorf("segment %d fragment %+v: longer than a second", i, fr)
					}
					if fr.Keyframe {
						keys++
					}
				}
				if keys*2 < len(frags) {
					t.Errorf("segment %d: %d of %d fragments start on a keyframe, want every other", i, keys, len(frags))
				}
				got := decodeFile(t, filepath.Join(f.root, s.Path))
				if got != samples {
					t.Errorf("segment %d: ffprobe counted %d frames, index says %d", i, got, samples)
				}
				total += got
			}
			if total != n {
				t.Errorf("got %d frames stored, want all %d sent", total, n)
			}
			if want := t0.Add(25 * time.Second); !segs[2].End.Equal(want) {
				t.Errorf("last segment ends %s, want %s", segs[2].End, want)
			}
		})
	}
}

// TestBFrames records a stream with B-frames (presentation order differs
// from decode order) and checks ffmpeg decodes every frame in order.
func TestBFrames(t *testing.T) {
	ffmpeg := testkit.NeedTool(t, "ffmpeg")
	clip := filepath.Join(t.TempDir(), "b.mp4")
	if out, err := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
		"-c:v", "libx264", "-bf", "2", "-g", "25", "-pix_fmt", "yuv420p", clip).CombinedOutput(); err != nil {
		t.Fatalf("making a clip: %v %s", err, out)
	}
	f := newRecFixture(t, time.Minute)
	params, frames := clipFrames(t, codec.H264, clip)
	reordered := false
	for i := 1; i < len(frames); i++ {
		if frames[i].PTS < frames[i-1].PTS {
			reordered = true
		}
	}
	if !reordered {
		t.Fatal("the clip has no B-frames; the test proves nothing")
	}
	cr := f.rec.Camera(context.Background(), f.cam)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for k := range frames {
		fr := frames[k]
		fr.Params = &params
		fr.Time = t0.Add(time.Duration(fr.PTS) * time.Second / 90000)
		cr.WriteFrame(&fr)
	}
	cr.StreamEnded(nil)
	f.rec.Flush(context.Background())
	segs, _ := f.st.SegmentsInRange(context.Background(), f.cam, t0, t0.Add(time.Hour))
	if len(segs) != 1 {
		t.Fatalf("got %d segments, want 1", len(segs))
	}
	if got := decodeFile(t, filepath.Join(f.root, segs[0].Path)); got != len(frames) {
		t.Errorf("ffprobe counted %d frames, want %d", got, len(frames))
	}
}

// TestParameterChangeStartsSegment: new parameter sets mid-stream (the
// camera's resolution changed) start a new segment at the next keyframe.
func TestParameterChangeStartsSegment(t *testing.T) {
	f := newRecFixture(t, time.Minute)
	params, frames := clipFrames(t, codec.H264, "../simcam/clips/h264.mp4")
	other := params
	other.PPS = append(append([]byte{}, params.PPS...), 0) // a different PPS
	cr := f.rec.Camera(context.Background(), f.cam)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for k, fr := range frames[:100] {
		fr.Params = &params
		if k >= 50 {
			fr.Params = &other
		}
		fr.Time = t0.Add(time.Duration(fr.PTS) * time.Second / 90000)
		cr.WriteFrame(&fr)
	}
	cr.StreamEnded(nil)
	f.rec.Flush(context.Background())
	segs, _ := f.st.SegmentsInRange(context.Background(), f.cam, t0, t0.Add(time.Hour))
	if len(segs) != 2 {
		t.Fatalf("got %d segments, want 2 (one per set of parameters)", len(segs))
	}
	if d := segs[1].Start.Sub(t0); d != 2*time.Second {
		t.Errorf("second segment starts %s in, want 2s", d)
	}
}

// TestReconcileCutsHalfFragment: a segment left open with half a fragment
// at its end is cut back to its last whole fragment and re-indexed.
func TestReconcileCutsHalfFragment(t *testing.T) {
	f := newRecFixture(t, time.Minute)
	params, frames := clipFrames(t, codec.H264, "../simcam/clips/h264.mp4")
	cr := f.rec.Camera(context.Background(), f.cam)
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for _, fr := range frames[:151] { // six whole one-second parts; the 151st frame starts a seventh
		fr.Params = &params
		fr.Time = t0.Add(time.Duration(fr.PTS) * time.Second / 90000)
		cr.WriteFrame(&fr)
	}
	f.rec.Flush(context.Background())
	open, err := f.st.OpenSegments(context.Background())
	if err != nil || len(open) != 1 {
		t.Fatalf("open segments %v %v, want 1", open, err)
	}
	path := filepath.Join(f.root, open[0].Path)
	whole, _ := os.Stat(path)
	// Lose the index of the last fragment and add half a fragment.
	fh, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	fh.Write([]byte{0, 0, 1, 0, 'm', 'o', 'o', 'f', 1, 2, 3})
	fh.Close()
	rep, err := Reconcile(context.Background(), f.st, localSegs(t, "local", f.root), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Recovered != 1 || rep.TruncatedBytes != 11 {
		t.Errorf("report %+v, want 1 recovered and 11 bytes cut", rep)
	}
	seg, _ := f.st.Segment(context.Background(), open[0].ID)
	after, _ := os.Stat(path)
	if seg.Open || after.Size() != whole.Size() || seg.Size != whole.Size() {
		t.Errorf("segment %+v, file %d bytes; want closed, %d bytes both", seg, after.Size(), whole.Size())
	}
	frags, _ := f.st.SegmentFragments(context.Background(), seg.ID)
	if len(frags) != 6 {
		t.Errorf("got %d fragments indexed, want 6 (a second each)", len(frags))
	}
	if want := t0.Add(6 * time.Second); !seg.End.Equal(want) {
		t.Errorf("segment ends %s, want %s", seg.End, want)
	}
	if got := decodeFile(t, path); got != 150 {
		t.Errorf("ffprobe counted %d frames, want 150", got)
	}
}

// TestParameterChangesLimited: a camera that sends new parameter sets
// with every frame may start only a few segments a minute; the rest of
// its video is dropped, counted, and the gap says why. Parameter sets
// byte-identical to the current ones, in a new copy with every frame,
// never start a segment.
func TestParameterChangesLimited(t *testing.T) {
	params, clip := clipFrames(t, codec.H264, "../simcam/clips/h264.mp4")
	for _, tc := range []struct {
		name string
		// params gives frame k's parameter sets.
		params  func(k int) *codec.Params
		minSegs int
		maxSegs int
		limited bool
	}{
		{"new SPS every frame", func(k int) *codec.Params {
			p := params
			// The same picture size, the SPS's bytes different.
			p.SPS = append(append([]byte{}, params.SPS...), make([]byte, 1+k%2)...)
			return &p
		}, 2, 1 + 2*maxCameraSegments, true},
		{"same SPS copied every frame", func(k int) *codec.Params {
			p := params
			p.SPS, p.PPS = bytes.Clone(params.SPS), bytes.Clone(params.PPS)
			return &p
		}, 1, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, cam, dir := fixture.OneCamera(t)
			root := filepath.Join(dir, "rec")
			synctest.Test(t, func(t *testing.T) {
				rec := startRecorder(t, st, Options{StorageName: "local", StoragePath: root, SegmentDuration: time.Hour})
				cr := rec.Camera(context.Background(), cam.ID)
				c := &pacedCamera{t: t, sink: cr, clip: clip, params: params, frameParams: tc.params}
				start := time.Now()
				sent := c.session(2 * 60 * 25) // two minutes
				cr.StreamEnded(nil)
				if err := rec.Flush(t.Context()); err != nil {
					t.Fatal(err)
				}
				segs, err := st.SegmentsInRange(context.Background(), cam.ID, start, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if len(segs) < tc.minSegs || len(segs) > tc.maxSegs {
					t.Errorf("got %d segments in two minutes, want %d to %d", len(segs), tc.minSegs, tc.maxSegs)
				}
				files, _ := filepath.Glob(filepath.Join(root, "*", "*", "*.mp4"))
				if len(files) != len(segs) {
					t.Errorf("got %d segment files, want one per segment indexed (%d)", len(files), len(segs))
				}
				s := cr.Stats()
				refused := c.refused[ingest.ErrTooManySegments]
				if int64(refused) != s.LimitedFrames {
					t.Errorf("WriteFrame refused %d frames for the limit, the stats say %d", refused, s.LimitedFrames)
				}
				gaps, err := st.GapsInRange(context.Background(), cam.ID, start, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if !tc.limited {
					if s.LimitedFrames != 0 || len(gaps) != 0 {
						t.Errorf("got %d frames dropped for the limit and gaps %+v, want none", s.LimitedFrames, gaps)
					}
					if got := storedFrames(t, st, cam.ID, start); got != sent {
						t.Errorf("got %d frames stored, want all %d sent", got, sent)
					}
					return
				}
				if s.LimitedFrames == 0 || s.LimitedCause != causeParams {
					t.Errorf("got %d frames dropped for the limit, cause %q; want some, %q", s.LimitedFrames, s.LimitedCause, causeParams)
				}
				found := false
				for _, g := range gaps {
					found = found || g.Reason == GapParamsTooOften
				}
				if !found {
					t.Errorf("got gaps %+v, want one saying %q", gaps, GapParamsTooOften)
				}
			})
		})
	}
}

// TestCameraClockBounded: a camera that sends faster than real time, or
// jumps its timestamps months ahead or an hour back, never has footage
// filed more than MaxAhead ahead of our clock, nor over footage already
// stored; once it behaves, its footage is filed at the right time; and
// each jump is recorded in its stats. The frames come timed as ingest
// would time them were it never to re-anchor: the recorder holds the
// bound whatever it is given.
func TestCameraClockBounded(t *testing.T) {
	params, clip := clipFrames(t, codec.H264, "../simcam/clips/h264.mp4")
	const months = 90 * 24 * time.Hour
	for _, tc := range []struct {
		name  string
		speed float64
		// jump is added to the timestamps of frames from the 10th
		// second on (a frame between keyframes).
		jump time.Duration
	}{
		{"four times real time for 40 s", 4, 0},
		{"jumps months ahead", 1, months},
		{"jumps an hour back", 1, -time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, cam, dir := fixture.OneCamera(t)
			synctest.Test(t, func(t *testing.T) {
				rec := startRecorder(t, st, Options{StorageName: "local", StoragePath: filepath.Join(dir, "rec"), SegmentDuration: 10 * time.Second})
				cr := rec.Camera(context.Background(), cam.ID)
				// segments reads the index as it stands, checking
				// it: nothing ahead of our clock, nothing overlapping.
				segments := func() []segindex.Segment {
					t.Helper()
					if err := rec.Flush(t.Context()); err != nil {
						t.Fatal(err)
					}
					now := time.Now()
					segs, err := st.SegmentsInRange(context.Background(), cam.ID, time.Unix(0, 0), now.Add(100*months))
					if err != nil {
						t.Fatal(err)
					}
					for i, sg := range segs {
						if limit := now.Add(MaxAhead); sg.End.After(limit) {
							t.Fatalf("at %s: segment %d ends %s, beyond our clock and MaxAhead", now, i, sg.End)
						}
						if i > 0 && sg.Start.Before(segs[i-1].End) {
							t.Fatalf("at %s: segment %d starts %s, before the previous one's end %s", now, i, sg.Start, segs[i-1].End)
						}
					}
					return segs
				}
				const jumpAt = 10 * 25
				c := &pacedCamera{t: t, sink: cr, clip: clip, params: params, speed: tc.speed, fastFor: 40 * time.Second,
					jump: func(k int) time.Duration {
						if k >= jumpAt+13 { // not a keyframe: one every 50 frames
							return tc.jump
						}
						return 0
					},
					check: func() { segments() },
				}
				// Long enough for the limit on the segments a camera
				// starts to have let it record again.
				c.session(150 * 25)
				end := time.Now()
				cr.StreamEnded(nil)
				segs := segments()
				if len(segs) == 0 {
					t.Fatal("nothing recorded")
				}
				// The last footage is filed at the time it came.
				if last := segs[len(segs)-1]; last.End.Before(end.Add(-3*time.Second)) || last.End.After(end.Add(MaxAhead)) {
					t.Errorf("last footage ends %s, want about %s, when it came", last.End, end)
				}
				s := cr.Stats()
				if s.ClockJumps == 0 {
					t.Errorf("got no clock jump in the stats %+v, want the camera's recorded", s)
				}
				if tc.jump != 0 && (s.LastClockJump > 0) != (tc.jump > 0) {
					t.Errorf("got the last jump %s, want it %s's way", s.LastClockJump, tc.jump)
				}
			})
		})
	}
}

// TestStopGivesUpWhenIndexDown: with the database gone, Stop gives up at
// its deadline with ErrIndexAbandoned, where the last index write once
// retried for ever; the footage written meanwhile is on disk, and
// Reconcile recovers it once the database is back.
func TestStopGivesUpWhenIndexDown(t *testing.T) {
	st, cam, dir := fixture.OneCamera(t)
	root := filepath.Join(dir, "rec")
	rec := New(st, Options{StorageName: "local", StoragePath: root, SegmentDuration: time.Hour})
	done := make(chan struct{})
	go func() { rec.Run(context.Background()); close(done) }()

	params, frames := clipFrames(t, codec.H264, "../simcam/clips/h264.mp4")
	cr := rec.Camera(context.Background(), cam.ID)
	t0 := time.Now().Add(-time.Minute)
	write := func(from, to int) {
		for k := from; k < to; k++ {
			fr := frames[k%len(frames)]
			fr.Params = &params
			fr.PTS += int64(k/len(frames)) * 900000
			fr.Time = t0.Add(time.Duration(fr.PTS) * time.Second / 90000)
			fr.Discontinuity = k == 0
			if err := cr.WriteFrame(&fr); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(0, 50) // 2 s, indexed
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	seg, err := st.LastSegment(context.Background(), cam.ID)
	if err != nil {
		t.Fatal(err)
	}
	indexed := seg.End

	// The database goes; 4 s more reach the disk, and the segment ends.
	st.Close()
	write(50, 150)
	cr.StreamEnded(context.Canceled)

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	began := time.Now()
	err = rec.Stop(ctx)
	if !errors.Is(err, ErrIndexAbandoned) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop: got %v, want ErrIndexAbandoned at the deadline", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Stop returned after %s, want about the 1 s deadline", took)
	}
	select {
	case <-done:
	default:
		t.Error("Run: still running after Stop returned, want it ended")
	}

	st2, err := store.Open(context.Background(), filepath.Join(dir, "vigil.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	rep, err := Reconcile(context.Background(), st2, localSegs(t, "local", root), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	seg, err = st2.LastSegment(context.Background(), cam.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Recovered != 1 || seg.End.Sub(indexed) < 3*time.Second {
		t.Errorf("after Reconcile: %+v, footage ends %s after what was indexed; want 1 segment recovered, the 4 s written since",
			rep, seg.End.Sub(indexed))
	}
}
