//go:build unix

package app

import (
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/testkit"
)

// TestGStreamerCamera records a camera we did not write (GStreamer's RTSP
// server), H.264 and H.265, with and without Digest authentication, over
// TCP and UDP, then exports and decodes what was recorded.
func TestGStreamerCamera(t *testing.T) {
	t.Parallel() // see main_test.go
	testkit.NeedGStreamer(t)
	for _, tc := range []struct {
		name, codec, probe, user, pass, transport string
	}{
		{"h264", "h264", "h264", "", "", "tcp"},
		{"h264 digest udp", "h264", "h264", "viewer", "gst-digest-pass", "udp"},
		{"h265 digest", "h265", "hevc", "viewer", "gst-digest-pass", "tcp"},
		{"h265 udp", "h265", "hevc", "", "", "udp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := testkit.GStreamerCamera(t, tc.codec, tc.user, tc.pass)
			h := start(t, harnessOptions{})
			extra := map[string]any{"transport": tc.transport}
			if tc.user != "" {
				extra["username"], extra["password"] = tc.user, tc.pass
			}
			id := h.addCamera("GStreamer "+tc.name, url, extra)
			// The clip is 10 s long and GStreamer plays it once.
			r := h.awaitFootage(id, 6*time.Second, 40*time.Second)
			span := r.Spans[0]
			res, path := h.video(id, span.Start, span.End)
			gotStart, _ := time.Parse(time.RFC3339Nano, res.Header.Get("X-Vigil-Start"))
			gotEnd, _ := time.Parse(time.RFC3339Nano, res.Header.Get("X-Vigil-End"))
			p := ffprobe(t, path)
			if p.Codec != tc.probe || p.Width != 640 || p.Height != 360 {
				t.Errorf("ffprobe got %+v, want %s 640x360", p, tc.probe)
			}
			want := int(gotEnd.Sub(gotStart).Seconds()*25 + 0.5)
			if p.Frames < want-1 || p.Frames > want+1 {
				t.Errorf("got %d frames over %s, want %d at 25 fps", p.Frames, gotEnd.Sub(gotStart), want)
			}
		})
	}
}
