package cameras

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/secret"
)

// fakeRepo keeps cameras, their history and the audit records in memory;
// a change works on a copy that is kept only if it succeeds, as a
// transaction would be.
type fakeRepo struct {
	cams    map[int64]Camera
	events  []finance.Event
	records []auditlog.Entry
	nextID  int64
	failLog bool
}

func newFakeRepo() *fakeRepo { return &fakeRepo{cams: map[int64]Camera{}} }

func (f *fakeRepo) clone() *fakeRepo {
	c := *f
	c.cams = map[int64]Camera{}
	for k, v := range f.cams {
		c.cams[k] = v
	}
	c.events = append([]finance.Event(nil), f.events...)
	c.records = append([]auditlog.Entry(nil), f.records...)
	return &c
}

func (f *fakeRepo) change(ctx context.Context, fn func(tx Repo) error) error {
	tx := f.clone()
	if err := fn(tx); err != nil {
		return err
	}
	*f = *tx
	return nil
}

func (f *fakeRepo) Camera(_ context.Context, id int64) (Camera, error) {
	c, ok := f.cams[id]
	if !ok {
		return c, fmt.Errorf("%w: camera %d", problem.ErrNotFound, id)
	}
	return c, nil
}

func (f *fakeRepo) ListCameras(context.Context) ([]Camera, error) {
	var out []Camera
	for _, c := range f.cams {
		out = append(out, c)
	}
	return out, nil
}

func (f *fakeRepo) CreateCamera(_ context.Context, c *Camera) error {
	for _, o := range f.cams {
		if o.OrganisationID == c.OrganisationID && o.Name == c.Name {
			return fmt.Errorf("%w: name taken", problem.ErrConflict)
		}
	}
	f.nextID++
	c.ID = f.nextID
	f.cams[c.ID] = *c
	return nil
}

func (f *fakeRepo) UpdateCamera(_ context.Context, c *Camera) error {
	if _, ok := f.cams[c.ID]; !ok {
		return problem.ErrNotFound
	}
	f.cams[c.ID] = *c
	return nil
}

func (f *fakeRepo) DeleteCamera(_ context.Context, id int64) error {
	if _, ok := f.cams[id]; !ok {
		return problem.ErrNotFound
	}
	delete(f.cams, id)
	return nil
}

func (f *fakeRepo) CameraEvents(_ context.Context, camera int64) ([]finance.Event, error) {
	var out []finance.Event
	for _, e := range f.events {
		if e.Camera == camera {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeRepo) AddCameraEvent(_ context.Context, e *finance.Event, _ int64) error {
	f.events = append(f.events, *e)
	return nil
}

func (f *fakeRepo) FinanceCategories(context.Context) ([]finance.Category, error) {
	return []finance.Category{{Name: finance.Proactive}, {Name: finance.Reactive}}, nil
}

func (f *fakeRepo) Log(e auditlog.Entry) error {
	if f.failLog {
		return errors.New("the outbox refused")
	}
	f.records = append(f.records, e)
	return nil
}

type running struct{ applied, stopped []int64 }

func (r *running) Apply(_ context.Context, c Camera) error {
	r.applied = append(r.applied, c.ID)
	return nil
}
func (r *running) Stop(id int64) { r.stopped = append(r.stopped, id) }

func newTestService(t *testing.T) (*Service, *fakeRepo, *running, *secret.Box) {
	t.Helper()
	box, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	repo, run := newFakeRepo(), &running{}
	day := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	s := New(repo, repo.change, Options{Secrets: box, Running: run, RetentionDays: 31, Now: func() time.Time { return day }})
	return s, repo, run, box
}

func ptr[T any](v T) *T { return &v }

// alice is trusted: the command line, whom no rights bind.
var alice = Caller{Actor: auditlog.Actor{UserID: 7, Username: "alice", OrganisationID: 2, RemoteAddr: "192.0.2.1:5000"}}

// TestCreate: a camera is created with its audit record and its
// installation in its history, its credentials taken out of the URL and
// sealed, and started once committed.
func TestCreate(t *testing.T) {
	s, repo, run, box := newTestService(t)
	c, err := s.Create(context.Background(), alice, 3, Input{Name: ptr(" Gate "), URL: ptr("rtsp://admin:pw@10.0.0.5/s1")})
	if err != nil {
		t.Fatalf("Create: got %v, want nil", err)
	}
	if c.Name != "Gate" || c.URL != "rtsp://10.0.0.5/s1" || c.OrganisationID != 3 || c.RetentionDays != 31 || !c.Enabled || c.Transport != "tcp" {
		t.Errorf("camera: got %+v, want Gate at rtsp://10.0.0.5/s1 of organisation 3, 31 days, enabled, tcp", c)
	}
	if u, p, err := Credentials(box, c); err != nil || u != "admin" || p != "pw" {
		t.Errorf("credentials: got %q, %q, %v, want admin, pw, nil", u, p, err)
	}
	if len(repo.records) != 1 || repo.records[0].Action != auditlog.CameraCreate || repo.records[0].CameraID != c.ID ||
		repo.records[0].Username != "alice" || repo.records[0].Detail != "Gate" {
		t.Errorf("records: got %+v, want one camera.create by alice for camera %d", repo.records, c.ID)
	}
	if len(repo.events) != 1 || repo.events[0].Kind != finance.Installed || repo.events[0].Category != finance.Proactive || repo.events[0].Org != 3 {
		t.Errorf("history: got %+v, want one proactive installation for organisation 3", repo.events)
	}
	if len(run.applied) != 1 || run.applied[0] != c.ID {
		t.Errorf("started: got %v, want [%d]", run.applied, c.ID)
	}
}

// TestRefusals: invalid values, an unknown category and a taken name are
// refused with what to say, and change nothing.
func TestRefusals(t *testing.T) {
	s, repo, run, _ := newTestService(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, alice, 3, Input{Name: ptr("Gate"), URL: ptr("rtsp://10.0.0.5/")}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   Input
		kind error
		msg  string
	}{
		{"no url", Input{Name: ptr("Yard")}, problem.ErrInvalid, "name and url are required"},
		{"not rtsp", Input{Name: ptr("Yard"), URL: ptr("http://10.0.0.5/")}, problem.ErrInvalid, "rtsp://"},
		{"loopback", Input{Name: ptr("Yard"), URL: ptr("rtsp://127.0.0.1/")}, problem.ErrInvalid, "loopback"},
		{"transport", Input{Name: ptr("Yard"), URL: ptr("rtsp://10.0.0.5/"), Transport: ptr("sctp")}, problem.ErrInvalid, "transport"},
		{"retention", Input{Name: ptr("Yard"), URL: ptr("rtsp://10.0.0.5/"), RetentionDays: ptr(0)}, problem.ErrInvalid, "retention_days"},
		{"half a position", Input{Name: ptr("Yard"), URL: ptr("rtsp://10.0.0.5/"), Latitude: Optional{Set: true, V: ptr(51.0)}}, problem.ErrInvalid, "together"},
		{"long area", Input{Name: ptr("Yard"), URL: ptr("rtsp://10.0.0.5/"), Area: ptr(strings.Repeat("a", MaxPlace+1))}, problem.ErrInvalid, "area"},
		{"category", Input{Name: ptr("Yard"), URL: ptr("rtsp://10.0.0.5/"), Category: ptr("gold")}, problem.ErrInvalid, "category must be one of proactive, reactive"},
		{"taken", Input{Name: ptr("Gate"), URL: ptr("rtsp://10.0.0.6/")}, problem.ErrConflict, `a camera named "Gate" already exists`},
	} {
		_, err := s.Create(ctx, alice, 3, tc.in)
		if !errors.Is(err, tc.kind) || !strings.Contains(problem.Message(err, ""), tc.msg) {
			t.Errorf("%s: got %v, want a %v saying %q", tc.name, err, tc.kind, tc.msg)
		}
	}
	if len(repo.cams) != 1 || len(repo.records) != 1 || len(repo.events) != 1 || len(run.applied) != 1 {
		t.Errorf("after refusals: got %d cameras, %d records, %d events, %d starts, want 1 of each",
			len(repo.cams), len(repo.records), len(repo.events), len(run.applied))
	}
}

// TestUpdate: a new category is dated once; the same again, or none, adds
// nothing to the history; credentials given apart are sealed.
func TestUpdate(t *testing.T) {
	s, repo, run, box := newTestService(t)
	ctx := context.Background()
	c, err := s.Create(ctx, alice, 3, Input{Name: ptr("Gate"), URL: ptr("rtsp://10.0.0.5/")})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		in     Input
		events int
	}{
		{Input{Category: ptr(finance.Reactive)}, 2},
		{Input{Category: ptr(finance.Reactive)}, 2},
		{Input{Username: ptr("u"), Password: ptr("p")}, 2},
	} {
		if c, err = s.Update(ctx, alice, c, step.in); err != nil {
			t.Fatalf("Update %+v: got %v, want nil", step.in, err)
		}
		if len(repo.events) != step.events {
			t.Errorf("after %+v: got %d events, want %d", step.in, len(repo.events), step.events)
		}
	}
	if got := repo.events[1]; got.Kind != finance.Recategorised || got.Category != finance.Reactive {
		t.Errorf("the recategorisation: got %+v, want reactive", got)
	}
	if u, p, _ := Credentials(box, repo.cams[c.ID]); u != "u" || p != "p" {
		t.Errorf("stored credentials: got %q, %q, want u, p", u, p)
	}
	if len(repo.records) != 4 || repo.records[3].Action != auditlog.CameraUpdate {
		t.Errorf("records: got %d, the last %v, want 4, the last camera.update", len(repo.records), repo.records[len(repo.records)-1].Action)
	}
	if len(run.applied) != 4 {
		t.Errorf("applied: got %d times, want 4", len(run.applied))
	}
}

// TestAllOrNothing: when the audit record cannot be written, the camera,
// its record and its history event are all left as they were.
func TestAllOrNothing(t *testing.T) {
	s, repo, run, _ := newTestService(t)
	ctx := context.Background()
	c, err := s.Create(ctx, alice, 3, Input{Name: ptr("Gate"), URL: ptr("rtsp://10.0.0.5/")})
	if err != nil {
		t.Fatal(err)
	}
	repo.failLog = true
	if _, err := s.Create(ctx, alice, 3, Input{Name: ptr("Yard"), URL: ptr("rtsp://10.0.0.6/")}); err == nil {
		t.Error("Create with the record refused: got nil, want an error")
	}
	if _, err := s.Update(ctx, alice, c, Input{Name: ptr("Gate 2"), Category: ptr(finance.Reactive)}); err == nil {
		t.Error("Update with the record refused: got nil, want an error")
	}
	if err := s.Delete(ctx, alice, c); err == nil {
		t.Error("Delete with the record refused: got nil, want an error")
	}
	if len(repo.cams) != 1 || repo.cams[c.ID].Name != "Gate" || len(repo.records) != 1 || len(repo.events) != 1 {
		t.Errorf("after refused records: got %d cameras (%q), %d records, %d events, want 1 camera Gate, 1 record, 1 event",
			len(repo.cams), repo.cams[c.ID].Name, len(repo.records), len(repo.events))
	}
	if len(run.applied) != 1 {
		t.Errorf("applied: got %d times, want once, for the create that committed", len(run.applied))
	}
	repo.failLog = false
	if err := s.Delete(ctx, alice, c); err != nil {
		t.Fatalf("Delete: got %v, want nil", err)
	}
	if len(repo.cams) != 0 || repo.events[len(repo.events)-1].Kind != finance.Decommissioned || repo.records[len(repo.records)-1].Action != auditlog.CameraDelete {
		t.Errorf("after Delete: got %d cameras, last event %v, last record %v, want none, decommissioned, camera.delete",
			len(repo.cams), repo.events[len(repo.events)-1].Kind, repo.records[len(repo.records)-1].Action)
	}
	if _, err := s.Camera(ctx, c.ID); !errors.Is(err, problem.ErrNotFound) || problem.Message(err, "") != fmt.Sprintf("no camera %d", c.ID) {
		t.Errorf("Camera after Delete: got %v, want not found, no camera %d", err, c.ID)
	}
}

// TestRights: the service decides who may do what to which camera: one
// outside all a person sees is "no camera N", one they see but may not
// manage is refused with the reason, and neither changes anything.
func TestRights(t *testing.T) {
	s, repo, _, _ := newTestService(t)
	ctx := context.Background()
	const partnership, councilA, councilB = 1, 2, 3
	snap := rights.NewSnapshot(rights.Data{
		Orgs: []rights.Org{
			{ID: partnership, Name: "Partnership", Kind: rights.KindPartnership},
			{ID: councilA, Parent: partnership, Name: "A", Kind: rights.KindCouncil},
			{ID: councilB, Parent: partnership, Name: "B", Kind: rights.KindCouncil},
		},
		Grants: map[int64][]rights.Grant{10: {{Role: rights.CCTVManager}}, 11: {{Role: rights.Operator}}},
	})
	manager := Caller{Actor: auditlog.Actor{UserID: 10, Username: "manager"}, Rights: snap, Principal: snap.Principal(10, councilA)}
	operator := Caller{Actor: auditlog.Actor{UserID: 11, Username: "operator"}, Rights: snap, Principal: snap.Principal(11, councilA)}

	a, err := s.Create(ctx, manager, councilA, Input{Name: ptr("Gate"), URL: ptr("rtsp://10.0.0.5/")})
	if err != nil {
		t.Fatalf("a manager adds a camera to their council: got %v, want nil", err)
	}
	if _, err := s.Create(ctx, manager, councilB, Input{Name: ptr("Yard"), URL: ptr("rtsp://10.0.0.6/")}); !errors.Is(err, problem.ErrNotFound) {
		t.Errorf("a manager adds a camera to another council: got %v, want not found", err)
	}
	b, err := s.Create(ctx, alice, councilB, Input{Name: ptr("Yard"), URL: ptr("rtsp://10.0.0.6/")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, manager, b.ID, rights.ViewLive); !errors.Is(err, problem.ErrNotFound) || problem.Message(err, "") != fmt.Sprintf("no camera %d", b.ID) {
		t.Errorf("another council's camera: got %v, want no camera %d", err, b.ID)
	}
	if _, err := s.Get(ctx, operator, a.ID, rights.ViewLive); err != nil {
		t.Errorf("an operator views their council's camera: got %v, want nil", err)
	}
	if _, err := s.Update(ctx, operator, a, Input{Name: ptr("Gate 2")}); !errors.Is(err, problem.ErrForbidden) || problem.Message(err, "") == "" {
		t.Errorf("an operator renames a camera: got %v, want forbidden with the reason", err)
	}
	if err := s.Delete(ctx, operator, a); !errors.Is(err, problem.ErrForbidden) {
		t.Errorf("an operator removes a camera: got %v, want forbidden", err)
	}
	if err := s.Delete(ctx, manager, b); !errors.Is(err, problem.ErrNotFound) {
		t.Errorf("a manager removes another council's camera: got %v, want not found", err)
	}
	if len(repo.cams) != 2 || repo.cams[a.ID].Name != "Gate" || len(repo.records) != 2 {
		t.Errorf("after refusals: got %d cameras, %q, %d records, want 2, Gate, 2", len(repo.cams), repo.cams[a.ID].Name, len(repo.records))
	}
}
