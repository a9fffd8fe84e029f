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

// TestBrowserTimelineGaps: in a real Chromium, the Playback timeline
// draws an outage and the early deletion that touches it as two gaps,
// each with its own tooltip and colour, with a line where they meet.
func TestBrowserTimelineGaps(t *testing.T) {
	node := testkit.NeedTool(t, "node")
	testkit.NeedFile(t, "/usr/bin/chromium", "Chromium (apt-get install chromium)")
	e2e, err := filepath.Abs(filepath.Join("..", "..", "e2e"))
	mustDo(t, err)
	testkit.NeedFile(t, filepath.Join(e2e, "node_modules", "playwright-core", "package.json"), "playwright-core (npm ci in e2e/)")

	h := start(t, harnessOptions{})
	id := h.addCamera("Timeline Lane", h.cams.URL(1), nil)
	s := h.awaitFootage(id, 2*time.Second, 40*time.Second).Spans[0].Start
	outage := segindex.Gap{CameraID: id, Start: s.Add(-10 * time.Minute), End: s.Add(-5 * time.Minute), Reason: "camera offline: no route to host"}
	deletion := segindex.Gap{CameraID: id, Start: s.Add(-5 * time.Minute), End: s, Reason: "deleted early: private garden, by manager"}
	for _, g := range []*segindex.Gap{&outage, &deletion} {
		mustDo(t, h.app.Store.AddGap(t.Context(), g))
	}

	cfg, _ := json.Marshal(map[string]any{"base": h.base, "username": "admin", "password": "correct horse battery staple",
		"camera": id, "t": deletion.Start.UnixMilli()})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(e2e, "timeline_gaps.mjs"), string(cfg))
	cmd.Dir = e2e
	// Its own process group, so a timeout ends node and what it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var got struct {
		OK         bool     `json:"ok"`
		Step       string   `json:"step"`
		Error      string   `json:"error"`
		PageErrors []string `json:"pageErrors"`
		Gaps       []struct {
			Class, Title string
			X, Width     float64
		} `json:"gaps"`
		Edges []float64 `json:"edges"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &got); err != nil {
		t.Fatalf("timeline_gaps.mjs output is not one JSON line (%v, run: %v)\nstdout: %s\nstderr: %s", err, runErr, stdout.String(), stderr.String())
	}
	if runErr != nil || !got.OK {
		t.Fatalf("browser: failed at %q: %s (exit: %v)\nstderr: %s", got.Step, got.Error, runErr, stderr.String())
	}
	if len(got.PageErrors) > 0 {
		t.Errorf("the page threw: %q", got.PageErrors)
	}
	find := func(reason string) int {
		for i, g := range got.Gaps {
			if strings.HasSuffix(g.Title, ": "+reason) {
				return i
			}
		}
		return -1
	}
	o, d := find(outage.Reason), find(deletion.Reason)
	if o < 0 || d < 0 {
		t.Fatalf("timeline gaps: got %+v, want one titled with the outage's reason and one with the deletion's", got.Gaps)
	}
	if got.Gaps[o].Class != "gap" || got.Gaps[d].Class != "gap deleted" {
		t.Errorf("classes: outage %q, deletion %q, want \"gap\" and \"gap deleted\"", got.Gaps[o].Class, got.Gaps[d].Class)
	}
	meet := got.Gaps[o].X + got.Gaps[o].Width
	if off := got.Gaps[d].X - meet; off < -1 || off > 1 {
		t.Errorf("the outage ends at x=%.1f and the deletion starts at x=%.1f, want them touching", meet, got.Gaps[d].X)
	}
	edge := false
	for _, x := range got.Edges {
		edge = edge || (x > meet-1 && x < meet+1)
	}
	if !edge {
		t.Errorf("lines where gaps touch: got %v, want one at x=%.1f", got.Edges, meet)
	}
}
