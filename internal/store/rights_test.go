package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// wantInvalid fails unless err is an *InvalidError whose message holds want.
func wantInvalid(t *testing.T, what string, err error, want string) {
	t.Helper()
	var ie *InvalidError
	if !errors.As(err, &ie) || !strings.Contains(ie.Msg, want) {
		t.Errorf("%s: got %v, want an InvalidError mentioning %q", what, err, want)
	}
}

func TestOrganisationTree(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		p := access.Organisation{Name: "Partnership", Kind: "partnership"}
		must(t, s.CreateOrganisation(ctx, &p))
		council := access.Organisation{Name: " Council A ", Kind: "council", ParentID: p.ID}
		must(t, s.CreateOrganisation(ctx, &council))
		if council.Name != "Council A" || council.ID == 0 || council.CreatedAt.IsZero() {
			t.Errorf("created council: got %+v, want a trimmed name, an id and a time", council)
		}
		dept := access.Organisation{Name: "A Parks", Kind: "department", ParentID: council.ID}
		must(t, s.CreateOrganisation(ctx, &dept))
		got, err := s.Organisation(ctx, dept.ID)
		must(t, err)
		if got != dept {
			t.Errorf("Organisation: got %+v, want %+v", got, dept)
		}
		byName, err := s.OrganisationByName(ctx, "A Parks")
		must(t, err)
		if byName != dept {
			t.Errorf("OrganisationByName: got %+v, want %+v", byName, dept)
		}
		police := access.Organisation{Name: "Police", Kind: "police"}
		must(t, s.CreateOrganisation(ctx, &police))

		bad := []struct {
			name string
			o    access.Organisation
			want string
		}{
			{"empty name", access.Organisation{Name: " ", Kind: "council"}, "1 to 200 characters"},
			{"unknown kind", access.Organisation{Name: "X", Kind: "club"}, "not one of"},
			{"partnership with a parent", access.Organisation{Name: "X", Kind: "partnership", ParentID: p.ID}, "no parent"},
			{"department without parent", access.Organisation{Name: "X", Kind: "department"}, "belongs to a council"},
			{"department of the police", access.Organisation{Name: "X", Kind: "department", ParentID: police.ID}, "must be a council or a department, not a police"},
			{"missing parent", access.Organisation{Name: "X", Kind: "council", ParentID: 999}, "no organisation 999"},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				o := tt.o
				wantInvalid(t, "CreateOrganisation", s.CreateOrganisation(ctx, &o), tt.want)
			})
		}
		dup := access.Organisation{Name: "Council A", Kind: "council"}
		if err := s.CreateOrganisation(ctx, &dup); !errors.Is(err, ErrConflict) {
			t.Errorf("a taken name: got %v, want ErrConflict", err)
		}

		// Moves: never below itself.
		p2 := p
		p2.Kind, p2.ParentID = "council", dept.ID
		wantInvalid(t, "moving the partnership below its department", s.UpdateOrganisation(ctx, &p2), "below itself")
		c2 := council
		c2.Kind = "customer"
		wantInvalid(t, "a council with departments becoming a customer", s.UpdateOrganisation(ctx, &c2), "has departments")
		police.ParentID, police.Name = p.ID, "Shire Constabulary"
		must(t, s.UpdateOrganisation(ctx, &police))
		if got, _ := s.Organisation(ctx, police.ID); got.ParentID != p.ID || got.Name != "Shire Constabulary" {
			t.Errorf("after a move: got %+v, want below the partnership, renamed", got)
		}
		ghost := access.Organisation{ID: 999, Name: "Ghost", Kind: "council"}
		if err := s.UpdateOrganisation(ctx, &ghost); !errors.Is(err, ErrNotFound) {
			t.Errorf("UpdateOrganisation of a missing one: got %v, want ErrNotFound", err)
		}
		if _, err := s.EnsureOrganisation(ctx, "Y", "department"); err == nil {
			t.Error("EnsureOrganisation of a department: got nil error, want one (a department needs its council)")
		}
	})
}

func TestUserRoles(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, err := s.EnsureOrganisation(ctx, "A", "council")
		must(t, err)
		b, err := s.EnsureOrganisation(ctx, "B", "council")
		must(t, err)
		op := identity.User{Username: "op", PasswordHash: "h", OrganisationID: a.ID, Role: "operator"}
		must(t, s.CreateUser(ctx, &op))
		legacy := identity.User{Username: "legacy", PasswordHash: "h", OrganisationID: a.ID, Role: "viewer"}
		must(t, s.CreateUser(ctx, &legacy))
		roles, err := s.UserRoles(ctx, op.ID)
		must(t, err)
		if len(roles) != 1 || roles[0].Role != "operator" || roles[0].CameraGroupID != 0 {
			t.Errorf("roles of a user made as an operator: got %+v, want operator over every camera", roles)
		}
		if roles, _ := s.UserRoles(ctx, legacy.ID); len(roles) != 0 {
			t.Errorf("roles of a user made with an unknown role: got %+v, want none", roles)
		}

		camA := newCameraIn(t, s, a.ID, "A1")
		gA := access.CameraGroup{OrganisationID: a.ID, Name: "Town", Cameras: []int64{camA.ID}}
		must(t, s.CreateCameraGroup(ctx, &gA))
		gB := access.CameraGroup{OrganisationID: b.ID, Name: "Elsewhere"}
		must(t, s.CreateCameraGroup(ctx, &gB))

		want := []access.UserRole{{Role: "auditor"}, {Role: "supervisor", CameraGroupID: gA.ID}}
		must(t, s.SetUserRoles(ctx, op.ID, []access.UserRole{want[1], want[0], want[1]}))
		roles, err = s.UserRoles(ctx, op.ID)
		must(t, err)
		if len(roles) != 2 || roles[0].Role != "auditor" || roles[1].Role != "supervisor" || roles[1].CameraGroupID != gA.ID || roles[0].CreatedAt.IsZero() {
			t.Errorf("after SetUserRoles: got %+v, want auditor, then supervisor of group %d, once each", roles, gA.ID)
		}
		if u, _ := s.User(ctx, op.ID); u.Role != "auditor" {
			t.Errorf("users.role after SetUserRoles: got %q, want the first role, auditor", u.Role)
		}
		wantInvalid(t, "an unknown role", s.SetUserRoles(ctx, op.ID, []access.UserRole{{Role: "superuser"}}), "is not a role")
		wantInvalid(t, "another organisation's group", s.SetUserRoles(ctx, op.ID, []access.UserRole{{Role: "operator", CameraGroupID: gB.ID}}), "not one of the user's organisation")
		if roles, _ := s.UserRoles(ctx, op.ID); len(roles) != 2 {
			t.Errorf("after refused changes: got %+v, want the two roles unchanged", roles)
		}
		if err := s.SetUserRoles(ctx, 999, nil); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetUserRoles of a missing user: got %v, want ErrNotFound", err)
		}

		// A group's deletion takes the roles limited to it.
		must(t, s.DeleteCameraGroup(ctx, gA.ID))
		if roles, _ := s.UserRoles(ctx, op.ID); len(roles) != 1 || roles[0].Role != "auditor" {
			t.Errorf("after the group went: got %+v, want the auditor role alone", roles)
		}
		must(t, s.SetUserRoles(ctx, op.ID, nil))
		if u, _ := s.User(ctx, op.ID); u.Role != "none" {
			t.Errorf("users.role with no roles: got %q, want none", u.Role)
		}

		// Single sign-on's role replaces every role the user held.
		v, _ := s.RightsVersion(ctx)
		must(t, s.SetUserRoles(ctx, op.ID, []access.UserRole{{Role: "auditor"}, {Role: "supervisor"}}))
		must(t, s.SetUserRole(ctx, op.ID, "police_viewer", b.ID))
		roles, _ = s.UserRoles(ctx, op.ID)
		if u, _ := s.User(ctx, op.ID); len(roles) != 1 || roles[0].Role != "police_viewer" || u.OrganisationID != b.ID || u.Role != "police_viewer" {
			t.Errorf("after SetUserRole: got roles %+v of organisation %d, want police_viewer alone, of B", roles, u.OrganisationID)
		}
		if v2, _ := s.RightsVersion(ctx); v2 != v+2 {
			t.Errorf("rights version after two changes of roles: got %d, want %d", v2, v+2)
		}
		must(t, s.SetUserRole(ctx, op.ID, "staff", a.ID))
		if roles, _ := s.UserRoles(ctx, op.ID); len(roles) != 0 {
			t.Errorf("after SetUserRole with a role that is not Vigil's: got %+v, want none", roles)
		}
		must(t, s.SetUserRoles(ctx, op.ID, nil))

		users, err := s.ListUsers(ctx)
		must(t, err)
		if len(users) != 2 || users[0].ID != op.ID || users[1].ID != legacy.ID {
			t.Errorf("ListUsers: got %+v, want op then legacy", users)
		}
		must(t, s.SetUserRoles(ctx, legacy.ID, []access.UserRole{{Role: "operator"}}))
		must(t, s.DeleteUser(ctx, legacy.ID))
		if _, err := s.User(ctx, legacy.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("User after DeleteUser: got %v, want ErrNotFound", err)
		}
		var n int
		must(t, s.rdb.QueryRow(`SELECT COUNT(*) FROM user_roles WHERE user_id = $1`, legacy.ID).Scan(&n))
		if n != 0 {
			t.Errorf("roles of a deleted user: got %d rows, want 0", n)
		}
		if err := s.DeleteUser(ctx, legacy.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("DeleteUser twice: got %v, want ErrNotFound", err)
		}
	})
}

func newCameraIn(t *testing.T, s *Store, org int64, name string) cameras.Camera {
	t.Helper()
	c := cameras.Camera{OrganisationID: org, Name: name, URL: "rtsp://cam.example/" + name, RetentionDays: 31, Enabled: true}
	must(t, s.CreateCamera(context.Background(), &c))
	return c
}

func TestCameraGroups(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, err := s.EnsureOrganisation(ctx, "A", "council")
		must(t, err)
		c1, c2, c3 := newCameraIn(t, s, a.ID, "1"), newCameraIn(t, s, a.ID, "2"), newCameraIn(t, s, a.ID, "3")
		g := access.CameraGroup{OrganisationID: a.ID, Name: " Night-time economy ", Cameras: []int64{c3.ID, c1.ID, c3.ID}}
		must(t, s.CreateCameraGroup(ctx, &g))
		if g.Name != "Night-time economy" || !slices.Equal(g.Cameras, []int64{c1.ID, c3.ID}) || g.ID == 0 {
			t.Errorf("created: got %+v, want the name trimmed, cameras sorted once each", g)
		}
		got, err := s.CameraGroup(ctx, g.ID)
		must(t, err)
		if got.Name != g.Name || !slices.Equal(got.Cameras, g.Cameras) || !got.CreatedAt.Equal(g.CreatedAt) {
			t.Errorf("CameraGroup: got %+v, want %+v", got, g)
		}
		empty := access.CameraGroup{OrganisationID: a.ID, Name: "Empty"}
		must(t, s.CreateCameraGroup(ctx, &empty))
		dup := access.CameraGroup{OrganisationID: a.ID, Name: "Empty"}
		if err := s.CreateCameraGroup(ctx, &dup); !errors.Is(err, ErrConflict) {
			t.Errorf("a taken group name: got %v, want ErrConflict", err)
		}
		wantInvalid(t, "a nameless group", s.CreateCameraGroup(ctx, &access.CameraGroup{OrganisationID: a.ID}), "1 to 100 characters")
		wantInvalid(t, "camera 0", s.CreateCameraGroup(ctx, &access.CameraGroup{OrganisationID: a.ID, Name: "Z", Cameras: []int64{0}}), "not a positive")
		if err := s.CreateCameraGroup(ctx, &access.CameraGroup{OrganisationID: a.ID, Name: "Z", Cameras: []int64{9999}}); err == nil {
			t.Error("a group of a missing camera: got nil error, want a foreign key error")
		}

		g.Name, g.Cameras = "Evenings", []int64{c2.ID}
		must(t, s.UpdateCameraGroup(ctx, &g))
		list, err := s.ListCameraGroups(ctx)
		must(t, err)
		if len(list) != 2 || list[0].Name != "Evenings" || !slices.Equal(list[0].Cameras, []int64{c2.ID}) || list[1].Name != "Empty" || len(list[1].Cameras) != 0 || list[1].Cameras == nil {
			t.Errorf("ListCameraGroups: got %+v, want Evenings holding camera %d, then Empty with an empty list", list, c2.ID)
		}
		must(t, s.DeleteCameraGroup(ctx, g.ID))
		if _, err := s.CameraGroup(ctx, g.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("after delete: got %v, want ErrNotFound", err)
		}
		if err := s.DeleteCameraGroup(ctx, g.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete twice: got %v, want ErrNotFound", err)
		}
		if err := s.UpdateCameraGroup(ctx, &g); !errors.Is(err, ErrNotFound) {
			t.Errorf("update a deleted group: got %v, want ErrNotFound", err)
		}
	})
}

func TestSharingAgreements(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, err := s.EnsureOrganisation(ctx, "A", "council")
		must(t, err)
		police, err := s.EnsureOrganisation(ctx, "Police", "police")
		must(t, err)
		c1 := newCameraIn(t, s, a.ID, "1")
		g := access.CameraGroup{OrganisationID: a.ID, Name: "G", Cameras: []int64{c1.ID}}
		must(t, s.CreateCameraGroup(ctx, &g))
		end := t0.Add(30 * 24 * time.Hour)
		ag := access.SharingAgreement{GrantorID: a.ID, GranteeID: police.ID, Reference: "DSA 2026/14", Rights: []string{"play_back", "view_live", "view_live"},
			Cameras: []int64{c1.ID}, Groups: []int64{g.ID}, StartsAt: t0, EndsAt: &end, Condition: "incident_open", CreatedBy: 7}
		must(t, s.CreateSharingAgreement(ctx, &ag))
		if !slices.Equal(ag.Rights, []string{"view_live", "play_back"}) || !ag.StartsAt.Equal(normal(t0)) || ag.StartsAt.Location() != time.UTC {
			t.Errorf("created: rights %v starts %v, want view_live, play_back in order and the start in UTC", ag.Rights, ag.StartsAt)
		}
		got, err := s.SharingAgreement(ctx, ag.ID)
		must(t, err)
		if got.Reference != ag.Reference || !slices.Equal(got.Rights, ag.Rights) || !slices.Equal(got.Cameras, []int64{c1.ID}) ||
			!slices.Equal(got.Groups, []int64{g.ID}) || !got.StartsAt.Equal(ag.StartsAt) || got.EndsAt == nil || !got.EndsAt.Equal(*ag.EndsAt) ||
			got.Condition != "incident_open" || got.IncidentOpenAt != nil || got.CreatedBy != 7 || !got.CreatedAt.Equal(ag.CreatedAt) {
			t.Errorf("SharingAgreement: got %+v, want %+v", got, ag)
		}

		open := t0.Add(time.Hour)
		got.IncidentOpenAt, got.IncidentReference, got.Cameras, got.Groups, got.AllCameras = &open, "INC-42", nil, nil, true
		must(t, s.UpdateSharingAgreement(ctx, &got))
		list, err := s.ListSharingAgreements(ctx)
		must(t, err)
		if len(list) != 1 || !list[0].AllCameras || len(list[0].Cameras) != 0 || len(list[0].Groups) != 0 || list[0].IncidentOpenAt == nil ||
			!list[0].IncidentOpenAt.Equal(normal(open)) || list[0].IncidentReference != "INC-42" {
			t.Errorf("after update: got %+v, want all cameras, no lists, the incident open", list)
		}

		bad := []struct {
			name string
			edit func(a *access.SharingAgreement)
			want string
		}{
			{"no reference", func(a *access.SharingAgreement) { a.Reference = "" }, "reference"},
			{"with itself", func(a *access.SharingAgreement) { a.GranteeID = a.GrantorID }, "itself"},
			{"a right that cannot be shared", func(a *access.SharingAgreement) { a.Rights = []string{"manage_users"} }, "cannot be shared"},
			{"no rights", func(a *access.SharingAgreement) { a.Rights = nil }, "at least one"},
			{"nothing shared", func(a *access.SharingAgreement) { a.AllCameras, a.Cameras, a.Groups = false, nil, nil }, "must share all cameras"},
			{"ends before it starts", func(a *access.SharingAgreement) { e := a.StartsAt.Add(-time.Second); a.EndsAt = &e }, "end after it starts"},
			{"no start", func(a *access.SharingAgreement) { a.StartsAt = time.Time{} }, "needs a start"},
			{"unknown condition", func(a *access.SharingAgreement) { a.Condition = "full_moon" }, "not known"},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				b := ag
				b.ID = 0
				tt.edit(&b)
				wantInvalid(t, "CreateSharingAgreement", s.CreateSharingAgreement(ctx, &b), tt.want)
			})
		}
		ghost := ag
		ghost.ID = 999
		if err := s.UpdateSharingAgreement(ctx, &ghost); !errors.Is(err, ErrNotFound) {
			t.Errorf("update a missing agreement: got %v, want ErrNotFound", err)
		}
		if _, err := s.SharingAgreement(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("a missing agreement: got %v, want ErrNotFound", err)
		}
	})
}

func TestApprovals(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, err := s.EnsureOrganisation(ctx, "A", "council")
		must(t, err)
		must(t, s.SetFourEyes(ctx, a.ID, []string{"rights", "export", "export"}))
		fe, err := s.FourEyes(ctx, a.ID)
		must(t, err)
		if !slices.Equal(fe, []string{"export", "rights"}) {
			t.Errorf("FourEyes: got %v, want export and rights", fe)
		}
		wantInvalid(t, "an unknown four-eyes action", s.SetFourEyes(ctx, a.ID, []string{"coffee"}), "not a four-eyes action")
		if fe, _ := s.FourEyes(ctx, 999); fe == nil || len(fe) != 0 {
			t.Errorf("FourEyes of an organisation with none: got %#v, want an empty list", fe)
		}

		start, end := t0, t0.Add(time.Minute)
		future := time.Now().Add(time.Hour)
		exp := approvals.Approval{OrganisationID: a.ID, Action: "export", Kind: "export", Summary: "Export camera 3", Reason: "PC 123 request",
			CameraID: 3, RangeStart: &start, RangeEnd: &end, RequestedBy: 10, ExpiresAt: future}
		must(t, s.CreateApproval(ctx, &exp))
		if exp.ID == 0 || exp.State != approvals.Pending || exp.Payload != "{}" {
			t.Errorf("created: got %+v, want an id, pending, an empty JSON payload", exp)
		}
		got, err := s.Approval(ctx, exp.ID)
		must(t, err)
		if got.Reason != "PC 123 request" || got.CameraID != 3 || !got.RangeStart.Equal(normal(start)) || got.State != approvals.Pending || got.DecidedAt != nil {
			t.Errorf("Approval: got %+v, want %+v", got, exp)
		}

		if _, err := s.DecideApproval(ctx, exp.ID, 10, approvals.Approved, "", time.Now(), time.Time{}); err == nil {
			t.Error("a requester approving their own request: got nil error, want one")
		} else if !errors.Is(err, problem.ErrForbidden) || !strings.Contains(problem.Message(err, ""), "another person's approval") {
			t.Errorf("self-approval: got %v, want a problem.ErrForbidden mentioning another person's approval", err)
		}
		window := time.Now().Add(24 * time.Hour)
		d, err := s.DecideApproval(ctx, exp.ID, 11, approvals.Approved, "checked the log", time.Now(), window)
		must(t, err)
		if d.State != approvals.Approved || d.DecidedBy != 11 || d.DecidedAt == nil || !d.ExpiresAt.Equal(normal(window)) {
			t.Errorf("decided: got %+v, want approved by 11 with the download window as expiry", d)
		}
		if _, err := s.DecideApproval(ctx, exp.ID, 12, approvals.Rejected, "", time.Now(), time.Time{}); !errors.Is(err, approvals.ErrNotPending) {
			t.Errorf("deciding twice: got %v, want approvals.ErrNotPending", err)
		}

		old := approvals.Approval{OrganisationID: a.ID, Action: "rights", Kind: "set_roles", Payload: `{"user_id":5}`, RequestedBy: 10,
			RequestedAt: time.Now().Add(-48 * time.Hour), ExpiresAt: time.Now().Add(-time.Hour)}
		must(t, s.CreateApproval(ctx, &old))
		if got, _ := s.Approval(ctx, old.ID); got.State != approvals.Expired {
			t.Errorf("a lapsed request: got state %q, want expired", got.State)
		}
		if _, err := s.DecideApproval(ctx, old.ID, 11, approvals.Approved, "", time.Now(), time.Time{}); !errors.Is(err, approvals.ErrNotPending) {
			t.Errorf("approving a lapsed request: got %v, want approvals.ErrNotPending", err)
		}
		roles := approvals.Approval{OrganisationID: a.ID, Action: "rights", Kind: "set_roles", Payload: `{"user_id":6}`, RequestedBy: 10, ExpiresAt: future}
		must(t, s.CreateApproval(ctx, &roles))
		if err := s.SettleApproval(ctx, roles.ID, approvals.Applied, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("settling a pending request: got %v, want ErrNotFound", err)
		}
		_, err = s.DecideApproval(ctx, roles.ID, 11, approvals.Approved, "", time.Now(), time.Time{})
		must(t, err)
		must(t, s.SettleApproval(ctx, roles.ID, approvals.Failed, "the user has gone"))
		if got, _ := s.Approval(ctx, roles.ID); got.State != approvals.Failed || got.Note != "the user has gone" {
			t.Errorf("settled: got %+v, want failed with the note", got)
		}

		for _, tt := range []struct {
			state string
			want  []int64
		}{
			{"", []int64{roles.ID, exp.ID, old.ID}},
			{approvals.Pending, nil},
			{approvals.Expired, []int64{old.ID}},
			{approvals.Approved, []int64{exp.ID}},
		} {
			list, err := s.ListApprovals(ctx, tt.state, 0)
			must(t, err)
			var ids []int64
			for _, a := range list {
				ids = append(ids, a.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("ListApprovals(%q): got %v, want %v", tt.state, ids, tt.want)
			}
		}
	})
}

func TestRightsData(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		p := access.Organisation{Name: "P", Kind: "partnership"}
		must(t, s.CreateOrganisation(ctx, &p))
		a := access.Organisation{Name: "A", Kind: "council", ParentID: p.ID}
		must(t, s.CreateOrganisation(ctx, &a))
		police := access.Organisation{Name: "Police", Kind: "police", ParentID: p.ID}
		must(t, s.CreateOrganisation(ctx, &police))
		cam := newCameraIn(t, s, a.ID, "1")
		g := access.CameraGroup{OrganisationID: a.ID, Name: "G", Cameras: []int64{cam.ID}}
		must(t, s.CreateCameraGroup(ctx, &g))
		op := identity.User{Username: "op", PasswordHash: "h", OrganisationID: a.ID, Role: "operator"}
		must(t, s.CreateUser(ctx, &op))
		nobody := identity.User{Username: "nobody", PasswordHash: "h", OrganisationID: a.ID, Role: "x"}
		must(t, s.CreateUser(ctx, &nobody))
		pc := identity.User{Username: "pc", PasswordHash: "h", OrganisationID: police.ID, Role: "police_viewer"}
		must(t, s.CreateUser(ctx, &pc))
		ag := access.SharingAgreement{GrantorID: a.ID, GranteeID: police.ID, Reference: "R", Rights: []string{"view_live"}, Groups: []int64{g.ID}, StartsAt: t0}
		must(t, s.CreateSharingAgreement(ctx, &ag))
		must(t, s.SetFourEyes(ctx, a.ID, []string{"export"}))

		d, err := s.RightsData(ctx)
		must(t, err)
		v, err := s.RightsVersion(ctx)
		must(t, err)
		if v != d.Version || v < 9 {
			t.Errorf("rights version: got %d, RightsData's %d; want them equal and counting the nine changes above", v, d.Version)
		}
		newCameraIn(t, s, a.ID, "not a rights change")
		if v2, _ := s.RightsVersion(ctx); v2 != v {
			t.Errorf("rights version after adding a camera: got %d, want %d unchanged", v2, v)
		}
		must(t, s.SetUserRoles(ctx, nobody.ID, []access.UserRole{{Role: "auditor"}}))
		if v2, _ := s.RightsVersion(ctx); v2 != v+1 {
			t.Errorf("rights version after a change of roles: got %d, want %d", v2, v+1)
		}
		wantInvalid(t, "a refused change", s.SetUserRoles(ctx, nobody.ID, []access.UserRole{{Role: "king"}}), "not a role")
		if v2, _ := s.RightsVersion(ctx); v2 != v+1 {
			t.Errorf("rights version after a refused change: got %d, want %d unchanged", v2, v+1)
		}
		must(t, s.SetUserRoles(ctx, nobody.ID, nil))
		if len(d.Orgs) != 3 || d.Orgs[1].Parent != p.ID {
			t.Errorf("orgs: got %+v, want three with A below P", d.Orgs)
		}
		if gs, ok := d.Grants[nobody.ID]; !ok || len(gs) != 0 {
			t.Errorf("grants of a user without roles: got %v (present %v), want present and empty", gs, ok)
		}
		snap := rights.NewSnapshot(d)
		at := time.Now()
		if dec := snap.Can(snap.Principal(op.ID, a.ID), rights.ViewLive, rights.Camera{ID: cam.ID, Org: a.ID}, at); !dec.Allowed {
			t.Errorf("the operator of A on A's camera: got %+v, want allowed", dec)
		}
		if dec := snap.Can(snap.Principal(pc.ID, police.ID), rights.ViewLive, rights.Camera{ID: cam.ID, Org: a.ID}, at); !dec.Allowed {
			t.Errorf("the police viewer on the shared camera: got %+v, want allowed", dec)
		}
		if dec := snap.Can(snap.Principal(pc.ID, police.ID), rights.PlayBack, rights.Camera{ID: cam.ID, Org: a.ID}, at); dec.Allowed {
			t.Errorf("the police viewer playing back a camera shared for live view only: got %+v, want refused", dec)
		}
		if need, by := snap.NeedsApproval(a.ID, rights.FourEyesExport); !need || by != a.ID {
			t.Errorf("NeedsApproval: got %v by %d, want true by A", need, by)
		}
		if snap.Known(9999) || !snap.Known(nobody.ID) {
			t.Error("Known: want users in the store known, others not")
		}
	})
}

// TestMigrateVersion2Database opens a database of the console's schema,
// with users holding the old roles, and checks their roles carry over.
func TestMigrateVersion2Database(t *testing.T) {
	check := func(t *testing.T, driver, dialect, dsn, openDSN string) {
		ctx := context.Background()
		db, err := sql.Open(driver, dsn)
		must(t, err)
		ms, err := loadMigrations(migrationFS, dialect)
		must(t, err)
		for _, m := range ms[:2] {
			for _, stmt := range m.stmts {
				if _, err := db.Exec(stmt); err != nil {
					t.Fatalf("%v\n%s", err, stmt)
				}
			}
		}
		for _, stmt := range []string{
			`CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
			`INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0)`,
			`INSERT INTO schema_migrations VALUES (2, '0002_console.sql', 0)`,
			`INSERT INTO organisations (name, kind, created_at) VALUES ('Old', 'council', 0)`,
			`INSERT INTO users (username, password_hash, organisation_id, role, created_at) VALUES ('admin', 'h', 1, 'administrator', 5)`,
			`INSERT INTO users (username, password_hash, organisation_id, role, created_at) VALUES ('op', 'h', 1, 'operator', 6)`,
			`INSERT INTO users (username, password_hash, organisation_id, role, created_at) VALUES ('v', 'h', 1, 'viewer', 7)`,
		} {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%v\n%s", err, stmt)
			}
		}
		must(t, db.Close())
		s, err := Open(ctx, openDSN, nil)
		must(t, err)
		defer s.Close()
		for _, tt := range []struct {
			user string
			want []string
		}{{"admin", []string{"administrator"}}, {"op", []string{"operator"}}, {"v", nil}} {
			u, err := s.UserByName(ctx, tt.user)
			must(t, err)
			roles, err := s.UserRoles(ctx, u.ID)
			must(t, err)
			var got []string
			for _, r := range roles {
				got = append(got, r.Role)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s's roles after the migration: got %v, want %v", tt.user, got, tt.want)
			}
		}
		if o, err := s.Organisation(ctx, 1); err != nil || o.ParentID != 0 {
			t.Errorf("old organisation: got %+v, %v, want it with no parent", o, err)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "v2.db")
		check(t, "sqlite", dialectSQLite, path+"?_pragma=foreign_keys(ON)", path)
	})
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) {
			dsn := testkit.PostgresSchema(t, pg)
			check(t, "pgx", dialectPostgres, dsn, dsn)
		})
	}
}
