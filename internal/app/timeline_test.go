package app

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// TestRecordingsGapReasons: the recordings listing (the console's
// timeline) splits a hole where recorded gaps meet, each part with its
// own reason and times: an outage followed by an early deletion is two
// gaps, and the time before them that no gap explains is a third.
func TestRecordingsGapReasons(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{})
	id := h.addCamera("Bus Station", h.cams.URL(1), nil)
	r := h.awaitFootage(id, 2*time.Second, 40*time.Second)
	s := r.Spans[0].Start // the camera's first footage
	outage := segindex.Gap{CameraID: id, Start: s.Add(-10 * time.Minute), End: s.Add(-5 * time.Minute), Reason: "camera offline: no route to host"}
	deletion := segindex.Gap{CameraID: id, Start: s.Add(-5 * time.Minute), End: s, Reason: "deleted early: private garden, by manager"}
	for _, g := range []*segindex.Gap{&outage, &deletion} {
		mustDo(t, h.app.Store.AddGap(t.Context(), g))
	}
	from := s.Add(-15 * time.Minute)
	res, b := h.do("GET", fmt.Sprintf("/api/v1/cameras/%d/recordings?start=%s&end=%s", id,
		url.QueryEscape(from.Format(time.RFC3339Nano)), url.QueryEscape(s.Add(time.Second).Format(time.RFC3339Nano))), nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("recordings: got %d %s", res.StatusCode, b)
	}
	var got recordingsJSON
	mustDo(t, json.Unmarshal(b, &got))
	want := []struct {
		start, end time.Time
		reason     string
	}{
		{from, outage.Start, "no footage recorded"},
		{outage.Start, outage.End, outage.Reason},
		{deletion.Start, deletion.End, deletion.Reason},
	}
	if len(got.Gaps) != len(want) {
		t.Fatalf("gaps: got %+v, want %d: %s to %s unexplained, %s to %s %q, %s to %s %q", got.Gaps, len(want),
			from, outage.Start, outage.Start, outage.End, outage.Reason, deletion.Start, deletion.End, deletion.Reason)
	}
	for i, w := range want {
		if g := got.Gaps[i]; !g.Start.Equal(w.start) || !g.End.Equal(w.end) || g.Reason != w.reason {
			t.Errorf("gap %d: got %s to %s %q, want %s to %s %q", i, g.Start, g.End, g.Reason, w.start, w.end, w.reason)
		}
	}
}
