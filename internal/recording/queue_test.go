package recording

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
)

// stallingIndex is the store with a storage that hangs: once armed, the
// next segment to be created waits until released, as the recorder would
// behind a disk or database that stopped answering.
type stallingIndex struct {
	*store.Store
	mu      sync.Mutex
	armed   bool
	stalled chan struct{} // closed when a creation is held
	release chan struct{}
}

func newStallingIndex(st *store.Store) *stallingIndex {
	return &stallingIndex{Store: st, stalled: make(chan struct{}), release: make(chan struct{})}
}

func (s *stallingIndex) arm() {
	s.mu.Lock()
	s.armed = true
	s.mu.Unlock()
}

func (s *stallingIndex) CreateSegment(ctx context.Context, seg *segindex.Segment) error {
	s.mu.Lock()
	hold := s.armed
	s.armed = false
	s.mu.Unlock()
	if hold {
		close(s.stalled)
		<-s.release
	}
	return s.Store.CreateSegment(ctx, seg)
}

func startRecorder(t *testing.T, idx Index, opt Options) *Recorder {
	t.Helper()
	rec := New(idx, opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return rec
}

// TestQueueDropsWhileStorageStalls: while the storage hangs, WriteFrame
// keeps returning; past the queue's bound frames are dropped and counted,
// and recording resumes at a keyframe once the storage answers, with a
// gap saying why. Every frame not dropped is stored, in order.
func TestQueueDropsWhileStorageStalls(t *testing.T) {
	st, cam, dir := fixture.OneCamera(t)
	idx := newStallingIndex(st)
	root := filepath.Join(dir, "rec")
	const maxBytes = 64 << 10
	rec := startRecorder(t, idx, Options{StorageName: "local", StoragePath: root, QueueBytes: maxBytes, QueueDelay: time.Hour})
	q := rec.Queued(context.Background(), cam.ID)
	params, clip := clipFrames(t, codec.H264, "../simcam/clips/h264.mp4")
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	frame := func(k int) *ingest.Frame {
		fr := clip[k%len(clip)]
		fr.Params = &params
		fr.PTS += int64(k/len(clip)) * int64(len(clip)) * 3600
		fr.Time = t0.Add(time.Duration(fr.PTS) * time.Second / 90000)
		fr.Discontinuity = k == 0
		return &fr
	}
	if !frame(50).Keyframe || !frame(300).Keyframe {
		t.Fatal("frames 50 and 300 are not keyframes; the test assumes a 2 s GOP at 25 frames/s")
	}
	// write sends frames; paced, it waits for each to be written, as a
	// storage that keeps up with a real camera would (the test sends
	// frames far faster than a camera).
	refused := 0
	write := func(from, to int, paced bool) {
		for k := from; k < to; k++ {
			if err := q.WriteFrame(frame(k)); errors.Is(err, ingest.ErrStorageTooSlow) {
				refused++
			} else if err != nil {
				t.Fatalf("frame %d: %v", k, err)
			}
			if paced {
				if err := q.Sync(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	write(0, 50, true)
	if s := q.Stats(); s.DroppedFrames != 0 {
		t.Fatalf("got %d frames dropped with the storage keeping up, want none", s.DroppedFrames)
	}
	idx.arm()
	// Frame 50 starts a new run, so the recorder creates a segment, and
	// hangs there; 250 frames follow while it does.
	f50 := frame(50)
	f50.Discontinuity = true
	if err := q.WriteFrame(f50); err != nil {
		t.Fatal(err)
	}
	<-idx.stalled
	write(51, 300, false)
	s := q.Stats()
	if s.DroppedFrames == 0 {
		t.Fatalf("got no frames dropped with the storage hung for 250 frames, want some (queued %d bytes)", s.QueuedBytes)
	}
	if s.QueuedBytes > maxBytes {
		t.Errorf("got %d bytes queued, want at most %d", s.QueuedBytes, maxBytes)
	}
	close(idx.release)
	if err := q.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	write(300, 400, true)
	q.Close()
	if err := rec.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}

	dropped := q.Stats().DroppedFrames
	if int64(refused) != dropped {
		t.Errorf("WriteFrame said %d frames were dropped, the stats %d", refused, dropped)
	}
	segs, err := st.SegmentsInRange(t.Context(), cam.ID, t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) != 3 {
		t.Fatalf("got %d segments, want 3 (before, during and after the stall)", len(segs))
	}
	stored := 0
	var last time.Time
	for i, sg := range segs {
		if sg.Open {
			t.Errorf("segment %d is still open after Close", i)
		}
		frags, err := st.SegmentFragments(t.Context(), sg.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range frags {
			if fr.Start.Before(last) {
				t.Errorf("segment %d: fragment at %s before the previous one's end %s", i, fr.Start, last)
			}
			last = fr.Start.Add(fr.Duration)
			stored += fr.Samples
		}
	}
	if got, want := int64(stored), 400-dropped; got != want {
		t.Errorf("got %d frames stored, want %d (400 sent, %d dropped)", got, want, dropped)
	}
	gaps, err := st.GapsInRange(t.Context(), cam.ID, t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 1 || gaps[0].Reason != GapStorageTooSlow {
		t.Fatalf("got gaps %+v, want one with reason %q", gaps, GapStorageTooSlow)
	}
	if !gaps[0].Start.Equal(segs[1].End) || !gaps[0].End.Equal(segs[2].Start) {
		t.Errorf("gap %s to %s, want from the end of the stalled segment %s to the next's start %s",
			gaps[0].Start, gaps[0].End, segs[1].End, segs[2].Start)
	}
	if want := frame(300).Time; !segs[2].Start.Equal(want) {
		t.Errorf("recording resumed at %s, want at the first keyframe after the stall, %s", segs[2].Start, want)
	}
}

// TestLiveWhileStorageStalls runs a camera end to end (simulated RTSP
// camera, ingest, live hub) with its recorder's storage hung: the hub
// keeps delivering the camera's frames as they come, where before the
// camera's goroutine waited for the disk and live viewers with it.
func TestLiveWhileStorageStalls(t *testing.T) {
	st, row, dir := fixture.OneCamera(t)
	idx := newStallingIndex(st)
	idx.arm() // the first segment's creation hangs
	rec := startRecorder(t, idx, Options{StorageName: "local", StoragePath: filepath.Join(dir, "rec"), QueueBytes: 32 << 10, QueueDelay: time.Second})
	sim, err := simcam.New(simcam.Options{Listen: "127.0.0.1:0", Count: 1, Codec: codec.H264})
	if err != nil {
		t.Fatal(err)
	}
	simCtx, stopSim := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { sim.Run(simCtx) })
	defer func() { stopSim(); sim.Close(); wg.Wait() }()

	q := rec.Queued(context.Background(), row.ID)
	metrics, reg := newMetrics()
	cam := ingest.New(ingest.Options{ID: row.ID, URL: sim.URL(1), Transport: "tcp", Timeout: 5 * time.Second, Metrics: metrics}, q)
	camCtx, stopCam := context.WithCancel(context.Background())
	camDone := make(chan struct{})
	go func() { cam.Run(camCtx); close(camDone) }()
	defer func() {
		close(idx.release) // else stopping would wait for it
		stopCam()
		<-camDone
		q.Close()
	}()

	// The recorder has taken its first keyframe and hangs creating the
	// segment: the hub exists.
	select {
	case <-idx.stalled:
	case <-t.Context().Done():
		t.Fatal("the recorder never began a segment")
	}
	sub, err := cam.Hub().Frames(0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	// The storage stays hung while live frames keep coming, until the
	// queue overflows; each comes within a few frame times of the one
	// before, never held up behind the disk.
	fps := sim.Clip().FPS()
	frameDur := time.Duration(float64(time.Second) / fps)
	frames, late := 0, 0
	prev := time.Now()
	for q.Stats().DroppedFrames == 0 || frames < 25 {
		if _, err := sub.Next(ctx); err != nil {
			t.Fatalf("after %d live frames with the storage hung (%d dropped by the recorder): %v", frames, q.Stats().DroppedFrames, err)
		}
		now := time.Now()
		if frames > 0 && now.Sub(prev) > 10*frameDur {
			late++
		}
		frames++
		prev = now
	}
	if late > frames/10 {
		t.Errorf("got %d of %d live frames later than 10 frame times, want at most a tenth", late, frames)
	}
	// Every frame the queue dropped is in vigil_camera_dropped_total:
	// ingest counts those WriteFrame refused. The camera goes on
	// sending, so the metric is read first.
	counted := dropMetric(t, reg, row.ID, "storage_too_slow")
	if dropped := q.Stats().DroppedFrames; counted == 0 || counted > float64(dropped) {
		t.Errorf("got %v frames counted as dropped for slow storage, want between 1 and the %d the queue dropped by now", counted, dropped)
	}
}

// newMetrics makes the cameras' metrics on a registry of their own.
func newMetrics() (*ingest.Metrics, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	return ingest.NewMetrics(reg), reg
}

// dropMetric reads vigil_camera_dropped_total for a camera and reason.
func dropMetric(t *testing.T, reg *prometheus.Registry, cam int64, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "vigil_camera_dropped_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["camera"] == strconv.FormatInt(cam, 10) && labels["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// pacedCamera feeds a sink the clip as a camera would after ingest: each
// frame stamped with the wall clock at which the camera took it, handed
// over in batches of three (ingest's reads are batched, so frames reach
// the sink back to back), each batch once its last frame has happened.
type pacedCamera struct {
	t      *testing.T
	sink   ingest.Sink
	params codec.Params
	clip   []ingest.Frame
	k      int // frames sent, over every session
	// frameParams, if set, gives frame k's parameter sets.
	frameParams func(k int) *codec.Params
	// speed, if set, is how many seconds of video the camera sends a
	// second, for the first fastFor of each session's video; jump, if
	// set, is added to frame k's timestamp. The frames' times follow
	// their timestamps from the session's start, as ingest's would were
	// it never to re-anchor them.
	speed   float64
	fastFor time.Duration
	jump    func(k int) time.Duration
	// check, if set, is called after every batch.
	check func()
	// refused counts the frames the sink said it dropped, by reason.
	refused map[error]int
}

// session sends n frames from the clip's next keyframe on, the first
// marked as the start of a run, as after a (re)connection.
func (c *pacedCamera) session(n int) (sent int) {
	c.t.Helper()
	for !c.clip[c.k%len(c.clip)].Keyframe {
		c.k++
	}
	t0 := time.Now()
	pts0 := c.pts(c.k)
	for i := range n {
		fr := c.clip[c.k%len(c.clip)]
		fr.Params = &c.params
		if c.frameParams != nil {
			fr.Params = c.frameParams(c.k)
		}
		fr.PTS = c.pts(c.k)
		if c.jump != nil {
			fr.PTS += int64(c.jump(c.k) / (time.Second / 90000))
		}
		fr.Time = t0.Add(ptsDuration(fr.PTS - pts0))
		fr.Discontinuity = i == 0
		if i%3 == 0 {
			if i > 0 && c.check != nil {
				c.check()
			}
			due := ptsDuration(c.pts(c.k+2) - pts0)
			if c.speed > 0 {
				fast := min(due, c.fastFor)
				due = time.Duration(float64(fast)/c.speed) + due - fast
			}
			time.Sleep(time.Until(t0.Add(due)))
		}
		if err := c.sink.WriteFrame(&fr); err != nil {
			if !ingest.IsDrop(err) {
				c.t.Fatalf("frame %d: %v", c.k, err)
			}
			if c.refused == nil {
				c.refused = map[error]int{}
			}
			for _, reason := range []error{ingest.ErrAwaitingKeyframe, ingest.ErrStorageTooSlow, ingest.ErrTooManySegments, ingest.ErrClockJump} {
				if errors.Is(err, reason) {
					c.refused[reason]++
				}
			}
		}
		c.k++
		sent++
	}
	return sent
}

// pts is frame k's timestamp: the clip looped, its time running on.
func (c *pacedCamera) pts(k int) int64 {
	fr := c.clip[k%len(c.clip)]
	return fr.PTS + int64(k/len(c.clip))*int64(len(c.clip))*3600
}

// storedFrames counts the frames indexed for a camera since from.
func storedFrames(t *testing.T, st *store.Store, cam int64, from time.Time) int {
	t.Helper()
	segs, err := st.SegmentsInRange(context.Background(), cam, from, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sg := range segs {
		frags, err := st.SegmentFragments(context.Background(), sg.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range frags {
			n += fr.Samples
		}
	}
	return n
}

// TestQueueKeepsFirstGOP: right after a camera connects, and again after
// it reconnects, frames reach the queue back to back before its writer
// has taken the first; none of them counts as late, so every frame of
// the first GOP is recorded. The wait used to be measured from when the
// writer last took a frame: never, at connection (1970, so the second
// frame looked decades late), or the previous session, at reconnection.
// A real stall of the storage still drops frames, each counted.
func TestQueueKeepsFirstGOP(t *testing.T) {
	st, cam, dir := fixture.OneCamera(t)
	params, clip := clipFrames(t, codec.H264, "../simcam/clips/h264.mp4")
	synctest.Test(t, func(t *testing.T) {
		idx := newStallingIndex(st)
		rec := startRecorder(t, idx, Options{StorageName: "local", StoragePath: filepath.Join(dir, "rec")})
		q := rec.Queued(context.Background(), cam.ID)
		c := &pacedCamera{t: t, sink: q, params: params, clip: clip}
		sync := func() {
			t.Helper()
			if err := q.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := rec.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
		}

		sent := c.session(60) // a GOP and a bit
		q.StreamEnded(errors.New("test: camera went away"))
		sync()
		if got := q.Stats().DroppedFrames; got != 0 {
			t.Errorf("after connecting: got %d frames dropped with the storage keeping up, want none", got)
		}
		if got := storedFrames(t, st, cam.ID, time.Unix(0, 0)); got != sent {
			t.Errorf("after connecting: got %d frames stored, want all %d sent", got, sent)
		}
		// Offline for longer than the queue's bound on waiting.
		time.Sleep(3 * rec.opt.QueueDelay)
		sent += c.session(60)
		q.StreamEnded(errors.New("test: camera went away"))
		sync()
		if got := q.Stats().DroppedFrames; got != 0 {
			t.Errorf("after reconnecting: got %d frames dropped with the storage keeping up, want none", got)
		}
		if got := storedFrames(t, st, cam.ID, time.Unix(0, 0)); got != sent {
			t.Errorf("after reconnecting: got %d frames stored, want all %d sent", got, sent)
		}

		// The storage hangs for longer than the queue waits.
		idx.arm()
		go func() {
			<-idx.stalled
			time.Sleep(2 * rec.opt.QueueDelay)
			close(idx.release)
		}()
		sent += c.session(500)
		q.Close()
		if err := rec.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		dropped := q.Stats().DroppedFrames
		if dropped == 0 {
			t.Fatal("got no frames dropped with the storage hung for twice the queue's bound, want some")
		}
		if got := c.refused[ingest.ErrStorageTooSlow]; int64(got) != dropped {
			t.Errorf("WriteFrame reported %d frames dropped for slow storage, the stats %d", got, dropped)
		}
		if got := storedFrames(t, st, cam.ID, time.Unix(0, 0)); int64(got) != int64(sent)-dropped {
			t.Errorf("got %d frames stored, want the %d sent less the %d dropped", got, sent, dropped)
		}
		gaps, err := st.GapsInRange(context.Background(), cam.ID, time.Unix(0, 0), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(gaps) == 0 || gaps[len(gaps)-1].Reason != GapStorageTooSlow {
			t.Errorf("got gaps %+v, want the last with reason %q", gaps, GapStorageTooSlow)
		}
	})
}
