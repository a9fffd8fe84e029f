//go:build unix

package rtsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/internal/testkit"
)

// playLikeACamera runs sess until it has shown what a real camera sends
// (RTP with markers, a sender report), with no bad packet, then cancels
// ctx and checks Run stops for it.
func playLikeACamera(t *testing.T, ctx context.Context, cancel context.CancelFunc, sess *Session) {
	t.Helper()
	h := &gstCollector{done: make(chan struct{})}
	runErr := runSession(ctx, sess, h)
	select {
	case <-h.done:
	case err := <-runErr:
		t.Fatalf("Run ended early: %v", err)
	case <-time.After(15 * time.Second):
		h.mu.Lock()
		t.Fatalf("after 15s: got %d RTP, %d markers, %d SR; want >100 RTP, markers and an SR", h.rtp, h.markers, h.srs)
	}
	if st := sess.Stats(); st.BadPackets != 0 {
		t.Errorf("Stats: got %d bad packets, want 0", st.BadPackets)
	}
	cancel()
	if err := awaitErr(t, runErr, 5*time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel: got %v, want context.Canceled", err)
	}
}

// gstCollector waits until a session has shown what a real camera sends.
type gstCollector struct {
	mu      sync.Mutex
	rtp     int
	markers int
	srs     int
	done    chan struct{}
	once    sync.Once
}

func (c *gstCollector) HandleRTP(p *rtp.Packet, _ time.Time) {
	c.mu.Lock()
	c.rtp++
	if p.Marker {
		c.markers++
	}
	c.check()
	c.mu.Unlock()
}

func (c *gstCollector) HandleRTCP(pkts []rtcp.Packet, _ time.Time) {
	c.mu.Lock()
	for _, p := range pkts {
		if _, ok := p.(*rtcp.SenderReport); ok {
			c.srs++
		}
	}
	c.check()
	c.mu.Unlock()
}

func (c *gstCollector) check() {
	if c.rtp > 100 && c.markers > 0 && c.srs > 0 {
		c.once.Do(func() { close(c.done) })
	}
}

func TestGStreamerCamera(t *testing.T) {
	cameras := []struct {
		codec, user, pass string
	}{
		{codec: "h264"},
		{codec: "h264", user: "admin", pass: "s3cret"},
		{codec: "h265"},
		{codec: "h265", user: "admin", pass: "s3cret"},
	}
	for _, cam := range cameras {
		name := cam.codec
		if cam.user != "" {
			name += "_digest"
		}
		t.Run(name, func(t *testing.T) {
			url := testkit.GStreamerCamera(t, cam.codec, cam.user, cam.pass)
			wantEnc := strings.ToUpper(cam.codec)
			for _, tr := range []string{"tcp", "udp"} {
				t.Run(tr, func(t *testing.T) {
					t.Parallel()
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					sess, err := Dial(ctx, url, ClientOptions{Transport: tr, Username: cam.user, Password: cam.pass, Timeout: 10 * time.Second})
					if err != nil {
						t.Fatalf("Dial: got %v, want nil", err)
					}
					defer sess.Close()
					m := sess.Media()
					if m.EncodingName != wantEnc || m.ClockRate != 90000 || m.PayloadType != 96 {
						t.Errorf("Media: got %s/%d pt %d, want %s/90000 pt 96", m.EncodingName, m.ClockRate, m.PayloadType, wantEnc)
					}
					if cam.codec == "h264" && !hasNonEmptyParam(m.Fmtp, "sprop-parameter-sets") {
						t.Errorf("Fmtp: got %q, want non-empty sprop-parameter-sets", m.Fmtp)
					}
					if !strings.HasPrefix(m.Control, "rtsp://127.0.0.1:") {
						t.Errorf("Control: got %q, want an absolute URL", m.Control)
					}
					if got := sess.Transport(); got != tr {
						t.Errorf("Transport: got %q, want %q", got, tr)
					}
					playLikeACamera(t, ctx, cancel, sess)
				})
			}
			if cam.user != "" {
				t.Run("wrong password", func(t *testing.T) {
					_, err := Dial(context.Background(), url, ClientOptions{Username: cam.user, Password: "wrong"})
					if !errors.Is(err, ErrUnauthorized) {
						t.Errorf("Dial: got %v, want ErrUnauthorized", err)
					}
				})
			}
		})
	}
}

// TestGStreamerRTSP2 plays from GStreamer's server in RTSP 2.0, which it
// speaks alongside 1.0.
func TestGStreamerRTSP2(t *testing.T) {
	for _, auth := range []struct{ name, user, pass string }{{"open", "", ""}, {"digest", "admin", "s3cret"}} {
		t.Run(auth.name, func(t *testing.T) {
			url := testkit.GStreamerCamera(t, "h264", auth.user, auth.pass)
			for _, tr := range []string{"tcp", "udp"} {
				t.Run(tr, func(t *testing.T) {
					t.Parallel()
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					sess, err := Dial(ctx, url, ClientOptions{Version: "2.0", Transport: tr, Username: auth.user, Password: auth.pass})
					if err != nil {
						t.Fatalf("Dial: got %v, want nil", err)
					}
					defer sess.Close()
					if got := sess.Version(); got != "2.0" {
						t.Errorf("Version: got %q, want 2.0", got)
					}
					if got := sess.Transport(); got != tr {
						t.Errorf("Transport: got %q, want %q", got, tr)
					}
					playLikeACamera(t, ctx, cancel, sess)
				})
			}
		})
	}
}

func hasNonEmptyParam(fmtp, name string) bool {
	for p := range strings.SplitSeq(fmtp, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && k == name && v != "" {
			return true
		}
	}
	return false
}

// capture keeps copies of packets until they span the wanted duration.
type capture struct {
	mu   sync.Mutex
	pkts []*rtp.Packet
	span uint32
	done chan struct{}
	once sync.Once
}

func (c *capture) HandleRTP(p *rtp.Packet, _ time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pkts = append(c.pkts, p.Clone())
	if p.Timestamp-c.pkts[0].Timestamp >= c.span {
		c.once.Do(func() { close(c.done) })
	}
}

func (c *capture) HandleRTCP([]rtcp.Packet, time.Time) {}

// TestFFprobeAgainstServer plays packets captured from GStreamer through
// our server and has ffprobe, a client we did not write, identify them.
func TestFFprobeAgainstServer(t *testing.T) {
	ffprobe := testkit.NeedTool(t, "ffprobe")
	camURL := testkit.GStreamerCamera(t, "h264", "", "")

	// Capture a little more than one GOP (50 frames at 25 fps), starting at
	// the clip's first IDR picture.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sess, err := Dial(ctx, camURL, ClientOptions{})
	if err != nil {
		t.Fatalf("Dial GStreamer: got %v, want nil", err)
	}
	capt := &capture{span: 90000 * 5 / 2, done: make(chan struct{})}
	runErr := runSession(ctx, sess, capt)
	select {
	case <-capt.done:
	case err := <-runErr:
		t.Fatalf("capture ended early: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatalf("capture incomplete after 20s")
	}
	media := sess.Media()
	sess.Close()
	<-runErr
	capt.mu.Lock()
	pkts := capt.pkts
	capt.mu.Unlock()

	st := NewStream(StreamMedia{EncodingName: media.EncodingName, PayloadType: media.PayloadType, ClockRate: media.ClockRate, Fmtp: media.Fmtp})
	srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st)}, nil)
	// ffmpeg speaks only MD5 Digest: it must pick the second challenge.
	authSrv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st), Username: "admin", Password: "s3cret"}, nil)
	feedCtx, stopFeed := context.WithCancel(context.Background())
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		replay(feedCtx, st, pkts)
	}()
	defer func() {
		stopFeed()
		<-feedDone
	}()

	tests := []struct{ name, tr, url string }{
		{"tcp", "tcp", serverURL(srv, "/cam")},
		{"udp", "udp", serverURL(srv, "/cam")},
		{"tcp digest", "tcp", "rtsp://admin:s3cret@" + authSrv.Addr().String() + "/cam"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(pctx, ffprobe, "-v", "error", "-rtsp_transport", tc.tr,
				"-show_entries", "stream=codec_name,width,height", "-of", "json", tc.url)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("ffprobe: %v\n%s", err, stderr.String())
			}
			var res struct {
				Streams []struct {
					CodecName string `json:"codec_name"`
					Width     int    `json:"width"`
					Height    int    `json:"height"`
				} `json:"streams"`
			}
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("ffprobe output %q: %v", out, err)
			}
			if len(res.Streams) != 1 || res.Streams[0].CodecName != "h264" || res.Streams[0].Width != 640 || res.Streams[0].Height != 360 {
				t.Errorf("ffprobe: got %+v, want one h264 640x360 stream", res.Streams)
			}
		})
	}
}

// replay writes pkts to st in real time, over and over, keeping sequence
// numbers and timestamps continuous across loops as a live camera would.
func replay(ctx context.Context, st *Stream, pkts []*rtp.Packet) {
	if len(pkts) == 0 {
		return
	}
	ts0 := pkts[0].Timestamp
	loopSpan := pkts[len(pkts)-1].Timestamp - ts0 + 3600 // plus one frame at 25 fps
	start := time.Now()
	var seq uint16
	var out rtp.Packet
	timer := time.NewTimer(0)
	defer timer.Stop()
	for loop := uint32(0); ; loop++ {
		for _, p := range pkts {
			offset := loop*loopSpan + (p.Timestamp - ts0)
			due := start.Add(time.Duration(offset) * time.Second / 90000)
			if d := time.Until(due); d > 0 {
				timer.Reset(d)
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
			} else if ctx.Err() != nil {
				return
			}
			out = *p
			out.SequenceNumber = seq
			out.Timestamp = ts0 + offset
			seq++
			st.WriteRTP(&out)
		}
	}
}
