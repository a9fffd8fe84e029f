package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// TestFourEyesFollowsTheCamera is the attack on four eyes by
// moving a camera, on SQLite and PostgreSQL. Council A asks a second
// person for exports and early deletions, not for changes of rights;
// Council B asks nothing. A manager of both moves A's camera to B, to
// export and delete at once: the move itself now waits for a second
// person, because A has a four-eyes policy; and once a second person has
// let it go, footage recorded while A owned it is still exported and
// deleted only with approval, as A's policy says.
func TestFourEyesFollowsTheCamera(t *testing.T) {
	t.Parallel() // see main_test.go
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
	admin, admin2 := mk(f.partnership, rights.Administrator), mk(f.partnership, rights.Administrator)
	// Adding to a policy is made at once; taking away, even what is not
	// four eyes for rights, waits for a second person.
	f.setFourEyes(admin, admin2, f.orgA, "export", "delete_footage")
	f.setFourEyes(admin, admin2, f.orgB)
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
	// Nor does a department leave A, whose policy it inherits, at once.
	dept := access.Organisation{Name: "A Parks", Kind: "department", ParentID: f.orgA}
	mustDo(t, f.st.CreateOrganisation(ctx, &dept))
	deadline := time.Now().Add(5 * time.Second)
	for {
		// The server sees a change made in the store within a second.
		if res, _ := f.send(admin.token, call{method: "GET", path: fmt.Sprintf("/api/v1/organisations/%d", dept.ID)}); res.StatusCode == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res, b := f.send(admin.token, call{method: "PATCH", path: fmt.Sprintf("/api/v1/organisations/%d", dept.ID), body: map[string]any{"parent_id": f.orgB}}); res.StatusCode != http.StatusAccepted {
		t.Errorf("moving A's department from under A's policy to B: got %d %s, want 202", res.StatusCode, b)
	}
	if o, _ := f.st.Organisation(ctx, dept.ID); o.ParentID != f.orgA {
		t.Errorf("the department's parent while the move waits: got %d, want A (%d)", o.ParentID, f.orgA)
	}

	// Footage recorded since the move is B's alone, and B asks nothing.
	time.Sleep(50 * time.Millisecond) // a range wholly after the move, on the server's clock
	after := moved.Add(10 * time.Millisecond)
	if res, b := f.send(manager.token, call{method: "POST", path: "/api/v1/approvals",
		body: map[string]any{"camera_id": f.camA, "start": after, "end": after.Add(20 * time.Millisecond), "reason": "crime 2/2026"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("asking to export footage recorded since the move: got %d %s, want 409 (none needed)", res.StatusCode, b)
	}
}

// TestFootageGrantsNeedSecondPerson is the administrator who sees
// no footage giving themselves some, on SQLite and PostgreSQL: by making
// an account with a footage role and a password they chose, or by making
// a second administrator who gives them a footage role. Footage roles
// wait for someone else who manages people; accounts made through the
// API change their password at first sign-in; an account widens the
// roles of the one that made it only with a second person; and nobody
// decides a request about their own roles, or one by or about an account
// they made or that made them.
func TestFootageGrantsNeedSecondPerson(t *testing.T) {
	t.Parallel() // see main_test.go
	t.Run("sqlite", func(t *testing.T) { testFootageGrantsNeedSecondPerson(t, newRightsFixtureOn(t, false)) })
	if testkit.PostgresURL() != "" {
		t.Run("postgres", func(t *testing.T) { testFootageGrantsNeedSecondPerson(t, newRightsFixtureOn(t, true)) })
	}
}

func testFootageGrantsNeedSecondPerson(t *testing.T, f *rightsFixture) {
	ctx := t.Context()
	admin := f.user(rights.Administrator)
	otherID := f.newUser(f.orgA, string(rights.Administrator))
	other := &roleUser{role: rights.Administrator, id: otherID, token: tokenFor(t, f.st, otherID)}
	const password = "Correct-Horse-Battery-42"
	type answer struct {
		ID       int64
		State    string
		Roles    []struct{ Role string }
		Approval *struct {
			ID        int64
			State     string
			Summary   string
			CanDecide bool `json:"can_decide"`
		}
	}
	roles := func(id int64) []string {
		t.Helper()
		rs, err := f.st.UserRoles(ctx, id)
		mustDo(t, err)
		var out []string
		for _, r := range rs {
			out = append(out, r.Role)
		}
		return out
	}
	decide := func(u *roleUser, id int64, want int, why string) {
		t.Helper()
		res, b := f.send(u.token, call{method: "POST", path: fmt.Sprintf("/api/v1/approvals/%d/approve", id)})
		if res.StatusCode != want {
			t.Errorf("%s approving request %d: got %d %s, want %d", why, id, res.StatusCode, b, want)
		}
	}

	// An account made with a footage role and a chosen password: made
	// at once, its role waits.
	res, b := f.send(admin.token, call{method: "POST", path: "/api/v1/users",
		body: map[string]any{"username": "puppet", "password": password, "organisation_id": f.orgA, "roles": []string{"supervisor"}}})
	var made answer
	mustDo(t, json.Unmarshal(b, &made))
	if res.StatusCode != http.StatusCreated || made.Approval == nil || made.Approval.State != "pending" || len(made.Roles) != 0 {
		t.Fatalf("an administrator making an account with a footage role: got %d %s, want 201, no roles, the role pending approval", res.StatusCode, b)
	}
	if !strings.Contains(made.Approval.Summary, "see footage") {
		t.Errorf("the request's summary: got %q, want it to say why it waits", made.Approval.Summary)
	}
	puppet, err := f.st.User(ctx, made.ID)
	mustDo(t, err)
	if !puppet.MustChangePassword || puppet.CreatedBy != admin.id {
		t.Errorf("the account made: got must change %v, made by %d, want true, by %d", puppet.MustChangePassword, puppet.CreatedBy, admin.id)
	}
	// Its maker, who chose its password, cannot use it as it is.
	if res, b := f.send(tokenFor(t, f.st, puppet.ID), call{method: "GET", path: "/api/v1/cameras"}); res.StatusCode != 403 || !strings.Contains(string(b), "change your password first") {
		t.Errorf("the new account before its password is changed: got %d %s, want 403 change your password first", res.StatusCode, b)
	}
	if res, b := f.send(admin.token, call{method: "POST", path: "/api/v1/users",
		body: map[string]any{"username": "script", "password": password, "organisation_id": f.orgA, "must_change_password": false}}); res.StatusCode != 400 {
		t.Errorf("making an account that need not change its password: got %d %s, want 400", res.StatusCode, b)
	}
	if _, err := f.st.UserByName(ctx, "script"); err == nil {
		t.Errorf("the account refused was made")
	}
	decide(admin, made.Approval.ID, 403, "the requester")
	decide(f.user(rights.CCTVManager), made.Approval.ID, 404, "a manager, who does not manage people,")
	decide(other, made.Approval.ID, 200, "another administrator")
	if got := roles(puppet.ID); !slices.Equal(got, []string{"supervisor"}) {
		t.Errorf("the account's roles once approved: got %v, want supervisor", got)
	}
	es, err := f.trail.ListAudit(ctx, store.AuditFilter{Action: "rights.set_roles"})
	mustDo(t, err)
	if len(es) != 1 || es[0].UserID != other.id || !strings.Contains(es[0].Detail, fmt.Sprintf("approved request %d of user %d", made.Approval.ID, admin.id)) {
		t.Errorf("rights.set_roles audit: got %+v, want the approver's, naming the request and its requester", es)
	}

	// A second administrator, made by the first, gives the first a
	// footage role.
	res, b = f.send(admin.token, call{method: "POST", path: "/api/v1/users",
		body: map[string]any{"username": "second", "password": password, "organisation_id": f.orgA, "roles": []string{"administrator"}}})
	var second answer
	mustDo(t, json.Unmarshal(b, &second))
	if res.StatusCode != http.StatusCreated || second.Approval != nil || len(second.Roles) != 1 {
		t.Fatalf("making a second administrator: got %d %s, want 201 with the role at once (it sees no footage)", res.StatusCode, b)
	}
	// The first administrator knows the password, and changes it.
	hash, err := auth.HashPassword(password + "!")
	mustDo(t, err)
	mustDo(t, f.st.SetPassword(ctx, second.ID, hash, false))
	sec := &roleUser{role: rights.Administrator, id: second.ID, token: tokenFor(t, f.st, second.ID)}
	adminRoles := fmt.Sprintf("/api/v1/users/%d/roles", admin.id)
	for _, tt := range []struct {
		name  string
		roles []string
	}{
		{"a footage role", []string{"administrator", "supervisor"}},
		{"a role that sees no footage", []string{"administrator", "auditor"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, b := f.send(sec.token, call{method: "PUT", path: adminRoles, body: map[string]any{"roles": tt.roles}})
			var ap answer
			mustDo(t, json.Unmarshal(b, &ap))
			if res.StatusCode != http.StatusAccepted || ap.State != "pending" {
				t.Fatalf("the account made by the administrator widening their roles: got %d %s, want 202 pending", res.StatusCode, b)
			}
			if got := roles(admin.id); !slices.Equal(got, []string{"administrator"}) {
				t.Errorf("the administrator's roles while it waits: got %v, want administrator alone", got)
			}
			decide(admin, ap.ID, 403, "the administrator whose roles it widens")
			decide(sec, ap.ID, 403, "the requester")
			res, b = f.send(admin.token, call{method: "POST", path: fmt.Sprintf("/api/v1/approvals/%d/reject", ap.ID)})
			if res.StatusCode != 403 {
				t.Errorf("the administrator rejecting it: got %d %s, want 403", res.StatusCode, b)
			}
			decide(other, ap.ID, 200, "an administrator with no part in it")
			if got := roles(admin.id); !slices.Equal(got, tt.roles) {
				t.Errorf("the administrator's roles once approved: got %v, want %v", got, tt.roles)
			}
			mustDo(t, f.st.SetUserRoles(ctx, admin.id, []access.UserRole{{Role: "administrator"}}))
		})
	}
	// The second administrator narrows, or gives what is no footage to
	// someone who did not make them, at once.
	op := f.newUser(f.orgA, "operator")
	if res, b := f.send(sec.token, call{method: "PUT", path: fmt.Sprintf("/api/v1/users/%d/roles", op), body: map[string]any{"roles": []string{"auditor"}}}); res.StatusCode != 200 {
		t.Errorf("a change that gives no footage, to an account the requester has no tie to: got %d %s, want 200", res.StatusCode, b)
	}
	if res, b := f.send(sec.token, call{method: "PUT", path: adminRoles, body: map[string]any{"roles": []string{}}}); res.StatusCode != 200 {
		t.Errorf("narrowing the roles of one's maker: got %d %s, want 200", res.StatusCode, b)
	}
	mustDo(t, f.st.SetUserRoles(ctx, admin.id, []access.UserRole{{Role: "administrator"}}))

	// An account made by the requester is no second pair of eyes.
	res, b = f.send(admin.token, call{method: "PUT", path: fmt.Sprintf("/api/v1/users/%d/roles", op), body: map[string]any{"roles": []string{"operator"}}})
	var back answer
	mustDo(t, json.Unmarshal(b, &back))
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("giving a footage role back: got %d %s, want 202", res.StatusCode, b)
	}
	decide(sec, back.ID, 403, "an administrator the requester made")
	decide(other, back.ID, 200, "an administrator with no part in it")
}

// setFourEyes sets org's four-eyes policy through the API as by: at once
// where it only adds, else (it must then wait) approved by approver.
func (f *rightsFixture) setFourEyes(by, approver *roleUser, org int64, actions ...string) {
	f.t.Helper()
	cur, err := f.st.FourEyes(f.t.Context(), org)
	mustDo(f.t, err)
	relaxes := slices.ContainsFunc(cur, func(a string) bool { return !slices.Contains(actions, a) })
	res, b := f.send(by.token, call{method: "PUT", path: fmt.Sprintf("/api/v1/organisations/%d/four-eyes", org),
		body: map[string]any{"actions": append([]string{}, actions...)}})
	if !relaxes {
		if res.StatusCode != 200 {
			f.t.Fatalf("four eyes %v on %d (was %v): got %d %s, want 200", actions, org, cur, res.StatusCode, b)
		}
		return
	}
	if res.StatusCode != http.StatusAccepted {
		f.t.Fatalf("four eyes %v on %d (was %v): got %d %s, want 202, as it relaxes the policy", actions, org, cur, res.StatusCode, b)
	}
	if fe, _ := f.st.FourEyes(f.t.Context(), org); !slices.Equal(fe, cur) {
		f.t.Errorf("four eyes on %d while the change waits: got %v, want %v", org, fe, cur)
	}
	var ap struct{ ID int64 }
	mustDo(f.t, json.Unmarshal(b, &ap))
	if res, b := f.send(approver.token, call{method: "POST", path: fmt.Sprintf("/api/v1/approvals/%d/approve", ap.ID)}); res.StatusCode != 200 || !strings.Contains(string(b), `"state": "applied"`) {
		f.t.Fatalf("approving four eyes %v on %d: got %d %s, want 200 applied", actions, org, res.StatusCode, b)
	}
}
