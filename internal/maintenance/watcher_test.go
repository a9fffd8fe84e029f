package maintenance_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/rtsp"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeSource holds the states tests give cameras.
type fakeSource struct {
	mu sync.Mutex
	st map[int64]ingest.Status
}

func (s *fakeSource) Status(id int64) (ingest.Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.st[id]
	return st, ok
}

func (s *fakeSource) set(id int64, state ingest.State, since time.Time, err string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st[id] = ingest.Status{State: state, Since: since, LastError: rtsp.Class(err)}
}

// stores runs fn on SQLite and, with VIGIL_TEST_POSTGRES, on PostgreSQL.
func stores(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	open := func(t *testing.T, dsn string) *store.Store {
		st, err := store.Open(context.Background(), dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	t.Run("sqlite", func(t *testing.T) { fn(t, open(t, filepath.Join(t.TempDir(), "vigil.db"))) })
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, open(t, testkit.PostgresSchema(t, pg))) })
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func addCamera(t *testing.T, st *store.Store, name string) cameras.Camera {
	t.Helper()
	org, err := st.EnsureOrganisation(t.Context(), "Partnership", "partnership")
	must(t, err)
	c := cameras.Camera{OrganisationID: org.ID, Name: name, URL: "rtsp://127.0.0.1:1/" + name, Enabled: true}
	must(t, st.CreateCamera(t.Context(), &c))
	return c
}

var testPolicy = maintenance.Policy{OfflineAfter: time.Minute, FaultAfter: 15 * time.Minute, OfflinePriority: "P2", Contractor: "Acme CCTV"}

// TestWatcherOutageAndFault follows a camera through an outage with a
// fake clock: a short drop is no outage; a long one is recorded from when
// the video stopped, raises one P2 fault assigned to the contractor after
// 15 minutes, and ends, fixing the fault, when the video is back.
func TestWatcherOutageAndFault(t *testing.T) {
	stores(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		cam := addCamera(t, st, "high-street")
		t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
		clock := &fakeClock{t: t0}
		src := &fakeSource{st: map[int64]ingest.Status{}}
		var events []maintenance.Event
		w := maintenance.New(maintenance.Options{Repo: st, Change: changeOf(st), Source: src, Policy: testPolicy, Now: clock.Now, Notify: func(e maintenance.Event) { events = append(events, e) }})
		check := func() {
			t.Helper()
			must(t, w.Check(ctx))
		}

		src.set(cam.ID, ingest.StateRecording, t0, "")
		check()
		// A reconnection of 30 seconds: no outage.
		clock.Advance(time.Minute)
		src.set(cam.ID, ingest.StateOffline, clock.Now(), "EOF")
		check()
		clock.Advance(30 * time.Second)
		src.set(cam.ID, ingest.StateRecording, clock.Now(), "")
		check()
		if len(events) != 0 {
			t.Fatalf("after a 30 s drop: got events %+v, want none", events)
		}

		// A long outage.
		clock.Advance(time.Minute)
		stopped := clock.Now()
		src.set(cam.ID, ingest.StateOffline, stopped, "dial tcp: connection refused")
		check()
		clock.Advance(61 * time.Second)
		src.set(cam.ID, ingest.StateConnecting, clock.Now(), "dial tcp: connection refused")
		check()
		if len(events) != 1 || events[0].Kind != "outage" || !events[0].At.Equal(stopped) {
			t.Fatalf("after 61 s offline: got events %+v, want one outage from %v", events, stopped)
		}
		open, err := st.OpenOutages(ctx)
		must(t, err)
		if len(open) != 1 || !open[0].Start.Equal(stopped) || open[0].Reason != "dial tcp: connection refused" {
			t.Fatalf("open outages: got %+v, want one from %v", open, stopped)
		}

		clock.Advance(13 * time.Minute) // 14m01s
		check()
		if len(events) != 1 {
			t.Fatalf("14 minutes offline: got events %+v, want no fault yet", events)
		}
		clock.Advance(time.Minute) // 15m01s
		raised := clock.Now()
		check()
		check() // and only one fault
		if len(events) != 2 || events[1].Kind != "fault" {
			t.Fatalf("15 minutes offline: got events %+v, want a fault", events)
		}
		f, err := st.Fault(ctx, events[1].ID)
		must(t, err)
		cs, err := st.Contractors(ctx)
		must(t, err)
		if f.Kind != maintenance.FaultOffline || f.Priority != "P2" || !f.Automatic || f.OutageID != open[0].ID || f.RaisedBy != "vigil" ||
			!f.RaisedAt.Equal(raised) || !f.ResponseDue.Equal(raised.Add(8*time.Hour)) || !f.FixDue.Equal(raised.Add(48*time.Hour)) ||
			len(cs) != 1 || cs[0].Name != "Acme CCTV" || f.ContractorID != cs[0].ID {
			t.Errorf("fault: got %+v (contractors %+v), want an automatic P2 offline fault raised at %v for Acme CCTV", f, cs, raised)
		}

		// A restart of Vigil takes the outage and its fault up again.
		w = maintenance.New(maintenance.Options{Repo: st, Change: changeOf(st), Source: src, Policy: testPolicy, Now: clock.Now, Notify: func(e maintenance.Event) { events = append(events, e) }})
		clock.Advance(time.Hour)
		check()
		if len(events) != 2 {
			t.Fatalf("after a restart, still offline: got events %+v, want nothing new", events)
		}
		clock.Advance(time.Minute)
		back := clock.Now().Add(-20 * time.Second)
		src.set(cam.ID, ingest.StateRecording, back, "")
		check()
		if len(events) != 4 || events[2].Kind != "restored" || events[3].Kind != "fixed" || !events[2].At.Equal(back) {
			t.Fatalf("video back: got events %+v, want restored and fixed at %v", events, back)
		}
		f, err = st.Fault(ctx, f.ID)
		must(t, err)
		if f.State != maintenance.FaultFixed || f.FixedAt == nil || !f.FixedAt.Equal(back) || f.FixedBy != "vigil" {
			t.Errorf("fault after the video came back: got %+v, want fixed at %v by vigil", f, back)
		}
		all, err := st.Outages(ctx, cam.ID, t0, clock.Now().Add(time.Hour))
		must(t, err)
		if len(all) != 1 || all[0].End == nil || !all[0].End.Equal(back) {
			t.Errorf("outages: got %+v, want one ended at %v", all, back)
		}

		// What Vigil did by itself is in the trail, as Vigil's: the fault
		// it raised and the fault it fixed, each in its change's
		// transaction.
		es, err := st.OutboxAfter(ctx, 0, 100)
		must(t, err)
		if len(es) != 2 || es[0].Action != auditlog.FaultRaise.String() || es[1].Action != auditlog.FaultUpdate.String() ||
			es[0].Username != "vigil" || es[1].Username != "vigil" || es[0].CameraID != cam.ID || es[1].CameraID != cam.ID {
			t.Errorf("audit records: got %+v, want fault.raise and fault.update of camera %d by vigil", es, cam.ID)
		}
	})
}

// TestWatcherCameraDisabled: a camera disabled while offline ends its
// outage, and a camera that is not running is left alone.
func TestWatcherCameraDisabled(t *testing.T) {
	stores(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		cam := addCamera(t, st, "car-park")
		idle := addCamera(t, st, "idle")
		t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
		clock := &fakeClock{t: t0}
		src := &fakeSource{st: map[int64]ingest.Status{}}
		w := maintenance.New(maintenance.Options{Repo: st, Change: changeOf(st), Source: src, Policy: testPolicy, Now: clock.Now})
		src.set(cam.ID, ingest.StateOffline, t0, "timeout")
		must(t, w.Check(ctx))
		clock.Advance(2 * time.Minute)
		must(t, w.Check(ctx))
		cam.Enabled = false
		must(t, st.UpdateCamera(ctx, &cam))
		clock.Advance(time.Minute)
		must(t, w.Check(ctx))
		all, err := st.Outages(ctx, 0, t0, t0.Add(time.Hour))
		must(t, err)
		if len(all) != 1 || all[0].CameraID != cam.ID || all[0].End == nil || !all[0].End.Equal(clock.Now()) || all[0].EndReason != "camera disabled or removed" {
			t.Errorf("outages: got %+v, want the car park's alone, ended when it was disabled", all)
		}
		fs, err := st.ListFaults(ctx, maintenance.FaultFilter{CameraID: idle.ID})
		must(t, err)
		if len(fs) != 0 {
			t.Errorf("faults of a camera not running: got %+v, want none", fs)
		}
	})
}

// TestWatcherRunClose: Run returns when Close is called.
func TestWatcherRunClose(t *testing.T) {
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), nil)
	must(t, err)
	defer st.Close()
	w := maintenance.New(maintenance.Options{Repo: st, Change: changeOf(st), Source: &fakeSource{st: map[int64]ingest.Status{}}, Policy: testPolicy, Interval: time.Hour})
	done := make(chan struct{})
	go func() {
		w.Run(context.Background())
		close(done)
	}()
	must(t, w.Close())
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of Close")
	}
	if err := errors.Join(w.Close()); err != nil {
		t.Errorf("a second Close: got %v, want nil", err)
	}
}

// changeOf is the store's transaction as the watcher's Change, as
// audit.Changer makes it, without draining into a trail: the records stay
// in the store's outbox, where the tests read them.
func changeOf(st *store.Store) maintenance.Change {
	return func(ctx context.Context, fn func(tx maintenance.Repo) error) error {
		_, err := st.Update(ctx, func(tx *store.Store) error { return fn(tx) })
		return err
	}
}

// TestWatcherFaultWithRecord: a fault Vigil raises by itself commits with
// its record or not at all; when the record cannot be written, the next
// look raises it again.
func TestWatcherFaultWithRecord(t *testing.T) {
	stores(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		cam := addCamera(t, st, "bus-station")
		t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
		clock := &fakeClock{t: t0}
		src := &fakeSource{st: map[int64]ingest.Status{}}
		failing := true
		change := func(ctx context.Context, fn func(tx maintenance.Repo) error) error {
			return changeOf(st)(ctx, func(tx maintenance.Repo) error {
				if failing {
					tx = failingLog{tx}
				}
				return fn(tx)
			})
		}
		w := maintenance.New(maintenance.Options{Repo: st, Change: change, Source: src, Policy: testPolicy, Now: clock.Now})
		src.set(cam.ID, ingest.StateOffline, t0, "timeout")
		must(t, w.Check(ctx))
		clock.Advance(16 * time.Minute)
		if err := w.Check(ctx); !errors.Is(err, errLog) {
			t.Fatalf("raising the fault with a trail that fails: got %v, want %v", err, errLog)
		}
		fs, err := st.ListFaults(ctx, maintenance.FaultFilter{})
		must(t, err)
		cs, err := st.Contractors(ctx)
		must(t, err)
		if len(fs) != 0 || len(cs) != 0 || len(outbox(t, st)) != 0 {
			t.Fatalf("after the record failed: got faults %+v, contractors %+v, records %+v, want none", fs, cs, outbox(t, st))
		}
		failing = false
		must(t, w.Check(ctx))
		fs, err = st.ListFaults(ctx, maintenance.FaultFilter{})
		must(t, err)
		if es := outbox(t, st); len(fs) != 1 || len(es) != 1 || es[0].Action != auditlog.FaultRaise.String() || es[0].Username != "vigil" {
			t.Errorf("the next look: got faults %+v and records %+v, want one fault and its fault.raise by vigil", fs, es)
		}
	})
}
