package app

import (
	"fmt"
	"mime"
	"net/url"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/localtime"
)

// TestExportFileName: an export asked for with times at any offset
// (here +01:00, whatever the season) downloads as a file named in London
// time with its offset, from the clip's first frame to its end.
func TestExportFileName(t *testing.T) {
	h := start(t, harnessOptions{})
	id := h.addCamera("Export Name", h.cams.URL(1), nil)
	s := h.awaitFootage(id, 3*time.Second, 40*time.Second).Spans[0].Start
	plusOne := time.FixedZone("", 3600)
	q := fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s&download=1&reason=%s", id,
		url.QueryEscape(s.In(plusOne).Format(time.RFC3339Nano)), url.QueryEscape(s.Add(2*time.Second).In(plusOne).Format(time.RFC3339Nano)), url.QueryEscape("a test"))
	res, b := h.do("GET", q, nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: got %d %s, want 200", q, res.StatusCode, b)
	}
	disp, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" {
		t.Fatalf("Content-Disposition: got %q (%v), want an attachment", res.Header.Get("Content-Disposition"), err)
	}
	start, err1 := time.Parse(time.RFC3339Nano, res.Header.Get("X-Vigil-Start"))
	end, err2 := time.Parse(time.RFC3339Nano, res.Header.Get("X-Vigil-End"))
	if err1 != nil || err2 != nil {
		t.Fatalf("X-Vigil-Start, X-Vigil-End: got %v %v", err1, err2)
	}
	if want := localtime.ExportName(id, start, end, localtime.London()); params["filename"] != want {
		t.Errorf("file name: got %q, want %q", params["filename"], want)
	}
}
