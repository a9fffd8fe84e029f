package access

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// fakeRepo keeps what a transaction wrote; the fake change commits the
// records only when the function succeeds, as the store does.
type fakeRepo struct {
	fail    error // every write fails so
	pending []auditlog.Entry
	names   map[int64]string
	orgs    map[int64]Organisation
	// agreements and cameras (their owners) are what sharing reads.
	agreements map[int64]SharingAgreement
	cameras    map[int64]int64
}

func (f *fakeRepo) SharingAgreement(_ context.Context, id int64) (SharingAgreement, error) {
	a, ok := f.agreements[id]
	if !ok {
		return a, problem.ErrNotFound
	}
	return a, nil
}
func (f *fakeRepo) CameraOrganisation(_ context.Context, id int64) (int64, error) {
	org, ok := f.cameras[id]
	if !ok {
		return 0, problem.ErrNotFound
	}
	return org, nil
}

func (f *fakeRepo) Organisation(_ context.Context, id int64) (Organisation, error) {
	o, ok := f.orgs[id]
	if !ok {
		return o, problem.Notf("no organisation %d", id)
	}
	return o, nil
}
func (f *fakeRepo) CreateOrganisation(_ context.Context, o *Organisation) error {
	if f.fail == nil {
		o.ID = 9
	}
	return f.fail
}
func (f *fakeRepo) UpdateOrganisation(context.Context, *Organisation) error { return f.fail }
func (f *fakeRepo) SetFourEyes(context.Context, int64, []string) error      { return f.fail }
func (f *fakeRepo) CameraGroup(_ context.Context, id int64) (CameraGroup, error) {
	return CameraGroup{ID: id, OrganisationID: 3, Name: "Night"}, f.fail
}
func (f *fakeRepo) CreateCameraGroup(context.Context, *CameraGroup) error { return f.fail }
func (f *fakeRepo) UpdateCameraGroup(context.Context, *CameraGroup) error { return f.fail }
func (f *fakeRepo) DeleteCameraGroup(context.Context, int64) error        { return f.fail }
func (f *fakeRepo) CreateSharingAgreement(_ context.Context, a *SharingAgreement) error {
	a.ID = 4
	return f.fail
}
func (f *fakeRepo) UpdateSharingAgreement(context.Context, *SharingAgreement) error { return f.fail }
func (f *fakeRepo) SetUserRoles(context.Context, int64, []UserRole) error           { return f.fail }
func (f *fakeRepo) RolesHolder(_ context.Context, id int64) (string, error)         { return f.names[id], nil }
func (f *fakeRepo) Log(e auditlog.Entry) error {
	f.pending = append(f.pending, e)
	return nil
}

func newFake() (*fakeRepo, *Service, *[]auditlog.Entry, *int) {
	f := &fakeRepo{names: map[int64]string{5: "bob"}, orgs: map[int64]Organisation{3: {ID: 3, Name: "Council"}}}
	var committed []auditlog.Entry
	changed := 0
	svc := New(f, func(ctx context.Context, fn func(tx Repo) error) error {
		f.pending = nil
		if err := fn(f); err != nil {
			return err
		}
		committed = append(committed, f.pending...)
		return nil
	}, func() { changed++ }, func() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) })
	return f, svc, &committed, &changed
}

var alice = auditlog.Actor{UserID: 1, Username: "alice", OrganisationID: 3, RemoteAddr: "192.0.2.1:1"}

// caller is alice as rights judge her: an administrator of council 3,
// beside which is organisation 4, not hers.
func caller(role rights.Role) Caller {
	snap := rights.NewSnapshot(rights.Data{Orgs: []rights.Org{{ID: 3, Name: "Council", Kind: rights.KindCouncil}, {ID: 4, Name: "Police", Kind: rights.KindPolice}},
		Grants: map[int64][]rights.Grant{1: {{Role: role}}}})
	return Caller{Actor: alice, P: snap.Principal(1, 3), Snap: snap}
}

// TestChangesOfRightsRecordTheirKind: each change a second person may
// approve records the action named after its kind, by who acted, with
// the note of its approval.
func TestChangesOfRightsRecordTheirKind(t *testing.T) {
	ctx := context.Background()
	f, svc, _, _ := newFake()
	note := " (approved request 2 of user 7)"
	for _, tc := range []struct {
		kind string
		do   func() error
		want string
	}{
		{"set_roles", func() error {
			return svc.SetRolesIn(ctx, f, alice, 5, []UserRole{{Role: "operator", CameraGroupID: 2}}, note)
		},
			"user bob: roles operator (camera group 2)"},
		{"set_four_eyes", func() error { _, err := svc.SetFourEyesIn(ctx, f, alice, 3, []string{"export"}, note); return err },
			`organisation Council: four eyes for ["export"]`},
		{"move_organisation", func() error {
			_, err := svc.MoveOrganisationIn(ctx, f, alice, Organisation{ID: 3, Name: "Council", ParentID: 8}, note)
			return err
		}, "organisation Council: parent 8"},
		{"update_group", func() error {
			_, err := svc.UpdateGroupIn(ctx, f, alice, CameraGroup{ID: 6, Name: "Night", Cameras: []int64{1, 2}}, note)
			return err
		}, "camera group 6 (Night): cameras [1 2]"},
		{"create_agreement", func() error {
			_, err := svc.SaveAgreementIn(ctx, f, alice, SharingAgreement{Reference: "P-1", Rights: []string{"view_live"}}, note)
			return err
		}, "sharing agreement 4 (P-1): view_live"},
		{"update_agreement", func() error {
			_, err := svc.SaveAgreementIn(ctx, f, alice, SharingAgreement{ID: 4, Reference: "P-1", Rights: []string{"export"}}, note)
			return err
		}, "sharing agreement 4 (P-1): export"},
	} {
		f.pending = nil
		if err := tc.do(); err != nil {
			t.Errorf("%s: got %v, want nil", tc.kind, err)
			continue
		}
		if len(f.pending) != 1 {
			t.Errorf("%s: got %d records, want 1", tc.kind, len(f.pending))
			continue
		}
		e := f.pending[0]
		if e.Action.String() != "rights."+tc.kind || e.Detail != tc.want+note || e.Username != "alice" || e.RemoteAddr != alice.RemoteAddr {
			t.Errorf("%s: got %s %q by %s from %s, want rights.%s %q by alice from %s", tc.kind, e.Action, e.Detail, e.Username, e.RemoteAddr,
				tc.kind, tc.want+note, alice.RemoteAddr)
		}
	}
}

// TestRefusedChangeRecordsNothing: a change the store refuses commits no
// record, and a taken name is refused in words for the person.
func TestRefusedChangeRecordsNothing(t *testing.T) {
	ctx := context.Background()
	f, svc, committed, changed := newFake()
	f.fail = fmt.Errorf("%w: unique violation", problem.ErrConflict)
	_, err := svc.CreateOrganisation(ctx, caller(rights.Administrator), Organisation{Name: "Council", Kind: "department", ParentID: 3})
	if !errors.Is(err, problem.ErrConflict) || problem.Message(err, "") != `an organisation named "Council" already exists` {
		t.Errorf("a taken name: got %v (%q), want a worded conflict", err, problem.Message(err, ""))
	}
	if len(*committed) != 0 {
		t.Errorf("records of a refused change: got %v, want none", *committed)
	}
	f.fail = nil
	o, err := svc.CreateOrganisation(ctx, caller(rights.Administrator), Organisation{Name: "Police", Kind: "police", ParentID: 3})
	if err != nil || o.ID != 9 {
		t.Fatalf("CreateOrganisation: got %+v, %v, want id 9", o, err)
	}
	if len(*committed) != 1 || (*committed)[0].Action != auditlog.OrganisationCreate || !strings.Contains((*committed)[0].Detail, "Police (9)") {
		t.Errorf("records: got %+v, want one organisation.create naming Police (9)", *committed)
	}
	if *changed != 2 {
		t.Errorf("rights reloads: got %d, want one per change tried (2)", *changed)
	}
}

// TestSetIncident: opening an incident stamps it now with its reference;
// closing clears it, and each says which in its record.
func TestSetIncident(t *testing.T) {
	ctx := context.Background()
	_, svc, committed, _ := newFake()
	a, err := svc.SetIncident(ctx, caller(rights.Operator), SharingAgreement{ID: 4, GrantorID: 3, Reference: "P-1", Condition: rights.WhileIncidentOpen}, true, " INC-1 ")
	if err != nil || a.IncidentOpenAt == nil || a.IncidentReference != "INC-1" {
		t.Fatalf("open: got %+v, %v, want it open as INC-1", a, err)
	}
	if a, err = svc.SetIncident(ctx, caller(rights.Operator), a, false, ""); err != nil || a.IncidentOpenAt != nil {
		t.Fatalf("close: got %+v, %v, want it closed", a, err)
	}
	want := []string{"agreement 4 (P-1): incident INC-1 opened", "agreement 4 (P-1): incident INC-1 closed"}
	if len(*committed) != 2 || (*committed)[0].Detail != want[0] || (*committed)[1].Detail != want[1] {
		t.Errorf("records: got %+v, want %q", *committed, want)
	}
}

// TestDecidedInTheService: the service refuses, before changing
// anything, what the caller may not do to the very thing asked: an
// organisation outside their sight is "no organisation N", one they see
// but may not manage is a refusal with the reason.
func TestDecidedInTheService(t *testing.T) {
	ctx := context.Background()
	_, svc, committed, _ := newFake()
	_, err := svc.CreateOrganisation(ctx, caller(rights.Administrator), Organisation{Name: "Elsewhere", Kind: "police", ParentID: 4})
	if !errors.Is(err, problem.ErrNotFound) || problem.Message(err, "") != "no organisation 4" {
		t.Errorf("below another's organisation: got %v, want not found", err)
	}
	_, err = svc.UpdateOrganisation(ctx, caller(rights.Operator), Organisation{ID: 3, Name: "Renamed", Kind: "council"})
	if !errors.Is(err, problem.ErrForbidden) || problem.Message(err, "") == "" {
		t.Errorf("an operator renaming: got %v, want a refusal with its reason", err)
	}
	if err := svc.DeleteGroup(ctx, caller(rights.Operator), 6); !errors.Is(err, problem.ErrNotFound) || problem.Message(err, "") != "no camera group 6" {
		t.Errorf("an operator deleting a group: got %v, want not found", err)
	}
	if err := svc.DeleteGroup(ctx, caller(rights.Administrator), 6); err != nil {
		t.Errorf("an administrator deleting a group: got %v, want nil", err)
	}
	if len(*committed) != 1 || (*committed)[0].Action != auditlog.CameraGroupDelete {
		t.Errorf("records: got %+v, want only the group's deletion", *committed)
	}
}
