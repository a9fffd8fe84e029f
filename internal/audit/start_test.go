package audit

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-cctv/vigil/internal/testkit"
)

func hasProblem(rep Report, kind string) bool {
	for _, p := range rep.Problems {
		if p.Kind == kind {
			return true
		}
	}
	return false
}

func alarmed(tr *Trail, reason string) bool {
	for _, a := range tr.Alarms() {
		if a.Reason == reason {
			return true
		}
	}
	return false
}

// crashes runs n server lifetimes on e's trail, each started and then
// dropped without Close after appending per records: a crash, so only
// what Start signs covers them. Checkpoints by count are out of reach.
func (e *env) crashes(n, per int, opts func(o *Options)) {
	e.t.Helper()
	for range n {
		e.trail = e.openWith(func(o *Options) {
			o.CheckpointEvery = 1000
			if opts != nil {
				opts(o)
			}
		})
		if err := e.trail.Start(context.Background()); err != nil {
			e.t.Fatalf("Start: got %v, want nil", err)
		}
		e.fill(per)
		if err := e.trail.FlushWitnesses(context.Background()); err != nil {
			e.t.Fatal(err)
		}
	}
}

// TestCrashRestartsThenTruncation: four crash-restarts, then records
// removed from the end together with the checkpoints over them. Each
// start signed what the trail held, so the witness file vouches for all
// but the last lifetime's records: verify and the next start both catch
// the removal, and the start signs nothing over the shortened trail.
func TestCrashRestartsThenTruncation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.crashes(4, 5, nil) // records 1-20; start checkpoints at 5, 10 and 15
		if w, err := ReadWitness(e.witness); err != nil || w == nil || w.Seq != 15 || w.Kind != "start" {
			t.Fatalf("witness after four starts: got %+v, %v, want the start checkpoint at seq 15", w, err)
		}
		e.dropGuards()
		e.exec(`DELETE FROM records WHERE seq > 7`)
		e.exec(`DELETE FROM checkpoints WHERE seq > 7`)

		tr := e.openWith(func(o *Options) { o.CheckpointEvery = 1000 })
		rep, err := tr.Verify(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || rep.Problems[0].Kind != "truncated" || rep.Problems[0].Seq != 8 {
			t.Errorf("verify: got %v, want records from seq 8 on named truncated", rep.Problems)
		}
		if err := tr.Start(ctx); err != nil {
			t.Fatalf("Start: got %v, want nil (the server starts, alarmed)", err)
		}
		if !alarmed(tr, "truncated") {
			t.Errorf("alarms after start: got %+v, want a truncation alarm", tr.Alarms())
		}
		e.trail = tr
		e.fill(3)
		if err := tr.Checkpoint(ctx, "interval"); err != nil {
			t.Fatal(err)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		rep, err = e.open().Verify(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Newest == nil || rep.Newest.Seq != 5 || !hasProblem(rep, "truncated") {
			t.Errorf("after starting, appending and stopping on the shortened trail: got newest %+v, problems %v; want nothing signed after the checkpoint at 5, and the truncation still reported",
				rep.Newest, rep.Problems)
		}
	})
}

// TestStopDoesNotSealTruncation: records removed from the end while the
// server runs, with no append after to notice, are not signed away by the
// checkpoint of the clean stop: the stop records an alarm instead.
func TestStopDoesNotSealTruncation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.fill(33) // checkpoint #3 at seq 30
		e.dropGuards()
		e.exec(`DELETE FROM records WHERE seq > 31`)
		if err := e.trail.Close(); err != nil {
			t.Fatal(err)
		}
		if !alarmed(e.trail, "truncated") {
			t.Errorf("alarms at stop: got %+v, want a truncation alarm", e.trail.Alarms())
		}
		rep, err := e.open().Verify(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Newest == nil || rep.Newest.Seq != 30 {
			t.Errorf("newest checkpoint after the stop: got %+v, want still #3 at seq 30", rep.Newest)
		}
		if rep.OK() || !hasProblem(rep, "alarm") {
			t.Errorf("verify after the stop: got %v, want the removal reported", rep.Problems)
		}
	})
}

// witnessDBs runs fn with a witness database of each engine: a SQLite
// file elsewhere, and a PostgreSQL schema when VIGIL_TEST_POSTGRES is set.
func witnessDBs(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite-witness", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "witness.db")) })
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres-witness", func(t *testing.T) { fn(t, testkit.PostgresSchema(t, pg)) })
	}
}

// TestWitnessDatabase: with the witness file deleted as well as the
// records and checkpoints, the copy in the witness database still
// catches the truncation, in verify and at start.
func TestWitnessDatabase(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		witnessDBs(t, func(t *testing.T, wdsn string) {
			ctx := context.Background()
			withDB := func(o *Options) { o.WitnessDB = wdsn }
			// A fresh trail per witness engine: the outer one is shared.
			e := newEnv(t, freshDSN(t, e), map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[e.dialect])
			e.crashes(3, 5, withDB) // start checkpoints at 5 and 10
			e.trail = e.openWith(withDB)
			e.fill(13) // records 16-28, a count checkpoint at 25
			if err := e.trail.Close(); err != nil {
				t.Fatal(err)
			}
			e.dropGuards()
			e.exec(`DELETE FROM records WHERE seq > 12`)
			e.exec(`DELETE FROM checkpoints WHERE seq > 12`)
			if err := os.Remove(e.witness); err != nil {
				t.Fatal(err)
			}

			tr := e.openWith(withDB)
			rep, err := tr.Verify(ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || rep.Problems[0].Kind != "truncated" || rep.Problems[0].Seq != 13 ||
				!strings.Contains(rep.Problems[0].Msg, "the witness database") {
				t.Errorf("verify: got %v, want records from 13 on named truncated by the witness database", rep.Problems)
			}
			if err := tr.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if !alarmed(tr, "truncated") {
				t.Errorf("alarms after start: got %+v, want a truncation alarm", tr.Alarms())
			}
			if c, err := tr.newestSigned(ctx); err != nil || c == nil || c.Seq != 10 {
				t.Errorf("newest checkpoint after start: got %+v, %v, want still the one at seq 10", c, err)
			}
			// Without the witness database nothing is left to tell.
			if rep, err := e.open().Verify(ctx, 2); err != nil || !rep.OK() {
				t.Errorf("verify without the witness database: got %v, %v, want intact (what it protects against)", rep.Problems, err)
			}
		})
	})
}

// freshDSN is a new, empty trail database of e's engine.
func freshDSN(t *testing.T, e *env) string {
	if e.dialect == "postgres" {
		return testkit.PostgresSchema(t, testkit.PostgresURL())
	}
	return filepath.Join(t.TempDir(), "audit.db")
}

// TestSyslogWitness: every checkpoint, and every alarm, reaches the
// syslog witness as a line.
func TestSyslogWitness(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	e := newEnv(t, filepath.Join(t.TempDir(), "audit.db"), "sqlite")
	e.trail = e.openWith(func(o *Options) { o.Syslog = &SyslogOptions{Network: "udp", Address: pc.LocalAddr().String()} })
	e.fill(10) // checkpoint #1 at seq 10
	c, err := e.trail.newestSigned(context.Background())
	if err != nil || c == nil || c.Seq != 10 {
		t.Fatalf("checkpoint: got %+v, %v", c, err)
	}
	await := func(want string) {
		t.Helper()
		buf := make([]byte, 4096)
		pc.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				t.Fatalf("waiting for %q: %v", want, err)
			}
			if strings.Contains(string(buf[:n]), want) {
				return
			}
		}
	}
	await(fmt.Sprintf("vigil audit checkpoint n=1 seq=10 hash=%x", c.Hash))
	e.dropGuards()
	e.exec(`DELETE FROM records WHERE seq > 8`)
	e.fill(1)
	await("vigil audit ALARM reason=truncated: records after seq 8 were removed")
}

// TestStartAlarms: at start, a record changed in the database, a guard
// trigger dropped, or both, raise alarms (the gauge too); the triggers
// are put back; and a changed record stops signing.
func TestStartAlarms(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(e *env)
		want   []string // alarm reasons
		signs  bool     // whether start signs a checkpoint
	}{
		{"intact", func(e *env) {}, nil, true},
		{"a guard dropped", func(e *env) {
			if e.dialect == "postgres" {
				e.exec(`DROP TRIGGER records_guard ON records`)
			} else {
				e.exec(`DROP TRIGGER records_no_update`)
			}
		}, []string{"guard"}, true},
		{"a guard disabled", func(e *env) {
			if e.dialect == "postgres" {
				e.exec(`ALTER TABLE records DISABLE TRIGGER records_guard`)
			} else {
				e.exec(`DROP TRIGGER records_no_delete`)
			}
		}, []string{"guard"}, true},
		{"a record changed", func(e *env) {
			e.dropGuards()
			e.exec(`UPDATE records SET username = 'mallory' WHERE seq = 15`)
		}, []string{"changed", "guard"}, false},
		{"a signed record changed and its hash recomputed", func(e *env) {
			e.dropGuards()
			e.exec(`UPDATE records SET detail = 'nothing to see' WHERE seq = 30`)
			e.rehash(30, 33)
			// The records after it no longer match their MACs either.
		}, []string{"changed", "forged", "guard"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, e *env) {
				ctx := context.Background()
				e.fill(33) // checkpoint #3 at seq 30; the server crashes
				tt.tamper(e)
				tr := e.open()
				if err := tr.Start(ctx); err != nil {
					t.Fatalf("Start: got %v, want nil", err)
				}
				var got []string
				for _, r := range AlarmReasons {
					if alarmed(tr, r) {
						got = append(got, r)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("alarm reasons: got %v, want %v\n%+v", got, tt.want, tr.Alarms())
				}
				reg := prometheus.NewRegistry()
				reg.MustRegister(AlarmCollector(tr))
				mfs, err := reg.Gather()
				if err != nil {
					t.Fatal(err)
				}
				gauge := map[string]float64{}
				for _, mf := range mfs {
					for _, m := range mf.GetMetric() {
						gauge[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
					}
				}
				for _, r := range AlarmReasons {
					want := 0.0
					for _, w := range tt.want {
						if w == r {
							want = 1
						}
					}
					if gauge[r] != want {
						t.Errorf("vigil_audit_alarm{reason=%q}: got %v, want %v", r, gauge[r], want)
					}
				}
				if bad, err := tr.st.CheckGuards(ctx); err != nil || len(bad) != 0 {
					t.Errorf("guards after start: got %v, %v, want all back", bad, err)
				}
				c, err := tr.newestSigned(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if signed := c.Kind == "start" && c.Seq == 33; signed != tt.signs {
					t.Errorf("newest checkpoint after start: got %+v, want a start checkpoint %v", c, tt.signs)
				}
			})
		})
	}
}

// TestOpenDoesNotSealTruncation: a process that writes the trail without
// starting a server (a command line making a token or a user) signs no
// checkpoint over records removed from the end either, when it appends
// and closes.
func TestOpenDoesNotSealTruncation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.fill(25)
		if err := e.trail.Close(); err != nil {
			t.Fatal(err) // #3 at 25, in the witness file
		}
		e.dropGuards()
		e.exec(`DELETE FROM records WHERE seq > 17`)
		e.exec(`DELETE FROM checkpoints WHERE seq > 17`)
		e.trail = e.open()
		e.fill(1)
		if err := e.trail.Close(); err != nil {
			t.Fatal(err)
		}
		if c, err := e.open().newestSigned(ctx); err != nil || c == nil || c.Seq != 10 {
			t.Errorf("newest checkpoint after an append and close on the shortened trail: got %+v, %v, want still #1 at seq 10", c, err)
		}
	})
}
