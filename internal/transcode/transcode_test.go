package transcode

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// camera plays clips into a hub in real time, as a camera's ingest
// goroutine does, noting when each frame was written.
type camera struct {
	hub *live.Hub
	pz  *codec.Packetizer

	mu   sync.Mutex
	sent map[uint32]time.Time
	next chan *simcam.Clip
}

const ts0 = 0xFFFF0000 // the camera's timestamps wrap early on

func newCamera(t *testing.T, clip *simcam.Clip) *camera {
	t.Helper()
	pz := codec.NewPacketizer(clip.Codec, 96, 7, 1200)
	c := &camera{hub: live.NewHub(clip.Codec.String(), pz.SDPFmtp(clip.Params)), pz: pz,
		sent: map[uint32]time.Time{}, next: make(chan *simcam.Clip, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.play(ctx, clip)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return c
}

// play writes frames at 25 fps until ctx ends, switching to the clip
// sent on next.
func (c *camera) play(ctx context.Context, clip *simcam.Clip) {
	tick := time.NewTicker(40 * time.Millisecond)
	defer tick.Stop()
	i := 0
	for k := uint32(0); ; k++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case nc := <-c.next:
			clip, i = nc, 0
		}
		nalus := clip.Units[i%len(clip.Units)]
		key := clip.Keyframe[i%len(clip.Units)]
		if key {
			sets := [][]byte{clip.Params.VPS, clip.Params.SPS, clip.Params.PPS}
			nalus = append(sets, nalus...)
		}
		ts := ts0 + k*3600
		for _, p := range c.pz.Packetize(codec.AccessUnit{Timestamp: ts, NALUs: nalus, Keyframe: key}) {
			c.hub.WriteRTP(p)
		}
		c.mu.Lock()
		c.sent[ts] = time.Now()
		c.mu.Unlock()
		i++
	}
}

func (c *camera) sentAt(ts uint32) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.sent[ts]
	return at, ok
}

// logRecorder is a log handler keeping what was logged, and passing it
// to the test's log.
type logRecorder struct {
	t  testing.TB
	mu sync.Mutex
	r  []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.r = append(l.r, r.Clone())
	l.mu.Unlock()
	var b strings.Builder
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	l.t.Logf("%s %s%s", r.Level, r.Message, b.String())
	return nil
}

// attr returns attribute key of the last record with message msg.
func (l *logRecorder) attr(msg, key string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.r) - 1; i >= 0; i-- {
		if l.r[i].Message != msg {
			continue
		}
		var v string
		found := false
		l.r[i].Attrs(func(a slog.Attr) bool {
			if a.Key == key {
				v, found = a.Value.String(), true
				return false
			}
			return true
		})
		return v, found
	}
	return "", false
}

func loadClip(t testing.TB, c codec.Codec) *simcam.Clip {
	t.Helper()
	cl, err := simcam.LoadClip(c)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func newTranscoder(t *testing.T, src *live.Hub, opt Options) (*Transcoder, *logRecorder) {
	t.Helper()
	if opt.Command == "" {
		opt.Command = testkit.NeedTool(t, "ffmpeg")
	}
	rec := &logRecorder{t: t}
	opt.Logger = slog.New(rec)
	tr := New(func() *live.Hub { return src }, opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return tr, rec
}

// frames takes n frames of s, failing after 20 s, noting when each came.
func frames(t testing.TB, s *live.FrameSubscriber, n int) ([]*live.Frame, []time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []*live.Frame
	var at []time.Time
	for len(out) < n {
		f, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("got %d frames, then %v, want %d", len(out), err, n)
		}
		out = append(out, f)
		at = append(at, time.Now())
	}
	return out, at
}

// decode decodes the frames as H.264 Annex B with ffmpeg, failing on any
// error, and returns the frames decoded and the pictures' size.
func decode(t testing.TB, frames []*live.Frame) (n int, size string) {
	t.Helper()
	var b []byte
	for _, f := range frames {
		b = codec.AppendAnnexB(b, f.NALUs)
	}
	path := filepath.Join(t.TempDir(), "view.h264")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "h264", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("ffmpeg decoding the H.264 view: %v\n%s", err, out)
	}
	out, err := exec.Command(testkit.NeedTool(t, "ffprobe"), "-v", "error", "-f", "h264", "-count_frames", "-show_entries",
		"stream=codec_name,width,height,nb_read_frames", "-of", "default=nw=1:nk=1", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 4 || fields[0] != "h264" {
		t.Fatalf("ffprobe: got %q, want h264, width, height, frames", out)
	}
	n, _ = strconv.Atoi(fields[3])
	return n, fields[1] + "x" + fields[2]
}

func isH264SPS(u []byte) bool { return codec.NALUType(codec.H264, u) == 7 && u[0]&0x80 == 0 }

// TestTranscode: an H.265 camera's H.264 view starts on demand, carries
// the camera's frames with their timestamps, decodes, and stops once no
// one has watched it for IdleTimeout; it starts again when asked.
func TestTranscode(t *testing.T) {
	cam := newCamera(t, loadClip(t, codec.H265))
	tr, logs := newTranscoder(t, cam.hub, Options{IdleTimeout: 500 * time.Millisecond})
	if tr.Running() {
		t.Fatal("Running before any viewer: got true, want false")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hub, err := tr.Hub(ctx)
	if err != nil {
		t.Fatalf("Hub: got %v, want the H.264 view", err)
	}
	if hub.Codec() != "H264" || !tr.Running() {
		t.Fatalf("got a %s hub, running %v, want H264, true", hub.Codec(), tr.Running())
	}
	if again, err := tr.Hub(ctx); again != hub || err != nil {
		t.Errorf("Hub again: got %p, %v, want the same hub %p", again, err, hub)
	}
	sub, err := hub.Frames(1000)
	if err != nil {
		t.Fatal(err)
	}
	got, at := frames(t, sub, 100)
	if !isH264SPS(got[0].NALUs[0]) || !got[0].Keyframe {
		t.Fatalf("first frame: got NAL unit type %d, keyframe %v, want an H.264 SPS first and a keyframe", codec.NALUType(codec.H264, got[0].NALUs[0]), got[0].Keyframe)
	}
	var lat []time.Duration
	keys := 0
	for i, f := range got {
		if f.Keyframe {
			keys++
		}
		sent, ok := cam.sentAt(f.Timestamp)
		if !ok || (f.Timestamp-ts0)%3600 != 0 {
			t.Fatalf("frame %d: got timestamp %d, want one of the camera's", i, f.Timestamp)
		}
		if i > 0 && f.Timestamp-got[i-1].Timestamp != 3600 {
			t.Fatalf("frame %d: got a step of %d after the frame before, want 3600: every camera frame once, in order", i, f.Timestamp-got[i-1].Timestamp)
		}
		lat = append(lat, at[i].Sub(sent))
	}
	// A keyframe every two seconds: frames 0, 50 and maybe 100.
	if keys != 2 {
		t.Errorf("got %d keyframes in 100 frames, want 2: one every 2 s", keys)
	}
	n, size := decode(t, got)
	if n != 100 || size != "640x360" {
		t.Errorf("decoding: got %d frames of %s, want 100 of 640x360", n, size)
	}
	slices.Sort(lat)
	t.Logf("H.264 view latency, camera hub to view hub: median %v, 90th percentile %v, max %v",
		lat[len(lat)/2].Round(100*time.Microsecond), lat[len(lat)*9/10].Round(100*time.Microsecond), lat[len(lat)-1].Round(100*time.Microsecond))
	if lat[len(lat)/2] > 500*time.Millisecond {
		t.Errorf("median latency %v, want under 500 ms", lat[len(lat)/2])
	}

	sub.Close()
	select {
	case <-hub.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the view's hub did not close within 10 s of its last viewer leaving, want it closed after 0.5 s")
	}
	eventually(t, "the transcoder to stop", func() bool { return !tr.Running() })
	if v, ok := logs.attr("live transcoder process ended", "cpu_percent"); ok {
		t.Logf("ffmpeg used %s%% of a core for 640x360 at 25 fps", v)
	} else {
		t.Error("got no log of the process ending, want one with its CPU use")
	}
	hub2, err := tr.Hub(ctx)
	if err != nil || hub2 == hub {
		t.Fatalf("Hub after the idle stop: got %p, %v, want a new hub", hub2, err)
	}
}

// TestTranscodeParamsChange: when the camera's parameters change, a new
// ffmpeg takes over, and the view's viewers go on, through the new
// parameters, with no end.
func TestTranscodeParamsChange(t *testing.T) {
	small := smallH265(t)
	cam := newCamera(t, loadClip(t, codec.H265))
	tr, _ := newTranscoder(t, cam.hub, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hub, err := tr.Hub(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := hub.Frames(1000)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := frames(t, sub, 10)
	cam.next <- small
	var after []*live.Frame
	for len(after) < 30 {
		f, _ := frames(t, sub, 1)
		if len(after) > 0 || f[0].Params != before[0].Params {
			after = append(after, f[0])
		}
	}
	if !after[0].Keyframe || after[0].Params.Equal(*before[0].Params) {
		t.Fatal("first frame with new parameters: got no keyframe, or the same parameters, want a keyframe with new ones")
	}
	if n, size := decode(t, after); n != 30 || size != "320x180" {
		t.Errorf("after the change: got %d frames of %s, want 30 of 320x180", n, size)
	}
	select {
	case <-sub.Done():
		t.Error("the view's subscriber ended across the change, want it to go on")
	default:
	}
}

// smallH265 is the H.265 clip at 320x180, made with ffmpeg.
func smallH265(t testing.TB) *simcam.Clip {
	t.Helper()
	out := filepath.Join(t.TempDir(), "small.mp4")
	if b, err := exec.Command(testkit.NeedTool(t, "ffmpeg"), "-v", "error", "-i", "../simcam/clips/h265.mp4", "-frames:v", "100",
		"-vf", "scale=320:180", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "keyint=50:min-keyint=50:bframes=0:log-level=error",
		"-tag:v", "hvc1", "-an", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := simcam.ParseClip(codec.H265, b)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// TestTranscodeCrash: when ffmpeg dies, the view's viewers get an end at
// once, not a stream that stops; the next request starts it again.
func TestTranscodeCrash(t *testing.T) {
	cam := newCamera(t, loadClip(t, codec.H265))
	tr, _ := newTranscoder(t, cam.hub, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hub, err := tr.Hub(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := hub.Frames(1000)
	if err != nil {
		t.Fatal(err)
	}
	frames(t, sub, 5)
	tr.mu.Lock()
	cmd := tr.cur.process()
	tr.mu.Unlock()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := sub.Next(ctx)
		if errors.Is(err, live.ErrClosed) {
			break
		}
		if err != nil {
			t.Fatalf("Next after ffmpeg died: got %v, want ErrClosed", err)
		}
	}
	tr.mu.Lock()
	r := tr.cur
	tr.mu.Unlock()
	<-r.done
	if r.err == nil || !strings.Contains(r.err.Error(), "ffmpeg stopped") {
		t.Errorf("the run's end: got %v, want ffmpeg stopped", r.err)
	}
	if hub2, err := tr.Hub(ctx); err != nil || hub2 == hub {
		t.Errorf("Hub after the crash: got %p, %v, want a new hub", hub2, err)
	}
}

// TestTranscodeFailures: what stops the view from starting is reported
// by Hub, with ffmpeg's own message.
func TestTranscodeFailures(t *testing.T) {
	script := func(body string) string {
		path := filepath.Join(t.TempDir(), "ffmpeg")
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		return path
	}
	h265 := newCamera(t, loadClip(t, codec.H265)).hub
	for _, tc := range []struct {
		name    string
		src     *live.Hub
		command string
		want    string
	}{
		{"ffmpeg fails", h265, script("echo 'Unknown encoder libx264' >&2; exit 1"), "Unknown encoder libx264"},
		// It takes the video and gives none back: a hang, not a start.
		{"ffmpeg stalls", h265, script("exec sleep 60"), "turned no frame into video for 500ms"},
		{"not H.265", newCamera(t, loadClip(t, codec.H264)).hub, "", "sends H264, not H.265"},
		{"not connected", nil, "", "not connected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, _ := newTranscoder(t, tc.src, Options{Command: tc.command, StallTimeout: 500 * time.Millisecond, StartTimeout: time.Minute})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := tr.Hub(ctx)
			if !errors.Is(err, ErrEnded) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Hub: got %v, want ErrEnded saying %q", err, tc.want)
			}
		})
	}
	t.Run("source ends", func(t *testing.T) {
		cam := newCamera(t, loadClip(t, codec.H265))
		tr, _ := newTranscoder(t, cam.hub, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		hub, err := tr.Hub(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cam.hub.Close()
		select {
		case <-hub.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the view's hub is still open 10 s after the camera's closed, want it closed")
		}
	})
	t.Run("closed", func(t *testing.T) {
		tr := New(func() *live.Hub { return h265 }, Options{})
		tr.Close()
		if _, err := tr.Hub(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("Hub after Close: got %v, want ErrClosed", err)
		}
	})
}

func TestCommand(t *testing.T) {
	if _, err := Command("off"); !errors.Is(err, ErrDisabled) {
		t.Errorf(`Command("off"): got %v, want ErrDisabled`, err)
	}
	if _, err := Command("vigil-no-such-ffmpeg"); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Command of a missing program: got %v, want ErrNotInstalled", err)
	}
	want := testkit.NeedTool(t, "ffmpeg")
	if got, err := Command("ffmpeg"); got != want || err != nil {
		t.Errorf(`Command("ffmpeg"): got %q, %v, want %q`, got, err, want)
	}
}

// TestStamps: output frames find their input's timestamp; inputs ffmpeg
// dropped are skipped.
func TestStamps(t *testing.T) {
	var s stamps
	for i := range 10 {
		s.push(uint64(i)*3600, 1000+uint32(i))
	}
	for _, tc := range []struct {
		ms   int64
		want uint32
		ok   bool
	}{
		{0, 1000, true},
		{80, 1002, true}, // frame 1 was dropped
		{121, 1003, true},
		{200, 1005, true},
		{1000, 0, false}, // nothing near: all before are forgotten
	} {
		got, ok := s.match(tc.ms)
		if got != tc.want || ok != tc.ok {
			t.Errorf("match(%d): got %d, %v, want %d, %v", tc.ms, got, ok, tc.want, tc.ok)
		}
	}
	if len(s.q) != 0 {
		t.Errorf("got %d stamps left, want 0", len(s.q))
	}
}

// eventually polls cond until it holds or 10 s pass; for states that
// announce no event.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("got no %s within 10 s, want it", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
