//go:build unix

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// TestBrowserPlaybackGap: in a real Chromium, a Playback tile whose
// cursor is parked inside a recording gap shows no picture (its video
// has no source: never the last frame, nor the next footage's first),
// says from when to when there is no footage and why, and offers the
// next footage, which its button goes to.
func TestBrowserPlaybackGap(t *testing.T) {
	node := testkit.NeedTool(t, "node")
	testkit.NeedFile(t, "/usr/bin/chromium", "Chromium (apt-get install chromium)")
	e2e, err := filepath.Abs(filepath.Join("..", "..", "e2e"))
	mustDo(t, err)
	testkit.NeedFile(t, filepath.Join(e2e, "node_modules", "playwright-core", "package.json"), "playwright-core (npm ci in e2e/)")

	h := start(t, harnessOptions{})
	id := h.addCamera("Gap Lane", h.cams.URL(1), nil)
	s := h.awaitFootage(id, 3*time.Second, 40*time.Second).Spans[0].Start
	outage := segindex.Gap{CameraID: id, Start: s.Add(-10 * time.Minute), End: s, Reason: "camera offline: no route to host"}
	mustDo(t, h.app.Store.AddGap(t.Context(), &outage))
	parked := s.Add(-5 * time.Minute)

	cfg, _ := json.Marshal(map[string]any{"base": h.base, "username": "admin", "password": "correct horse battery staple",
		"camera": id, "t": parked.UnixMilli()})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(e2e, "playback_gap.mjs"), string(cfg))
	cmd.Dir = e2e
	// Its own process group, so a timeout ends node and what it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	type tileJSON struct {
		InGap        bool    `json:"inGap"`
		Src          string  `json:"src"`
		CurrentSrc   string  `json:"currentSrc"`
		ReadyState   int     `json:"readyState"`
		VideoVisible bool    `json:"videoVisible"`
		Msg          string  `json:"msg"`
		Button       string  `json:"button"`
		Instant      float64 `json:"instant"`
	}
	var got struct {
		OK         bool     `json:"ok"`
		Step       string   `json:"step"`
		Error      string   `json:"error"`
		PageErrors []string `json:"pageErrors"`
		Gap        tileJSON `json:"gap"`
		Next       tileJSON `json:"next"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &got); err != nil {
		t.Fatalf("playback_gap.mjs output is not one JSON line (%v, run: %v)\nstdout: %s\nstderr: %s", err, runErr, stdout.String(), stderr.String())
	}
	t.Logf("chromium: %s", bytes.TrimSpace(stdout.Bytes()))
	if runErr != nil || !got.OK {
		t.Fatalf("browser: failed at %q: %s (exit: %v)\nstderr: %s", got.Step, got.Error, runErr, stderr.String())
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("the page threw: %q", got.PageErrors)
	}
	// The page runs in UTC: the times are the gap's, as the clock shows them.
	clock := func(at time.Time) string { return at.UTC().Format("15:04:05.000") }
	g := got.Gap
	switch {
	case !g.InGap || g.Src != "" || g.CurrentSrc != "" || g.ReadyState != 0 || g.VideoVisible:
		t.Errorf("parked in the gap: got %+v, want a tile in the gap with no video source, nothing loaded and the video hidden", g)
	case !strings.HasPrefix(g.Msg, "No footage from ") || !strings.Contains(g.Msg, clock(outage.Start)) || !strings.Contains(g.Msg, " to ") ||
		!strings.Contains(g.Msg, clock(outage.End)) || !strings.Contains(g.Msg, ": "+outage.Reason):
		t.Errorf("the tile's message: got %q, want no footage from %s to %s: %s", g.Msg, clock(outage.Start), clock(outage.End), outage.Reason)
	case g.Button != "Go to next footage":
		t.Errorf("the tile's button: got %q, want \"Go to next footage\"", g.Button)
	case time.UnixMilli(int64(g.Instant)).Sub(parked).Abs() > time.Second:
		t.Errorf("the instant: got %s, want it parked at %s", time.UnixMilli(int64(g.Instant)).UTC(), parked)
	}
	n := got.Next
	if at := time.UnixMilli(int64(n.Instant)); n.InGap || n.Src == "" || n.ReadyState < 2 || !n.VideoVisible || at.Before(s.Add(-time.Second)) || at.After(s.Add(5*time.Second)) {
		t.Errorf("after Go to next footage: got %+v at %s, want the footage from %s playing in the tile", n, at.UTC(), s)
	}
}
