package finance

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// fakeRepo keeps the figures in memory and records what was written and
// logged; a change commits them or, refused, throws them away.
type fakeRepo struct {
	owners  map[int64]int64 // camera -> organisation
	cams    []Camera        // when nil, made from owners
	events  []Event
	lines   map[string][]Line
	budgets []Budget
	cats    []Category
	logged  []auditlog.Entry
	failPut error // PutFinanceLines refuses with it
}

func (f *fakeRepo) FinanceCategories(context.Context) ([]Category, error) { return f.cats, nil }
func (f *fakeRepo) CameraHistory(context.Context) ([]Event, error)        { return f.events, nil }
func (f *fakeRepo) FinanceOrgs(context.Context) ([]Org, error) {
	return []Org{{ID: 1, Name: "Partnership", Kind: "partnership"}, {ID: 2, Parent: 1, Name: "Council A", Kind: "council"},
		{ID: 3, Parent: 1, Name: "Council B", Kind: "council"}}, nil
}
func (f *fakeRepo) FinanceSettings(context.Context, int) (Settings, error) {
	return Settings{Unit: 1000}, nil
}
func (f *fakeRepo) FinanceLines(_ context.Context, p Period) ([]Line, error) {
	return f.lines[p.String()], nil
}
func (f *fakeRepo) FinanceBudgets(context.Context, int) ([]Budget, error) { return f.budgets, nil }
func (f *fakeRepo) CameraOwner(_ context.Context, id int64) (int64, error) {
	org, ok := f.owners[id]
	if !ok {
		return 0, problem.ErrNotFound
	}
	return org, nil
}
func (f *fakeRepo) CameraEvents(_ context.Context, camera int64) ([]Event, error) {
	var out []Event
	for _, e := range f.events {
		if e.Camera == camera {
			out = append(out, e)
		}
	}
	return out, nil
}
func (f *fakeRepo) FinanceCameras(context.Context) ([]Camera, error) {
	if f.cams != nil {
		return f.cams, nil
	}
	var out []Camera
	for id, org := range f.owners {
		out = append(out, Camera{ID: id, Name: "Cam " + strconv.FormatInt(id, 10), Org: org})
	}
	return out, nil
}
func (f *fakeRepo) PutFinanceCategory(_ context.Context, c Category) error {
	f.cats = append(f.cats, c)
	return nil
}
func (f *fakeRepo) AddCameraEvent(_ context.Context, e *Event, _ int64) error {
	e.ID = int64(len(f.events) + 1)
	f.events = append(f.events, *e)
	return nil
}
func (f *fakeRepo) AddCameraEvents(ctx context.Context, es []Event, by int64) error {
	for i := range es {
		f.AddCameraEvent(ctx, &es[i], by)
	}
	return nil
}
func (f *fakeRepo) ReplaceCameraHistory(ctx context.Context, es []Event, by int64) error {
	return f.AddCameraEvents(ctx, es, by)
}
func (f *fakeRepo) DeleteCameraEvent(_ context.Context, camera, id int64) error {
	for i, e := range f.events {
		if e.ID == id && e.Camera == camera {
			f.events = append(f.events[:i], f.events[i+1:]...)
			return nil
		}
	}
	return problem.ErrNotFound
}
func (f *fakeRepo) PutFinanceLines(_ context.Context, p Period, lines []Line) error {
	if f.failPut != nil {
		return f.failPut
	}
	if f.lines == nil {
		f.lines = map[string][]Line{}
	}
	f.lines[p.String()] = lines
	return nil
}
func (f *fakeRepo) PutFinanceYear(_ context.Context, _ int, _ *Settings, bs []Budget) error {
	f.budgets = append(f.budgets, bs...)
	return nil
}
func (f *fakeRepo) Log(e auditlog.Entry) error {
	f.logged = append(f.logged, e)
	return nil
}

// change commits by keeping what fn did, and throws it away on a
// refusal, as a transaction would: the fake is copied first.
func (f *fakeRepo) change(ctx context.Context, fn func(tx Repo) error) error {
	before := *f
	before.events = append([]Event(nil), f.events...)
	before.logged = append([]auditlog.Entry(nil), f.logged...)
	before.cats = append([]Category(nil), f.cats...)
	before.budgets = append([]Budget(nil), f.budgets...)
	if err := fn(f); err != nil {
		*f = before
		return err
	}
	return nil
}

// callers: the partnership's CCTV manager, council A's partner officer
// and council A's own CCTV manager.
func callers() (manager, officer, managerA Caller) {
	snap := rights.NewSnapshot(rights.Data{
		Orgs: []rights.Org{{ID: 1, Name: "Partnership", Kind: rights.KindPartnership},
			{ID: 2, Parent: 1, Name: "Council A", Kind: rights.KindCouncil}, {ID: 3, Parent: 1, Name: "Council B", Kind: rights.KindCouncil}},
		Grants: map[int64][]rights.Grant{10: {{Role: rights.CCTVManager}}, 11: {{Role: rights.PartnerOfficer}}, 12: {{Role: rights.CCTVManager}}},
	})
	c := func(user, org int64, name string) Caller {
		return Caller{By: auditlog.Actor{UserID: user, Username: name, OrganisationID: org}, P: snap.Principal(user, org), Rights: snap}
	}
	return c(10, 1, "manager"), c(11, 2, "officer"), c(12, 2, "manager-a")
}

// TestServiceRights: only the partnership's own CCTV manager changes the
// figures; a council's manager and a partner officer are refused with a
// reason, and nothing is written or logged for them.
func TestServiceRights(t *testing.T) {
	ctx := context.Background()
	manager, officer, managerA := callers()
	q := Period{Year: 2024, Quarter: 2}
	for _, c := range []Caller{officer, managerA} {
		f := &fakeRepo{owners: map[int64]int64{7: 2}}
		s := New(f, f.change, nil)
		changes := map[string]error{
			"category": s.PutCategory(ctx, c, "mobile", "Mobile", "0.25"),
			"lines":    s.PutLines(ctx, c, q, []Line{{Name: "Employees"}}),
			"year":     s.PutYear(ctx, c, Period{Year: 2024}, Settings{Unit: 1000}, nil),
			"event":    s.AddEvent(ctx, c, &Event{Camera: 7, Kind: Installed, Category: Proactive, Org: 2}),
		}
		_, changes["import"] = s.Import(ctx, c, Import{Kind: ImportLines, Period: q})
		for what, err := range changes {
			if !errors.Is(err, problem.ErrForbidden) || problem.Message(err, "") == "" {
				t.Errorf("%s by %q: got %v, want a refusal with its reason", what, c.By.Username, err)
			}
		}
		if len(f.logged) != 0 || len(f.events) != 0 || len(f.cats) != 0 || len(f.lines) != 0 {
			t.Errorf("by %q: got %d records, %d events, %d categories, %d periods written, want none", c.By.Username,
				len(f.logged), len(f.events), len(f.cats), len(f.lines))
		}
	}
	f := &fakeRepo{owners: map[int64]int64{7: 2}}
	s := New(f, f.change, nil)
	if err := s.PutLines(ctx, Caller{}, q, nil); !errors.Is(err, problem.ErrForbidden) {
		t.Errorf("lines by a caller with no rights known: got %v, want refused", err)
	}
	if err := s.PutLines(ctx, manager, q, []Line{{Name: "Employees"}}); err != nil {
		t.Fatalf("lines by the partnership's manager: got %v, want them set", err)
	}
	if len(f.logged) != 1 || f.logged[0].Action != auditlog.FinanceLines || f.logged[0].Username != "manager" ||
		f.logged[0].Detail != "2024/25-Q2: 1 lines" {
		t.Errorf("records: got %+v, want one finance.lines by manager", f.logged)
	}
}

// TestServiceCameraScope: a camera outside what the caller may read the
// figures of is "no camera N", as one that does not exist, and its
// history cannot be read or changed; one inside it can be read.
func TestServiceCameraScope(t *testing.T) {
	ctx := context.Background()
	manager, officer, _ := callers()
	f := &fakeRepo{owners: map[int64]int64{7: 2, 8: 3}, events: []Event{{ID: 1, Camera: 7, Kind: Installed}, {ID: 2, Camera: 8, Kind: Installed}}}
	s := New(f, f.change, nil)
	for _, id := range []int64{8, 99} {
		_, err := s.History(ctx, officer, id)
		if !errors.Is(err, problem.ErrNotFound) || problem.Message(err, "") != "no camera "+strconv.FormatInt(id, 10) {
			t.Errorf("officer reading camera %d: got %v, want no camera %d", id, err, id)
		}
	}
	if es, err := s.History(ctx, officer, 7); err != nil || len(es) != 1 {
		t.Errorf("officer reading their council's camera: got %v, %v, want its one event", es, err)
	}
	if err := s.DeleteEvent(ctx, manager, 7, 2); !errors.Is(err, problem.ErrNotFound) || !strings.Contains(err.Error(), "camera 7 has no event 2") {
		t.Errorf("deleting another camera's event: got %v, want camera 7 has no event 2", err)
	}
	if err := s.DeleteEvent(ctx, manager, 7, 1); err != nil || len(f.events) != 1 || f.logged[0].CameraID != 7 {
		t.Errorf("deleting camera 7's event: got %v, %d events, records %+v, want it gone with a record naming camera 7", err, len(f.events), f.logged)
	}
}

// TestServiceRefusedChangeLogsNothing: a change the repository refuses
// leaves no audit record, and a bad weight is refused before any change.
func TestServiceRefusedChangeLogsNothing(t *testing.T) {
	ctx := context.Background()
	manager, _, _ := callers()
	refusal := errors.New("line 2 is named twice")
	f := &fakeRepo{failPut: refusal}
	s := New(f, f.change, nil)
	if err := s.PutLines(ctx, manager, Period{Year: 2024, Quarter: 1}, []Line{{Name: "A"}, {Name: "A"}}); !errors.Is(err, refusal) {
		t.Errorf("refused lines: got %v, want the repository's refusal", err)
	}
	if _, err := s.Import(ctx, manager, Import{Kind: ImportLines, Lines: []Line{{Name: "A"}}}); !errors.Is(err, refusal) {
		t.Errorf("refused import: got %v, want the repository's refusal", err)
	}
	if err := s.PutCategory(ctx, manager, "mobile", "", "0.3333333"); !errors.Is(err, problem.ErrInvalid) {
		t.Errorf("weight with seven places: got %v, want it invalid", err)
	}
	if _, err := s.Import(ctx, manager, Import{Kind: "cameras"}); !errors.Is(err, problem.ErrNotFound) {
		t.Errorf("import of cameras: got %v, want no such import", err)
	}
	if len(f.logged) != 0 || len(f.cats) != 0 {
		t.Errorf("got %d records and %d categories, want none", len(f.logged), len(f.cats))
	}
}

// TestServiceStatementFiltered: a partner officer's statement holds their
// own council's row alone; the partnership's manager sees every partner.
func TestServiceStatementFiltered(t *testing.T) {
	ctx := context.Background()
	manager, officer, _ := callers()
	q := Period{Year: 2024, Quarter: 2}
	f := &fakeRepo{cats: []Category{{Name: Proactive, Weight: One}}, budgets: []Budget{{Org: 2, Budget: 50_00}, {Org: 3, Budget: 50_00}},
		lines: map[string][]Line{q.String(): {{Name: "Employees", Budget: 100_00, Estimate: 100_00}}},
		events: []Event{{ID: 1, Camera: 7, Day: day("2020-01-01"), Kind: Installed, Category: Proactive, Org: 2},
			{ID: 2, Camera: 8, Day: day("2020-01-01"), Kind: Installed, Category: Proactive, Org: 3}}}
	s := New(f, f.change, nil)
	for _, tc := range []struct {
		c    Caller
		want int
	}{{manager, 2}, {officer, 1}} {
		st, err := s.Statement(ctx, tc.c, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Partners) != tc.want {
			t.Errorf("%s: got %d partners' rows, want %d", tc.c.By.Username, len(st.Partners), tc.want)
		}
	}
}

// TestNames: an import finds a live camera by id or by name in any case,
// refuses a name two cameras share and a removed camera, and finds
// organisations and categories by their exact names.
func TestNames(t *testing.T) {
	f := &fakeRepo{cats: []Category{{Name: Proactive}}, cams: []Camera{{ID: 1, Name: "High Street", Org: 2},
		{ID: 2, Name: "Market", Org: 2}, {ID: 3, Name: "market", Org: 3}, {ID: 4, Name: "Old Depot", Org: 3, Removed: true}}}
	n, err := New(f, f.change, nil).Names(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref  string
		want int64
		msg  string
	}{
		{ref: "1", want: 1}, {ref: "high street", want: 1},
		{ref: "Market", msg: `2 cameras are named "Market": give the camera's id instead`},
		{ref: "4", msg: "there is no camera 4"}, {ref: "Old Depot", msg: `there is no camera named "Old Depot"`},
	} {
		c, err := n.Camera(tc.ref)
		if c.ID != tc.want || problem.Message(err, "") != tc.msg {
			t.Errorf("camera %q: got %d, %v, want %d, %q", tc.ref, c.ID, err, tc.want, tc.msg)
		}
	}
	if id, err := n.Org("Council B"); id != 3 || err != nil {
		t.Errorf("Council B: got %d, %v, want 3", id, err)
	}
	if _, err := n.Org("council b"); !errors.Is(err, problem.ErrInvalid) {
		t.Errorf("council b: got %v, want no organisation of that name", err)
	}
	if n.Category(Proactive) != nil || n.Category("") != nil || !errors.Is(n.Category("mobile"), problem.ErrInvalid) {
		t.Errorf("categories: got %v, %v, %v, want proactive and none known, mobile not", n.Category(Proactive), n.Category(""), n.Category("mobile"))
	}
}
