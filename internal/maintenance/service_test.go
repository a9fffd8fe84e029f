package maintenance

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// fakeRepo keeps the record in memory. Its change works on a copy and
// keeps it only if fn succeeds, as a transaction does, so a test sees
// whether a change and its records were kept both or neither.
type fakeRepo struct {
	lives       []CameraLife
	contractors []Contractor
	faults      map[int64]Fault
	outages     []Outage
	logs        []auditlog.Entry
	nextID      int64
}

func (r *fakeRepo) clone() *fakeRepo {
	c := *r
	c.lives = slices.Clone(r.lives)
	c.contractors = slices.Clone(r.contractors)
	c.faults = maps.Clone(r.faults)
	c.outages = slices.Clone(r.outages)
	c.logs = slices.Clone(r.logs)
	return &c
}

func (r *fakeRepo) change(ctx context.Context, fn func(tx Repo) error) error {
	tx := r.clone()
	if err := fn(tx); err != nil {
		return err
	}
	*r = *tx
	return nil
}

func (r *fakeRepo) CameraLives(context.Context) ([]CameraLife, error) {
	return slices.Clone(r.lives), nil
}
func (r *fakeRepo) CameraLife(_ context.Context, id int64) (CameraLife, error) {
	for _, l := range r.lives {
		if l.ID == id {
			return l, nil
		}
	}
	return CameraLife{}, fmt.Errorf("%w: camera %d", problem.ErrNotFound, id)
}
func (r *fakeRepo) Contractors(context.Context) ([]Contractor, error) {
	return slices.Clone(r.contractors), nil
}
func (r *fakeRepo) EnsureContractor(_ context.Context, name, contact string) (Contractor, error) {
	for _, c := range r.contractors {
		if c.Name == name {
			return c, nil
		}
	}
	r.nextID++
	c := Contractor{ID: r.nextID, Name: name, Contact: contact}
	r.contractors = append(r.contractors, c)
	return c, nil
}
func (r *fakeRepo) AddOutage(_ context.Context, o *Outage) error {
	r.nextID++
	o.ID = r.nextID
	r.outages = append(r.outages, *o)
	return nil
}
func (r *fakeRepo) EndOutage(context.Context, int64, time.Time, string) error { return nil }
func (r *fakeRepo) OpenOutages(context.Context) ([]Outage, error)             { return nil, nil }
func (r *fakeRepo) Outages(_ context.Context, _ int64, _, _ time.Time) ([]Outage, error) {
	return slices.Clone(r.outages), nil
}
func (r *fakeRepo) RaiseFault(_ context.Context, f *Fault) error {
	r.nextID++
	f.ID, f.State = r.nextID, FaultRaised
	r.faults[f.ID] = *f
	return nil
}
func (r *fakeRepo) Fault(_ context.Context, id int64) (Fault, error) {
	f, ok := r.faults[id]
	if !ok {
		return Fault{}, fmt.Errorf("%w: fault %d", problem.ErrNotFound, id)
	}
	return f, nil
}
func (r *fakeRepo) ListFaults(_ context.Context, _ FaultFilter) ([]Fault, error) {
	return slices.SortedFunc(maps.Values(r.faults), func(a, b Fault) int { return int(b.ID - a.ID) }), nil
}
func (r *fakeRepo) AdvanceFault(_ context.Context, id int64, state string, at time.Time, by, note string) (Fault, error) {
	f := r.faults[id]
	f.State = state
	if note != "" {
		f.Note = note
	}
	switch state {
	case FaultAcknowledged:
		f.AcknowledgedAt, f.AcknowledgedBy = &at, by
	case FaultFixed:
		f.FixedAt, f.FixedBy = &at, by
	case FaultClosed:
		f.ClosedAt, f.ClosedBy = &at, by
	}
	r.faults[id] = f
	return f, nil
}
func (r *fakeRepo) SetFaultPriority(_ context.Context, id int64, priority string, resp, fix time.Time) error {
	f := r.faults[id]
	f.Priority, f.ResponseDue, f.FixDue = priority, resp, fix
	r.faults[id] = f
	return nil
}
func (r *fakeRepo) Log(e auditlog.Entry) error {
	if e.Action.String() == "" {
		return auditlog.ErrNoAction
	}
	r.logs = append(r.logs, e)
	return nil
}

// The estate of the tests: a partnership with councils A and B, a camera
// in each, and A's manager, A's operator and B's manager.
const (
	partnership, councilA, councilB = 1, 2, 3
	camA, camB                      = 10, 20
)

var (
	t0   = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	snap = rights.NewSnapshot(rights.Data{Orgs: []rights.Org{
		{ID: partnership, Name: "Partnership", Kind: rights.KindPartnership},
		{ID: councilA, Parent: partnership, Name: "A", Kind: rights.KindCouncil},
		{ID: councilB, Parent: partnership, Name: "B", Kind: rights.KindCouncil},
	}})
)

func caller(name string, org int64, role rights.Role) Caller {
	return Caller{By: auditlog.Actor{UserID: 7, Username: name, OrganisationID: org, RemoteAddr: "192.0.2.1:5000"},
		Principal: rights.Principal{User: 7, Org: org, Grants: []rights.Grant{{Role: role}}}, Rights: snap}
}

var (
	managerA  = caller("manager-a", councilA, rights.CCTVManager)
	operatorA = caller("operator-a", councilA, rights.Operator)
	managerB  = caller("manager-b", councilB, rights.CCTVManager)
)

func newService(t *testing.T) (*Service, *fakeRepo, func(time.Duration)) {
	t.Helper()
	repo := &fakeRepo{faults: map[int64]Fault{}, nextID: 100, lives: []CameraLife{
		{ID: camA, OrganisationID: councilA, Name: "High Street", Enabled: true, Created: t0.AddDate(-1, 0, 0)},
		{ID: camB, OrganisationID: councilB, Name: "Car Park", Enabled: true, Created: t0.AddDate(-1, 0, 0)},
	}}
	now := t0
	pol := Policy{OfflinePriority: "P2", Contractor: "Acme CCTV"}
	return NewService(repo, repo.change, pol, func() time.Time { return now }), repo, func(d time.Duration) { now = now.Add(d) }
}

// TestRaiseRules: what a reported fault must say, and on which cameras
// one may be reported; a refused fault leaves nothing written, a raised
// one is assigned and recorded with who raised it.
func TestRaiseRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		by   Caller
		in   FaultInput
		kind error
		msg  string
	}{
		{"no such camera", operatorA, FaultInput{CameraID: 99, Kind: FaultFocus, Description: "soft"}, problem.ErrNotFound, "no camera 99"},
		{"another council's camera", operatorA, FaultInput{CameraID: camB, Kind: FaultFocus, Description: "soft"}, problem.ErrNotFound, "no camera 20"},
		{"no such priority", operatorA, FaultInput{CameraID: camA, Kind: FaultFocus, Priority: "P9", Description: "soft"}, problem.ErrInvalid, `priority "P9" is not one of P1, P2, P3, P4`},
		{"nothing said", operatorA, FaultInput{CameraID: camA, Kind: FaultFocus, Description: "  "}, problem.ErrInvalid, "say what is wrong (description)"},
		{"no such kind", operatorA, FaultInput{CameraID: camA, Kind: "smashed", Description: "dome"}, problem.ErrInvalid, `"smashed" is not a kind of fault`},
		{"too long", operatorA, FaultInput{CameraID: camA, Kind: FaultOther, Description: strings.Repeat("x", MaxFaultText+1)}, problem.ErrInvalid, "the description is longer than 4000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, repo, _ := newService(t)
			_, err := svc.Raise(t.Context(), tc.by, tc.in)
			if !errors.Is(err, tc.kind) || !strings.Contains(problem.Message(err, ""), tc.msg) {
				t.Errorf("got %v, want %v saying %q", err, tc.kind, tc.msg)
			}
			if len(repo.faults) != 0 || len(repo.logs) != 0 || len(repo.contractors) != 0 {
				t.Errorf("after a refusal: got faults %v, records %v, contractors %v, want none", repo.faults, repo.logs, repo.contractors)
			}
		})
	}

	svc, repo, _ := newService(t)
	f, err := svc.Raise(t.Context(), operatorA, FaultInput{CameraID: camA, Kind: FaultOffline, Description: " no picture "})
	if err != nil {
		t.Fatal(err)
	}
	if f.Priority != "P2" || f.Description != "no picture" || f.RaisedBy != "operator-a" || !f.RaisedAt.Equal(t0) ||
		!f.ResponseDue.Equal(t0.Add(8*time.Hour)) || f.ContractorID == 0 || repo.contractors[0].Name != "Acme CCTV" {
		t.Errorf("raised: got %+v, want P2 (the offline priority) by operator-a, due in 8 h, assigned to Acme CCTV", f)
	}
	want := auditlog.Entry{UserID: 7, Username: "operator-a", OrganisationID: councilA, RemoteAddr: "192.0.2.1:5000",
		Action: auditlog.FaultRaise, CameraID: camA, Detail: fmt.Sprintf("fault %d: offline, P2: no picture", f.ID)}
	if len(repo.logs) != 1 || repo.logs[0] != want {
		t.Errorf("records: got %+v, want %+v", repo.logs, want)
	}
	if f, err := svc.Raise(t.Context(), operatorA, FaultInput{CameraID: camA, Kind: FaultFocus, Description: "soft"}); err != nil || f.Priority != "P3" {
		t.Errorf("a fault with no priority given: got %+v, %v, want P3", f, err)
	}
}

// TestUpdateRules: who may move a fault on, what a step must be, and
// that a change is recorded with it.
func TestUpdateRules(t *testing.T) {
	svc, repo, advance := newService(t)
	ctx := t.Context()
	f, err := svc.Raise(ctx, operatorA, FaultInput{CameraID: camA, Kind: FaultFocus, Priority: "P3", Description: "soft"})
	if err != nil {
		t.Fatal(err)
	}
	advance(time.Hour)
	future, early := t0.Add(2*time.Hour), t0.Add(-time.Minute)
	for _, tc := range []struct {
		name string
		by   Caller
		id   int64
		in   FaultChange
		kind error
		msg  string
	}{
		{"no such fault", managerA, 999, FaultChange{State: FaultAcknowledged}, problem.ErrNotFound, "no fault 999"},
		{"another council's", managerB, f.ID, FaultChange{State: FaultAcknowledged}, problem.ErrNotFound, fmt.Sprintf("no fault %d", f.ID)},
		{"an operator", operatorA, f.ID, FaultChange{State: FaultAcknowledged}, problem.ErrForbidden, ""},
		{"dated in the future", managerA, f.ID, FaultChange{State: FaultAcknowledged, At: &future}, problem.ErrInvalid, "a step cannot be dated in the future"},
		{"dated before it was raised", managerA, f.ID, FaultChange{State: FaultAcknowledged, At: &early}, problem.ErrConflict, "a step cannot be dated before the fault was raised"},
		{"no such priority", managerA, f.ID, FaultChange{Priority: "P0"}, problem.ErrInvalid, `priority "P0" is not one of`},
		{"a note with no step", managerA, f.ID, FaultChange{Note: "called"}, problem.ErrInvalid, "a note goes with a step"},
		{"no such step", managerA, f.ID, FaultChange{State: FaultRaised}, problem.ErrConflict, `"raised" is not a step a fault can move to`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(repo.logs)
			_, err := svc.Update(ctx, tc.by, tc.id, tc.in)
			if !errors.Is(err, tc.kind) || !strings.Contains(problem.Message(err, ""), tc.msg) {
				t.Errorf("got %v, want %v saying %q", err, tc.kind, tc.msg)
			}
			if got := repo.faults[f.ID]; got.State != FaultRaised || got.Priority != "P3" || len(repo.logs) != before {
				t.Errorf("after a refusal: got %+v and %d new records, want it as raised and none", got, len(repo.logs)-before)
			}
		})
	}

	for _, c := range []struct {
		by   Caller
		want error
	}{{managerB, problem.ErrNotFound}, {operatorA, problem.ErrForbidden}} {
		if err := svc.MayUpdate(ctx, c.by, f.ID); !errors.Is(err, c.want) {
			t.Errorf("may %s update it: got %v, want %v", c.by.By.Username, err, c.want)
		}
	}
	if err := svc.MayUpdate(ctx, managerA, f.ID); err != nil {
		t.Errorf("may council A's manager update it: got %v, want nil", err)
	}

	got, err := svc.Update(ctx, managerA, f.ID, FaultChange{State: FaultAcknowledged, Priority: "P1", Note: "engineer booked"})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != FaultAcknowledged || got.AcknowledgedBy != "manager-a" || !got.AcknowledgedAt.Equal(t0.Add(time.Hour)) ||
		got.Priority != "P1" || !got.FixDue.Equal(t0.Add(24*time.Hour)) || got.Note != "engineer booked" {
		t.Errorf("acknowledged as P1: got %+v, want acknowledged by manager-a an hour after it was raised, due 24 h after", got)
	}
	last := repo.logs[len(repo.logs)-1]
	if last.Action != auditlog.FaultUpdate || last.Username != "manager-a" || last.CameraID != camA ||
		last.Detail != fmt.Sprintf(`fault %d: state acknowledged, priority P1, note "engineer booked"`, f.ID) {
		t.Errorf("record of the change: got %+v", last)
	}
	if _, err := svc.Update(ctx, managerA, f.ID, FaultChange{State: FaultAcknowledged}); !errors.Is(err, problem.ErrConflict) ||
		problem.Message(err, "") != fmt.Sprintf("fault %d is already acknowledged", f.ID) {
		t.Errorf("acknowledging again: got %v, want a conflict", err)
	}
}

// TestReadScope: a reader sees the faults and cameras of their scope
// alone; one who reads no figures is refused them.
func TestReadScope(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := t.Context()
	for _, c := range []int64{camA, camB} {
		if _, err := svc.Raise(ctx, caller("admin", partnership, rights.CCTVManager), FaultInput{CameraID: c, Kind: FaultFocus, Description: "soft"}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := svc.View(ctx, managerA)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := svc.Faults(ctx, managerA, v, FaultFilter{})
	if err != nil || len(fs) != 1 || fs[0].CameraID != camA || len(v.Cameras) != 1 || v.Cameras[0].ID != camA {
		t.Errorf("council A's manager: got faults %+v, cameras %+v, %v, want camera A's alone", fs, v.Cameras, err)
	}
	if _, _, err := svc.Fault(ctx, managerB, fs[0].ID); !errors.Is(err, problem.ErrNotFound) {
		t.Errorf("council B's manager reading A's fault: got %v, want not found", err)
	}
	if _, err := svc.Faults(ctx, operatorA, v, FaultFilter{}); !errors.Is(err, problem.ErrForbidden) {
		t.Errorf("an operator listing faults: got %v, want forbidden", err)
	}
	cams, err := svc.Reportable(ctx, operatorA)
	if err != nil || len(cams) != 1 || cams[0].ID != camA || cams[0].Manage {
		t.Errorf("cameras an operator may report on: got %+v, %v, want camera A, not managed", cams, err)
	}
}
