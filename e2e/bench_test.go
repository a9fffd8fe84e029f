package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/testkit"
)

// BenchmarkConsoleLatency measures what an operator feels, in Chromium
// against `vigil demo` (4 cameras at 4 Mbit/s):
//
//   - glass-to-glass: from the simulated camera sending a frame to
//     Chromium showing it, read from the frame number burnt into the
//     picture against the page's own clock, over WebRTC and over the
//     WebSocket fallback;
//   - click to first frame: from a click on the playback timeline to the
//     first frame of the new instant on screen.
//
// The peer, measured in the same run, is ffmpeg decoding the same camera
// straight off its RTSP, with no Vigil in between: the floor that any
// viewer of that camera pays. (ffmpeg's figure stops at the decoded frame;
// the browser's includes putting it on screen.)
//
//	go test ./e2e -run '^$' -bench ConsoleLatency -benchtime 1x -v
func BenchmarkConsoleLatency(b *testing.B) {
	for b.Loop() {
		benchConsoleLatency(b)
	}
}

func benchConsoleLatency(b *testing.B) {
	tt := b
	clock := newClockReader(tt)
	d := startDemo(tt, 4, 4_000_000)
	var start, end time.Time
	await(tt, 90*time.Second, "20 s of camera 1's footage", func() bool {
		start, end = d.recorded(tt, 1)
		return end.Sub(start) >= 20*time.Second
	})

	// The peer first, so the browser does not load the machine meanwhile.
	peer := ffmpegLatency(b, clock, d.rtsp+"/cam/1", 8*time.Second)

	res := browserRun(tt, map[string]any{
		"base": d.base, "username": d.username, "password": d.password, "dir": b.TempDir(),
		"steps":         []string{"login", "live", "click"},
		"transports":    []string{"webrtc", "websocket"},
		"latencyMillis": 8000,
		"playbackAt":    end.Add(-10 * time.Second).UnixMilli(),
		"clicks":        20,
	})
	live := field[map[string]liveReport](tt, res, "live")
	report := func(name string, lat []time.Duration) {
		if len(lat) == 0 {
			b.Fatalf("%s: no readable frames", name)
		}
		b.ReportMetric(float64(percentile(lat, 0.5).Microseconds())/1000, name+"-p50-ms")
		b.ReportMetric(float64(percentile(lat, 0.95).Microseconds())/1000, name+"-p95-ms")
		b.Logf("%s: p50 %v p95 %v max %v over %d frames", name, percentile(lat, 0.5), percentile(lat, 0.95), lat[len(lat)-1], len(lat))
	}
	report("ffmpeg-direct", peer)
	report("webrtc", clock.latencies(tt, 1, live["webrtc"].Samples))
	report("websocket", clock.latencies(tt, 1, live["websocket"].Samples))
	clicks := field[[]float64](tt, res, "clickToFrame")
	slices.Sort(clicks)
	b.ReportMetric(clicks[len(clicks)/2], "click-p50-ms")
	b.ReportMetric(clicks[len(clicks)*95/100], "click-p95-ms")
	b.Logf("click to first frame: p50 %.0f ms, p95 %.0f ms, max %.0f ms over %d clicks", clicks[len(clicks)/2], clicks[len(clicks)*95/100], clicks[len(clicks)-1], len(clicks))
}

// ffmpegLatency decodes a camera with ffmpeg, tuned for low delay, and
// returns how long after the camera sent each frame ffmpeg had decoded it.
func ffmpegLatency(b *testing.B, clock *clockReader, url string, d time.Duration) []time.Duration {
	tt := b
	ffmpeg := testkit.NeedTool(tt, "ffmpeg")
	ctx, cancel := context.WithTimeout(context.Background(), d+20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ffmpeg, "-v", "error", "-rtsp_transport", "tcp", "-fflags", "nobuffer", "-flags", "low_delay",
		"-probesize", "32", "-analyzeduration", "0", "-threads", "1", "-i", url,
		"-vf", fmt.Sprintf("crop=%d:%d:%d:%d,format=rgb24", cropW, cropH, cropX, cropY), "-f", "rawvideo", "pipe:1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cancel()
		cmd.Wait()
	}()
	r := bufio.NewReaderSize(out, 1<<20)
	frame := make([]byte, cropW*cropH*3)
	var lat []time.Duration
	var first time.Time
	for n := 0; ; n++ {
		if _, err := io.ReadFull(r, frame); err != nil {
			b.Fatalf("ffmpeg: %v", err)
		}
		now := time.Now()
		if first.IsZero() {
			first = now
		}
		if now.Sub(first) < 2*time.Second || n%5 != 0 {
			continue // past the start-up burst; every fifth frame, as in the browser
		}
		i, score := clock.read(tt, base64.StdEncoding.EncodeToString(halveRGB(frame)))
		if score >= 0.8 {
			lat = append(lat, now.Sub(clock.clip.SentAt(1, i, now)))
		}
		if now.Sub(first) > d+2*time.Second {
			break
		}
	}
	slices.Sort(lat)
	return lat
}
