package finance_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
)

// serviceEnv is the finance service on a real store and trail, as the
// server has them, with a partnership, a council with three cameras and
// the partnership's CCTV manager.
type serviceEnv struct {
	st      *store.Store
	trail   *audit.Trail
	box     *audit.Outbox
	svc     *finance.Service
	manager finance.Caller
	council int64
	cams    []int64
}

func forEachServiceDB(t *testing.T, fn func(t *testing.T, e *serviceEnv)) {
	fixture.ForEachDatabase(t, func(t *testing.T, db fixture.Databases) {
		ctx := context.Background()
		st, tr, box := db.Store, db.Trail, db.Outbox
		top, err := st.EnsureOrganisation(ctx, "Partnership", "partnership")
		must(t, err)
		council := access.Organisation{Name: "Council A", Kind: "council", ParentID: top.ID}
		must(t, st.CreateOrganisation(ctx, &council))
		u := identity.User{Username: "manager", PasswordHash: "unusable", OrganisationID: top.ID, Role: "cctv_manager"}
		must(t, st.CreateUser(ctx, &u))
		data, err := st.RightsData(ctx)
		must(t, err)
		snap := rights.NewSnapshot(data)
		e := &serviceEnv{st: st, trail: tr, box: box, council: council.ID, svc: finance.New(st, audit.Changer[finance.Repo](box), nil),
			manager: finance.Caller{By: auditlog.Actor{UserID: u.ID, Username: u.Username, OrganisationID: top.ID}, P: snap.Principal(u.ID, top.ID), Rights: snap}}
		for _, name := range []string{"Cam 1", "Cam 2", "Cam 3"} {
			c := cameras.Camera{OrganisationID: council.ID, Name: name, URL: "rtsp://192.0.2.1/x"}
			must(t, st.CreateCamera(ctx, &c))
			e.cams = append(e.cams, c.ID)
		}
		fn(t, e)
	})
}

// records is the trail's records of action.
func (e *serviceEnv) records(t *testing.T, action auditlog.Action) []store.AuditRecord {
	t.Helper()
	rs, err := e.trail.Store().ListAudit(context.Background(), store.AuditFilter{Action: action.String()})
	must(t, err)
	return rs
}

// events is the number of history events of the council's cameras.
func (e *serviceEnv) events(t *testing.T) int {
	t.Helper()
	n := 0
	for _, c := range e.cams {
		es, err := e.st.CameraEvents(context.Background(), c)
		must(t, err)
		n += len(es)
	}
	return n
}

// unloggable is the repository with a Log that always fails, as a
// record the outbox cannot take would: the change it records must not
// commit either.
type unloggable struct{ finance.Repo }

func (u unloggable) Log(auditlog.Entry) error { return u.Repo.Log(auditlog.Entry{}) }

// TestServiceChangeAndRecordTogether: on both engines, a change and its
// audit record commit together; when the change is refused (one bad row
// of an import) or its record cannot be written, neither is there.
func TestServiceChangeAndRecordTogether(t *testing.T) {
	forEachServiceDB(t, func(t *testing.T, e *serviceEnv) {
		ctx := context.Background()
		day := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
		history := func(thirdCategory string) finance.Import {
			in := finance.Import{Kind: finance.ImportHistory, Asked: "replace=0"}
			for i, c := range e.cams {
				cat := finance.Proactive
				if i == 2 {
					cat = thirdCategory
				}
				in.Events = append(in.Events, finance.Event{Camera: c, Day: day, Kind: finance.Installed, Category: cat, Org: e.council})
			}
			return in
		}

		// An import whose third row names no category writes nothing,
		// and records nothing.
		_, err := e.svc.Import(ctx, e.manager, history("no-such-category"))
		var ie *store.ItemError
		if !errors.As(err, &ie) || ie.Index != 2 {
			t.Fatalf("import with a bad third row: got %v, want the third item refused", err)
		}
		if n, rs := e.events(t), e.records(t, auditlog.FinanceImport); n != 0 || len(rs) != 0 {
			t.Errorf("after the refused import: got %d events and %d records, want neither", n, len(rs))
		}

		// A change whose record cannot be written is not made.
		broken := finance.New(e.st, func(ctx context.Context, fn func(tx finance.Repo) error) error {
			return audit.Changer[finance.Repo](e.box)(ctx, func(tx finance.Repo) error { return fn(unloggable{tx}) })
		}, nil)
		if _, err := broken.Import(ctx, e.manager, history(finance.Proactive)); !errors.Is(err, auditlog.ErrNoAction) {
			t.Fatalf("import whose record fails: got %v, want the record's refusal", err)
		}
		q := finance.Period{Year: 2024, Quarter: 1}
		if err := broken.PutLines(ctx, e.manager, q, []finance.Line{{Name: "Employees", Budget: 100_00}}); !errors.Is(err, auditlog.ErrNoAction) {
			t.Fatalf("lines whose record fails: got %v, want the record's refusal", err)
		}
		if err := broken.PutCategory(ctx, e.manager, "mobile", "Mobile", "0.25"); !errors.Is(err, auditlog.ErrNoAction) {
			t.Fatalf("category whose record fails: got %v, want the record's refusal", err)
		}
		lines, err := e.st.FinanceLines(ctx, q)
		must(t, err)
		cats, err := e.st.FinanceCategories(ctx)
		must(t, err)
		if n := e.events(t); n != 0 || len(lines) != 0 || len(cats) != 2 {
			t.Errorf("after changes whose records failed: got %d events, %d lines, %d categories, want 0, 0 and the 2 the schema starts with", n, len(lines), len(cats))
		}
		if n, _, err := e.st.OutboxPending(ctx); err != nil || n != 0 {
			t.Errorf("outbox: got %d records (%v), want none", n, err)
		}

		// The same import, whole, writes every row and one record.
		n, err := e.svc.Import(ctx, e.manager, history(finance.Proactive))
		if err != nil || n != 3 {
			t.Fatalf("import: got %d, %v, want 3 rows", n, err)
		}
		rs := e.records(t, auditlog.FinanceImport)
		if got := e.events(t); got != 3 || len(rs) != 1 || rs[0].Username != "manager" || !strings.Contains(rs[0].Detail, "history: 3 rows") {
			t.Errorf("after the import: got %d events and records %+v, want 3 and one record of them by manager", got, rs)
		}

		// A deleted event and its record, together.
		es, err := e.st.CameraEvents(ctx, e.cams[0])
		must(t, err)
		must(t, e.svc.DeleteEvent(ctx, e.manager, e.cams[0], es[0].ID))
		if got, rs := e.events(t), e.records(t, auditlog.FinanceHistoryDelete); got != 2 || len(rs) != 1 || rs[0].CameraID != e.cams[0] {
			t.Errorf("after deleting an event: got %d events and records %+v, want 2 and one record naming camera %d", got, rs, e.cams[0])
		}
	})
}
