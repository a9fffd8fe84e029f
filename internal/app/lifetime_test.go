package app

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// TestStopLeavesNoGoroutines: once Run has returned, no goroutine of
// Vigil's is left, with a camera recording and a live WebSocket open
// when the server was stopped.
func TestStopLeavesNoGoroutines(t *testing.T) {
	h := start(t, harnessOptions{})
	id := h.addCamera("Stopped while watched", h.cams.URL(1), nil)
	h.awaitFootage(id, time.Second, 30*time.Second)
	s, _, err := h.dialLive(id, "", "http://"+h.app.Addr())
	if err != nil {
		t.Fatalf("dialling the live WebSocket: %v", err)
	}
	if m := s.text(); m.Type != "init" {
		t.Fatalf("first message: got %+v, want init", m)
	}
	h.stop()
	testkit.AwaitNoGoroutines(t, 2*time.Second, "github.com/vigil-cctv/vigil/internal/")
}

// TestHTTPServerFailureEndsRun: the HTTP server failing while the
// server runs (its listener gone) ends Run with that error, where it
// once went unnoticed while the cameras recorded on.
func TestHTTPServerFailureEndsRun(t *testing.T) {
	runErr := make(chan error, 1)
	h := start(t, harnessOptions{runErr: runErr})
	h.app.ln.Close()
	select {
	case err := <-runErr:
		if !errors.Is(err, net.ErrClosed) || !strings.Contains(err.Error(), "http server") {
			t.Errorf("Run: got %v, want the HTTP server's error (net.ErrClosed)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run: still running 30 s after the HTTP server failed, want it ended with the error")
	}
}

// TestHTTPAddressInUse: an address already taken stops the server before
// it starts, with the error.
func TestHTTPAddressInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	data := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = data
	cfg.HTTP = taken.Addr().String()
	cfg.AdminPassword = "correct horse battery staple"
	cfg.Storage = []config.Storage{{Name: "local", Path: filepath.Join(data, "recordings")}}
	a, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err == nil {
		a.ln.Close()
		a.Store.Close()
		a.Audit.Close()
		t.Fatal("New: got a server on an address in use, want the error")
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("New: got %v, want EADDRINUSE", err)
	}
}

// TestShutdownDeadlineDatabaseDown: with the database gone, stopping
// gives up at shutdown_timeout, naming the recording index, where it
// once retried the index's last write for ever; the footage written to
// disk meanwhile is recovered at the next start.
func TestShutdownDeadlineDatabaseDown(t *testing.T) {
	base := testkit.PostgresURL()
	if base == "" {
		t.Skip("skipping: VIGIL_TEST_POSTGRES is not set")
	}
	// A database of the test's own, which can be closed to connections
	// whatever the authentication.
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() }) // after the database is dropped
	var b [6]byte
	rand.Read(b[:])
	db := "vigil_test_down_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE DATABASE ` + db); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`ALTER DATABASE ` + db + ` ALLOW_CONNECTIONS true`)
		if _, err := admin.Exec(`DROP DATABASE ` + db + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", db, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	dsn := u.String()
	setConnections := func(allow bool) {
		t.Helper()
		if _, err := admin.Exec(`ALTER DATABASE ` + db + ` ALLOW_CONNECTIONS ` + map[bool]string{true: "true", false: "false"}[allow]); err != nil {
			t.Fatal(err)
		}
		if !allow {
			if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, db); err != nil {
				t.Fatal(err)
			}
		}
	}

	const timeout = 3 * time.Second
	runErr := make(chan error, 1)
	// Minute-long segments: the one open when the database goes keeps
	// growing on disk, its progress unindexed.
	h := start(t, harnessOptions{databaseURL: dsn, segmentDuration: time.Minute, shutdownTimeout: timeout, runErr: runErr})
	id := h.addCamera("Recording as the database goes", h.cams.URL(1), nil)
	r := h.awaitFootage(id, 2*time.Second, 30*time.Second)
	indexed := r.Spans[len(r.Spans)-1].End

	rs, ok := h.app.cams.Recording(id)
	if !ok {
		t.Fatal("the camera is not running")
	}
	setConnections(false)
	// Four more fragments (of at most a second each) on disk.
	deadline := time.Now().Add(30 * time.Second)
	for {
		now, _ := h.app.cams.Recording(id)
		if now.Fragments >= rs.Fragments+4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d fragments written in 30 s with the database down, want 4", now.Fragments-rs.Fragments)
		}
		time.Sleep(100 * time.Millisecond) // polling: the recorder announces no fragment
	}

	began := time.Now()
	h.cancel()
	var stopErr error
	select {
	case stopErr = <-runErr:
	case <-time.After(timeout + 30*time.Second):
		t.Fatalf("Run: still stopping %s after the shutdown began, want it to give up after %s", time.Since(began), timeout)
	}
	if took := time.Since(began); took > timeout+10*time.Second {
		t.Errorf("Run returned %s after the shutdown began, want about %s", took, timeout)
	}
	if !errors.Is(stopErr, ErrShutdownTimeout) || !errors.Is(stopErr, recording.ErrIndexAbandoned) ||
		!strings.Contains(stopErr.Error(), "the recording index") {
		t.Errorf("Run: got %v, want ErrShutdownTimeout naming the recording index", stopErr)
	}
	h.stop()

	// The next start, with the database back, recovers the footage.
	setConnections(true)
	h2 := start(t, harnessOptions{data: h.data, databaseURL: dsn, segmentDuration: time.Minute})
	r2 := h2.recordings(id)
	if len(r2.Spans) == 0 {
		t.Fatal("after the restart: got no footage, want the recovered segment")
	}
	if end := r2.Spans[len(r2.Spans)-1].End; end.Sub(indexed) < 2*time.Second {
		t.Errorf("after the restart: footage ends %s after what was indexed before the database went, want the 4 s written since recovered",
			end.Sub(indexed))
	}
}
