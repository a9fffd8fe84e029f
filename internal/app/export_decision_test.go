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

// TestExportDecisionFollowsTheCamera is the Playback console's export
// after a camera left a council that asks four eyes for exports, on
// SQLite and PostgreSQL. The console asks the server, for the marked
// range, whether to ask for approval or download directly (a dry run of
// POST /api/v1/approvals); the answer must be the download's own rule:
// approval for footage recorded while the strict council owned the
// camera, none for footage recorded since, and a refused download says
// plainly whose policy it is.
func TestExportDecisionFollowsTheCamera(t *testing.T) {
	t.Parallel() // see main_test.go
	t.Run("sqlite", func(t *testing.T) { testExportDecisionFollowsTheCamera(t, newRightsFixtureOn(t, false)) })
	if testkit.PostgresURL() != "" {
		t.Run("postgres", func(t *testing.T) { testExportDecisionFollowsTheCamera(t, newRightsFixtureOn(t, true)) })
	}
}

func testExportDecisionFollowsTheCamera(t *testing.T, f *rightsFixture) {
	ctx := t.Context()
	mk := func(role rights.Role) *roleUser {
		id := f.newUser(f.partnership, string(role))
		return &roleUser{role: role, id: id, token: tokenFor(t, f.st, id)}
	}
	manager, admin, admin2 := mk(rights.CCTVManager), mk(rights.Administrator), mk(rights.Administrator)
	f.setFourEyes(admin, admin2, f.orgA, "export")
	f.setFourEyes(admin, admin2, f.orgB)
	orgA, err := f.st.Organisation(ctx, f.orgA)
	mustDo(t, err)
	seg := f.closedSegments(f.camA, 2)[1]

	// The move itself is TestFourEyesFollowsTheCamera's; here it is
	// made in the store, as an approved move makes it.
	c, err := f.st.Camera(ctx, f.camA)
	mustDo(t, err)
	c.OrganisationID = f.orgB
	mustDo(t, f.st.UpdateCamera(ctx, &c))
	moved := time.Now()
	time.Sleep(50 * time.Millisecond) // a range wholly after the move, on the server's clock
	after := moved.Add(10 * time.Millisecond)

	type decision struct {
		DryRun        bool   `json:"dry_run"`
		NeedsApproval bool   `json:"needs_approval"`
		PolicyOf      string `json:"policy_of"`
		Message       string
	}
	ask := func(start, end time.Time) decision {
		t.Helper()
		var d decision
		res, b := f.send(manager.token, call{method: "POST", path: "/api/v1/approvals",
			body: map[string]any{"camera_id": f.camA, "start": start, "end": end, "dry_run": true}})
		if res.StatusCode != 200 {
			t.Fatalf("the console's question for %s to %s: got %d %s, want 200", start, end, res.StatusCode, b)
		}
		mustDo(t, json.Unmarshal(b, &d))
		if !d.DryRun {
			t.Fatalf("the console's question: got %s, want a dry run's answer", b)
		}
		return d
	}

	// Footage recorded while A owned the camera: the console asks for
	// approval, and says whose policy.
	d := ask(seg.Start, seg.End)
	if !d.NeedsApproval || d.PolicyOf != orgA.Name || !strings.Contains(d.Message, orgA.Name) {
		t.Errorf("exporting footage recorded while A owned the camera: got %+v, want needs approval by %q", d, orgA.Name)
	}
	// Which the download agrees with, saying the same.
	q := url.Values{"start": {seg.Start.Format(time.RFC3339Nano)}, "end": {seg.End.Format(time.RFC3339Nano)}, "download": {"1"}, "reason": {"PC 1234"}}
	res, b := f.send(manager.token, call{method: "GET", path: fmt.Sprintf("/api/v1/cameras/%d/video.mp4?%s", f.camA, q.Encode())})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(string(b), d.Message) {
		t.Errorf("downloading it directly: got %d %.300s, want 403 saying %q", res.StatusCode, b, d.Message)
	}
	// A range reaching back over the move is A's too.
	if d := ask(seg.Start, after); !d.NeedsApproval {
		t.Errorf("exporting a range from before the move to after it: got %+v, want needs approval", d)
	}
	// Footage recorded since the move is B's alone, and B asks nothing:
	// the console downloads directly, and the approval request agrees.
	if d := ask(after, after.Add(20*time.Millisecond)); d.NeedsApproval || d.PolicyOf != "" {
		t.Errorf("exporting footage recorded since the move: got %+v, want a direct download", d)
	}
	if res, b := f.send(manager.token, call{method: "POST", path: "/api/v1/approvals",
		body: map[string]any{"camera_id": f.camA, "start": after, "end": after.Add(20 * time.Millisecond), "reason": "crime 3/2026"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("asking to export footage recorded since the move: got %d %s, want 409 (none needed)", res.StatusCode, b)
	}
	// The dry run asks nothing of anyone.
	list, err := f.st.ListApprovals(ctx, "", 100)
	mustDo(t, err)
	for _, ap := range list {
		if ap.CameraID == f.camA {
			t.Errorf("after dry runs only: got request %d (%s), want none", ap.ID, ap.Summary)
		}
	}
}
