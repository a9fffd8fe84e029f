package approvals

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// fakeRepo holds requests and records; the fake change commits what a
// transaction did only when it succeeds, as the store does.
type fakeRepo struct {
	approvals map[int64]Approval
	records   []auditlog.Entry
	// made counts the changes an applier made, committed.
	made int
	// cameras are the live cameras' organisations, by id.
	cameras map[int64]int64
}

// fakeTx is one transaction on fakeRepo: a copy, kept when it succeeds.
type fakeTx struct {
	*fakeRepo
	made int
}

func (f *fakeRepo) Approval(_ context.Context, id int64) (Approval, error) {
	a, ok := f.approvals[id]
	if !ok {
		return a, problem.Notf("no request %d", id)
	}
	return a, nil
}
func (f *fakeRepo) ListApprovals(_ context.Context, state string, limit int) ([]Approval, error) {
	var out []Approval
	for id := int64(len(f.approvals)); id > 0 && len(out) < limit; id-- {
		if a, ok := f.approvals[id]; ok && (state == "" || a.State == state) {
			out = append(out, a)
		}
	}
	return out, nil
}
func (f *fakeRepo) CameraOrganisation(_ context.Context, id int64) (int64, error) {
	org, ok := f.cameras[id]
	if !ok {
		return 0, problem.Notf("no camera %d", id)
	}
	return org, nil
}
func (f *fakeRepo) CreateApproval(_ context.Context, a *Approval) error {
	a.ID, a.State = int64(len(f.approvals)+1), Pending
	f.approvals[a.ID] = *a
	return nil
}
func (f *fakeRepo) DecideApproval(_ context.Context, id, by int64, state, note string, at, expires time.Time) (Approval, error) {
	a := f.approvals[id]
	if a.State != Pending {
		return Approval{}, fmt.Errorf("%w (it is %s)", ErrNotPending, a.State)
	}
	a.State, a.DecidedBy, a.DecidedAt, a.Note = state, by, &at, note
	if !expires.IsZero() {
		a.ExpiresAt = expires
	}
	f.approvals[id] = a
	return a, nil
}
func (f *fakeRepo) SettleApproval(_ context.Context, id int64, state, note string) error {
	a := f.approvals[id]
	a.State, a.Note = state, note
	f.approvals[id] = a
	return nil
}
func (f *fakeRepo) Log(e auditlog.Entry) error {
	f.records = append(f.records, e)
	return nil
}

func (f *fakeRepo) change(ctx context.Context, fn func(tx *fakeTx) error) error {
	copied := &fakeRepo{approvals: map[int64]Approval{}, records: append([]auditlog.Entry(nil), f.records...), made: f.made, cameras: f.cameras}
	for k, v := range f.approvals {
		copied.approvals[k] = v
	}
	tx := &fakeTx{fakeRepo: copied}
	if err := fn(tx); err != nil {
		return err
	}
	f.approvals, f.records, f.made = copied.approvals, copied.records, copied.made+tx.made
	return nil
}

var (
	alice = auditlog.Actor{UserID: 1, Username: "alice"}
	bob   = auditlog.Actor{UserID: 2, Username: "bob"}
	now   = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
)

// deciders is a council (3) with a department (5) below it, and the
// police (4) beside; users 1 to 5 manage the council's users and cameras,
// and export its footage; user 6 is a police investigator. Cameras: 1 and
// 7 are the council's, 9 the police's.
var deciders = rights.NewSnapshot(rights.Data{
	Orgs: []rights.Org{{ID: 3, Name: "Council", Kind: rights.KindCouncil}, {ID: 4, Name: "Police", Kind: rights.KindPolice},
		{ID: 5, Name: "Housing", Kind: rights.KindDepartment, Parent: 3}},
	Grants: map[int64][]rights.Grant{
		1: {{Role: rights.CCTVManager}, {Role: rights.Administrator}}, 2: {{Role: rights.CCTVManager}, {Role: rights.Administrator}},
		3: {{Role: rights.CCTVManager}, {Role: rights.Administrator}}, 4: {{Role: rights.CCTVManager}, {Role: rights.Administrator}},
		5: {{Role: rights.CCTVManager}, {Role: rights.Administrator}}, 6: {{Role: rights.PoliceInvestigator}},
	},
})

var fakeCameras = map[int64]int64{1: 3, 7: 3, 9: 4}

// callerOf is a as the service judges them: of the council, but user 6
// of the police.
func callerOf(a auditlog.Actor) Caller {
	org := int64(3)
	if a.UserID == 6 {
		org = 4
	}
	return Caller{Actor: a, P: deciders.Principal(a.UserID, org), Snap: deciders}
}

func newService(applyErr error) (*fakeRepo, *Service[*fakeTx], *[]Change) {
	f := &fakeRepo{approvals: map[int64]Approval{}, cameras: fakeCameras}
	var after []Change
	apply := ApplierFunc[*fakeTx](func(ctx context.Context, tx *fakeTx, by auditlog.Actor, ch Change, note string) (any, error) {
		tx.made++
		if err := tx.Log(by.Entry(auditlog.RightsSetFourEyes, "four eyes"+note)); err != nil {
			return nil, err
		}
		return "made", applyErr
	})
	svc := New[*fakeTx](f, f.change, Options[*fakeTx]{Appliers: map[string]Applier[*fakeTx]{KindSetFourEyes: apply},
		After: func(ch Change) { after = append(after, ch) }, Now: func() time.Time { return now }})
	return f, svc, &after
}

func actions(es []auditlog.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Action.String())
	}
	return out
}

func policySnapshot(t *testing.T) *rights.Snapshot {
	t.Helper()
	return rights.NewSnapshot(rights.Data{Orgs: []rights.Org{{ID: 3, Name: "Council", Kind: rights.KindCouncil}},
		FourEyes: map[int64][]string{3: {rights.FourEyesRights}}})
}

// TestProposeHoldsOrMakes: a change under no policy is made at once with
// its record; one under a policy waits as a request, nothing made.
func TestProposeHoldsOrMakes(t *testing.T) {
	ctx := context.Background()
	f, svc, after := newService(nil)
	snap := policySnapshot(t)
	ch := Change{Kind: KindSetFourEyes, Need: rights.ManageUsers, Orgs: []int64{3}, OrgID: 3}
	out, err := svc.Propose(ctx, alice, snap, Proposal{Change: ch, Hold: Hold{Actions: []string{rights.FourEyesRights}, Orgs: []int64{4}}})
	if err != nil || out.Made != "made" || out.Pending != nil || f.made != 1 || len(*after) != 1 {
		t.Fatalf("no policy: got %+v, %v, %d made, %d after, want it made once", out, err, f.made, len(*after))
	}
	out, err = svc.Propose(ctx, alice, snap, Proposal{Change: ch, Hold: Hold{Actions: []string{rights.FourEyesRights}, Orgs: []int64{3}}, Summary: "four eyes"})
	if err != nil || out.Pending == nil || f.made != 1 {
		t.Fatalf("under a policy: got %+v, %v, %d made, want a request and nothing more made", out, err, f.made)
	}
	p := out.Pending
	if p.OrganisationID != 3 || p.Action != rights.FourEyesRights || p.RequestedBy != alice.UserID || !p.ExpiresAt.Equal(now.Add(Life)) {
		t.Errorf("request: got %+v, want one of organisation 3 for rights by alice, for %s", p, Life)
	}
	if got, ok := ChangeOf(*p); !ok || got.OrgID != 3 || got.Kind != KindSetFourEyes {
		t.Errorf("the request's change: got %+v, %v, want the change proposed", got, ok)
	}
	want := []string{"rights.set_four_eyes", "approval.request"}
	if got := actions(f.records); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records: got %v, want %v", got, want)
	}
}

// TestDecide: a rejection makes nothing; an approval makes the change in
// the decision's transaction; a second decision is a conflict; an
// approved export opens its window.
func TestDecide(t *testing.T) {
	ctx := context.Background()
	f, svc, _ := newService(nil)
	snap := policySnapshot(t)
	ch := Change{Kind: KindSetFourEyes, Need: rights.ManageUsers, Orgs: []int64{3}, OrgID: 3}
	hold := Hold{Actions: []string{rights.FourEyesRights}, Orgs: []int64{3}}
	first, _ := svc.Propose(ctx, alice, snap, Proposal{Change: ch, Hold: hold})
	second, _ := svc.Propose(ctx, alice, snap, Proposal{Change: ch, Hold: hold})
	f.records = nil

	d, err := svc.Decide(ctx, callerOf(bob), first.Pending.ID, false, "no")
	if err != nil || d.State != Rejected || f.made != 0 {
		t.Fatalf("reject: got %+v, %v, %d made, want rejected and nothing made", d, err, f.made)
	}
	d, err = svc.Decide(ctx, callerOf(bob), second.Pending.ID, true, "yes")
	if err != nil || d.State != Applied || f.made != 1 || f.approvals[d.ID].State != Applied {
		t.Fatalf("approve: got %+v, %v, %d made, want applied and made once", d, err, f.made)
	}
	want := []string{"approval.reject", "approval.approve", "rights.set_four_eyes"}
	if got := actions(f.records); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records: got %v, want %v", got, want)
	}
	if got := f.records[2].Detail; got != fmt.Sprintf("four eyes (approved request %d of user 1)", second.Pending.ID) {
		t.Errorf("the change's record: got %q, want it to name the request", got)
	}
	if _, err := svc.Decide(ctx, callerOf(bob), second.Pending.ID, true, ""); !errors.Is(err, problem.ErrConflict) {
		t.Errorf("deciding twice: got %v, want a conflict", err)
	}

	exp, err := svc.Request(ctx, alice, Approval{Kind: KindExport, Action: rights.FourEyesExport, CameraID: 7}, auditlog.Entry{Detail: "export"})
	if err != nil {
		t.Fatal(err)
	}
	d, err = svc.Decide(ctx, callerOf(bob), exp.ID, true, "")
	if err != nil || d.State != Approved || !d.ExpiresAt.Equal(now.Add(ExportWindow)) || f.made != 1 {
		t.Errorf("an export: got %+v, %v, want approved until %s with nothing made", d, err, now.Add(ExportWindow))
	}
}

// TestDecideFailed: when the approved change fails, nothing of it stays,
// and the request is approved and failed, saying why.
func TestDecideFailed(t *testing.T) {
	ctx := context.Background()
	f, svc, after := newService(problem.Notf("camera 7 no longer exists"))
	snap := policySnapshot(t)
	out, _ := svc.Propose(ctx, alice, snap, Proposal{Change: Change{Kind: KindSetFourEyes, Need: rights.ManageUsers, Orgs: []int64{3}, OrgID: 3},
		Hold: Hold{Actions: []string{rights.FourEyesRights}, Orgs: []int64{3}}})
	f.records = nil
	d, err := svc.Decide(ctx, callerOf(bob), out.Pending.ID, true, "")
	var fe *FailedError
	if !errors.As(err, &fe) || !errors.Is(err, problem.ErrNotFound) {
		t.Fatalf("got %v, want a FailedError for the applier's refusal", err)
	}
	if d.State != Failed || d.Note != "camera 7 no longer exists" || f.approvals[d.ID].State != Failed || d.DecidedBy != bob.UserID {
		t.Errorf("request: got %+v, want failed, decided by bob, saying why", d)
	}
	if f.made != 0 || len(*after) != 0 {
		t.Errorf("got %d made and %d after, want none", f.made, len(*after))
	}
	if got := actions(f.records); fmt.Sprint(got) != "[approval.approve]" {
		t.Errorf("records: got %v, want only the decision's", got)
	}
}
