package simcam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// TestFFmpegRecordsSimulatedCamera: ffmpeg, a client we did not write,
// records a simulated camera (H.264 and H.265, with Digest, padded to
// 2 Mbit/s) and what it wrote decodes at the clip's size and frame rate.
func TestFFmpegRecordsSimulatedCamera(t *testing.T) {
	ffmpeg := testkit.NeedTool(t, "ffmpeg")
	ffprobe := testkit.NeedTool(t, "ffprobe")
	for _, tc := range []struct {
		codec codec.Codec
		name  string
	}{{codec.H264, "h264"}, {codec.H265, "hevc"}} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Options{Listen: "127.0.0.1:0", Count: 2, Codec: tc.codec, Username: "sim", Password: "sim-pass-1234", Bitrate: 2_000_000})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			defer func() { cancel(); <-done }()

			out := filepath.Join(t.TempDir(), "out.mkv")
			u := "rtsp://sim:sim-pass-1234@" + s.Addr().String() + "/cam/2"
			cmd := exec.Command(ffmpeg, "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", u, "-t", "4", "-c", "copy", out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg recording the simulated camera: %v\n%s", err, b)
			}
			if b, err := exec.Command(ffmpeg, "-v", "error", "-i", out, "-f", "null", "-").CombinedOutput(); err != nil || len(b) > 0 {
				t.Fatalf("decoding what ffmpeg recorded: %v\n%s", err, b)
			}
			b, err := exec.Command(ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0",
				"-show_entries", "stream=codec_name,width,height,nb_read_frames,r_frame_rate", "-of", "json", out).Output()
			if err != nil {
				t.Fatal(err)
			}
			var r struct {
				Streams []struct {
					CodecName string `json:"codec_name"`
					Width     int
					Height    int
					Frames    string `json:"nb_read_frames"`
					Rate      string `json:"r_frame_rate"`
				}
			}
			json.Unmarshal(b, &r)
			if len(r.Streams) != 1 {
				t.Fatalf("ffprobe: %s", b)
			}
			st := r.Streams[0]
			n, _ := strconv.Atoi(st.Frames)
			if st.CodecName != tc.name || st.Width != 640 || st.Height != 360 || st.Rate != "25/1" || n < 45 {
				t.Errorf("ffprobe got %+v, want %s 640x360 at 25/1 and at least 45 frames (ffmpeg waits for a keyframe, one every 2 s, within its 4 s)", st, tc.name)
			}
			if got := s.FramesDelivered(2); got < int64(n) {
				t.Errorf("camera 2 says it delivered %d frames, ffmpeg stored %d", got, n)
			}
			if got := s.FramesDelivered(1); got != 0 {
				t.Errorf("camera 1, which nobody played, delivered %d frames", got)
			}
		})
	}
}

// TestClip: the embedded clips load with the frame rate and keyframes the
// README promises.
func TestClip(t *testing.T) {
	for _, c := range []codec.Codec{codec.H264, codec.H265} {
		cl, err := LoadClip(c)
		if err != nil {
			t.Fatal(err)
		}
		keys := 0
		for _, k := range cl.Keyframe {
			if k {
				keys++
			}
		}
		if len(cl.Units) != 250 || keys != 5 || cl.FPS() != 25 || !cl.Params.Complete() {
			t.Errorf("%s clip: %d frames, %d keyframes, %.2f fps, params complete %v; want 250, 5, 25, true",
				c, len(cl.Units), keys, cl.FPS(), cl.Params.Complete())
		}
	}
}

// TestSchedule: the frame a camera sends is a function of the wall clock,
// so a picture's burnt-in frame number tells when it was sent.
func TestSchedule(t *testing.T) {
	clip, err := LoadClip(codec.H264)
	if err != nil {
		t.Fatal(err)
	}
	n := len(clip.Units)
	fd := clip.frameDuration()
	base := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for cam := 1; cam <= 3; cam++ {
		for step := 0; step < 3*n; step += 7 {
			at := base.Add(time.Duration(step) * fd / 3)
			i := clip.FrameAt(cam, at)
			if i < 0 || i >= n {
				t.Fatalf("camera %d at %v: got frame %d, want 0..%d", cam, at, i, n-1)
			}
			sent := clip.SentAt(cam, i, at)
			if sent.After(at) || at.Sub(sent) >= fd {
				t.Errorf("camera %d at %v: frame %d sent at %v, want within one frame before", cam, at, i, sent)
			}
			if got := clip.FrameAt(cam, sent); got != i {
				t.Errorf("camera %d: frame at its own send time %v is %d, want %d", cam, sent, got, i)
			}
			// Ten frames back is ten frames earlier in the clip.
			j := (i - 10 + n) % n
			if got, want := clip.SentAt(cam, j, at), sent.Add(-10*fd); !got.Equal(want) {
				t.Errorf("camera %d: frame %d sent at %v, want %v", cam, j, got, want)
			}
		}
	}
}

// TestStamp: the send time written into a frame's filler is found again
// in every RTP packet that carries enough of the filler, whatever the
// codec and packet size, and the filler is still one filler NAL unit.
func TestStamp(t *testing.T) {
	at := time.Unix(1795000000, 123456789)
	for _, tc := range []struct {
		codec codec.Codec
		size  int
		mtu   int
	}{
		{codec.H264, 20000, 1400},
		{codec.H264, 20000, 1200},
		{codec.H265, 20000, 1400},
		{codec.H264, 100, 1400}, // filler in one packet
	} {
		t.Run(fmt.Sprintf("%s/%d/%d", tc.codec, tc.size, tc.mtu), func(t *testing.T) {
			f := codec.FillerNALU(tc.codec, tc.size)
			stamp(f, at)
			if got := codec.NALUType(tc.codec, f); got != codec.NALUType(tc.codec, codec.FillerNALU(tc.codec, 3)) || f[len(f)-1] != 0x80 {
				t.Fatalf("stamped filler: got NAL type %d ending %#x, want filler ending 0x80", got, f[len(f)-1])
			}
			if bytes.IndexByte(f, 0) >= 0 {
				t.Fatalf("stamped filler holds a zero byte, want none")
			}
			pkts := codec.NewPacketizer(tc.codec, 96, 1, tc.mtu).Packetize(codec.AccessUnit{NALUs: [][]byte{f}})
			checked := 0
			for i, p := range pkts {
				got, ok := ReadStamp(p.Payload)
				if len(p.Payload) < 3*stampLen && !ok {
					continue // a short last piece may hold no whole stamp
				}
				checked++
				if !ok || !got.Equal(at) {
					t.Errorf("packet %d of %d (%d bytes): got stamp %v (%v), want %v", i, len(pkts), len(p.Payload), got, ok, at)
				}
			}
			if checked == 0 {
				t.Errorf("got no packet long enough to hold a stamp among %d, want at least one", len(pkts))
			}
		})
	}
	if _, ok := ReadStamp(codec.FillerNALU(codec.H264, 200)); ok {
		t.Errorf("plain filler: got a stamp, want none")
	}
	if _, ok := ReadStamp([]byte("~VGL0123456789abcdeX~VGL")); ok {
		t.Errorf("broken stamp: got one, want none")
	}
}
