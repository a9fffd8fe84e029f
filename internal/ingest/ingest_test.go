package ingest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/rtsp"
	"github.com/vigil-cctv/vigil/internal/simcam"
)

type endSink struct {
	atomicSink
	mu   sync.Mutex
	ends []error
}

func (s *endSink) StreamEnded(err error) {
	s.mu.Lock()
	s.ends = append(s.ends, err)
	s.mu.Unlock()
}

func (s *endSink) ended() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.ends...)
}

// TestWatchdog: a camera that keeps sending video keeps its session past
// several timeouts, and one that stops is given up as silent after one
// (by the watchdog, or by the session's read timeout when RTCP stops
// too, as here: whichever comes first).
func TestWatchdog(t *testing.T) {
	srv, err := simcam.New(simcam.Options{Listen: "127.0.0.1:0", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Run(ctx)
	defer srv.Close()
	sink := &endSink{}
	const timeout = 700 * time.Millisecond
	c := New(Options{ID: 1, URL: srv.URL(1), Transport: "tcp", Timeout: timeout, MinBackoff: time.Hour, MaxBackoff: time.Hour}, sink)
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(10 * time.Second)
	for sink.frames.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no frame recorded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(3 * timeout)
	if ends := sink.ended(); len(ends) != 0 {
		t.Fatalf("while the camera sends: got sessions ended %v, want none", ends)
	}
	srv.Stall(1, time.Hour)
	start := time.Now()
	for len(sink.ended()) == 0 {
		if time.Since(start) > 10*timeout {
			t.Fatalf("camera silent for %s: session not ended", time.Since(start))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ends := sink.ended(); !errors.Is(ends[0], ErrSilent) && !errors.Is(ends[0], rtsp.ErrSilence) {
		t.Errorf("got session ended with %v, want ErrSilent or rtsp.ErrSilence", ends[0])
	}
	if d := time.Since(start); d < timeout/2 {
		t.Errorf("session ended %s after the camera fell silent, want about %s", d, timeout)
	}
}
