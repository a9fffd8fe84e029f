package approvals

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

var (
	carol  = auditlog.Actor{UserID: 3, Username: "carol"}
	police = auditlog.Actor{UserID: 6, Username: "pc"}
)

// changeRequest is a pending change of rights that needs need in orgs.
func changeRequest(t *testing.T, need rights.Action, orgs ...int64) Approval {
	t.Helper()
	b, err := json.Marshal(Change{Kind: KindSetFourEyes, Need: need, Orgs: orgs, OrgID: 3})
	if err != nil {
		t.Fatal(err)
	}
	return Approval{Kind: KindSetFourEyes, Payload: string(b)}
}

// TestWhoSeesAndDecides: a request is seen by its requester and by
// whoever holds, over what it concerns, the right its requester needed;
// only those others decide it, and not if they are too close to it or it
// is no longer pending.
func TestWhoSeesAndDecides(t *testing.T) {
	svc := peopleService()
	for _, tt := range []struct {
		name              string
		ap                Approval
		by                auditlog.Actor
		see, may, decides bool
	}{
		{"an export, to its requester", Approval{Kind: KindExport, CameraID: 7}, alice, true, true, false},
		{"an export, to a manager of the camera", Approval{Kind: KindExport, CameraID: 7}, bob, true, true, true},
		{"an export, to one the requester made", Approval{Kind: KindExport, CameraID: 7}, carol, true, true, false},
		{"an export, to the police", Approval{Kind: KindExport, CameraID: 7}, police, false, false, false},
		{"an export of a camera deleted", Approval{Kind: KindExport, CameraID: 99}, bob, false, false, false},
		{"an export of the police's camera", Approval{Kind: KindExport, CameraID: 9}, police, true, true, true},
		{"a deletion, to a manager of cameras", Approval{Kind: KindDeleteFootage, CameraID: 7}, bob, true, true, true},
		{"a deletion, to the police, who export but do not manage", Approval{Kind: KindDeleteFootage, CameraID: 9}, police, false, false, false},
		{"a change in the council, to its administrator", changeRequest(t, rights.ManageUsers, 3), bob, true, true, true},
		{"a change in the department, to the council's", changeRequest(t, rights.ManageUsers, 5), bob, true, true, true},
		{"a change in the council, to the police", changeRequest(t, rights.ManageUsers, 3), police, false, false, false},
		{"a change also in the police, to the council", changeRequest(t, rights.ManageUsers, 3, 4), bob, false, false, false},
		{"a change naming no organisation", changeRequest(t, rights.ManageUsers), bob, false, false, false},
		{"a change naming no organisation, to its requester", changeRequest(t, rights.ManageUsers), alice, true, false, false},
		{"a payload that is not a change", Approval{Kind: KindSetFourEyes, Payload: "{"}, bob, false, false, false},
		{"an export decided already", Approval{Kind: KindExport, CameraID: 7, State: Rejected}, bob, true, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ap := tt.ap
			ap.RequestedBy = alice.UserID
			if ap.State == "" {
				ap.State = Pending
			}
			c := callerOf(tt.by)
			if got := svc.MayDecide(t.Context(), c, ap); got != tt.may {
				t.Errorf("may decide: got %v, want %v", got, tt.may)
			}
			if got := svc.Visible(t.Context(), c, ap); got != tt.see {
				t.Errorf("sees: got %v, want %v", got, tt.see)
			}
			if got := svc.CanDecide(t.Context(), c, ap); got != tt.decides {
				t.Errorf("can decide: got %v, want %v", got, tt.decides)
			}
		})
	}
}

// TestGetListDecideHide: a request one may not see is "no request N" to
// Get and to Decide, as one that does not exist, and List leaves it out;
// an unknown state and a long note are refused.
func TestGetListDecideHide(t *testing.T) {
	svc := peopleService()
	ctx := t.Context()
	council, err := svc.Request(ctx, alice, Approval{Kind: KindExport, CameraID: 7}, auditlog.Entry{Detail: "export"})
	if err != nil {
		t.Fatal(err)
	}
	force, err := svc.Request(ctx, police, Approval{Kind: KindExport, CameraID: 9}, auditlog.Entry{Detail: "export"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		by   auditlog.Actor
		id   int64
		err  error
		msg  string
	}{
		{"the council's, to bob", bob, council.ID, nil, ""},
		{"the force's, to bob", bob, force.ID, problem.ErrNotFound, fmt.Sprintf("no request %d", force.ID)},
		{"the force's, to its requester", police, force.ID, nil, ""},
		{"none such", bob, 99, problem.ErrNotFound, "no request 99"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Get(ctx, callerOf(tt.by), tt.id)
			wantProblem(t, err, tt.err, tt.msg)
			if tt.err != nil {
				_, err := svc.Decide(ctx, callerOf(tt.by), tt.id, true, "")
				wantProblem(t, err, tt.err, tt.msg)
			}
		})
	}
	for _, tt := range []struct {
		name  string
		by    auditlog.Actor
		state string
		want  []int64
		err   error
		msg   string
	}{
		{"bob, any state", bob, "", []int64{council.ID}, nil, ""},
		{"the police, pending", police, Pending, []int64{force.ID}, nil, ""},
		{"bob, approved", bob, Approved, []int64{}, nil, ""},
		{"a state that is not", bob, "lost", nil, problem.ErrInvalid, "state must be pending, approved, rejected, applied, failed or expired"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, err := svc.List(ctx, callerOf(tt.by), tt.state)
			wantProblem(t, err, tt.err, tt.msg)
			var got []int64
			for _, ap := range list {
				got = append(got, ap.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	_, err = svc.Decide(ctx, callerOf(bob), council.ID, true, strings.Repeat("x", MaxNote+1))
	wantProblem(t, err, problem.ErrInvalid, fmt.Sprintf("the note must be at most %d characters", MaxNote))
	if got, _ := svc.Get(ctx, callerOf(bob), council.ID); got.State != Pending {
		t.Errorf("after a refused note: got %q, want still pending", got.State)
	}
}

// wantProblem checks err is kind with message msg (kind nil: no error).
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
