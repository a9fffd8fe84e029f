package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/testkit"
)

// TestMain lets this test binary stand in for "vigil bench live-server",
// which the live benchmark starts as its server.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "bench" && os.Args[2] == "live-server" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := LiveServer(ctx, os.Args[3:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestLive runs "vigil bench live" small and short, so that it keeps
// working: a server process recording two cameras, four WebRTC viewers
// (two measuring, two sinks), forwarding traced, and one ffmpeg as the
// peer. What it measures must be there and make sense.
func TestLive(t *testing.T) {
	testkit.NeedTool(t, "ffmpeg")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Live(ctx, LiveOptions{
		Cameras: 2, Viewers: 4, Measuring: 2, Duration: 2 * time.Second, Bitrate: 2_000_000,
		Codec: "h264", Modes: []string{"auto"}, PeerCameras: 1, Dir: t.TempDir(),
	}, io.Discard)
	if err != nil {
		t.Fatalf("Live: got %v, want nil", err)
	}
	rep.Print(io.Discard)
	if len(rep.Runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(rep.Runs))
	}
	run := rep.Runs[0]
	finite := func(l Latency) bool { return l.P50 > 0 && l.P99 >= l.P50 && l.Max >= l.P99 && l.Max < time.Minute }
	for _, c := range []struct {
		name string
		ok   bool
		got  any
	}{
		{"frames received", run.FramesReceived > 0 && run.Unstamped == 0, fmt.Sprintf("%d (%d without a stamp)", run.FramesReceived, run.Unstamped)},
		{"video per measuring viewer", run.MbitPerViewer > 0.5, run.MbitPerViewer},
		{"SRTP per sink", run.MbitPerSink > 0.5, run.MbitPerSink},
		{"end to end latency", run.EndToEnd.Count > 0 && finite(run.EndToEnd), run.EndToEnd},
		{"forwarding latency", run.Forward.Count > 0 && finite(run.Forward), run.Forward},
		{"server CPU with viewers", run.Watched.CPU > 0 && run.Watched.MeanRSS > 0, run.Watched},
		// The peer's CPU is read in the kernel's 10 ms ticks, and one
		// ffmpeg copying 2 Mbit/s for 2 s can use less than one on a
		// loaded machine (it failed so): its memory shows it was measured.
		{"peer", rep.PeerCameras == 1 && rep.Peer.CPU >= 0 && rep.Peer.MeanRSS > 0 && rep.PeerRSSPerCamera > 0, rep.Peer},
	} {
		if !c.ok {
			t.Errorf("%s: got %+v, want packets and positive, finite figures", c.name, c.got)
		}
	}
}
