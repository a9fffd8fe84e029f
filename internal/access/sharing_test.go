package access

import (
	"errors"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// sharingCaller is a user of organisation org with role, in a tree of a
// council (3) with a department (5) below it, and the police (4) beside;
// camera group 6 is the council's, 7 the police's; camera 10 is the
// council's, 11 the department's, 12 the police's.
func sharingCaller(org int64, role rights.Role) Caller {
	snap := rights.NewSnapshot(rights.Data{
		Orgs: []rights.Org{{ID: 3, Name: "Council", Kind: rights.KindCouncil}, {ID: 4, Name: "Police", Kind: rights.KindPolice},
			{ID: 5, Name: "Housing", Kind: rights.KindDepartment, Parent: 3}},
		Grants: map[int64][]rights.Grant{1: {{Role: role}}},
		Groups: []rights.Group{{ID: 6, Org: 3, Name: "Night", Cameras: []int64{10}}, {ID: 7, Org: 4, Name: "Yard", Cameras: []int64{12}}},
	})
	return Caller{Actor: auditlog.Actor{UserID: 1, Username: "alice", OrganisationID: org}, P: snap.Principal(1, org), Snap: snap}
}

func sharingFake() *Service {
	f, svc, _, _ := newFake()
	f.cameras = map[int64]int64{10: 3, 11: 5, 12: 4}
	f.agreements = map[int64]SharingAgreement{8: {ID: 8, GrantorID: 3, GranteeID: 4, Reference: "P-1"}}
	return svc
}

// wantProblem checks err is kind with message msg ("" with kind nil: no error).
func wantProblem(t *testing.T, err, kind error, msg string) {
	t.Helper()
	if kind == nil {
		if err != nil {
			t.Errorf("got %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, kind) || problem.Message(err, "") != msg {
		t.Errorf("got %v, want %v: %q", err, kind, msg)
	}
}

// TestAgreementSides: an agreement is seen by who manages the grantor's
// cameras and by the grantee's people; to anyone else it does not exist,
// and only the grantor's managers change it.
func TestAgreementSides(t *testing.T) {
	svc := sharingFake()
	for _, tt := range []struct {
		name            string
		c               Caller
		id              int64
		manages, change bool
		err             error
		msg             string
	}{
		{"the council's manager", sharingCaller(3, rights.CCTVManager), 8, true, true, nil, ""},
		{"a police officer", sharingCaller(4, rights.Operator), 8, false, false, nil, ""},
		{"a council operator", sharingCaller(3, rights.Operator), 8, false, false, problem.ErrNotFound, "no sharing agreement 8"},
		{"an agreement that is not", sharingCaller(3, rights.CCTVManager), 9, false, false, problem.ErrNotFound, "no sharing agreement 9"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, m, err := svc.Agreement(t.Context(), tt.c, tt.id)
			wantProblem(t, err, tt.err, tt.msg)
			if err != nil {
				return
			}
			if m != tt.manages {
				t.Errorf("manages: got %v, want %v", m, tt.manages)
			}
			if err := tt.c.MayChangeAgreement(a); (err == nil) != tt.change || err != nil && !errors.Is(err, problem.ErrForbidden) {
				t.Errorf("may change: got %v, want allowed %v", err, tt.change)
			}
		})
	}
}

// TestCheckShared: what is shared must be the grantor's, and visible to
// the one sharing it, before the agreement's own fields are checked.
func TestCheckShared(t *testing.T) {
	svc := sharingFake()
	manager := sharingCaller(3, rights.CCTVManager)
	start := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	ag := func(cams, groups []int64, ref string) SharingAgreement {
		return SharingAgreement{GrantorID: 3, GranteeID: 4, Reference: ref, Rights: []string{"view_live"}, Cameras: cams, Groups: groups, StartsAt: start}
	}
	for _, tt := range []struct {
		name string
		a    SharingAgreement
		err  error
		msg  string
	}{
		{"the council's and its department's cameras", ag([]int64{10, 11}, []int64{6}, "P-2"), nil, ""},
		{"a camera that is not", ag([]int64{99}, nil, "P-2"), problem.ErrInvalid, "there is no camera 99"},
		{"the police's camera, unseen", ag([]int64{12}, nil, "P-2"), problem.ErrInvalid, "there is no camera 12"},
		{"the police's group", ag(nil, []int64{7}, "P-2"), problem.ErrInvalid, "there is no camera group 7"},
		{"a group that is not", ag(nil, []int64{70}, "P-2"), problem.ErrInvalid, "there is no camera group 70"},
		{"no reference", ag([]int64{10}, nil, "  "), problem.ErrInvalid, "give the agreement's reference: its name or number in the partnership's records"},
		{"nothing shared", ag(nil, nil, "P-2"), problem.ErrInvalid, "a sharing agreement must share all cameras, or name cameras or camera groups"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.a
			wantProblem(t, svc.CheckShared(t.Context(), manager, &a), tt.err, tt.msg)
		})
	}
	// A department's manager shares only the department's cameras.
	a := ag([]int64{10}, nil, "P-3")
	a.GrantorID = 5
	wantProblem(t, svc.CheckShared(t.Context(), sharingCaller(3, rights.CCTVManager), &a), problem.ErrInvalid, "camera 10 is not one of this organisation's")
}

// TestAgreementOrganisations: a new agreement is made by who manages the
// grantor's cameras, with an organisation that is; a change keeps both
// organisations; both then check what is shared.
func TestAgreementOrganisations(t *testing.T) {
	f, svc, _, _ := newFake()
	f.cameras = map[int64]int64{10: 3, 11: 5, 12: 4}
	f.orgs = map[int64]Organisation{3: {ID: 3, Name: "Council"}, 4: {ID: 4, Name: "Police"}, 5: {ID: 5, Name: "Housing"}}
	start := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	ag := func(grantor, grantee int64, cams ...int64) SharingAgreement {
		return SharingAgreement{ID: 8, GrantorID: grantor, GranteeID: grantee, Reference: "P-1", Rights: []string{"view_live"}, Cameras: cams, StartsAt: start}
	}
	manager := sharingCaller(3, rights.CCTVManager)
	for _, tt := range []struct {
		name    string
		c       Caller
		a       SharingAgreement
		grantee string
		err     error
		msg     string
	}{
		{"the council's with the police", manager, ag(3, 4, 10), "Police", nil, ""},
		{"the department's with the police", manager, ag(5, 4, 11), "Police", nil, ""},
		{"with an organisation that is not", manager, ag(3, 40, 10), "", problem.ErrInvalid, "there is no organisation 40 to share with"},
		{"the police's, by the council", manager, ag(4, 3, 12), "", problem.ErrNotFound, "no organisation 4"},
		{"the council's, by its operator", sharingCaller(3, rights.Operator), ag(3, 4, 10), "", problem.ErrForbidden,
			"your role (operator) cannot manage cameras"},
		{"another's camera", manager, ag(3, 4, 12), "Police", problem.ErrInvalid, "there is no camera 12"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.a
			g, err := svc.CheckNewAgreement(t.Context(), tt.c, &a)
			wantProblem(t, err, tt.err, tt.msg)
			if g.Name != tt.grantee {
				t.Errorf("grantee: got %q, want %q", g.Name, tt.grantee)
			}
		})
	}
	was := ag(3, 4, 10)
	for _, tt := range []struct {
		name string
		next SharingAgreement
		err  error
		msg  string
	}{
		{"the same organisations, another camera", ag(3, 4, 11), nil, ""},
		{"another grantee", ag(3, 5, 10), problem.ErrInvalid, "an agreement's organisations stay as they are: end it and make another"},
		{"another grantor", ag(5, 4, 11), problem.ErrInvalid, "an agreement's organisations stay as they are: end it and make another"},
		{"another's camera", ag(3, 4, 12), problem.ErrInvalid, "there is no camera 12"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			next := tt.next
			wantProblem(t, svc.CheckAgreementChange(t.Context(), manager, was, &next), tt.err, tt.msg)
		})
	}
}

// TestIncidentRefusals: only the sharing side says when an incident is
// open, only on an agreement that waits for one, and opening one needs
// its reference; nothing is recorded for a refusal.
func TestIncidentRefusals(t *testing.T) {
	waits := SharingAgreement{ID: 8, GrantorID: 3, GranteeID: 4, Reference: "P-1", Condition: rights.WhileIncidentOpen}
	plain := waits
	plain.Condition = ""
	for _, tt := range []struct {
		name string
		c    Caller
		a    SharingAgreement
		open bool
		ref  string
		err  error
		msg  string
	}{
		{"the council's operator opens", sharingCaller(3, rights.Operator), waits, true, "INC-1", nil, ""},
		{"the council's operator closes", sharingCaller(3, rights.Operator), waits, false, "", nil, ""},
		{"a department below the council", sharingCaller(5, rights.Operator), waits, false, "", problem.ErrForbidden, "only the sharing organisation's people open and close incidents on its agreements"},
		{"the police", sharingCaller(4, rights.Operator), waits, true, "INC-1", problem.ErrForbidden, "only the sharing organisation's people open and close incidents on its agreements"},
		{"an agreement that waits for none", sharingCaller(3, rights.Operator), plain, true, "INC-1", problem.ErrConflict, "this agreement does not wait for an incident: its condition is not incident_open"},
		{"no reference", sharingCaller(3, rights.Operator), waits, true, "  ", problem.ErrInvalid, "give the incident's reference"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, svc, committed, _ := newFake()
			f.agreements = map[int64]SharingAgreement{8: tt.a}
			_, err := svc.SetIncident(t.Context(), tt.c, tt.a, tt.open, tt.ref)
			wantProblem(t, err, tt.err, tt.msg)
			if want := map[bool]int{true: 1}[tt.err == nil]; len(*committed) != want {
				t.Errorf("records: got %d, want %d", len(*committed), want)
			}
		})
	}
}
