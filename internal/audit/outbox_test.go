package audit

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auditlog"

	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// outboxEnv is a main database and a trail, as a server has them: on
// SQLite two files, on PostgreSQL one schema and the trail's beside it.
type outboxEnv struct {
	*env
	st      *store.Store
	mainRaw *sql.DB // the main database, as someone with access to it
	partner int64
	box     *Outbox
}

func forEachOutbox(t *testing.T, fn func(t *testing.T, o *outboxEnv)) {
	t.Helper()
	run := func(t *testing.T, mainDSN, driver string, e *env) {
		st, err := store.Open(context.Background(), mainDSN, nil)
		if err != nil {
			t.Fatalf("store.Open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		raw, err := sql.Open(driver, mainDSN)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		p := &access.Organisation{Name: "Partnership", Kind: "partnership"}
		if err := st.CreateOrganisation(context.Background(), p); err != nil {
			t.Fatalf("CreateOrganisation: %v", err)
		}
		o := &outboxEnv{env: e, st: st, mainRaw: raw, partner: p.ID}
		o.box = o.newOutbox()
		fn(t, o)
	}
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		run(t, filepath.Join(dir, "vigil.db"), "sqlite", newEnv(t, filepath.Join(dir, "audit.db"), "sqlite"))
	})
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) {
			run(t, testkit.PostgresSchema(t, pg), "pgx", newEnv(t, testkit.PostgresSchema(t, pg), "pgx"))
		})
	}
}

func (o *outboxEnv) newOutbox() *Outbox {
	o.t.Helper()
	b, err := NewOutbox(context.Background(), o.st, o.trail, OutboxOptions{})
	if err != nil {
		o.t.Fatalf("NewOutbox: %v", err)
	}
	return b
}

// council makes a council named name in tx and logs it, as a service
// would.
func (o *outboxEnv) council(tx *store.Store, name string) error {
	c := &access.Organisation{Name: name, Kind: "council", ParentID: o.partner}
	if err := tx.CreateOrganisation(context.Background(), c); err != nil {
		return err
	}
	return tx.Log(Entry{Username: "alice", UserID: 1, Action: auditlog.OrganisationCreate, Detail: name})
}

// state is what both databases hold: councils by name, trail records of
// OrganisationCreate by detail, and rows left in the outbox.
func (o *outboxEnv) state() (councils, records []string, waiting int64) {
	o.t.Helper()
	orgs, err := o.st.ListOrganisations(context.Background())
	if err != nil {
		o.t.Fatal(err)
	}
	for _, g := range orgs {
		if g.Kind == "council" {
			councils = append(councils, g.Name)
		}
	}
	recs, err := o.trail.Store().ListAudit(context.Background(), store.AuditFilter{Action: auditlog.OrganisationCreate.String(), Limit: 10000})
	if err != nil {
		o.t.Fatal(err)
	}
	for i := len(recs) - 1; i >= 0; i-- { // oldest first
		records = append(records, recs[i].Detail)
	}
	waiting, _, err = o.st.OutboxPending(context.Background())
	if err != nil {
		o.t.Fatal(err)
	}
	return councils, records, waiting
}

func (o *outboxEnv) want(councils, records string, waiting int64) {
	o.t.Helper()
	c, r, w := o.state()
	if got := strings.Join(c, ","); got != councils {
		o.t.Errorf("councils: got %q, want %q", got, councils)
	}
	if got := strings.Join(r, ","); got != records {
		o.t.Errorf("trail records: got %q, want %q", got, records)
	}
	if w != waiting {
		o.t.Errorf("records waiting in the outbox: got %d, want %d", w, waiting)
	}
}

var errInjected = errors.New("injected")

// TestOutboxBothOrNeither fails each step of a change in turn and checks
// that the change and its audit record are both kept or both gone.
func TestOutboxBothOrNeither(t *testing.T) {
	forEachOutbox(t, func(t *testing.T, o *outboxEnv) {
		ctx := context.Background()

		// Success: both, and nothing left waiting.
		if err := o.box.Change(ctx, func(tx *store.Store) error { return o.council(tx, "A") }); err != nil {
			t.Fatalf("Change: got %v, want nil", err)
		}
		o.want("A", "A", 0)

		// The change fails after its record was logged: neither.
		err := o.box.Change(ctx, func(tx *store.Store) error {
			if err := o.council(tx, "B"); err != nil {
				return err
			}
			return errInjected
		})
		if !errors.Is(err, errInjected) {
			t.Fatalf("failing change: got %v, want %v", err, errInjected)
		}
		o.want("A", "A", 0)

		// A record that cannot be logged (no action): neither.
		err = o.box.Change(ctx, func(tx *store.Store) error {
			c := &access.Organisation{Name: "C", Kind: "council", ParentID: o.partner}
			if err := tx.CreateOrganisation(ctx, c); err != nil {
				return err
			}
			return tx.Log(Entry{Username: "alice"})
		})
		if !errors.Is(err, ErrNoAction) {
			t.Fatalf("record without action: got %v, want %v", err, ErrNoAction)
		}
		o.want("A", "A", 0)

		// The outbox refuses the insert: the change goes too.
		o.failOutboxInsert(true)
		err = o.box.Change(ctx, func(tx *store.Store) error { return o.council(tx, "D") })
		if err == nil {
			t.Fatal("outbox insert refused: got nil, want an error")
		}
		o.failOutboxInsert(false)
		o.want("A", "A", 0)

		// The commit itself fails: neither.
		o.failCommit(true)
		err = o.box.Change(ctx, func(tx *store.Store) error { return o.council(tx, "E") })
		if err == nil {
			t.Fatal("failing commit: got nil, want an error")
		}
		o.failCommit(false)
		o.want("A", "A", 0)

		// The trail refuses the drain: the change and its record are
		// committed, the record waits in the outbox, and the next drain
		// takes it exactly once.
		o.failTrail(true)
		if err := o.box.Change(ctx, func(tx *store.Store) error { return o.council(tx, "F") }); err != nil {
			t.Fatalf("Change with the trail failing: got %v, want nil (the record is safe in the outbox)", err)
		}
		if o.box.Failing() == nil {
			t.Error("Failing: got nil while the trail refuses, want the error")
		}
		o.want("A,F", "A", 1)
		if got := gauge(t, OutboxCollector(o.box)); got != 1 {
			t.Errorf("vigil_audit_outbox_waiting: got %v, want 1", got)
		}
		o.failTrail(false)
		if err := o.box.Drain(ctx); err != nil {
			t.Fatalf("Drain: %v", err)
		}
		o.want("A,F", "A,F", 0)

		// Killed between the trail's commit and the outbox's clean-up:
		// after a restart the record is not written twice.
		o.box.afterTrail = func() error { return errInjected }
		if err := o.box.Change(ctx, func(tx *store.Store) error { return o.council(tx, "G") }); err != nil {
			t.Fatalf("Change: %v", err)
		}
		o.want("A,F,G", "A,F,G", 1)
		o.box = o.newOutbox() // the restart
		if err := o.box.Drain(ctx); err != nil {
			t.Fatalf("Drain after restart: %v", err)
		}
		o.want("A,F,G", "A,F,G", 0)
		if err := o.box.Change(ctx, func(tx *store.Store) error { return o.council(tx, "H") }); err != nil {
			t.Fatalf("Change: %v", err)
		}
		o.want("A,F,G,H", "A,F,G,H", 0)

		if rep := o.verify(); !rep.OK() {
			t.Errorf("Verify after the faults: got %v, want a sound chain", rep)
		}
	})
}

// TestOutboxOrder runs changes concurrently, each draining as Change
// does, and checks that the trail holds each record once, in the order of
// the outbox's ids: no drain passed a record still to commit.
func TestOutboxOrder(t *testing.T) {
	forEachOutbox(t, func(t *testing.T, o *outboxEnv) {
		const n = 40
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			ids = map[string]int64{}
		)
		for i := range n {
			wg.Go(func() {
				name := fmt.Sprint("c", i)
				through, err := o.st.Update(context.Background(), func(tx *store.Store) error { return o.council(tx, name) })
				if err == nil {
					err = o.box.DrainThrough(context.Background(), through)
				}
				if err != nil {
					t.Errorf("change %d: %v", i, err)
				}
				mu.Lock()
				ids[name] = through
				mu.Unlock()
			})
		}
		wg.Wait()
		councils, records, waiting := o.state()
		if len(councils) != n || len(records) != n || waiting != 0 {
			t.Fatalf("got %d councils, %d records, %d waiting; want %d, %d, 0", len(councils), len(records), waiting, n, n)
		}
		byID := append([]string(nil), records...)
		slices.SortFunc(byID, func(a, b string) int { return cmp.Compare(ids[a], ids[b]) })
		if got, want := strings.Join(records, ","), strings.Join(byID, ","); got != want {
			t.Errorf("trail order: got %s, want the outbox's id order %s", got, want)
		}
	})
}

// failOutboxInsert makes the database refuse rows in the outbox.
func (o *outboxEnv) failOutboxInsert(on bool) {
	o.t.Helper()
	switch {
	case o.dialect == "postgres" && on:
		o.mainExec(`CREATE FUNCTION fail_outbox() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$`)
		o.mainExec(`CREATE TRIGGER fail_outbox BEFORE INSERT ON audit_outbox FOR EACH ROW EXECUTE FUNCTION fail_outbox()`)
	case o.dialect == "postgres":
		o.mainExec(`DROP TRIGGER fail_outbox ON audit_outbox`)
		o.mainExec(`DROP FUNCTION fail_outbox()`)
	case on:
		o.mainExec(`CREATE TRIGGER fail_outbox BEFORE INSERT ON audit_outbox BEGIN SELECT RAISE(ABORT, 'injected'); END`)
	default:
		o.mainExec(`DROP TRIGGER fail_outbox`)
	}
}

// failCommit makes the commit fail: a check deferred to the commit.
func (o *outboxEnv) failCommit(on bool) {
	o.t.Helper()
	switch {
	case o.dialect == "postgres" && on:
		o.mainExec(`CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected at commit'; END $$`)
		o.mainExec(`CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON audit_outbox DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit()`)
	case o.dialect == "postgres":
		o.mainExec(`DROP TRIGGER fail_commit ON audit_outbox`)
		o.mainExec(`DROP FUNCTION fail_commit()`)
	case on:
		// SQLite checks deferred foreign keys at commit: a row pointing
		// nowhere, added with every record, fails it there.
		o.mainExec(`CREATE TABLE fail_commit (x BIGINT REFERENCES organisations (id) DEFERRABLE INITIALLY DEFERRED)`)
		o.mainExec(`CREATE TRIGGER fail_commit AFTER INSERT ON audit_outbox BEGIN INSERT INTO fail_commit VALUES (-1); END`)
	default:
		o.mainExec(`DROP TRIGGER fail_commit`)
		o.mainExec(`DROP TABLE fail_commit`)
	}
}

// failTrail makes the trail refuse to move its outbox position.
func (o *outboxEnv) failTrail(on bool) {
	o.t.Helper()
	switch {
	case o.dialect == "postgres" && on:
		o.exec(`CREATE FUNCTION fail_trail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$`)
		o.exec(`CREATE TRIGGER fail_trail BEFORE INSERT OR UPDATE ON outbox_drained FOR EACH ROW EXECUTE FUNCTION fail_trail()`)
	case o.dialect == "postgres":
		o.exec(`DROP TRIGGER fail_trail ON outbox_drained`)
		o.exec(`DROP FUNCTION fail_trail()`)
	case on:
		o.exec(`CREATE TRIGGER fail_trail_i BEFORE INSERT ON outbox_drained BEGIN SELECT RAISE(ABORT, 'injected'); END`)
		o.exec(`CREATE TRIGGER fail_trail_u BEFORE UPDATE ON outbox_drained BEGIN SELECT RAISE(ABORT, 'injected'); END`)
	default:
		o.exec(`DROP TRIGGER fail_trail_i`)
		o.exec(`DROP TRIGGER fail_trail_u`)
	}
}

// mainExec runs q on the main database, as someone with access to it.
func (o *outboxEnv) mainExec(q string) {
	o.t.Helper()
	if _, err := o.mainRaw.Exec(q); err != nil {
		o.t.Fatalf("%s: %v", q, err)
	}
}

// gauge is the value of the one gauge c collects.
func gauge(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		t.Fatalf("collect: %v", err)
	}
	return m.GetGauge().GetValue()
}
