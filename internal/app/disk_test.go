//go:build linux

package app

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDiskFull records onto a small file system until it is full: the
// write fails, the half-written fragment is cut off, the failure shows in
// the API, the server stays up, and everything on the disk still decodes
// and agrees with the index.
func TestDiskFull(t *testing.T) {
	t.Parallel() // see main_test.go
	dir := filepath.Join(t.TempDir(), "small-disk")
	os.MkdirAll(dir, 0o750)
	// A 3 MiB file system of our own; needs root (CI runs as root).
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=3m"); err != nil {
		t.Skipf("skipping: cannot mount a small file system to fill (%v); needs root", err)
	}
	h := start(t, harnessOptions{storage: dir, bitrate: 4_000_000})
	// Unmount after the server has stopped (cleanups run last first).
	t.Cleanup(func() {
		h.stop()
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	id := h.addCamera("Full disk", h.cams.URL(1), nil)
	deadline := time.Now().Add(60 * time.Second)
	var rec map[string]any
	for {
		st := h.status(id)
		rec, _ = st["recording"].(map[string]any)
		if rec != nil && rec["write_errors"].(float64) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write errors within a minute on a 3 MiB disk: %v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The kind for everyone; the failure itself for the harness's user,
	// who manages the camera.
	if e, _ := rec["last_error"].(string); e != "storage full" {
		t.Errorf("last_error %q, want \"storage full\"", e)
	}
	if e, _ := rec["last_error_detail"].(string); !strings.Contains(e, "no space left") {
		t.Errorf("last_error_detail %q, want it to say the disk is full", e)
	}
	res, _ := h.do("GET", "/healthz", nil, nil)
	if res.StatusCode != 200 {
		t.Errorf("healthz got %d with a full disk, want 200", res.StatusCode)
	}
	h.app.Flush(t.Context())
	checkIndexMatchesFiles(t, h.app.Store, id, h.root)
	r := h.recordings(id)
	if len(r.Spans) == 0 {
		t.Fatal("no footage indexed before the disk filled")
	}
	// The footage written before the disk filled plays.
	_, path := h.video(id, r.Spans[0].Start, r.Spans[0].End)
	if p := ffprobe(t, path); p.Frames < 25 {
		t.Errorf("got %d frames, want the footage before the disk filled", p.Frames)
	}
}
