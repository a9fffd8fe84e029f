package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// TestFourEyesFollowsTheCamera is issue 10's attack on four eyes by
// moving a camera, on SQLite and PostgreSQL. Council A asks a second
// person for exports and early deletions, not for changes of rights;
// Council B asks nothing. A manager of both moves A's camera to B, to
// export and delete at once: the move itself now waits for a second
// person, because A has a four-eyes policy; and once a second person has
// let it go, footage recorded while A owned it is still exported and
// deleted only with approval, as A's policy says.
func TestFourEyesFollowsTheCamera(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testFourEyesFollowsTheCamera(t, newRightsFixtureOn(t, false)) })
	if testkit.PostgresURL() != "" {
		t.Run("postgres", func(t *testing.T) { testFourEyesFollowsTheCamera(t, newRightsFixtureOn(t, true)) })
	}
}

func testFourEyesFollowsTheCamera(t *testing.T, f *rightsFixture) {
	ctx := t.Context()
	mk := func(org int64, role rights.Role) *roleUser {
		id := f.newUser(org, string(role))
		return &roleUser{role: role, id: id, token: tokenFor(t, f.st, id)}
	}
	manager, manager2 := mk(f.partnership, rights.CCTVManager), mk(f.partnership, rights.CCTVManager)
	admin := mk(f.partnership, rights.Administrator)
	policy := func(org int64, actions ...string) {
		t.Helper()
		if res, b := f.send(admin.token, call{method: "PUT", path: fmt.Sprintf("/api/v1/organisations/%d/four-eyes", org),
			body: map[string]any{"actions": append([]string{}, actions...)}}); res.StatusCode != 200 {
			t.Fatalf("four eyes %v on %d: got %d %s, want 200", actions, org, res.StatusCode, b)
		}
	}
	policy(f.orgA, "export", "delete_footage")
	policy(f.orgB)
	// Footage recorded while A owns the camera.
	seg := f.closedSegments(f.camA, 2)[1]
	camPath := fmt.Sprintf("/api/v1/cameras/%d", f.camA)

	// The move to the lax council waits for a second person.
	res, b := f.send(manager.token, call{method: "PATCH", path: camPath, body: map[string]any{"organisation_id": f.orgB}})
	if res.StatusCode != http.StatusAccepted || !strings.Contains(string(b), `"state": "pending"`) {
		t.Fatalf("moving A's camera to the lax council: got %d %s, want 202 waiting for approval", res.StatusCode, b)
	}
	var ap struct{ ID int64 }
	mustDo(t, json.Unmarshal(b, &ap))
	if c, _ := f.st.Camera(ctx, f.camA); c.OrganisationID != f.orgA {
		t.Fatalf("owner while the move waits: got %d, want A (%d)", c.OrganisationID, f.orgA)
	}
	// So does a move the other way, into a council with a policy.
	spare := f.spareCamera(false)
	if res, b := f.send(manager.token, call{method: "PATCH", path: fmt.Sprintf("/api/v1/cameras/%d", spare), body: map[string]any{"organisation_id": f.orgA}}); res.StatusCode != http.StatusAccepted {
		t.Errorf("moving B's camera into A, which asks four eyes for exports: got %d %s, want 202", res.StatusCode, b)
	}
	if res, b := f.send(manager.token, call{method: "POST", path: fmt.Sprintf("/api/v1/approvals/%d/approve", ap.ID)}); res.StatusCode != 403 {
		t.Errorf("the mover approving their own move: got %d %s, want 403", res.StatusCode, b)
	}
	res, b = f.send(manager2.token, call{method: "POST", path: fmt.Sprintf("/api/v1/approvals/%d/approve", ap.ID)})
	if res.StatusCode != 200 || !strings.Contains(string(b), `"state": "applied"`) {
		t.Fatalf("a second manager approving the move: got %d %s, want 200 applied", res.StatusCode, b)
	}
	if c, _ := f.st.Camera(ctx, f.camA); c.OrganisationID != f.orgB {
		t.Fatalf("owner once approved: got %d, want B (%d)", c.OrganisationID, f.orgB)
	}
	moved := time.Now()

	// Now in B, which asks nothing: A's footage still answers to A.
	q := url.Values{"start": {seg.Start.Format(time.RFC3339Nano)}, "end": {seg.End.Format(time.RFC3339Nano)}, "download": {"1"}, "reason": {"x"}}
	if res, b := f.send(manager.token, call{method: "GET", path: camPath + "/video.mp4?" + q.Encode()}); res.StatusCode != 403 || !strings.Contains(string(b), "approval") {
		t.Errorf("exporting footage recorded while A owned the camera, without approval: got %d %.200s, want 403 asking for approval", res.StatusCode, b)
	}
	res, b = f.send(manager.token, call{method: "POST", path: "/api/v1/approvals",
		body: map[string]any{"camera_id": f.camA, "start": seg.Start, "end": seg.End, "reason": "crime 1/2026"}})
	if res.StatusCode != http.StatusAccepted || !strings.Contains(string(b), `"state": "pending"`) {
		t.Errorf("asking to export A's footage after the move: got %d %s, want 202 pending", res.StatusCode, b)
	}
	res, b = f.send(manager.token, call{method: "POST", path: camPath + "/deletions", body: deletionBody(seg.Start, seg.End, "erasure request DSR-20")})
	if res.StatusCode != http.StatusAccepted || !strings.Contains(string(b), `"state": "pending"`) {
		t.Errorf("deleting A's footage early after the move: got %d %s, want 202 pending", res.StatusCode, b)
	}
	if _, err := f.st.Segment(ctx, seg.ID); err != nil {
		t.Errorf("segment %d while its deletion waits: %v, want it kept", seg.ID, err)
	}
	// Footage recorded since the move is B's alone, and B asks nothing.
	time.Sleep(50 * time.Millisecond) // a range wholly after the move, on the server's clock
	after := moved.Add(10 * time.Millisecond)
	if res, b := f.send(manager.token, call{method: "POST", path: "/api/v1/approvals",
		body: map[string]any{"camera_id": f.camA, "start": after, "end": after.Add(20 * time.Millisecond), "reason": "crime 2/2026"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("asking to export footage recorded since the move: got %d %s, want 409 (none needed)", res.StatusCode, b)
	}
}
