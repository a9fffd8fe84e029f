package cameras_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/secret"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
)

// realEnv is a main database and its trail, as a server has them.
type realEnv struct {
	st    *store.Store
	trail *audit.Trail
	box   *audit.Outbox
	org   int64
}

func forEachDB(t *testing.T, fn func(t *testing.T, e *realEnv)) {
	fixture.ForEachDatabase(t, func(t *testing.T, db fixture.Databases) {
		org, err := db.Store.EnsureOrganisation(context.Background(), "Council", "council")
		if err != nil {
			t.Fatal(err)
		}
		fn(t, &realEnv{st: db.Store, trail: db.Trail, box: db.Outbox, org: org.ID})
	})
}

// records are the trail's records of action for camera.
func (e *realEnv) records(t *testing.T, camera int64, action auditlog.Action) int {
	t.Helper()
	rs, err := e.trail.Store().ListAudit(context.Background(), store.AuditFilter{CameraID: camera, Action: action.String()})
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := e.st.OutboxPending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(rs) + int(n)
}

// refusingLog is a transaction whose audit records cannot be written.
type refusingLog struct{ cameras.Repo }

var errRefused = errors.New("the record was refused")

func (refusingLog) Log(auditlog.Entry) error { return errRefused }

// TestChangeAndRecordTogether: on real stores, a camera's change, its
// audit record and its dated event in the finance history commit
// together, or none of them does when the record cannot be written.
func TestChangeAndRecordTogether(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *realEnv) {
		ctx := context.Background()
		secrets, err := secret.New(make([]byte, 32))
		if err != nil {
			t.Fatal(err)
		}
		change := audit.Changer[cameras.Repo](e.box)
		ok := cameras.New(e.st, change, cameras.Options{Secrets: secrets, RetentionDays: 31})
		refusing := cameras.New(e.st, func(ctx context.Context, fn func(tx cameras.Repo) error) error {
			return change(ctx, func(tx cameras.Repo) error { return fn(refusingLog{tx}) })
		}, cameras.Options{Secrets: secrets, RetentionDays: 31})
		by := cameras.Caller{Actor: auditlog.Actor{Username: "alice"}}
		s := func(v string) *string { return &v }

		if _, err := refusing.Create(ctx, by, e.org, cameras.Input{Name: s("Yard"), URL: s("rtsp://10.0.0.6/")}); !errors.Is(err, errRefused) {
			t.Fatalf("Create with its record refused: got %v, want %v", err, errRefused)
		}
		cams, err := e.st.ListCameras(ctx)
		if err != nil {
			t.Fatal(err)
		}
		history, err := e.st.CameraHistory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cams) != 0 || len(history) != 0 || e.records(t, 0, auditlog.CameraCreate) != 0 {
			t.Fatalf("after a refused create: got %d cameras, %d events, %d records, want none", len(cams), len(history), e.records(t, 0, auditlog.CameraCreate))
		}

		c, err := ok.Create(ctx, by, e.org, cameras.Input{Name: s("Gate"), URL: s("rtsp://10.0.0.5/")})
		if err != nil {
			t.Fatalf("Create: got %v, want nil", err)
		}
		if n := e.records(t, c.ID, auditlog.CameraCreate); n != 1 {
			t.Errorf("camera.create records: got %d, want 1", n)
		}
		if es, _ := e.st.CameraEvents(ctx, c.ID); len(es) != 1 || es[0].Kind != finance.Installed {
			t.Errorf("history after Create: got %+v, want one installation", es)
		}

		if _, err := refusing.Update(ctx, by, c, cameras.Input{Name: s("Gate 2"), Category: s(finance.Reactive)}); !errors.Is(err, errRefused) {
			t.Errorf("Update with its record refused: got %v, want %v", err, errRefused)
		}
		if err := refusing.Delete(ctx, by, c); !errors.Is(err, errRefused) {
			t.Errorf("Delete with its record refused: got %v, want %v", err, errRefused)
		}
		got, err := e.st.Camera(ctx, c.ID)
		if err != nil || got.Name != "Gate" {
			t.Errorf("the camera after refused changes: got %q, %v, want Gate, nil", got.Name, err)
		}
		if es, _ := e.st.CameraEvents(ctx, c.ID); len(es) != 1 {
			t.Errorf("history after refused changes: got %d events, want 1", len(es))
		}
		if n := e.records(t, c.ID, auditlog.CameraUpdate) + e.records(t, c.ID, auditlog.CameraDelete); n != 0 {
			t.Errorf("records of refused changes: got %d, want 0", n)
		}

		if err := ok.Delete(ctx, by, c); err != nil {
			t.Fatalf("Delete: got %v, want nil", err)
		}
		if _, err := e.st.Camera(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the camera after Delete: got %v, want not found", err)
		}
		if es, _ := e.st.CameraEvents(ctx, c.ID); len(es) != 2 || es[1].Kind != finance.Decommissioned {
			t.Errorf("history after Delete: got %+v, want the installation, then a decommissioning", es)
		}
		if n := e.records(t, c.ID, auditlog.CameraDelete); n != 1 {
			t.Errorf("camera.delete records: got %d, want 1", n)
		}
	})
}
