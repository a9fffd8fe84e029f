package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/store"
)

func TestFootageHTTP(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{})
	id := h.addCamera("Bus Station", h.cams.URL(1), nil)
	r := h.awaitFootage(id, 6*time.Second, 40*time.Second)
	span := r.Spans[len(r.Spans)-1]
	from, to := span.Start.Add(time.Second), span.Start.Add(5*time.Second)
	q := fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s", id, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))

	full, body := h.do("GET", q, nil, nil)
	if full.StatusCode != 200 {
		t.Fatalf("got %d, want 200", full.StatusCode)
	}
	if got := full.Header.Get("Content-Length"); got != fmt.Sprint(len(body)) {
		t.Errorf("Content-Length got %s, want %d", got, len(body))
	}
	if full.Header.Get("Accept-Ranges") != "bytes" || full.Header.Get("Content-Type") != "video/mp4" {
		t.Errorf("headers got %v, want Accept-Ranges bytes and video/mp4", full.Header)
	}
	etag := full.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	t.Run("range", func(t *testing.T) {
		res, part := h.do("GET", q, nil, map[string]string{"Range": "bytes=1000-4999"})
		if res.StatusCode != http.StatusPartialContent {
			t.Fatalf("got %d, want 206", res.StatusCode)
		}
		if !bytes.Equal(part, body[1000:5000]) {
			t.Error("the range's bytes differ from the same bytes of the whole file")
		}
		if got, want := res.Header.Get("Content-Range"), fmt.Sprintf("bytes 1000-4999/%d", len(body)); got != want {
			t.Errorf("Content-Range got %q, want %q", got, want)
		}
		res, tail := h.do("GET", q, nil, map[string]string{"Range": "bytes=-100"})
		if res.StatusCode != 206 || !bytes.Equal(tail, body[len(body)-100:]) {
			t.Errorf("suffix range: got %d and %d bytes, want 206 and the last 100", res.StatusCode, len(tail))
		}
	})
	t.Run("etag", func(t *testing.T) {
		res, _ := h.do("GET", q, nil, map[string]string{"If-None-Match": etag})
		if res.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match: got %d, want 304", res.StatusCode)
		}
		res, _ = h.do("GET", q, nil, nil)
		if res.Header.Get("ETag") != etag {
			t.Errorf("ETag changed for the same closed range: %s then %s", etag, res.Header.Get("ETag"))
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			path string
			code int
			want string
		}{
			{fmt.Sprintf("/api/v1/cameras/%d/video.mp4", id), 400, "start and end"},
			{fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=yesterday&end=now", id), 400, "RFC 3339"},
			{fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s", id, to.Format(time.RFC3339), from.Format(time.RFC3339)), 400, "after start"},
			{"/api/v1/cameras/999/video.mp4?start=2026-01-01T00:00:00Z&end=2026-01-01T00:01:00Z", 404, "no camera 999"},
			{"/api/v1/cameras/abc", 400, "positive whole number"},
			{fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=2001-01-01T00:00:00Z&end=2001-01-01T00:01:00Z", id), 404, "no footage"},
			{"/api/v1/nothing", 404, "no such"},
		} {
			res, b := h.do("GET", tc.path, nil, nil)
			if res.StatusCode != tc.code || !strings.Contains(string(b), tc.want) || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Errorf("GET %s: got %d %s, want %d JSON mentioning %q", tc.path, res.StatusCode, b, tc.code, tc.want)
			}
		}
		for _, tc := range []struct {
			body any
			want string
		}{
			{map[string]any{"name": "x"}, "name and url are required"},
			{map[string]any{"name": "x", "url": "http://example.org/"}, "rtsp://"},
			{map[string]any{"name": "x", "url": "rtsp://10.0.0.1/", "transport": "carrier pigeon"}, "transport"},
			{map[string]any{"name": "x", "url": "rtsp://10.0.0.1/", "colour": "red"}, "unknown field"},
			{map[string]any{"name": "", "url": "rtsp://10.0.0.1/"}, "name must be"},
		} {
			res, b := h.do("POST", "/api/v1/cameras", tc.body, nil)
			if res.StatusCode != 400 || !strings.Contains(string(b), tc.want) {
				t.Errorf("POST %v: got %d %s, want 400 mentioning %q", tc.body, res.StatusCode, b, tc.want)
			}
		}
	})
	t.Run("range reaching now", func(t *testing.T) {
		// A range ending now is sent to the URL of the footage there is,
		// so its bytes stay the same while recording goes on.
		now := time.Now().UTC()
		live := fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s", id, now.Add(-4*time.Second).Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
		res1, b1 := h.do("GET", live, nil, nil)
		if res1.StatusCode != 200 || res1.Request.URL.Query().Get("end") == now.Format(time.RFC3339Nano) {
			t.Fatalf("got %d at %s, want 200 after a redirect to a fixed end", res1.StatusCode, res1.Request.URL)
		}
		fixed := res1.Request.URL.RequestURI()
		// Await footage recorded after the first answer.
		for deadline := time.Now().Add(20 * time.Second); ; {
			h.app.Flush(context.Background())
			r := h.recordings(id)
			if r.Spans[len(r.Spans)-1].End.After(now.Add(2 * time.Second)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no footage recorded after the first answer")
			}
			time.Sleep(100 * time.Millisecond)
		}
		res2, b2 := h.do("GET", fixed, nil, nil)
		if res2.Header.Get("ETag") != res1.Header.Get("ETag") || !bytes.Equal(b1, b2) {
			t.Errorf("the fixed URL %s changed while recording went on: ETag %s then %s", fixed, res1.Header.Get("ETag"), res2.Header.Get("ETag"))
		}
		if res, _ := h.do("GET", q, nil, nil); res.Request.URL.RequestURI() != q {
			t.Errorf("a range in the past was redirected to %s", res.Request.URL)
		}
	})
	t.Run("unauthenticated", func(t *testing.T) {
		for _, tok := range []string{"", "vgl_not-a-real-token"} {
			req, _ := http.NewRequest("GET", h.base+q, nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("token %q: got %d, want 401", tok, res.StatusCode)
			}
		}
	})
	t.Run("audit", func(t *testing.T) {
		entries, err := h.app.Audit.Store().ListAudit(t.Context(), store.AuditFilter{CameraID: id, Action: "footage.play", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		// One play, one record: the full file, its two ranges and the two
		// ETag requests are one person seeing one clip moments apart; the
		// "no footage" one is another.
		if len(entries) < 2 {
			t.Fatalf("got %d audit entries for footage, want at least 2", len(entries))
		}
		// The oldest is the full file's, and holds the footage it
		// served: from its first picture, not the start asked for.
		e := entries[len(entries)-1]
		served := full.Header.Get("X-Vigil-Start")
		if e.Username != "admin" || e.RangeStart == nil || e.RangeStart.Format(time.RFC3339Nano) != served || e.RangeEnd == nil {
			t.Errorf("oldest entry got %+v, want admin's file of footage from %s", e, served)
		}
		n := 0
		for _, x := range entries {
			if x.RangeStart != nil && x.RangeStart.Format(time.RFC3339Nano) == served && x.RangeEnd.Format(time.RFC3339Nano) == full.Header.Get("X-Vigil-End") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("got %d records of the clip served five times in a row, want 1", n)
		}
	})
	t.Run("credentials never returned", func(t *testing.T) {
		id2 := h.addCamera("Secret Camera", "rtsp://operator:s3cret-pass@127.0.0.1:1/x", nil)
		_, b := h.do("GET", fmt.Sprintf("/api/v1/cameras/%d", id2), nil, nil)
		if bytes.Contains(b, []byte("s3cret")) || !bytes.Contains(b, []byte(`"has_credentials": true`)) {
			t.Errorf("camera JSON got %s, want credentials flagged and never shown", b)
		}
		c, _ := h.app.Store.Camera(t.Context(), id2)
		if bytes.Contains(c.Credentials, []byte("s3cret")) || strings.Contains(c.URL, "s3cret") {
			t.Error("credentials are stored in clear")
		}
		res, _ := h.do("DELETE", fmt.Sprintf("/api/v1/cameras/%d", id2), nil, nil)
		if res.StatusCode != 204 {
			t.Errorf("DELETE got %d, want 204", res.StatusCode)
		}
		res, _ = h.do("GET", fmt.Sprintf("/api/v1/cameras/%d", id2), nil, nil)
		if res.StatusCode != 404 {
			t.Errorf("GET after DELETE got %d, want 404", res.StatusCode)
		}
	})
}
