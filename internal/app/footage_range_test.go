package app

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
)

// TestFootageRangeServed: a range that starts in the future is refused
// for playing and for export, with no video; a range of footage is
// audited as the footage served (the clip's first picture to the end of
// its last), not as the range asked for; and someone who may play back a
// camera but not view it live gets no footage newer than the playback
// delay, whatever range they ask for.
func TestFootageRangeServed(t *testing.T) {
	t.Parallel() // see main_test.go
	const delay = 20 * time.Second
	h := start(t, harnessOptions{playbackDelay: delay})
	ctx := t.Context()
	id := h.addCamera("Bus Station", h.cams.URL(1), nil)
	span := h.awaitFootage(id, 4*time.Second, 40*time.Second).Spans
	first := span[len(span)-1]
	admin, err := h.app.Store.UserByName(ctx, "admin")
	mustDo(t, err)
	officer := h.makeUser("officer", admin.OrganisationID, "a long passphrase for the officer", rights.PartnerOfficer)
	officerToken := tokenFor(t, h.app.Store, officer.ID)

	get := func(token, path string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest("GET", h.base+path, nil)
		mustDo(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := noRedirect.Do(req)
		mustDo(t, err)
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res, b.Bytes()
	}
	newest := func(user int64, action string) store.AuditRecord {
		t.Helper()
		es, err := h.app.Audit.Store().ListAudit(ctx, store.AuditFilter{UserID: user, CameraID: id, Action: action, Limit: 1})
		mustDo(t, err)
		if len(es) == 0 {
			t.Fatalf("no %s audit record of user %d", action, user)
		}
		return es[0]
	}
	videoPath := func(start, end time.Time, extra string) string {
		return fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s%s", id,
			url.QueryEscape(start.Format(time.RFC3339Nano)), url.QueryEscape(end.Format(time.RFC3339Nano)), extra)
	}
	// refused checks an answer carries no video, and that its audit
	// record says so without a range.
	refused := func(t *testing.T, res *http.Response, body []byte, code int, want string, user int64, action string) {
		t.Helper()
		if res.StatusCode != code || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !strings.Contains(string(body), want) {
			t.Errorf("got %d %s %.200q, want %d JSON mentioning %q", res.StatusCode, res.Header.Get("Content-Type"), body, code, want)
		}
		if bytes.Contains(body, []byte("ftyp")) || bytes.Contains(body, []byte("mdat")) {
			t.Errorf("the refusal carries MP4 boxes (%d bytes)", len(body))
		}
		e := newest(user, action)
		if e.RangeStart != nil || e.RangeEnd != nil || !strings.Contains(e.Detail, "nothing served") {
			t.Errorf("the refusal's audit record: got range %v to %v, detail %q, want no range and \"nothing served\"", e.RangeStart, e.RangeEnd, e.Detail)
		}
	}

	t.Run("future", func(t *testing.T) {
		for _, tc := range []struct {
			name, extra, action string
			start, end          time.Duration // from now
		}{
			{"play", "", "footage.play", time.Hour, time.Hour + time.Minute},
			{"export", "&download=1&reason=test", "footage.export", time.Hour, time.Hour + time.Minute},
			{"a second ahead", "", "footage.play", time.Second, time.Minute},
		} {
			t.Run(tc.name, func(t *testing.T) {
				now := time.Now()
				res, body := get(h.token, videoPath(now.Add(tc.start), now.Add(tc.end), tc.extra))
				refused(t, res, body, http.StatusUnprocessableEntity, "in the future", admin.ID, tc.action)
			})
		}
	})

	t.Run("served range audited", func(t *testing.T) {
		// Odd microseconds, so that the range asked for cannot be the
		// footage's own times by chance.
		from, to := first.Start.Add(1234567*time.Microsecond), first.Start.Add(3345678*time.Microsecond)
		res, path := h.video(id, from, to)
		e := newest(admin.ID, "footage.play")
		if e.RangeStart == nil || e.RangeEnd == nil {
			t.Fatalf("audit record %+v has no range", e)
		}
		hs, _ := time.Parse(time.RFC3339Nano, res.Header.Get("X-Vigil-Start"))
		he, _ := time.Parse(time.RFC3339Nano, res.Header.Get("X-Vigil-End"))
		if !e.RangeStart.Equal(hs) || !e.RangeEnd.Equal(he) {
			t.Errorf("audited %s to %s, want the clip's own %s to %s", e.RangeStart, e.RangeEnd, hs, he)
		}
		// The clip starts on the keyframe fragment at or before from,
		// as the store indexes it.
		frags, err := h.app.Store.FragmentsInRange(ctx, id, from, to)
		mustDo(t, err)
		if len(frags) == 0 || !e.RangeStart.Equal(frags[0].Start) || e.RangeStart.After(from) {
			t.Errorf("audited start %s, want the first fragment's %v, at or before %s", e.RangeStart, frags, from)
		}
		if e.RangeEnd.Before(to) {
			t.Errorf("audited end %s, before the range's end %s of closed footage", e.RangeEnd, to)
		}
		p := ffprobe(t, path)
		if d := e.RangeEnd.Sub(*e.RangeStart).Seconds(); math.Abs(p.Duration-d) > 0.05 {
			t.Errorf("the file lasts %.3f s, the audited range %.3f s", p.Duration, d)
		}
	})

	t.Run("no live view by the back door", func(t *testing.T) {
		now := time.Now()
		// Footage of the last moments only: refused.
		res, body := get(officerToken, videoPath(now.Add(-10*time.Second), now, ""))
		refused(t, res, body, http.StatusForbidden, "counts as live video", officer.ID, "footage.play")
		// A range reaching now: sent to one that ends delay ago.
		before := time.Now()
		res, _ = get(officerToken, videoPath(now.Add(-time.Hour), now, ""))
		after := time.Now()
		loc, err := url.Parse(res.Header.Get("Location"))
		mustDo(t, err)
		end, err := time.Parse(time.RFC3339Nano, loc.Query().Get("end"))
		if res.StatusCode != http.StatusTemporaryRedirect || err != nil || end.After(after.Add(-delay)) || end.Before(before.Add(-delay-time.Millisecond)) {
			t.Errorf("officer asking up to now: got %d to %s, want 307 to an end %s before the request", res.StatusCode, loc, delay)
		}
		// Whoever may view live plays the last moments.
		res, body = get(h.token, videoPath(now.Add(-10*time.Second), now, ""))
		if res.StatusCode != http.StatusTemporaryRedirect && res.StatusCode != http.StatusOK {
			t.Errorf("a CCTV manager asking for the last 10 s: got %d %s, want the footage (307 to its fixed end, or 200)", res.StatusCode, body)
		}
	})
}
