package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// closedSegments waits until a camera has n closed segments and returns
// them, oldest first.
func (f *rightsFixture) closedSegments(cam int64, n int) []segindex.Segment {
	f.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		mustDo(f.t, f.h.app.Flush(f.t.Context()))
		segs, err := f.st.SegmentsInRange(f.t.Context(), cam, time.Unix(0, 0), time.Now().Add(time.Hour))
		mustDo(f.t, err)
		var closed []segindex.Segment
		for _, s := range segs {
			if !s.Open {
				closed = append(closed, s)
			}
		}
		if len(closed) >= n {
			return closed
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("camera %d: %d closed segments after 60 s, want %d", cam, len(closed), n)
		}
		time.Sleep(200 * time.Millisecond) // polling: the recorder announces no closed segment
	}
}

type deletionAnswer struct {
	Segments int
	Deleted  *struct{ Start, End time.Time }
	Kept     []struct {
		Start, End time.Time
		Why        string
	}
	// As a pending or decided request:
	ID        int64
	Kind      string
	State     string
	Note      string
	Summary   string
	CanDecide bool `json:"can_decide"`
}

func deletionBody(start, end time.Time, reason string) map[string]any {
	return map[string]any{"start": start, "end": end, "reason": reason}
}

// TestEarlyDeletion deletes footage before its retention ends, on SQLite
// and PostgreSQL: at once where no four-eyes policy applies, after a
// second person's approval where one does; never footage under a hold.
func TestEarlyDeletion(t *testing.T) {
	t.Parallel() // see main_test.go
	t.Run("sqlite", func(t *testing.T) { testEarlyDeletion(t, newRightsFixtureOn(t, false)) })
	if testkit.PostgresURL() != "" {
		t.Run("postgres", func(t *testing.T) { testEarlyDeletion(t, newRightsFixtureOn(t, true)) })
	}
}

func testEarlyDeletion(t *testing.T, f *rightsFixture) {
	ctx := t.Context()
	segsA := f.closedSegments(f.camA, 5)
	segsB := f.closedSegments(f.camB, 3)
	path := func(cam int64) string { return fmt.Sprintf("/api/v1/cameras/%d/deletions", cam) }
	admin := f.user(rights.Administrator)
	manager := f.user(rights.CCTVManager)

	t.Run("bad requests", func(t *testing.T) {
		b1 := segsB[0]
		for _, tt := range []struct {
			name string
			body any
			want string
		}{
			{"no reason", deletionBody(b1.Start, b1.End, " "), "reason"},
			{"end before start", deletionBody(b1.End, b1.Start, "x"), "end after the start"},
			{"empty range", deletionBody(b1.Start, b1.Start, "x"), "end after the start"},
			{"no range", map[string]any{"reason": "x"}, "give start and end"},
			{"not yet recorded", deletionBody(b1.Start, time.Now().Add(time.Hour), "x"), "must have ended"},
			{"over 31 days", deletionBody(b1.End.Add(-32*24*time.Hour), b1.End, "x"), "31 days"},
			{"reason too long", deletionBody(b1.Start, b1.End, strings.Repeat("x", 201)), "reason"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res, b := f.send(f.h.token, call{method: "POST", path: path(f.camB), body: tt.body})
				if res.StatusCode != 400 || !strings.Contains(string(b), tt.want) {
					t.Errorf("got %d %s, want 400 mentioning %q", res.StatusCode, b, tt.want)
				}
			})
		}
		if _, err := f.st.Segment(ctx, b1.ID); err != nil {
			t.Errorf("segment %d after the refusals: %v, want it kept", b1.ID, err)
		}
	})

	t.Run("evidence hold", func(t *testing.T) {
		b3 := segsB[2]
		hold := segindex.Hold{CameraID: f.camB, Start: b3.Start.Add(time.Second), End: b3.Start.Add(2 * time.Second), Reason: "crime 7/2026", CreatedBy: admin.id}
		mustDo(t, f.st.AddHold(ctx, &hold))
		res, b := f.send(f.h.token, call{method: "POST", path: path(f.camB), body: deletionBody(b3.Start, b3.End, "mistake")})
		if res.StatusCode != http.StatusConflict || !strings.Contains(string(b), fmt.Sprintf("evidence hold %d", hold.ID)) || !strings.Contains(string(b), "crime 7/2026") {
			t.Errorf("deleting held footage: got %d %s, want 409 naming hold %d", res.StatusCode, b, hold.ID)
		}
		if _, err := f.st.Segment(ctx, b3.ID); err != nil {
			t.Errorf("held segment %d: %v, want it kept", b3.ID, err)
		}
	})

	// Camera B's council asks no approval for deletions: the
	// partnership's manager deletes at once. The range starts inside
	// b1, so b1 stays, and ends with b2, which goes.
	t.Run("without a policy", func(t *testing.T) {
		b1, b2 := segsB[0], segsB[1]
		const reason = "erasure request DSR-12"
		// The console's confirmation: what would go, nothing gone.
		res, b := f.send(f.h.token, call{method: "POST", path: path(f.camB), body: map[string]any{
			"start": b1.Start.Add(time.Second), "end": b2.End, "dry_run": true}})
		if res.StatusCode != 200 || !strings.Contains(string(b), `"dry_run": true`) || !strings.Contains(string(b), `"segments": 1`) || strings.Contains(string(b), "needs_approval") {
			t.Errorf("dry run: got %d %s, want 200, one segment, no approval needed", res.StatusCode, b)
		}
		if _, err := f.st.Segment(ctx, b2.ID); err != nil {
			t.Fatalf("segment %d after the dry run: %v, want it kept", b2.ID, err)
		}
		res, b = f.send(f.h.token, call{method: "POST", path: path(f.camB), body: deletionBody(b1.Start.Add(time.Second), b2.End, reason)})
		if res.StatusCode != 200 {
			t.Fatalf("deleting: got %d %s, want 200", res.StatusCode, b)
		}
		var out deletionAnswer
		mustDo(t, json.Unmarshal(b, &out))
		if out.Segments != 1 || out.Deleted == nil || !out.Deleted.Start.Equal(b2.Start) || !out.Deleted.End.Equal(b2.End) {
			t.Errorf("answer: got %s, want segment %d (%s to %s) deleted", b, b2.ID, b2.Start, b2.End)
		}
		if len(out.Kept) != 1 || !out.Kept[0].Start.Equal(b1.Start.Add(time.Second)) || !out.Kept[0].End.Equal(b1.End) || !strings.Contains(out.Kept[0].Why, "whole files") {
			t.Errorf("kept: got %+v, want the part of segment %d inside the range, saying why", out.Kept, b1.ID)
		}
		assertErased(t, f, b2, "deleted early: "+reason+", by admin")
		assertPlays(t, f, f.camB, b1)
		es, err := f.trail.ListAudit(ctx, store.AuditFilter{Action: "footage.deleted", CameraID: f.camB})
		mustDo(t, err)
		if len(es) != 1 || es[0].Username != "admin" || es[0].Reason != reason || es[0].RangeStart == nil || !es[0].RangeEnd.Equal(b2.End) ||
			!strings.Contains(es[0].Detail, "1 segment(s)") {
			t.Errorf("footage.deleted audit: got %+v, want one by admin with the range, the reason and what went", es)
		}
		ds, err := f.st.ListDeletions(ctx, f.camB, 10)
		mustDo(t, err)
		if len(ds) != 1 || ds[0].SegmentID != b2.ID || !strings.Contains(ds[0].Reason, reason) {
			t.Errorf("deletion log: got %+v, want segment %d with the reason", ds, b2.ID)
		}
	})

	// Council A asks a second person for deletions.
	t.Run("four eyes", func(t *testing.T) {
		res, b := f.send(admin.token, call{method: "PUT", path: fmt.Sprintf("/api/v1/organisations/%d/four-eyes", f.orgA),
			body: map[string]any{"actions": []string{"export", "delete_footage"}}})
		if res.StatusCode != 200 {
			t.Fatalf("asking four eyes for deletions: got %d %s, want 200", res.StatusCode, b)
		}
		a1, a2, a3, a4 := segsA[0], segsA[1], segsA[2], segsA[3]
		ask := func(u *roleUser, s segindex.Segment, reason string) deletionAnswer {
			t.Helper()
			res, b := f.send(u.token, call{method: "POST", path: path(f.camA), body: deletionBody(s.Start, s.End, reason)})
			var out deletionAnswer
			mustDo(t, json.Unmarshal(b, &out))
			if res.StatusCode != http.StatusAccepted || out.State != "pending" || out.Kind != "delete_footage" || out.CanDecide {
				t.Fatalf("asking to delete segment %d: got %d %s, want 202, a pending delete_footage request not the requester's to decide", s.ID, res.StatusCode, b)
			}
			return out
		}
		res, b = f.send(manager.token, call{method: "POST", path: path(f.camA), body: map[string]any{"start": a2.Start, "end": a2.End, "dry_run": true}})
		if res.StatusCode != 200 || !strings.Contains(string(b), `"needs_approval": true`) {
			t.Errorf("dry run under four eyes: got %d %s, want 200 saying it needs approval", res.StatusCode, b)
		}
		byManager := ask(manager, a2, "camera saw into a garden")
		byAdmin := ask(admin, a3, "erasure request DSR-13")
		late := ask(manager, a4, "erasure request DSR-14")
		if !strings.Contains(byManager.Summary, "Camera A") || !strings.Contains(byManager.Summary, "1 segment(s)") {
			t.Errorf("summary: got %q, want the camera and what will go", byManager.Summary)
		}
		if _, err := f.st.Segment(ctx, a2.ID); err != nil {
			t.Errorf("segment %d while its deletion waits: %v, want it kept", a2.ID, err)
		}
		approve := func(id int64) string { return fmt.Sprintf("/api/v1/approvals/%d/approve", id) }
		for _, tt := range []struct {
			who  string
			u    *roleUser
			req  int64
			code int
		}{
			{"the requesting manager", manager, byManager.ID, 403},
			{"the requesting administrator", admin, byAdmin.ID, 403},
			{"an operator, who does not manage cameras", f.user(rights.Operator), byManager.ID, 404},
			{"a supervisor, who does not manage cameras", f.user(rights.Supervisor), byManager.ID, 404},
			{"Council B's supervisor", &roleUser{token: f.tokenB}, byManager.ID, 404},
		} {
			if res, b := f.send(tt.u.token, call{method: "POST", path: approve(tt.req)}); res.StatusCode != tt.code {
				t.Errorf("%s approving: got %d %s, want %d", tt.who, res.StatusCode, b, tt.code)
			}
		}
		// A hold placed while a request waits wins over its approval.
		hold := segindex.Hold{CameraID: f.camA, Start: a4.Start, End: a4.End, Reason: "crime 8/2026", CreatedBy: admin.id}
		mustDo(t, f.st.AddHold(ctx, &hold))

		for _, tt := range []struct {
			name  string
			u     *roleUser
			req   int64
			state string
			note  string
		}{
			{"an administrator approves the manager's", admin, byManager.ID, "applied", "deleted 1 segment(s)"},
			{"the manager approves the administrator's", manager, byAdmin.ID, "applied", "deleted 1 segment(s)"},
			{"approved after a hold", admin, late.ID, "failed", fmt.Sprintf("evidence hold %d", hold.ID)},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res, b := f.send(tt.u.token, call{method: "POST", path: approve(tt.req), body: map[string]any{"note": "checked"}})
				var out deletionAnswer
				mustDo(t, json.Unmarshal(b, &out))
				if res.StatusCode != 200 || out.State != tt.state || !strings.Contains(out.Note, tt.note) {
					t.Errorf("got %d %s, want 200, %s, a note mentioning %q", res.StatusCode, b, tt.state, tt.note)
				}
				res, b = f.send(manager.token, call{method: "GET", path: fmt.Sprintf("/api/v1/approvals/%d", tt.req)})
				mustDo(t, json.Unmarshal(b, &out))
				if res.StatusCode != 200 || out.State != tt.state {
					t.Errorf("the request read back: got %d %s, want %s", res.StatusCode, b, tt.state)
				}
			})
		}
		assertErased(t, f, a2, fmt.Sprintf("deleted early: camera saw into a garden, request %d of %s approved by %s", byManager.ID, "a-cctv_manager", "a-administrator"))
		assertErased(t, f, a3, fmt.Sprintf("deleted early: erasure request DSR-13, request %d of %s approved by %s", byAdmin.ID, "a-administrator", "a-cctv_manager"))
		if _, err := f.st.Segment(ctx, a4.ID); err != nil {
			t.Errorf("held segment %d after its approval: %v, want it kept", a4.ID, err)
		}
		assertPlays(t, f, f.camA, a1)
		es, err := f.trail.ListAudit(ctx, store.AuditFilter{Action: "footage.deleted", CameraID: f.camA})
		mustDo(t, err)
		want := map[int64]string{ // approver: what the record names
			admin.id:   fmt.Sprintf("approval: request %d of user %d, approved by user %d", byManager.ID, manager.id, admin.id),
			manager.id: fmt.Sprintf("approval: request %d of user %d, approved by user %d", byAdmin.ID, admin.id, manager.id),
		}
		if len(es) != 2 {
			t.Fatalf("footage.deleted audit of camera A: got %+v, want two, one per approved deletion", es)
		}
		for _, e := range es {
			if w, ok := want[e.UserID]; !ok || !strings.Contains(e.Detail, w) || e.Reason == "" || e.RangeStart == nil {
				t.Errorf("footage.deleted audit: got %+v, want the approver's, naming %q, with the reason and range", e, w)
			}
		}
	})
}

// assertErased checks that a segment's row, fragments and file are gone
// and that playback's timeline gives the reason for the hole.
func assertErased(t *testing.T, f *rightsFixture, s segindex.Segment, reason string) {
	t.Helper()
	if _, err := f.st.Segment(t.Context(), s.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("segment %d: got %v, want ErrNotFound", s.ID, err)
	}
	if frags, err := f.st.SegmentFragments(t.Context(), s.ID); err != nil || len(frags) != 0 {
		t.Errorf("fragments of segment %d: got %d (%v), want none", s.ID, len(frags), err)
	}
	if _, err := os.Stat(filepath.Join(f.h.root, s.Path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file of segment %d: got %v, want it gone", s.ID, err)
	}
	gaps, err := f.st.GapsInRange(t.Context(), s.CameraID, s.Start, s.End)
	mustDo(t, err)
	if len(gaps) != 1 || !gaps[0].Start.Equal(s.Start) || !gaps[0].End.Equal(s.End) || gaps[0].Reason != reason {
		t.Errorf("gaps over segment %d: got %+v, want one over it with reason %q", s.ID, gaps, reason)
	}
	// Playback's timeline shows a hole there, and why (its own
	// deletion's reason, where neighbours went too).
	res, b := f.send(f.h.token, call{method: "GET", path: fmt.Sprintf("/api/v1/cameras/%d/recordings?start=%s&end=%s", s.CameraID,
		s.Start.Add(-time.Minute).Format(time.RFC3339Nano), s.End.Add(time.Minute).Format(time.RFC3339Nano))})
	var r recordingsJSON
	mustDo(t, json.Unmarshal(b, &r))
	found := false
	for _, g := range r.Gaps {
		if !g.Start.After(s.Start.Add(joinSlack)) && !g.End.Before(s.End.Add(-joinSlack)) && strings.HasPrefix(g.Reason, "deleted early: ") {
			found = true
		}
	}
	if res.StatusCode != 200 || !found {
		t.Errorf("recordings around segment %d: got %d %s, want a hole over it, deleted early", s.ID, res.StatusCode, b)
	}
}

// joinSlack is how far playback may join spans across a hole.
const joinSlack = 250 * time.Millisecond

// assertPlays checks that footage left in place still plays and decodes.
func assertPlays(t *testing.T, f *rightsFixture, cam int64, s segindex.Segment) {
	t.Helper()
	res, b := f.send(f.h.token, call{method: "GET", path: fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s", cam,
		s.Start.Format(time.RFC3339Nano), s.End.Format(time.RFC3339Nano))})
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "video/mp4" {
		t.Fatalf("playing segment %d: got %d %s, want 200 video/mp4", s.ID, res.StatusCode, b)
	}
	p := filepath.Join(t.TempDir(), "kept.mp4")
	mustDo(t, os.WriteFile(p, b, 0o600))
	if pr := ffprobe(t, p); pr.Frames < 25 {
		t.Errorf("the kept footage decodes to %d frames, want at least a second's", pr.Frames)
	}
}
