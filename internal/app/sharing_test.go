package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
)

// cameraIDs is the ids of GET /api/v1/cameras as a token's holder.
func (f *rightsFixture) cameraIDs(token string) []int64 {
	f.t.Helper()
	res, b := f.send(token, call{method: "GET", path: "/api/v1/cameras"})
	if res.StatusCode != 200 {
		f.t.Fatalf("GET /api/v1/cameras: got %d %s", res.StatusCode, b)
	}
	var cams []struct {
		ID     int64
		Rights []string
	}
	mustDo(f.t, json.Unmarshal(b, &cams))
	var ids []int64
	for _, c := range cams {
		ids = append(ids, c.ID)
	}
	return ids
}

func (f *rightsFixture) user(role rights.Role) *roleUser {
	return f.users[slices.IndexFunc(f.users, func(u *roleUser) bool { return u.role == role })]
}

// policeUser makes a user of the police holding role.
func (f *rightsFixture) policeUser(role rights.Role) *roleUser {
	id := f.newUser(f.police, string(role))
	return &roleUser{role: role, id: id, token: tokenFor(f.t, f.st, id)}
}

// TestSharingAgreementEnds: a police viewer sees and watches Council A's
// camera only while an agreement is in force; when it ends, their live
// view is ended within the review's second, audited as such, and the
// camera is gone from their list as if it did not exist.
func TestSharingAgreementEnds(t *testing.T) {
	t.Parallel() // see main_test.go
	f := newRightsFixture(t)
	pc := f.policeUser(rights.PoliceViewer)
	manager := f.user(rights.CCTVManager)
	if ids := f.cameraIDs(pc.token); len(ids) != 0 {
		t.Fatalf("before any agreement in force, the police viewer sees cameras %v, want none", ids)
	}
	res, b := f.send(manager.token, call{method: "POST", path: "/api/v1/sharing-agreements", body: map[string]any{
		"grantee_id": f.police, "reference": "Operation Lantern", "rights": []string{"view_live", "play_back"},
		"cameras": []int64{f.camA}, "ends_at": time.Now().Add(time.Hour)}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("the manager shares camera A: got %d %s, want 201", res.StatusCode, b)
	}
	var ag struct {
		ID        int64
		GrantorID int64 `json:"grantor_id"`
		Active    bool
	}
	mustDo(t, json.Unmarshal(b, &ag))
	if ag.GrantorID != f.orgA || !ag.Active {
		t.Errorf("agreement: got %s, want Council A's, in force", b)
	}
	if ids := f.cameraIDs(pc.token); !slices.Equal(ids, []int64{f.camA}) {
		t.Errorf("under the agreement, the police viewer sees %v, want camera A alone", ids)
	}
	// What the agreement grants, within what the role allows.
	if res, b := f.send(pc.token, call{method: "GET", path: fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s&download=1",
		f.camA, f.from.Format(time.RFC3339Nano), f.to.Format(time.RFC3339Nano))}); res.StatusCode != 403 || !strings.Contains(string(b), "police viewer") {
		t.Errorf("the police viewer exporting: got %d %s, want 403 naming the role", res.StatusCode, b)
	}
	if res, _ := f.send(pc.token, call{method: "GET", path: fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s",
		f.camA, f.from.Format(time.RFC3339Nano), f.to.Format(time.RFC3339Nano))}); res.StatusCode != 200 {
		t.Errorf("the police viewer playing back: got %d, want 200", res.StatusCode)
	}
	// The agreement is the police's to read, not to change.
	if res, _ := f.send(pc.token, call{method: "GET", path: fmt.Sprintf("/api/v1/sharing-agreements/%d", ag.ID)}); res.StatusCode != 200 {
		t.Errorf("the police reading the agreement: got %d, want 200", res.StatusCode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, fmt.Sprintf("ws://%s/api/v1/cameras/%d/live.ws", f.h.app.Addr(), f.camA),
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + pc.token}}})
	if err != nil {
		t.Fatalf("the police viewer watching live: %v", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(16 << 20)
	if _, _, err := conn.Read(ctx); err != nil {
		t.Fatalf("reading the live view: %v", err)
	}

	// Ending it sooner needs no approval, so access can always be
	// withdrawn at once.
	ends := time.Now().Add(2 * time.Second)
	if res, b := f.send(manager.token, call{method: "PATCH", path: fmt.Sprintf("/api/v1/sharing-agreements/%d", ag.ID),
		body: map[string]any{"ends_at": ends}}); res.StatusCode != 200 {
		t.Fatalf("ending the agreement: got %d %s, want 200", res.StatusCode, b)
	}
	var closeErr error
	for {
		typ, msg, err := conn.Read(ctx)
		if err != nil {
			closeErr = err
			break
		}
		if typ == websocket.MessageText && strings.Contains(string(msg), "ended") {
			t.Logf("the server said: %s", msg)
		}
	}
	if websocket.CloseStatus(closeErr) != websocket.StatusPolicyViolation {
		t.Errorf("the live view ended with %v, want a policy-violation close", closeErr)
	}
	if time.Now().Before(ends) {
		t.Errorf("the live view ended before the agreement did")
	}
	stop := f.h.awaitAudit(f.camA, "live.stop", 1)
	i := slices.IndexFunc(stop, func(e store.AuditRecord) bool { return e.UserID == pc.id })
	if i < 0 || !strings.Contains(stop[i].Detail, "right to watch lapsed") {
		t.Errorf("live.stop records: got %+v, want the police viewer's, saying their right lapsed", stop)
	}
	if ids := f.cameraIDs(pc.token); len(ids) != 0 {
		t.Errorf("after the agreement ended, the police viewer sees %v, want none", ids)
	}
	for _, path := range []string{fmt.Sprintf("/api/v1/cameras/%d", f.camA), fmt.Sprintf("/api/v1/cameras/%d/recordings", f.camA)} {
		if res, b := f.send(pc.token, call{method: "GET", path: path}); res.StatusCode != 404 || !strings.Contains(string(b), "no camera") {
			t.Errorf("GET %s after the end: got %d %s, want 404 no camera", path, res.StatusCode, b)
		}
	}
}

// TestIncidentCondition: an agreement "live view only while an incident
// is open" shows nothing until Council A's control room opens one.
func TestIncidentCondition(t *testing.T) {
	t.Parallel() // see main_test.go
	f := newRightsFixture(t)
	inv := f.policeUser(rights.PoliceInvestigator)
	if ids := f.cameraIDs(inv.token); len(ids) != 0 {
		t.Fatalf("no incident open: the investigator sees %v, want none", ids)
	}
	path := fmt.Sprintf("/api/v1/sharing-agreements/%d/incident", f.agreementA)
	if res, _ := f.send(inv.token, call{method: "POST", path: path, body: map[string]any{"open": true, "reference": "INC-1"}}); res.StatusCode != 403 {
		t.Errorf("the police opening an incident on A's agreement: got %d, want 403", res.StatusCode)
	}
	op := f.user(rights.Operator)
	if res, _ := f.send(op.token, call{method: "POST", path: path, body: map[string]any{"open": true, "reference": "INC-1"}}); res.StatusCode != 404 {
		t.Errorf("A's operator, who does not manage A's cameras, on the agreement: got %d, want 404", res.StatusCode)
	}
	manager := f.user(rights.CCTVManager)
	if res, b := f.send(manager.token, call{method: "POST", path: path, body: map[string]any{"open": true, "reference": "INC-1"}}); res.StatusCode != 200 || !strings.Contains(string(b), `"incident_open": true`) {
		t.Fatalf("A's manager opening an incident: got %d %s, want 200, open", res.StatusCode, b)
	}
	if ids := f.cameraIDs(inv.token); !slices.Equal(ids, []int64{f.camA}) {
		t.Errorf("incident open: the investigator sees %v, want camera A (agreement A shares all of A's live)", ids)
	}
	if res, _ := f.send(inv.token, call{method: "GET", path: fmt.Sprintf("/api/v1/cameras/%d/recordings", f.camA)}); res.StatusCode != 403 {
		t.Errorf("playing back under a live-only agreement: got %d, want 403 (visible, not allowed)", res.StatusCode)
	}
	if res, _ := f.send(manager.token, call{method: "POST", path: path, body: map[string]any{"open": false}}); res.StatusCode != 200 {
		t.Fatalf("closing the incident: got %d, want 200", res.StatusCode)
	}
	if ids := f.cameraIDs(inv.token); len(ids) != 0 {
		t.Errorf("incident closed: the investigator sees %v, want none", ids)
	}
	es, err := f.trail.ListAudit(t.Context(), store.AuditFilter{Action: "sharing.incident"})
	mustDo(t, err)
	if len(es) != 2 || es[0].UserID != manager.id {
		t.Errorf("sharing.incident audit records: got %+v, want the opening and the closing, by the manager", es)
	}
}

// TestFourEyesExport: Council A requires a second person's approval for
// exports. The requester cannot approve their own; neither can an
// administrator or anyone without the export right; another supervisor
// can, and then the requester alone downloads that range.
func TestFourEyesExport(t *testing.T) {
	t.Parallel() // see main_test.go
	f := newRightsFixture(t)
	sup1 := f.user(rights.Supervisor)
	sup2id := f.newUser(f.orgA, "supervisor")
	sup2 := &roleUser{role: rights.Supervisor, id: sup2id, token: tokenFor(t, f.st, sup2id)}
	rng := "start=" + f.from.Format(time.RFC3339Nano) + "&end=" + f.to.Format(time.RFC3339Nano)
	export := fmt.Sprintf("/api/v1/cameras/%d/video.mp4?%s&download=1&reason=crime+42%%2F2026", f.camA, rng)

	res, b := f.send(sup1.token, call{method: "GET", path: fmt.Sprintf("/api/v1/cameras/%d", f.camA)})
	if res.StatusCode != 200 || !strings.Contains(string(b), `"export_needs_approval": true`) {
		t.Errorf("camera A: got %d %s, want export_needs_approval", res.StatusCode, b)
	}
	if res, b := f.send(sup1.token, call{method: "GET", path: export}); res.StatusCode != 403 || !strings.Contains(string(b), "second person") {
		t.Errorf("exporting without approval: got %d %s, want 403 asking for a second person", res.StatusCode, b)
	}
	res, b = f.send(sup1.token, call{method: "POST", path: "/api/v1/approvals", body: map[string]any{
		"camera_id": f.camA, "start": f.from, "end": f.to, "reason": "PC 1234, crime 42/2026"}})
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("asking for approval: got %d %s, want 202", res.StatusCode, b)
	}
	var ap struct {
		ID        int64
		State     string
		CanDecide bool `json:"can_decide"`
		Download  string
	}
	mustDo(t, json.Unmarshal(b, &ap))
	if ap.State != "pending" || ap.CanDecide || ap.Download != "" {
		t.Errorf("the request: got %s, want pending, not the requester's to decide, nothing to download", b)
	}
	approve := fmt.Sprintf("/api/v1/approvals/%d/approve", ap.ID)
	for _, tt := range []struct {
		who  string
		u    *roleUser
		code int
	}{
		{"the requester", sup1, 403},
		{"an administrator", f.user(rights.Administrator), 404},
		{"an operator, who may not export", f.user(rights.Operator), 404},
		{"Council B's supervisor", &roleUser{token: f.tokenB}, 404},
	} {
		if res, b := f.send(tt.u.token, call{method: "POST", path: approve}); res.StatusCode != tt.code {
			t.Errorf("%s approving: got %d %s, want %d", tt.who, res.StatusCode, b, tt.code)
		}
	}
	if res, b := f.send(sup1.token, call{method: "GET", path: export + fmt.Sprintf("&approval=%d", ap.ID)}); res.StatusCode != 403 || !strings.Contains(string(b), "still waiting") {
		t.Errorf("exporting while pending: got %d %s, want 403 still waiting", res.StatusCode, b)
	}
	res, b = f.send(sup2.token, call{method: "GET", path: "/api/v1/approvals"})
	if res.StatusCode != 200 || !strings.Contains(string(b), `"can_decide": true`) {
		t.Errorf("the second supervisor's list: got %d %s, want the request, theirs to decide", res.StatusCode, b)
	}
	res, b = f.send(sup2.token, call{method: "POST", path: approve, body: map[string]any{"note": "checked the crime number"}})
	if res.StatusCode != 200 || !strings.Contains(string(b), `"state": "approved"`) {
		t.Fatalf("the second supervisor approving: got %d %s, want 200 approved", res.StatusCode, b)
	}
	if res, _ := f.send(sup2.token, call{method: "POST", path: approve}); res.StatusCode != http.StatusConflict {
		t.Errorf("approving twice: got %d, want 409", res.StatusCode)
	}
	_, b = f.send(sup1.token, call{method: "GET", path: fmt.Sprintf("/api/v1/approvals/%d", ap.ID)})
	mustDo(t, json.Unmarshal(b, &ap))
	if ap.Download == "" || !strings.Contains(ap.Download, fmt.Sprintf("approval=%d", ap.ID)) {
		t.Fatalf("the requester's view of the approved request: got %s, want a download URL", b)
	}
	res, _ = f.send(sup1.token, call{method: "GET", path: ap.Download})
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "video/mp4" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("the requester downloading: got %d %v, want 200 video/mp4 attachment", res.StatusCode, res.Header)
	}
	es, err := f.trail.ListAudit(t.Context(), store.AuditFilter{UserID: sup1.id, Action: "footage.export"})
	mustDo(t, err)
	if len(es) != 1 || !strings.Contains(es[0].Detail, fmt.Sprintf("request %d, approved by user %d", ap.ID, sup2.id)) || !strings.Contains(es[0].Reason, "crime 42/2026") {
		t.Errorf("footage.export audit: got %+v, want one naming the approval, its approver and the reason", es)
	}
	for _, tt := range []struct {
		who, path, want string
		u               *roleUser
	}{
		{"the approver", ap.Download, "not your export", sup2},
		{"the requester, a wider range", fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s&download=1&reason=x&approval=%d",
			f.camA, f.from.Add(-time.Second).Format(time.RFC3339Nano), f.to.Format(time.RFC3339Nano), ap.ID), "approved", sup1},
		{"the requester, another camera", fmt.Sprintf("/api/v1/cameras/%d/video.mp4?%s&download=1&reason=x&approval=%d", f.camB, rng, ap.ID), "no camera", sup1},
	} {
		if res, b := f.send(tt.u.token, call{method: "GET", path: tt.path}); res.StatusCode/100 != 4 || !strings.Contains(string(b), tt.want) {
			t.Errorf("%s using the approval: got %d %s, want a refusal mentioning %q", tt.who, res.StatusCode, b, tt.want)
		}
	}
}

// TestFourEyesRights: with four eyes on changes of rights, an
// administrator's change of someone's roles waits for another
// administrator; nobody changes their own roles; relaxing the policy is
// itself such a change.
func TestFourEyesRights(t *testing.T) {
	t.Parallel() // see main_test.go
	f := newRightsFixture(t)
	admin1 := f.user(rights.Administrator)
	admin2id := f.newUser(f.orgA, "administrator")
	admin2 := &roleUser{role: rights.Administrator, id: admin2id, token: tokenFor(t, f.st, admin2id)}
	res, b := f.send(admin1.token, call{method: "PUT", path: fmt.Sprintf("/api/v1/organisations/%d/four-eyes", f.orgA), body: map[string]any{"actions": []string{"export", "rights"}}})
	if res.StatusCode != 200 || !strings.Contains(string(b), `"rights"`) {
		t.Fatalf("adding four eyes for rights: got %d %s, want 200 at once", res.StatusCode, b)
	}
	target := f.newUser(f.orgA, "operator")
	rolesPath := fmt.Sprintf("/api/v1/users/%d/roles", target)
	res, b = f.send(admin1.token, call{method: "PUT", path: rolesPath, body: map[string]any{"roles": []string{"cctv_manager"}, "reason": "new manager"}})
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("changing roles under four eyes: got %d %s, want 202", res.StatusCode, b)
	}
	var ap struct{ ID int64 }
	mustDo(t, json.Unmarshal(b, &ap))
	if roles, _ := f.st.UserRoles(t.Context(), target); len(roles) != 1 || roles[0].Role != "operator" {
		t.Errorf("roles while the change waits: got %+v, want operator still", roles)
	}
	approve := fmt.Sprintf("/api/v1/approvals/%d/approve", ap.ID)
	if res, _ := f.send(admin1.token, call{method: "POST", path: approve}); res.StatusCode != 403 {
		t.Errorf("the requesting administrator approving: got %d, want 403", res.StatusCode)
	}
	if res, _ := f.send(f.user(rights.CCTVManager).token, call{method: "POST", path: approve}); res.StatusCode != 404 {
		t.Errorf("a manager, who does not manage users, approving: got %d, want 404", res.StatusCode)
	}
	res, b = f.send(admin2.token, call{method: "POST", path: approve})
	if res.StatusCode != 200 || !strings.Contains(string(b), `"state": "applied"`) {
		t.Fatalf("the second administrator approving: got %d %s, want 200 applied", res.StatusCode, b)
	}
	if roles, _ := f.st.UserRoles(t.Context(), target); len(roles) != 1 || roles[0].Role != "cctv_manager" {
		t.Errorf("roles once approved: got %+v, want cctv_manager", roles)
	}
	es, err := f.trail.ListAudit(t.Context(), store.AuditFilter{Action: "rights.set_roles"})
	mustDo(t, err)
	if len(es) != 1 || es[0].UserID != admin2.id || !strings.Contains(es[0].Detail, fmt.Sprintf("approved request %d of user %d", ap.ID, admin1.id)) {
		t.Errorf("rights.set_roles audit: got %+v, want the approver's, naming the request and its requester", es)
	}

	if res, b := f.send(admin1.token, call{method: "PUT", path: fmt.Sprintf("/api/v1/users/%d/roles", admin1.id), body: map[string]any{"roles": []string{"administrator", "supervisor"}}}); res.StatusCode != 403 || !strings.Contains(string(b), "own roles") {
		t.Errorf("an administrator giving themself footage: got %d %s, want 403", res.StatusCode, b)
	}
	if res, _ := f.send(admin1.token, call{method: "PUT", path: fmt.Sprintf("/api/v1/organisations/%d/four-eyes", f.orgA), body: map[string]any{"actions": []string{}}}); res.StatusCode != http.StatusAccepted {
		t.Errorf("removing four eyes: got %d, want 202 (it needs approval)", res.StatusCode)
	}
	if fe, _ := f.st.FourEyes(t.Context(), f.orgA); !slices.Equal(fe, []string{"export", "rights"}) {
		t.Errorf("four eyes while the removal waits: got %v, want export and rights", fe)
	}
	// Creating a user with roles: the account is made at once, its roles
	// wait.
	res, b = f.send(admin1.token, call{method: "POST", path: "/api/v1/users", body: map[string]any{"username": "newcomer", "roles": []string{"operator"}}})
	if res.StatusCode != http.StatusCreated || !strings.Contains(string(b), `"approval"`) || !strings.Contains(string(b), `"password"`) {
		t.Errorf("creating a user under four eyes: got %d %s, want 201 with a generated password and a pending approval", res.StatusCode, b)
	}
	if u, err := f.st.UserByName(t.Context(), "newcomer"); err != nil || !u.MustChangePassword {
		t.Errorf("the new user: got %+v, %v, want one who must change the generated password", u, err)
	} else if roles, _ := f.st.UserRoles(t.Context(), u.ID); len(roles) != 0 {
		t.Errorf("the new user's roles before approval: got %+v, want none", roles)
	}
}

// TestGroupScopedRole: an operator limited to a camera group sees that
// group's cameras and nothing else of their council's; the camera list,
// and so the console, shows exactly those.
func TestGroupScopedRole(t *testing.T) {
	t.Parallel() // see main_test.go
	f := newRightsFixture(t)
	second := cameras.Camera{OrganisationID: f.orgA, Name: "Camera A2", URL: "rtsp://127.0.0.1:1/a2", Enabled: false}
	mustDo(t, f.h.app.AddCamera(t.Context(), &second))
	admin := f.user(rights.Administrator)
	id := f.newUser(f.orgA, "operator")
	tok := tokenFor(t, f.st, id)
	if ids := f.cameraIDs(tok); !slices.Equal(ids, []int64{f.camA, second.ID}) {
		t.Fatalf("an operator of A: got cameras %v, want both of A's", ids)
	}
	res, b := f.send(admin.token, call{method: "PUT", path: fmt.Sprintf("/api/v1/users/%d/roles", id),
		body: map[string]any{"roles": []map[string]any{{"role": "operator", "camera_group_id": f.groupA}}}})
	if res.StatusCode != 200 || !strings.Contains(string(b), fmt.Sprintf(`"camera_group_id": %d`, f.groupA)) {
		t.Fatalf("limiting the operator to group G A: got %d %s, want 200", res.StatusCode, b)
	}
	if ids := f.cameraIDs(tok); !slices.Equal(ids, []int64{f.camA}) {
		t.Errorf("the limited operator: got cameras %v, want camera A alone", ids)
	}
	if res, _ := f.send(tok, call{method: "GET", path: fmt.Sprintf("/api/v1/cameras/%d", second.ID)}); res.StatusCode != 404 {
		t.Errorf("the limited operator on A's other camera: got %d, want 404", res.StatusCode)
	}
	if res, b := f.send(admin.token, call{method: "PUT", path: fmt.Sprintf("/api/v1/users/%d/roles", id),
		body: map[string]any{"roles": []map[string]any{{"role": "operator", "camera_group_id": f.groupB}}}}); res.StatusCode != 400 {
		t.Errorf("limiting an operator of A to B's group: got %d %s, want 400", res.StatusCode, b)
	}
	// Deleting the group takes the limited role with it: narrower, never
	// wider.
	if res, _ := f.send(f.user(rights.CCTVManager).token, call{method: "DELETE", path: fmt.Sprintf("/api/v1/camera-groups/%d", f.groupA)}); res.StatusCode != 204 {
		t.Fatalf("deleting the group: got %d, want 204", res.StatusCode)
	}
	if ids := f.cameraIDs(tok); len(ids) != 0 {
		t.Errorf("after the group went: got cameras %v, want none", ids)
	}
	if _, err := f.st.CameraGroup(t.Context(), f.groupA); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the group after DELETE: got %v, want ErrNotFound", err)
	}
}
