package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// TestExportGaps: an export tells the truth about gaps. A range with no
// footage is refused with when and why (a 404 whose body lists the
// gaps and their reasons), never a file of a picture from before it; a
// range only partly covered is exported as it exists, and X-Vigil-Gaps
// says what it lacks and why; an export without a reason is refused.
func TestExportGaps(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{})
	id := h.addCamera("Bus Station", h.cams.URL(1), nil)
	r := h.awaitFootage(id, 3*time.Second, 40*time.Second)
	s := r.Spans[0].Start // the camera's first footage
	outage := segindex.Gap{CameraID: id, Start: s.Add(-10 * time.Minute), End: s, Reason: "camera offline: no route to host"}
	mustDo(t, h.app.Store.AddGap(t.Context(), &outage))
	export := func(from, to time.Time, reason string) (*http.Response, []byte) {
		q := url.Values{"start": {from.Format(time.RFC3339Nano)}, "end": {to.Format(time.RFC3339Nano)}, "download": {"1"}}
		if reason != "" {
			q.Set("reason", reason)
		}
		return h.do("GET", fmt.Sprintf("/api/v1/cameras/%d/video.mp4?%s", id, q.Encode()), nil, nil)
	}

	// Inside the outage: refused, saying when and why.
	from, to := s.Add(-8*time.Minute), s.Add(-6*time.Minute)
	res, b := export(from, to, "PC 1234")
	var refused struct {
		Error string
		Gaps  []struct {
			Start, End time.Time
			Reason     string
		}
	}
	if res.StatusCode != http.StatusNotFound || json.Unmarshal(b, &refused) != nil {
		t.Fatalf("exporting a range in the outage: got %d %s %.200q, want a 404 in JSON", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
	want := fmt.Sprintf("no footage from %s to %s: %s", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), outage.Reason)
	if !strings.Contains(refused.Error, want) {
		t.Errorf("the refusal: got %q, want it to say %q", refused.Error, want)
	}
	if len(refused.Gaps) != 1 || !refused.Gaps[0].Start.Equal(from) || !refused.Gaps[0].End.Equal(to) || refused.Gaps[0].Reason != outage.Reason {
		t.Errorf("the refusal's gaps: got %+v, want %s to %s %q", refused.Gaps, from, to, outage.Reason)
	}

	// Without a reason: refused before anything else.
	if res, b := export(s, s.Add(2*time.Second), ""); res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "give the reason for the export") {
		t.Errorf("exporting without a reason: got %d %s, want 400 asking for it", res.StatusCode, b)
	}

	// Half in the outage: what exists, and what is missing with why.
	from, to = s.Add(-2*time.Second), s.Add(2*time.Second)
	res, b = export(from, to, "PC 1234")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "video/mp4" {
		t.Fatalf("exporting a range half in the outage: got %d %.200q, want 200 video/mp4", res.StatusCode, b)
	}
	gotStart, err := time.Parse(time.RFC3339Nano, res.Header.Get("X-Vigil-Start"))
	if err != nil || gotStart.Before(s) {
		t.Errorf("X-Vigil-Start: got %q, want the first footage, %s, or later: nothing from before the gap", res.Header.Get("X-Vigil-Start"), s)
	}
	wantGaps := from.Format(time.RFC3339Nano) + "/" + s.Format(time.RFC3339Nano) + ";reason=" + url.PathEscape(outage.Reason)
	if got := res.Header.Get("X-Vigil-Gaps"); got != wantGaps {
		t.Errorf("X-Vigil-Gaps: got %q, want %q", got, wantGaps)
	}
	path := filepath.Join(t.TempDir(), "export.mp4")
	mustDo(t, os.WriteFile(path, b, 0o600))
	if p := ffprobe(t, path); p.Frames == 0 || p.Duration > 2.5 {
		t.Errorf("the file: got %+v, want the footage from %s to %s, about 2 s", p, s, to)
	}
}
