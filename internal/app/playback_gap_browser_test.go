//go:build unix

package app

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// TestBrowserPlaybackGap: in a real Chromium, a Playback tile whose
// cursor is parked inside a recording gap shows no picture (its video
// has no source: never the last frame, nor the next footage's first),
// says from when to when there is no footage and why, and offers the
// next footage, which its button goes to.
func TestBrowserPlaybackGap(t *testing.T) {
	node, e2e := needBrowser(t)

	h := start(t, harnessOptions{})
	id := h.addCamera("Gap Lane", h.cams.URL(1), nil)
	s := h.awaitFootage(id, 3*time.Second, 40*time.Second).Spans[0].Start
	outage := segindex.Gap{CameraID: id, Start: s.Add(-10 * time.Minute), End: s, Reason: "camera offline: no route to host"}
	mustDo(t, h.app.Store.AddGap(t.Context(), &outage))
	parked := s.Add(-5 * time.Minute)

	cfg := map[string]any{"base": h.base, "username": "admin", "password": "correct horse battery staple",
		"camera": id, "t": parked.UnixMilli()}
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
		scriptResult
		Gap  tileJSON `json:"gap"`
		Next tileJSON `json:"next"`
	}
	runScript(t, node, e2e, "playback_gap.mjs", cfg, &got)
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
