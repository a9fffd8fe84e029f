//go:build unix

package app

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// TestBrowserTimelineGaps: in a real Chromium, the Playback timeline
// draws an outage and the early deletion that touches it as two gaps,
// each with its own tooltip and colour, with a line where they meet.
func TestBrowserTimelineGaps(t *testing.T) {
	node, e2e := needBrowser(t)

	h := start(t, harnessOptions{})
	id := h.addCamera("Timeline Lane", h.cams.URL(1), nil)
	s := h.awaitFootage(id, 2*time.Second, 40*time.Second).Spans[0].Start
	outage := segindex.Gap{CameraID: id, Start: s.Add(-10 * time.Minute), End: s.Add(-5 * time.Minute), Reason: "camera offline: no route to host"}
	deletion := segindex.Gap{CameraID: id, Start: s.Add(-5 * time.Minute), End: s, Reason: "deleted early: private garden, by manager"}
	for _, g := range []*segindex.Gap{&outage, &deletion} {
		mustDo(t, h.app.Store.AddGap(t.Context(), g))
	}

	cfg := map[string]any{"base": h.base, "username": "admin", "password": "correct horse battery staple",
		"camera": id, "t": deletion.Start.UnixMilli()}
	var got struct {
		scriptResult
		Gaps []struct {
			Class, Title string
			X, Width     float64
		} `json:"gaps"`
		Edges []float64 `json:"edges"`
	}
	runScript(t, node, e2e, "timeline_gaps.mjs", cfg, &got)
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
