package recording

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/rtsp"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
)

// rogueCamera is an RTSP camera of the test's own that sends the
// simulated cameras' clip with the timing it is told: speed seconds of
// video a second for its first fastFrames frames, then real time; at
// frame jumpAt and every 100 frames after, jumps times, its RTP
// timestamps jump by jump more. (RTP timestamps have 32 bits: a jump of
// more than 6.6 hours cannot be told from one back; a camera goes months
// ahead by jumps of a few hours.)
//
// With paramsEveryFrame, every frame is the clip's first (a keyframe),
// sent with an SPS of its own: the same picture, the SPS's bytes
// different each time.
type rogueCamera struct {
	speed            float64
	fastFrames       int
	jumpAt           int
	jumps            int
	jump             time.Duration
	paramsEveryFrame bool
}

// run serves the camera until ctx ends and returns its address.
func (rc rogueCamera) run(t *testing.T, ctx context.Context) string {
	t.Helper()
	clip, err := simcam.LoadClip(codec.H264)
	if err != nil {
		t.Fatal(err)
	}
	pack := codec.NewPacketizer(codec.H264, 96, rand.Uint32(), 1400)
	stream := rtsp.NewStream(rtsp.StreamMedia{EncodingName: "H264", PayloadType: 96, ClockRate: 90000, Fmtp: pack.SDPFmtp(clip.Params)})
	srv, err := rtsp.NewServer(rtsp.ServerConfig{Listen: "127.0.0.1:0",
		Lookup: func(string) (*rtsp.Stream, bool) { return stream, true }})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { srv.Close(); wg.Wait() })
	wg.Go(func() { srv.Run(ctx) })
	wg.Go(func() {
		// Nothing is sent before a client plays: a session's first
		// frame is the clip's first, a keyframe.
		for stream.Sessions() == 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
		frameDur := time.Duration(clip.FrameDur) * time.Second / 90000
		ts0 := rand.Uint32()
		next := time.Now()
		for k := 0; ; k++ {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(next)):
			}
			if k < rc.fastFrames {
				next = next.Add(time.Duration(float64(frameDur) / rc.speed))
			} else {
				next = next.Add(frameDur)
			}
			i := k % len(clip.Units)
			sps := clip.Params.SPS
			if rc.paramsEveryFrame {
				i = 0
				sps = append(append([]byte{}, sps...), make([]byte, 1+k%2)...)
			}
			nalus := clip.Units[i]
			if clip.Keyframe[i] {
				nalus = append([][]byte{sps, clip.Params.PPS}, nalus...)
			}
			ts := ts0 + uint32(k)*clip.FrameDur
			if k >= rc.jumpAt && rc.jumps > 0 {
				n := min(rc.jumps, 1+(k-rc.jumpAt)/100)
				ts += uint32(int64(n) * int64(rc.jump/(time.Second/90000)))
			}
			for _, p := range pack.Packetize(codec.AccessUnit{Timestamp: ts, NALUs: nalus, Keyframe: clip.Keyframe[i]}) {
				stream.WriteRTP(p)
			}
		}
	})
	return "rtsp://" + srv.Addr().String() + "/cam"
}

// TestRogueCameraClock runs a camera that misbehaves with its clock end
// to end (RTSP, ingest, the recording queue, the recorder): at every
// moment the index holds nothing beyond our clock and MaxAhead, nothing
// before the camera was added, and nothing overlapping; the discrepancy
// is in the camera's stats; and once the camera behaves its footage is
// filed at the time it came (for the camera that jumped; one that sent
// 40 s of video in 10 s is held off by the limit on segments a camera
// starts for a minute, which TestCameraClockBounded waits out).
func TestRogueCameraClock(t *testing.T) {
	for _, tc := range []struct {
		name string
		cam  rogueCamera
		// until is how long the test watches the index, at most, and
		// present whether it awaits footage filed at the present time.
		until   time.Duration
		present bool
	}{
		// 40 s of video in 10, then real time.
		{"faster than real time", rogueCamera{speed: 4, fastFrames: 1000}, 13 * time.Second, false},
		// Timestamps 5 hours ahead, three times, at frames between
		// keyframes: 15 hours ahead 10 s on.
		{"jumps hours ahead", rogueCamera{jumpAt: 63, jumps: 3, jump: 5 * time.Hour}, 40 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, row, dir := fixture.OneCamera(t)
			rec := startRecorder(t, st, Options{StorageName: "local", StoragePath: filepath.Join(dir, "rec")})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			url := tc.cam.run(t, ctx)
			q := rec.Queued(context.Background(), row.ID)
			cam := ingest.New(ingest.Options{ID: row.ID, URL: url, Transport: "tcp", Timeout: 5 * time.Second}, q)
			camDone := make(chan struct{})
			go func() { cam.Run(ctx); close(camDone) }()
			defer func() { cancel(); <-camDone; q.Close() }()

			started := time.Now()
			for {
				if err := q.Sync(t.Context()); err != nil {
					t.Fatal(err)
				}
				if err := rec.Flush(t.Context()); err != nil {
					t.Fatal(err)
				}
				now := time.Now()
				segs, err := st.SegmentsInRange(context.Background(), row.ID, time.Unix(0, 0), now.AddDate(10, 0, 0))
				if err != nil {
					t.Fatal(err)
				}
				for i, sg := range segs {
					if sg.Start.Before(started.Add(-time.Second)) {
						t.Fatalf("at %s: segment %d starts %s, before the camera was added at %s", now, i, sg.Start, started)
					}
					if sg.End.After(now.Add(MaxAhead)) {
						t.Fatalf("at %s: segment %d ends %s, beyond our clock and MaxAhead", now, i, sg.End)
					}
					if i > 0 && sg.Start.Before(segs[i-1].End) {
						t.Fatalf("at %s: segment %d starts %s, before the previous one's end %s", now, i, sg.Start, segs[i-1].End)
					}
				}
				// Done once footage begun after the misbehaviour is
				// filed up to about now.
				if n := len(segs); tc.present && n > 0 && segs[n-1].Start.After(started.Add(11*time.Second)) &&
					segs[n-1].End.After(now.Add(-3*time.Second)) && segs[n-1].End.Sub(segs[n-1].Start) > 2*time.Second {
					break
				}
				if now.Sub(started) > tc.until {
					if tc.present {
						t.Fatalf("no footage filed at the present time %s on: segments %+v, stats %+v", tc.until, segs, q.Stats())
					}
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if s := q.Stats(); s.ClockJumps == 0 {
				t.Errorf("got stats %+v, want the camera's clock jumps counted", s)
			}
		})
	}
}

// TestRogueCameraParameters runs, end to end, a camera that sends every
// frame as a keyframe with parameter sets different from the last: the
// segment files it starts stay within the limit on segments a camera
// starts, and the cause is recorded (in the camera's stats and as the
// reason frames were dropped; the gap, written once recording resumes a
// minute on, TestParameterChangesLimited checks). It started one file
// per frame: 25 a second.
func TestRogueCameraParameters(t *testing.T) {
	st, row, dir := fixture.OneCamera(t)
	root := filepath.Join(dir, "rec")
	metrics, reg := newMetrics()
	rec := startRecorder(t, st, Options{StorageName: "local", StoragePath: root, Metrics: metrics})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	url := rogueCamera{paramsEveryFrame: true}.run(t, ctx)
	q := rec.Queued(context.Background(), row.ID)
	cam := ingest.New(ingest.Options{ID: row.ID, URL: url, Transport: "tcp", Timeout: 5 * time.Second, Metrics: metrics}, q)
	camDone := make(chan struct{})
	go func() { cam.Run(ctx); close(camDone) }()
	stop := func() { cancel(); <-camDone; q.Close() }
	defer func() {
		if ctx.Err() == nil {
			stop()
		}
	}()
	// Until 100 frames have come: four seconds.
	for cam.Status().State != ingest.StateRecording || q.Stats().Frames < 100 {
		select {
		case <-t.Context().Done():
			t.Fatalf("the camera sent too few frames: %+v", q.Stats())
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop()
	if err := rec.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	s := q.Stats()
	files, _ := filepath.Glob(filepath.Join(root, "*", "*", "*.mp4"))
	// The first segment, and the camera's own at most.
	if len(files) > 1+maxCameraSegments || s.Segments > 1+maxCameraSegments {
		t.Errorf("got %d segment files (%d segments) for %d frames, want at most %d", len(files), s.Segments, s.Frames, 1+maxCameraSegments)
	}
	if s.LimitedFrames == 0 || s.LimitedCause != causeParams {
		t.Errorf("got %d frames dropped for the limit, cause %q; want some, %q", s.LimitedFrames, s.LimitedCause, causeParams)
	}
	if got := dropMetric(t, reg, row.ID, "too_many_segments"); got != float64(s.LimitedFrames) {
		t.Errorf("vigil_camera_dropped_total{reason=\"too_many_segments\"} is %v, want the %d frames dropped", got, s.LimitedFrames)
	}
}
