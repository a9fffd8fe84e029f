package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/testkit"
)

// forEachTrail runs fn against a fresh trail on SQLite and, when
// VIGIL_TEST_POSTGRES is set, in a fresh PostgreSQL schema; raw is a plain
// connection to the same database, for what the trail refuses to do.
func forEachTrail(t *testing.T, fn func(t *testing.T, tr *Trail, raw *sql.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.db")
		tr := openTrail(t, path)
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		fn(t, tr, raw)
	})
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) {
			dsn := testkit.PostgresSchema(t, pg)
			tr := openTrail(t, dsn)
			raw, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			fn(t, tr, raw)
		})
	}
}

func openTrail(t *testing.T, dsn string) *Trail {
	t.Helper()
	tr, err := OpenTrail(context.Background(), dsn, nil)
	if err != nil {
		t.Fatalf("OpenTrail: got error %v, want nil", err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func hashOf(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// appendPlain writes records with placeholder hashes: the store does not
// chain, package audit does.
func appendPlain(t *testing.T, tr *Trail, recs ...AuditRecord) {
	t.Helper()
	err := tr.Write(context.Background(), func(w *TrailWriter) error {
		head, _ := w.Head()
		for i := range recs {
			recs[i].Seq = head.Seq + int64(i) + 1
			recs[i].Version = 1
			recs[i].PrevHash, recs[i].Hash, recs[i].MAC = hashOf(byte(i)), hashOf(byte(i+1)), hashOf(0xff)
		}
		return w.Insert(recs...)
	})
	must(t, err)
}

func TestSplitTrailSQL(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"plain", "CREATE TABLE a (x INT);\nCREATE TABLE b (y INT);\n", []string{"CREATE TABLE a (x INT)", "CREATE TABLE b (y INT)"}},
		{"comment", "-- a; b;\nSELECT 1; -- trailing;\n", []string{"SELECT 1"}},
		{"inline body", "CREATE TRIGGER t BEGIN SELECT RAISE(ABORT, 'x'); END;\n", []string{"CREATE TRIGGER t BEGIN SELECT RAISE(ABORT, 'x'); END"}},
		{"dollar body", "CREATE FUNCTION f() AS $$\nBEGIN\n  RAISE EXCEPTION 'no';\nEND\n$$;\nSELECT 2;\n",
			[]string{"CREATE FUNCTION f() AS $$\nBEGIN\n  RAISE EXCEPTION 'no';\nEND\n$$", "SELECT 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitTrailSQL(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadTrailMigrations(t *testing.T) {
	for _, d := range []string{dialectSQLite, dialectPostgres} {
		ms, err := loadTrailMigrations(trailFS, d)
		must(t, err)
		if len(ms) != 4 || ms[0].name != "0001_trail" || ms[1].name != "0002_witness" || ms[2].name != "0003_acknowledge" || ms[3].name != "0004_outbox" {
			t.Fatalf("%s: got %+v, want migrations 0001_trail, 0002_witness, 0003_acknowledge and 0004_outbox", d, ms)
		}
		for i, want := range []int{4, 2} {
			var triggers int
			for _, s := range ms[i].stmts {
				if strings.Contains(s, "{{") {
					t.Errorf("%s: placeholder left in %q", d, s)
				}
				if strings.HasPrefix(s, "CREATE TRIGGER") {
					triggers++
				}
			}
			if triggers != want {
				t.Errorf("%s, %s: got %d triggers, want %d", d, ms[i].name, triggers, want)
			}
		}
	}
}

// TestTrailGuards: the application's own connection can neither change
// nor delete a record or checkpoint, except the prefix the newest
// checkpoint says retention removed.
func TestTrailGuards(t *testing.T) {
	forEachTrail(t, func(t *testing.T, tr *Trail, raw *sql.DB) {
		ctx := context.Background()
		appendPlain(t, tr, AuditRecord{At: t0, Action: "a"}, AuditRecord{At: t0, Action: "b"}, AuditRecord{At: t0, Action: "c"})
		cp := func(n, start, first int64) error {
			return tr.Write(ctx, func(w *TrailWriter) error {
				return w.InsertCheckpoint(AuditCheckpoint{N: n, Seq: 3, Hash: hashOf(3), At: t0, StartSeq: start, StartPrev: hashOf(0),
					FirstCheckpoint: first, Kind: "periodic", Prev: hashOf(0), KeyID: "k", Signature: []byte("sig")})
			})
		}
		must(t, cp(1, 1, 1))
		refused := []struct{ name, sql string }{
			{"update record", `UPDATE records SET detail = 'x' WHERE seq = 2`},
			{"delete record", `DELETE FROM records WHERE seq = 2`},
			{"delete first record", `DELETE FROM records WHERE seq = 1`},
			{"update checkpoint", `UPDATE checkpoints SET seq = 2`},
			{"delete checkpoint", `DELETE FROM checkpoints`},
		}
		if tr.Dialect() == dialectPostgres {
			refused = append(refused, struct{ name, sql string }{"truncate", `TRUNCATE records`})
		}
		for _, r := range refused {
			t.Run(r.name, func(t *testing.T) {
				if _, err := raw.ExecContext(ctx, r.sql); err == nil {
					t.Errorf("%s: got nil error, want the guard's refusal", r.sql)
				}
			})
		}
		first, last, err := tr.AuditBounds(ctx)
		if err != nil || first != 1 || last != 3 {
			t.Fatalf("bounds after refused changes: got %d..%d (%v), want 1..3", first, last, err)
		}
		// A checkpoint stating that the chain starts at 3 lets seq 1 and 2
		// go, and checkpoint 1 with them; 3 stays.
		must(t, cp(2, 3, 2))
		err = tr.Write(ctx, func(w *TrailWriter) error {
			n, err := w.DeleteBefore(3, 2)
			if n != 2 {
				t.Errorf("pruned %d records, want 2", n)
			}
			return err
		})
		must(t, err)
		if _, err := raw.ExecContext(ctx, `DELETE FROM records WHERE seq = 3`); err == nil {
			t.Error("deleting the new first record: got nil error, want refusal")
		}
		cps, err := tr.AuditCheckpoints(ctx)
		must(t, err)
		if len(cps) != 1 || cps[0].N != 2 {
			t.Errorf("checkpoints after pruning: got %+v, want only n=2", cps)
		}
		guards, err := tr.AuditGuards(ctx)
		must(t, err)
		if strings.Join(guards, ",") != strings.Join(tr.AuditGuardNames(), ",") {
			t.Errorf("guards: got %v, want %v", guards, tr.AuditGuardNames())
		}
	})
}

func TestTrailListAudit(t *testing.T) {
	forEachTrail(t, func(t *testing.T, tr *Trail, raw *sql.DB) {
		ctx := context.Background()
		rs, re := t0.Add(-time.Hour), t0
		appendPlain(t, tr,
			AuditRecord{At: t0, UserID: 1, Username: "alice", OrganisationID: 5, Action: "view", CameraID: 10, RangeStart: &rs, RangeEnd: &re, RemoteAddr: "10.1.1.1:5000", Detail: "live"},
			AuditRecord{At: t0.Add(time.Second), UserID: 2, Username: "bob", OrganisationID: 6, Action: "export", CameraID: 10, Reason: "case 7"},
			AuditRecord{At: t0.Add(2 * time.Second), UserID: 1, Username: "alice", OrganisationID: 5, Action: "export", CameraID: 11},
			AuditRecord{At: t0.Add(3 * time.Second), UserID: 1, Username: "alice", OrganisationID: 5, Action: "login"},
		)
		seqs := func(rs []AuditRecord) []int64 {
			var out []int64
			for _, r := range rs {
				out = append(out, r.Seq)
			}
			return out
		}
		tests := []struct {
			name string
			f    AuditFilter
			want []int64
		}{
			{"all newest first", AuditFilter{}, []int64{4, 3, 2, 1}},
			{"user", AuditFilter{Username: "alice"}, []int64{4, 3, 1}},
			{"organisation", AuditFilter{OrganisationID: 6}, []int64{2}},
			{"camera", AuditFilter{CameraID: 10}, []int64{2, 1}},
			{"action", AuditFilter{Action: "export"}, []int64{3, 2}},
			{"user and action", AuditFilter{Username: "alice", Action: "export"}, []int64{3}},
			{"since inclusive", AuditFilter{Since: t0.Add(2 * time.Second)}, []int64{4, 3}},
			{"until exclusive", AuditFilter{Until: t0.Add(time.Second)}, []int64{1}},
			{"window", AuditFilter{Since: t0.Add(time.Second), Until: t0.Add(3 * time.Second)}, []int64{3, 2}},
			{"limit", AuditFilter{Limit: 2}, []int64{4, 3}},
			{"cursor", AuditFilter{Before: 3, Limit: 2}, []int64{2, 1}},
			{"nothing", AuditFilter{Username: "mallory"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := tr.ListAudit(ctx, tt.f)
				must(t, err)
				if g := seqs(got); !equalIDs(g, tt.want) {
					t.Errorf("got seqs %v, want %v", g, tt.want)
				}
			})
		}
		got, err := tr.ListAudit(ctx, AuditFilter{CameraID: 10, Username: "alice"})
		must(t, err)
		if len(got) != 1 {
			t.Fatalf("round trip: got %d records, want 1", len(got))
		}
		if e := got[0]; e.At != normal(t0) || *e.RangeStart != normal(rs) || *e.RangeEnd != normal(re) || e.OrganisationID != 5 ||
			e.RemoteAddr != "10.1.1.1:5000" || e.Detail != "live" || e.Version != 1 || !bytes.Equal(e.Hash, hashOf(1)) {
			t.Errorf("round trip: got %+v", e)
		}
		// ScanChain sees the same values as the columns hold.
		var rows []ChainRow
		must(t, tr.ScanChain(ctx, 1, 3, func(r *ChainRow) error {
			rows = append(rows, *r)
			return nil
		}))
		if len(rows) != 2 {
			t.Fatalf("ScanChain [1,3): got %d rows, want 2", len(rows))
		}
		if r := rows[0]; r.Seq != 1 || r.AtUS != normal(t0).UnixMicro() || r.Username != "alice" || r.OrganisationID != 5 ||
			!r.HasRangeStart || r.RangeStartUS != normal(rs).UnixMicro() || r.RemoteAddr != "10.1.1.1:5000" || r.Version != 1 {
			t.Errorf("ScanChain row 1: got %+v", r)
		}
		if r := rows[1]; r.HasRangeStart || r.HasRangeEnd || r.Reason != "case 7" || !bytes.Equal(r.PrevHash, hashOf(1)) {
			t.Errorf("ScanChain row 2: got %+v", r)
		}
	})
}

// TestTrailRestoreGuards: guards someone removed, switched off or replaced
// with ones that let everything through are found and put back as the
// migrations made them, after which they refuse changes again.
func TestTrailRestoreGuards(t *testing.T) {
	forEachTrail(t, func(t *testing.T, tr *Trail, raw *sql.DB) {
		ctx := context.Background()
		appendPlain(t, tr, AuditRecord{At: t0, Action: "a"}, AuditRecord{At: t0, Action: "b"})
		if bad, err := tr.CheckGuards(ctx); err != nil || len(bad) != 0 {
			t.Fatalf("fresh trail: got %v, %v, want every guard in place", bad, err)
		}
		var tamper []string
		var want map[string]string
		if tr.Dialect() == dialectPostgres {
			tamper = []string{
				`DROP TRIGGER records_no_truncate ON records`,
				`ALTER TABLE checkpoints DISABLE TRIGGER checkpoints_guard`,
				`CREATE OR REPLACE FUNCTION audit_records_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$`,
				`DROP TRIGGER witness_guard ON witness`,
			}
			want = map[string]string{"records_no_truncate": "missing", "checkpoints_guard": "disabled", "audit_records_guard": "changed", "witness_guard": "missing"}
		} else {
			tamper = []string{
				`DROP TRIGGER records_no_delete`,
				`DROP TRIGGER records_no_update`,
				`CREATE TRIGGER records_no_update BEFORE UPDATE ON records WHEN 0 BEGIN SELECT RAISE(ABORT, 'no'); END`,
				`DROP TRIGGER witness_no_delete`,
			}
			want = map[string]string{"records_no_delete": "missing", "records_no_update": "changed", "witness_no_delete": "missing"}
		}
		for _, q := range tamper {
			if _, err := raw.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		got := func(ps []GuardProblem) map[string]string {
			m := map[string]string{}
			for _, p := range ps {
				m[p.Name] = p.Was
			}
			return m
		}
		bad, err := tr.CheckGuards(ctx)
		if err != nil || fmt.Sprint(got(bad)) != fmt.Sprint(want) {
			t.Fatalf("CheckGuards after tampering: got %v, %v, want %v", bad, err, want)
		}
		restored, err := tr.RestoreGuards(ctx)
		if err != nil || fmt.Sprint(got(restored)) != fmt.Sprint(want) {
			t.Fatalf("RestoreGuards: got %v, %v, want %v", restored, err, want)
		}
		if bad, err := tr.CheckGuards(ctx); err != nil || len(bad) != 0 {
			t.Errorf("after restoring: got %v, %v, want every guard in place", bad, err)
		}
		for _, q := range []string{`UPDATE records SET detail = 'x' WHERE seq = 2`, `DELETE FROM records WHERE seq = 2`} {
			if _, err := raw.ExecContext(ctx, q); err == nil {
				t.Errorf("%s after restoring: got nil error, want the guard's refusal", q)
			}
		}
		if again, err := tr.RestoreGuards(ctx); err != nil || len(again) != 0 {
			t.Errorf("second RestoreGuards: got %v, %v, want nothing to do", again, err)
		}
	})
}

// TestTrailWitness: a trail database keeps copies of another's
// checkpoints, the newest readable, none changeable.
func TestTrailWitness(t *testing.T) {
	forEachTrail(t, func(t *testing.T, tr *Trail, raw *sql.DB) {
		ctx := context.Background()
		if c, err := tr.NewestWitness(ctx); err != nil || c != nil {
			t.Fatalf("empty witness: got %+v, %v, want nil", c, err)
		}
		for n := int64(1); n <= 3; n++ {
			must(t, tr.PutWitness(ctx, AuditCheckpoint{N: n, Seq: n * 10, Hash: hashOf(byte(n)), At: t0, StartSeq: 1, StartPrev: hashOf(0),
				FirstCheckpoint: 1, Kind: "interval", Prev: hashOf(0), KeyID: "k", Signature: []byte("sig")}))
		}
		// The same number again, differing, leaves the first copy.
		must(t, tr.PutWitness(ctx, AuditCheckpoint{N: 3, Seq: 99, Hash: hashOf(9), At: t0, StartPrev: hashOf(0), Prev: hashOf(0), Signature: []byte("x")}))
		c, err := tr.NewestWitness(ctx)
		if err != nil || c == nil || c.N != 3 || c.Seq != 30 {
			t.Fatalf("newest witness: got %+v, %v, want #3 at seq 30", c, err)
		}
		for _, q := range []string{`UPDATE witness SET seq = 1`, `DELETE FROM witness`} {
			if _, err := raw.ExecContext(ctx, q); err == nil {
				t.Errorf("%s: got nil error, want the guard's refusal", q)
			}
		}
	})
}
