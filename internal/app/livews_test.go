package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// liveSocket is a client of the live WebSocket, as the console's Media
// Source Extensions player is.
type liveSocket struct {
	t    *testing.T
	conn *websocket.Conn
}

// initMessage is the protocol's init message.
type initMessage struct {
	Type       string `json:"type"`
	MIME       string `json:"mime"`
	Codec      string `json:"codec"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	Transcoded bool   `json:"transcoded"`
	Message    string `json:"message"` // of an error
}

// dialLive opens a camera's live WebSocket with the test's token, with
// Origin origin unless empty; query is added to the URL.
func (h *harness) dialLive(id int64, query, origin string) (*liveSocket, *http.Response, error) {
	h.t.Helper()
	hdr := http.Header{"Authorization": {"Bearer " + h.token}}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := fmt.Sprintf("ws://%s/api/v1/cameras/%d/live.ws%s", h.app.Addr(), id, query)
	conn, res, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		return nil, res, err
	}
	conn.SetReadLimit(16 << 20)
	h.t.Cleanup(func() { conn.CloseNow() })
	return &liveSocket{t: h.t, conn: conn}, res, nil
}

// read returns the next message, failing after 30 s.
func (s *liveSocket) read() (websocket.MessageType, []byte) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	typ, b, err := s.conn.Read(ctx)
	if err != nil {
		s.t.Fatalf("reading the live WebSocket: %v", err)
	}
	return typ, b
}

// text reads a text message.
func (s *liveSocket) text() initMessage {
	s.t.Helper()
	typ, b := s.read()
	var m initMessage
	if err := json.Unmarshal(b, &m); typ != websocket.MessageText || err != nil {
		s.t.Fatalf("got a %v message %.100q, want a JSON text message", typ, b)
	}
	return m
}

// video reads the init pair and n fragments, checking their boxes, and
// returns the init message and the file they make.
func (s *liveSocket) video(n int) (initMessage, []byte) {
	s.t.Helper()
	m := s.text()
	if m.Type != "init" {
		s.t.Fatalf("first message: got %+v, want an init", m)
	}
	var file []byte
	for i := 0; i <= n; i++ {
		typ, b := s.read()
		want := "moof"
		if i == 0 {
			want = "ftyp"
		}
		if typ != websocket.MessageBinary || len(b) < 8 || string(b[4:8]) != want {
			s.t.Fatalf("message %d: got a %v message of %d bytes, want a binary one beginning with %s", i+1, typ, len(b), want)
		}
		file = append(file, b...)
	}
	return m, file
}

// writeFile writes b to a file of the test's.
func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// awaitAudit waits for n audit entries of action for a camera, newest
// first.
func (h *harness) awaitAudit(id int64, action string, n int) []store.AuditRecord {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		es, err := h.app.Audit.Store().ListAudit(context.Background(), store.AuditFilter{CameraID: id, Action: action})
		if err != nil {
			h.t.Fatal(err)
		}
		if len(es) >= n {
			return es
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("got %d %s audit records, want %d", len(es), action, n)
		}
		time.Sleep(100 * time.Millisecond) // polling: the audit table announces nothing
	}
}

// TestLiveWebSocket: a client of the live WebSocket gets an init message,
// the init segment and a fragment per frame, which together make an MP4
// that ffmpeg decodes frame for frame; the view is audited at its start
// and end; other sites' pages are refused; an H.264 camera has no
// transcoder.
func TestLiveWebSocket(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{})
	id := h.addCamera("Live over WebSocket", h.cams.URL(1), nil)
	h.awaitFootage(id, time.Second, 30*time.Second)

	s, _, err := h.dialLive(id, "", "http://"+h.app.Addr())
	if err != nil {
		t.Fatalf("dialling the live WebSocket from the server's own page: %v", err)
	}
	m, file := s.video(75)
	if m.Codec != "H264" || !strings.HasPrefix(m.MIME, `video/mp4; codecs="avc1.`) || m.Width != 640 || m.Height != 360 || m.Transcoded {
		t.Errorf("init message: got %+v, want H264, avc1, 640x360, not transcoded", m)
	}
	p := ffprobe(t, writeFile(t, "live.mp4", file))
	if p.Codec != "h264" || p.Frames != 75 || p.Width != 640 || p.Height != 360 {
		t.Errorf("ffprobe: got %+v, want 75 frames of h264 640x360", p)
	}
	if d := p.Duration; d < 2.9 || d > 3.1 {
		t.Errorf("ffprobe: got %.3f s, want 3 s: 75 frames at 25 fps", d)
	}
	starts := h.awaitAudit(id, "live.start", 1)
	if starts[0].Detail != "WebSocket" || starts[0].Username != "admin" {
		t.Errorf("live.start: got %q by %q, want WebSocket by admin", starts[0].Detail, starts[0].Username)
	}
	s.conn.Close(websocket.StatusNormalClosure, "")
	if stop := h.awaitAudit(id, "live.stop", 1); !strings.HasPrefix(stop[0].Detail, "WebSocket, ") {
		t.Errorf("live.stop: got %q, want WebSocket and its length", stop[0].Detail)
	}
	if rc, _ := h.app.cams.get(id); rc.tr != nil {
		t.Error("an H.264 camera has a transcoder, want none")
	}

	t.Run("other site", func(t *testing.T) {
		_, res, err := h.dialLive(id, "", "http://elsewhere.example")
		if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
			t.Errorf("dialling from another site's page: got %v, %v, want 403", res, err)
		}
		if n := len(h.awaitAudit(id, "live.start", 1)); n != 1 {
			t.Errorf("got %d live.start records, want still 1", n)
		}
	})
	t.Run("not a WebSocket", func(t *testing.T) {
		res, b := h.do("GET", fmt.Sprintf("/api/v1/cameras/%d/live.ws", id), nil, nil)
		if res.StatusCode != http.StatusUpgradeRequired || !strings.Contains(string(b), `"error"`) {
			t.Errorf("plain GET: got %d %s, want 426 with a JSON error", res.StatusCode, b)
		}
	})
	t.Run("not connected", func(t *testing.T) {
		other := h.addCamera("Nowhere", "rtsp://127.0.0.1:1/none", nil)
		s, _, err := h.dialLive(other, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if m := s.text(); m.Type != "error" || !strings.Contains(m.Message, "not connected") {
			t.Errorf("got %+v, want an error saying the camera is not connected", m)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, _, err := s.conn.Read(ctx); websocket.CloseStatus(err) != websocket.StatusTryAgainLater {
			t.Errorf("after the error: got %v, want a close with status 1013", err)
		}
	})
}

// TestLiveH265: browsers without H.265 get an H.265 camera's H.264 view,
// over WebRTC and over the WebSocket, audited as transcoded; a client
// that plays H.265 gets the camera's own; the recording stays H.265 and
// the camera has one RTSP session throughout.
func TestLiveH265(t *testing.T) {
	t.Parallel() // see main_test.go
	testkit.NeedTool(t, "ffmpeg")
	h := start(t, harnessOptions{codec: codec.H265})
	id := h.addCamera("H.265", h.cams.URL(1), nil)
	h.awaitFootage(id, time.Second, 30*time.Second)

	v, res := newViewerOf(t, h, id, onlyH264)
	if v == nil {
		t.Fatalf("WHEP offer with H.264 only: got %d, want 201", res.StatusCode)
	}
	var aus []*codec.AccessUnit
	for deadline := time.After(30 * time.Second); len(aus) < 50; {
		select {
		case au := <-v.units:
			aus = append(aus, au)
		case <-deadline:
			t.Fatalf("WebRTC viewer: got %d frames within 30 s, want 50", len(aus))
		}
	}
	if !aus[0].Keyframe || codec.NALUType(codec.H264, aus[0].NALUs[0]) != 7 {
		t.Errorf("WebRTC viewer: the first frame is no keyframe beginning with an H.264 SPS")
	}
	var annexB []byte
	for _, au := range aus {
		annexB = codec.AppendAnnexB(annexB, au.NALUs)
	}
	if n := decodeH264(t, writeFile(t, "view.h264", annexB)); n != 50 {
		t.Errorf("WebRTC viewer: ffmpeg decoded %d frames, want 50", n)
	}
	if s := h.awaitAudit(id, "live.start", 1); s[0].Detail != "WebRTC, transcoded H.264" {
		t.Errorf("live.start: got %q, want WebRTC, transcoded H.264", s[0].Detail)
	}

	s, _, err := h.dialLive(id, "", "")
	if err != nil {
		t.Fatal(err)
	}
	m, file := s.video(50)
	if m.Codec != "H264" || !m.Transcoded || !strings.HasPrefix(m.MIME, `video/mp4; codecs="avc1.`) || m.Width != 640 {
		t.Errorf("WebSocket init: got %+v, want H264, transcoded, avc1, 640 wide", m)
	}
	if p := ffprobe(t, writeFile(t, "transcoded.mp4", file)); p.Codec != "h264" || p.Frames != 50 {
		t.Errorf("WebSocket: ffprobe got %+v, want 50 frames of h264", p)
	}
	if s := h.awaitAudit(id, "live.start", 2); s[0].Detail != "WebSocket, transcoded H.264" {
		t.Errorf("live.start: got %q, want WebSocket, transcoded H.264", s[0].Detail)
	}

	native, _, err := h.dialLive(id, "?h265=1", "")
	if err != nil {
		t.Fatal(err)
	}
	m, file = native.video(25)
	if m.Codec != "H265" || m.Transcoded || !strings.HasPrefix(m.MIME, `video/mp4; codecs="hvc1.`) {
		t.Errorf("WebSocket with h265=1: got %+v, want H265, hvc1, not transcoded", m)
	}
	if p := ffprobe(t, writeFile(t, "native.mp4", file)); p.Codec != "hevc" || p.Frames != 25 {
		t.Errorf("WebSocket with h265=1: ffprobe got %+v, want 25 frames of hevc", p)
	}

	if n := h.cams.Sessions(1); n != 1 {
		t.Errorf("the camera has %d RTSP sessions, want 1", n)
	}
	r := h.awaitFootage(id, 6*time.Second, 30*time.Second)
	span := r.Spans[len(r.Spans)-1]
	_, path := h.video(id, span.Start, span.End)
	if p := ffprobe(t, path); p.Codec != "hevc" {
		t.Errorf("the recording: got %s, want hevc: live views never change it", p.Codec)
	}
}

// TestLiveH265NoTranscoder: with live_transcoder off, or naming no
// installed program, a browser without H.265 is told why it cannot
// watch an H.265 camera.
func TestLiveH265NoTranscoder(t *testing.T) {
	t.Parallel() // see main_test.go
	for _, tc := range []struct{ setting, says string }{
		{"off", "the server's live transcoder is off (live_transcoder)"},
		{"vigil-no-such-ffmpeg", "install ffmpeg on the server for an H.264 live view"},
	} {
		t.Run(tc.setting, func(t *testing.T) {
			h := start(t, harnessOptions{codec: codec.H265, liveTranscoder: tc.setting})
			id := h.addCamera("H.265", h.cams.URL(1), nil)
			h.awaitFootage(id, time.Second, 30*time.Second)
			want := fmt.Sprintf("camera %d sends H.265, which this browser cannot play", id)

			_, res := newViewerOf(t, h, id, onlyH264)
			var body struct{ Error string }
			json.NewDecoder(res.Body).Decode(&body)
			if res.StatusCode != http.StatusNotAcceptable || !strings.Contains(body.Error, want) || !strings.Contains(body.Error, tc.says) {
				t.Errorf("WHEP offer with H.264 only: got %d %q, want 406 saying %q and %q", res.StatusCode, body.Error, want, tc.says)
			}
			s, _, err := h.dialLive(id, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if m := s.text(); m.Type != "error" || !strings.Contains(m.Message, want) || !strings.Contains(m.Message, tc.says) {
				t.Errorf("WebSocket: got %+v, want an error saying %q and %q", m, want, tc.says)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, _, err := s.conn.Read(ctx); websocket.CloseStatus(err) != websocket.StatusUnsupportedData {
				t.Errorf("after the error: got %v, want a close with status 1003", err)
			}
			if es, _ := h.app.Audit.Store().ListAudit(context.Background(), store.AuditFilter{CameraID: id, Action: "live.start"}); len(es) != 0 {
				t.Errorf("got %d live.start records, want none: nothing was seen", len(es))
			}
		})
	}
}

// onlyH264 registers H.264 alone, as a browser without H.265 offers.
func onlyH264(me *webrtc.MediaEngine) error {
	return me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		},
		PayloadType: 102,
	}, webrtc.RTPCodecTypeVideo)
}

// decodeH264 decodes an H.264 Annex B file with ffmpeg, failing on any
// error, and returns the frames decoded.
func decodeH264(t *testing.T, path string) int {
	t.Helper()
	testkit.NeedTool(t, "ffmpeg")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "h264", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("ffmpeg decoding %s: %v\n%s", path, err, out)
	}
	out, err := exec.Command(testkit.NeedTool(t, "ffprobe"), "-v", "error", "-f", "h264", "-count_frames", "-show_entries",
		"stream=nb_read_frames", "-of", "default=nw=1:nk=1", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var n int
	fmt.Sscan(string(out), &n)
	return n
}
