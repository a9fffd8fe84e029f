package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// TestMoveCamera moves Council A's camera to Council B, on SQLite and
// PostgreSQL: A's people lose it (a live view of it ends), B's gain it,
// the recharge counts it for B from the day of the move; a council's
// manager cannot move one beyond their council; under a four-eyes policy
// (for rights, or anything else), a move waits for a second person.
func TestMoveCamera(t *testing.T) {
	t.Parallel() // see main_test.go
	t.Run("sqlite", func(t *testing.T) { testMoveCamera(t, newRightsFixtureOn(t, false)) })
	if testkit.PostgresURL() != "" {
		t.Run("postgres", func(t *testing.T) { testMoveCamera(t, newRightsFixtureOn(t, true)) })
	}
}

func testMoveCamera(t *testing.T, f *rightsFixture) {
	ctx := t.Context()
	mk := func(org int64, role rights.Role) *roleUser {
		id := f.newUser(org, string(role))
		return &roleUser{role: role, id: id, token: tokenFor(t, f.st, id)}
	}
	manager, manager2 := mk(f.partnership, rights.CCTVManager), mk(f.partnership, rights.CCTVManager)
	admin := mk(f.partnership, rights.Administrator)
	opA, opB := mk(f.orgA, rights.Operator), mk(f.orgB, rights.Operator)
	councilManager := f.user(rights.CCTVManager)
	camPath := fmt.Sprintf("/api/v1/cameras/%d", f.camA)

	// The camera's history, past-dated, so that the period shows days
	// on both sides of the move.
	now := time.Now().UTC()
	quarter := period.Of(now)
	mustDo(t, f.st.ReplaceCameraHistory(ctx, []finance.Event{{Camera: f.camA, Day: quarter.From(), Kind: finance.Installed,
		Category: finance.Proactive, Org: f.orgA, Note: "test"}}, 0))
	days := func() map[int64]int64 {
		t.Helper()
		res, b := f.send(manager.token, call{method: "GET", path: "/api/v1/finance/statement?period=" + quarter.String()})
		if res.StatusCode != 200 {
			t.Fatalf("GET the statement: got %d %s, want 200", res.StatusCode, b)
		}
		var st struct {
			Partners []struct {
				OrganisationID int64 `json:"organisation_id"`
				CameraDays     int64 `json:"camera_days_ppm"`
			}
		}
		mustDo(t, json.Unmarshal(b, &st))
		out := map[int64]int64{}
		for _, p := range st.Partners {
			out[p.OrganisationID] = p.CameraDays
		}
		return out
	}
	before := days()

	// A's operator watches the camera live when it moves.
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(wctx, fmt.Sprintf("ws://%s/api/v1/cameras/%d/live.ws", f.h.app.Addr(), f.camA),
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + opA.token}}})
	if err != nil {
		t.Fatalf("A's operator watching live: %v", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(16 << 20)
	if _, _, err := conn.Read(wctx); err != nil {
		t.Fatalf("reading the live view: %v", err)
	}

	// The fixture's councils ask four eyes for exports, under which any
	// move waits (TestFourEyesFollowsTheCamera): these ask for none.
	admin2 := mk(f.partnership, rights.Administrator)
	f.setFourEyes(admin, admin2, f.orgA)
	f.setFourEyes(admin, admin2, f.orgB)
	if res, b := f.send(manager.token, call{method: "PATCH", path: camPath, body: map[string]any{"organisation_id": f.orgB, "description": "x"}}); res.StatusCode != 400 {
		t.Errorf("a move with other changes: got %d %s, want 400", res.StatusCode, b)
	}
	res, b := f.send(manager.token, call{method: "PATCH", path: camPath, body: map[string]any{"organisation": "Council B"}})
	if res.StatusCode != 200 {
		t.Fatalf("the partnership's manager moving camera A to B: got %d %s, want 200", res.StatusCode, b)
	}
	var moved struct {
		OrganisationID int64 `json:"organisation_id"`
		Organisation   string
	}
	mustDo(t, json.Unmarshal(b, &moved))
	if moved.OrganisationID != f.orgB || moved.Organisation != "Council B" {
		t.Errorf("the moved camera: got %s, want Council B's", b)
	}
	if res, _ := f.send(opA.token, call{method: "GET", path: camPath}); res.StatusCode != 404 {
		t.Errorf("A's operator after the move: got %d, want 404", res.StatusCode)
	}
	if res, b := f.send(opB.token, call{method: "GET", path: camPath}); res.StatusCode != 200 {
		t.Errorf("B's operator after the move: got %d %s, want 200", res.StatusCode, b)
	}
	if ids := f.cameraIDs(opB.token); !slices.Contains(ids, f.camA) {
		t.Errorf("B's operator's cameras: got %v, want camera %d among them", ids, f.camA)
	}
	var closeErr error
	for {
		if _, _, err := conn.Read(wctx); err != nil {
			closeErr = err
			break
		}
	}
	if websocket.CloseStatus(closeErr) != websocket.StatusPolicyViolation {
		t.Errorf("A's operator's live view ended with %v, want a policy-violation close", closeErr)
	}
	if g, _ := f.st.CameraGroup(ctx, f.groupA); slices.Contains(g.Cameras, f.camA) {
		t.Errorf("A's group after the move: got cameras %v, want camera %d gone", g.Cameras, f.camA)
	}
	es, err := f.trail.ListAudit(ctx, store.AuditFilter{CameraID: f.camA, Action: "rights.move_camera"})
	mustDo(t, err)
	if want := fmt.Sprintf("organisation %d to %d", f.orgA, f.orgB); len(es) != 1 || es[0].UserID != manager.id ||
		!strings.Contains(es[0].Detail, want) || !strings.Contains(es[0].Detail, fmt.Sprintf("left camera groups [%d]", f.groupA)) {
		t.Errorf("rights.move_camera audit: got %+v, want the manager's, saying %q and naming group %d", es, want, f.groupA)
	}
	hist, err := f.st.CameraEvents(ctx, f.camA)
	mustDo(t, err)
	if n := len(hist); n != 2 || hist[1].Kind != finance.OwnerChanged || hist[1].Org != f.orgB || !hist[1].Day.Equal(finance.Day(now)) {
		t.Errorf("camera history: got %+v, want installed, then owner_changed to %d today", hist, f.orgB)
	}
	after := days()
	rest := (quarter.To().Sub(finance.Day(now)).Hours() / 24) * 1e6
	if got, want := after[f.orgA]-before[f.orgA], -int64(rest); got != want {
		t.Errorf("Council A's camera-days: changed by %d, want %d (the camera no longer counts from today)", got, want)
	}
	if got, want := after[f.orgB]-before[f.orgB], int64(rest); got != want {
		t.Errorf("Council B's camera-days: changed by %d, want %d (the camera counts from today)", got, want)
	}
	if gone := int64(finance.Day(now).Sub(quarter.From()).Hours()/24) * 1e6; after[f.orgA] < gone {
		t.Errorf("Council A's camera-days: got %d, want at least %d (the camera until yesterday)", after[f.orgA], gone)
	}

	// A council's manager moves nothing beyond their council.
	spare := f.spareCamera(true)
	for _, tt := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"to the other council", map[string]any{"organisation_id": f.orgB}, 404},
		{"to the partnership above", map[string]any{"organisation_id": f.partnership}, 404},
		{"to no organisation", map[string]any{"organisation_id": 99999}, 404},
		{"to a name that is no organisation", map[string]any{"organisation": "Nowhere"}, 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, b := f.send(councilManager.token, call{method: "PATCH", path: fmt.Sprintf("/api/v1/cameras/%d", spare), body: tt.body})
			if res.StatusCode != tt.want {
				t.Errorf("got %d %s, want %d", res.StatusCode, b, tt.want)
			}
			if c, _ := f.st.Camera(ctx, spare); c.OrganisationID != f.orgA {
				t.Errorf("the camera's owner: got %d, want %d still", c.OrganisationID, f.orgA)
			}
		})
	}
	if res, _ := f.send(councilManager.token, call{method: "PATCH", path: camPath, body: map[string]any{"organisation_id": f.orgA}}); res.StatusCode != 404 {
		t.Errorf("A's manager taking B's camera back: got %d, want 404", res.StatusCode)
	}

	// Under four eyes for rights, the move back waits for a second
	// manager.
	if res, b := f.send(admin.token, call{method: "PUT", path: fmt.Sprintf("/api/v1/organisations/%d/four-eyes", f.orgB),
		body: map[string]any{"actions": []string{"export", "rights"}}}); res.StatusCode != 200 {
		t.Fatalf("four eyes for rights on B: got %d %s, want 200", res.StatusCode, b)
	}
	res, b = f.send(manager.token, call{method: "PATCH", path: camPath, body: map[string]any{"organisation_id": f.orgA}})
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("moving back under four eyes: got %d %s, want 202", res.StatusCode, b)
	}
	var ap struct{ ID int64 }
	mustDo(t, json.Unmarshal(b, &ap))
	if c, _ := f.st.Camera(ctx, f.camA); c.OrganisationID != f.orgB {
		t.Errorf("owner while the move waits: got %d, want %d", c.OrganisationID, f.orgB)
	}
	approve := fmt.Sprintf("/api/v1/approvals/%d/approve", ap.ID)
	if res, _ := f.send(manager.token, call{method: "POST", path: approve}); res.StatusCode != 403 {
		t.Errorf("the requester approving: got %d, want 403", res.StatusCode)
	}
	if res, _ := f.send(councilManager.token, call{method: "POST", path: approve}); res.StatusCode != 404 {
		t.Errorf("A's manager, who does not manage B, approving: got %d, want 404", res.StatusCode)
	}
	res, b = f.send(manager2.token, call{method: "POST", path: approve})
	if res.StatusCode != 200 || !strings.Contains(string(b), `"state": "applied"`) {
		t.Fatalf("a second manager approving: got %d %s, want 200 applied", res.StatusCode, b)
	}
	if c, _ := f.st.Camera(ctx, f.camA); c.OrganisationID != f.orgA {
		t.Errorf("owner once approved: got %d, want %d", c.OrganisationID, f.orgA)
	}
	if res, _ := f.send(opA.token, call{method: "GET", path: camPath}); res.StatusCode != 200 {
		t.Errorf("A's operator once it is back: got %d, want 200", res.StatusCode)
	}
	es, err = f.trail.ListAudit(ctx, store.AuditFilter{CameraID: f.camA, Action: "rights.move_camera"})
	mustDo(t, err)
	if len(es) != 2 || es[0].UserID != manager2.id || !strings.Contains(es[0].Detail, fmt.Sprintf("approved request %d", ap.ID)) {
		t.Errorf("the approved move's audit: got %+v, want the approver's, naming request %d", es, ap.ID)
	}
}
