package rtsp

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"
)

// batchSession plays a test stream with reads batched over 100 ms.
func batchSession(t *testing.T) (*Stream, *Session, *collector) {
	t.Helper()
	st := testStream()
	srv := startServer(t, ServerConfig{Lookup: oneStream("/cam/1", st)}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sess, err := Dial(ctx, serverURL(srv, "/cam/1"), ClientOptions{Transport: "tcp", Timeout: 5 * time.Second, Batch: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Dial: got %v, want nil", err)
	}
	t.Cleanup(func() { sess.Close() })
	h := newCollector()
	ran := runSession(ctx, sess, h)
	// Run's helpers (the batcher among them) have ended before the test's own
	// cleanups run, so that one restoring batchEvery races with none of
	// them.
	t.Cleanup(func() {
		cancel()
		awaitErr(t, ran, 10*time.Second)
	})
	return st, sess, h
}

// lowat reads the session's socket's receive low-water mark.
func lowat(t *testing.T, s *Session) int {
	t.Helper()
	rc, err := s.conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	rc.Control(func(fd uintptr) { v, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT) })
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPauseBatch: a session batching its reads sets its socket's
// low-water mark from the stream's bitrate; pausing sets it to one byte
// at once, and resuming restores it.
func TestPauseBatch(t *testing.T) {
	st, sess, _ := batchSession(t)
	// About 400 kB/s, so 100 ms is about 40 kB.
	stop := make(chan struct{})
	fed := make(chan struct{})
	defer func() { close(stop); <-fed }()
	go func() {
		defer close(fed)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for seq := uint16(0); ; seq += 2 {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			st.WriteRTP(testPacket(seq, 1000))
			st.WriteRTP(testPacket(seq+1, 1000))
		}
	}()
	eventually(t, 10*time.Second, "a low-water mark from the bitrate", func() bool { return lowat(t, sess) > 10000 })
	sess.batch.mu.Lock()
	batched := sess.batch.want
	sess.batch.mu.Unlock()
	for _, step := range []struct {
		pause bool
		want  int
	}{{true, 1}, {true, 1}, {false, batched}, {true, 1}} {
		sess.PauseBatch(step.pause)
		if got := lowat(t, sess); got != step.want {
			t.Fatalf("PauseBatch(%v): got SO_RCVLOWAT %d, want %d", step.pause, got, step.want)
		}
	}
}

// TestPauseBatchReleases: what a batch holds back in the socket is read
// as soon as batching pauses, not when the batch fills.
func TestPauseBatchReleases(t *testing.T) {
	every := batchEvery
	batchEvery = time.Hour // the low-water mark is the test's alone
	t.Cleanup(func() { batchEvery = every })
	st, sess, h := batchSession(t)
	eventually(t, 10*time.Second, "batching to start", func() bool {
		sess.batch.mu.Lock()
		defer sess.batch.mu.Unlock()
		return sess.batch.rc != nil
	})
	sess.batch.mu.Lock()
	sess.batch.want = 40000
	sess.batch.apply()
	sess.batch.mu.Unlock()
	if got := lowat(t, sess); got != 40000 {
		t.Fatalf("got SO_RCVLOWAT %d, want 40000", got)
	}
	// A megabyte, paced, so that the reader waits in the poller between
	// batches: the receive window grows past a segment (until it does,
	// the kernel does not hold data back), and the last batch, short of
	// the low-water mark, stays in the socket.
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	const n = 1000
	for seq := range uint16(n) {
		<-tick.C
		if err := st.WriteRTP(testPacket(seq, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	sess.PauseBatch(true)
	for {
		if p := h.nextRTP(t, 5*time.Second); p.SequenceNumber == n-1 {
			break
		}
	}
}
