package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// env is one trail under test, with a plain connection to its database
// for doing what an attacker with database access would.
type env struct {
	t       *testing.T
	dsn     string
	dialect string
	key     ed25519.PrivateKey
	witness string
	trail   *Trail
	raw     *sql.DB
}

// forEachEngine runs fn on a fresh SQLite trail and, when
// VIGIL_TEST_POSTGRES is set, on a fresh PostgreSQL schema.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, newEnv(t, filepath.Join(t.TempDir(), "audit.db"), "sqlite"))
	})
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) {
			fn(t, newEnv(t, testkit.PostgresSchema(t, pg), "pgx"))
		})
	}
}

func newEnv(t *testing.T, dsn, driver string) *env {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dsn: dsn, dialect: map[string]string{"sqlite": "sqlite", "pgx": "postgres"}[driver], key: key,
		witness: filepath.Join(t.TempDir(), "audit.checkpoint")}
	e.trail = e.open()
	e.raw, err = sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.raw.Close() })
	return e
}

func (e *env) open() *Trail {
	e.t.Helper()
	return e.openWith(nil)
}

// openWith opens the trail as a server would, with opts adjusting the
// options; the trail is left open (a crash) unless the test closes it.
func (e *env) openWith(opts func(o *Options)) *Trail {
	e.t.Helper()
	o := Options{DSN: e.dsn, Key: e.key, Witness: e.witness, CheckpointEvery: 10}
	if opts != nil {
		opts(&o)
	}
	tr, err := Open(context.Background(), o)
	if err != nil {
		e.t.Fatalf("Open: got %v, want nil", err)
	}
	e.t.Cleanup(func() {
		if tr.off != nil {
			tr.off.close(time.Second)
		}
		if tr.wdb != nil {
			tr.wdb.Close()
		}
		tr.st.Close()
	})
	return tr
}

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC)

// fill appends n records one by one, as requests would.
func (e *env) fill(n int) {
	e.t.Helper()
	for i := range n {
		rs, re := t0.Add(-time.Hour), t0
		err := e.trail.Append(context.Background(), Entry{
			At: t0.Add(time.Duration(i) * time.Second), UserID: int64(i%3 + 1), Username: fmt.Sprint("user", i%3+1), OrganisationID: 7,
			Action: auditlog.FootagePlay, CameraID: int64(i%4 + 1), RangeStart: &rs, RangeEnd: &re, RemoteAddr: "192.0.2.1:5000",
			Reason: "incident 42", Detail: fmt.Sprint("request ", i),
		})
		if err != nil {
			e.t.Fatalf("Append %d: got %v, want nil", i, err)
		}
	}
}

func (e *env) verify() Report {
	e.t.Helper()
	rep, err := e.trail.Verify(context.Background(), 2)
	if err != nil {
		e.t.Fatalf("Verify: got error %v, want a report", err)
	}
	return rep
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.raw.Exec(q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

// dropGuards removes the triggers, as someone with database access
// would before rewriting the trail.
func (e *env) dropGuards() {
	e.t.Helper()
	if e.dialect == "postgres" {
		e.exec(`DROP TRIGGER records_guard ON records`)
		e.exec(`DROP TRIGGER checkpoints_guard ON checkpoints`)
		return
	}
	for _, g := range []string{"records_no_update", "records_no_delete", "checkpoints_no_update", "checkpoints_no_delete"} {
		e.exec(`DROP TRIGGER ` + g)
	}
}

// shift moves the records from seq from on by d, as an attacker closing
// or opening a gap would; in two steps, as the key is checked row by row.
func (e *env) shift(from, d int64) {
	e.exec(`UPDATE records SET seq = -seq WHERE seq >= $1`, from)
	e.exec(`UPDATE records SET seq = -seq + $1 WHERE seq < 0`, d)
}

func (e *env) record(seq int64) Record {
	e.t.Helper()
	rs, err := e.trail.st.AuditRecords(context.Background(), seq, 1)
	if err != nil || len(rs) != 1 || rs[0].Seq != seq {
		e.t.Fatalf("record %d: got %v, %v", seq, rs, err)
	}
	return rs[0]
}

// rehash recomputes the hashes of the records from seq from to seq to, in
// order, as an attacker who knows the algorithm (but not the key) would,
// so each links to the one before.
func (e *env) rehash(from, to int64) {
	e.t.Helper()
	prev := e.record(from - 1).Hash
	for s := from; s <= to; s++ {
		r := e.record(s)
		r.PrevHash = prev
		row := chainRow(&r)
		sum, _ := recordHash(nil, prev, &row)
		e.exec(`UPDATE records SET prev_hash = $1, hash = $2 WHERE seq = $3`, prev, sum[:], s)
		prev = sum[:]
	}
}

// insertForged inserts a record at seq, linked to prev and hashed
// correctly (or not), with no valid MAC.
func (e *env) insertForged(seq int64, prev []byte, goodHash bool) {
	e.t.Helper()
	r := Record{Seq: seq, At: t0, UserID: 1, Username: "user1", OrganisationID: 7, Action: "footage.export", CameraID: 2,
		RemoteAddr: "192.0.2.66:1", Detail: "forged", Version: 1, PrevHash: prev}
	row := chainRow(&r)
	sum, _ := recordHash(nil, prev, &row)
	if !goodHash {
		sum[0] ^= 1
	}
	e.exec(`INSERT INTO records (seq, at_us, user_id, username, organisation_id, action, camera_id, remote_addr, reason, detail, version, prev_hash, hash, mac)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9, 1, $10, $11, $12)`,
		seq, r.At.UnixMicro(), r.UserID, r.Username, r.OrganisationID, r.Action, r.CameraID, r.RemoteAddr, r.Detail, prev, sum[:], make([]byte, 32))
}

func TestAppendAndVerify(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.fill(33)
		rep := e.verify()
		if !rep.OK() {
			t.Fatalf("intact trail: got problems %v", rep.Problems)
		}
		if rep.Records != 33 || rep.First != 1 || rep.Last != 33 || rep.Newest == nil || rep.Newest.N != 3 || rep.Newest.Seq != 30 ||
			rep.Tail != 3 || !rep.TailMACs || rep.Checkpoints != 3 {
			t.Errorf("report: got %+v, want 33 records 1..33, newest checkpoint #3 at seq 30, a tail of 3 with MACs, 3 checkpoints", rep)
		}
		if s := rep.String(); !strings.Contains(s, "33 records, chain intact from seq 1 to 33") || !strings.Contains(s, "last checkpoint: #3 at seq 30") {
			t.Errorf("summary: got %q", s)
		}
		r := e.record(5)
		if r.PrevHash == nil || string(r.PrevHash) != string(e.record(4).Hash) || r.Reason != "incident 42" || r.OrganisationID != 7 ||
			!r.At.Equal(t0.Add(4*time.Second).Truncate(time.Microsecond)) {
			t.Errorf("record 5: got %+v", r)
		}
		w, err := ReadWitness(e.witness)
		if err != nil || w == nil || w.N != 3 || w.Seq != 30 {
			t.Errorf("witness: got %+v, %v, want checkpoint #3 at seq 30", w, err)
		}
		// Close signs the tail.
		if err := e.trail.Close(); err != nil {
			t.Fatal(err)
		}
		e.trail = e.open()
		if rep := e.verify(); !rep.OK() || rep.Newest.Seq != 33 || rep.Tail != 0 || rep.Newest.Kind != "close" {
			t.Errorf("after Close: got %+v, want a close checkpoint at 33 and no tail", rep)
		}
		if err := e.trail.Append(context.Background(), Entry{Action: auditlog.SignIn}); err != nil {
			t.Errorf("Append after reopening: %v", err)
		}
	})
}

// TestTamper changes the trail directly in the database, the guards
// dropped first as an attacker with database access would, and checks
// that Verify catches each change and names the right record.
func TestTamper(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(e *env)
		kind   string
		seq    int64 // the record named; 0: a checkpoint is named
		cp     int64
	}{
		{"edit a field", func(e *env) { e.exec(`UPDATE records SET username = 'mallory' WHERE seq = 15`) }, "changed", 15, 0},
		{"edit a time", func(e *env) { e.exec(`UPDATE records SET at_us = at_us + 1 WHERE seq = 12`) }, "changed", 12, 0},
		{"clear a range", func(e *env) { e.exec(`UPDATE records SET range_end_us = NULL WHERE seq = 12`) }, "changed", 12, 0},
		{"edit a field and its hash", func(e *env) {
			e.exec(`UPDATE records SET detail = 'nothing to see' WHERE seq = 15`)
			e.rehash(15, 15)
		}, "changed", 15, 0},
		{"edit a field and rehash the rest of the chain", func(e *env) {
			e.exec(`UPDATE records SET camera_id = 9 WHERE seq = 15`)
			e.rehash(15, 33)
		}, "changed", 15, 0},
		{"delete a row", func(e *env) { e.exec(`DELETE FROM records WHERE seq = 15`) }, "removed", 15, 0},
		{"delete rows", func(e *env) { e.exec(`DELETE FROM records WHERE seq BETWEEN 15 AND 17`) }, "removed", 15, 0},
		{"delete a row and renumber", func(e *env) {
			e.exec(`DELETE FROM records WHERE seq = 15`)
			e.shift(16, -1)
		}, "removed", 15, 0},
		{"delete the first rows", func(e *env) { e.exec(`DELETE FROM records WHERE seq < 4`) }, "removed", 1, 0},
		{"insert a forged row", func(e *env) {
			prev := e.record(14).Hash
			e.shift(15, 1)
			e.insertForged(15, prev, true)
		}, "inserted", 15, 0},
		{"insert a badly forged row", func(e *env) {
			prev := e.record(14).Hash
			e.shift(15, 1)
			e.insertForged(15, prev, false)
		}, "inserted", 15, 0},
		{"swap two rows", func(e *env) {
			e.exec(`UPDATE records SET seq = -1 WHERE seq = 15`)
			e.exec(`UPDATE records SET seq = 15 WHERE seq = 16`)
			e.exec(`UPDATE records SET seq = 16 WHERE seq = -1`)
		}, "reordered", 15, 0},
		{"swap two distant rows", func(e *env) {
			e.exec(`UPDATE records SET seq = -1 WHERE seq = 12`)
			e.exec(`UPDATE records SET seq = 12 WHERE seq = 17`)
			e.exec(`UPDATE records SET seq = 17 WHERE seq = -1`)
		}, "reordered", 12, 0},
		{"truncate the tail", func(e *env) { e.exec(`DELETE FROM records WHERE seq > 25`) }, "truncated", 26, 0},
		{"truncate the tail and its checkpoint", func(e *env) {
			e.exec(`DELETE FROM records WHERE seq > 25`)
			e.exec(`DELETE FROM checkpoints WHERE seq > 25`)
		}, "truncated", 26, 0},
		{"append a forged row", func(e *env) { e.insertForged(34, e.record(33).Hash, true) }, "forged", 34, 0},
		{"delete a checkpoint", func(e *env) { e.exec(`DELETE FROM checkpoints WHERE n = 2`) }, "checkpoint", 0, 2},
		{"delete the last checkpoint", func(e *env) { e.exec(`DELETE FROM checkpoints WHERE n = 3`) }, "checkpoint", 0, 3},
		{"change a checkpoint", func(e *env) { e.exec(`UPDATE checkpoints SET seq = 19 WHERE n = 2`) }, "checkpoint", 0, 2},
		{"forge the newest checkpoint", func(e *env) { e.exec(`UPDATE checkpoints SET signature = $1 WHERE n = 3`, make([]byte, 64)) }, "checkpoint", 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, e *env) {
				e.fill(33)
				if rep := e.verify(); !rep.OK() {
					t.Fatalf("before tampering: got problems %v", rep.Problems)
				}
				e.dropGuards()
				tt.tamper(e)
				rep := e.verify()
				if rep.OK() {
					t.Fatalf("got an intact trail, want %s caught", tt.kind)
				}
				p := rep.Problems[0]
				if p.Kind != tt.kind || p.Seq != tt.seq || tt.cp != 0 && p.Checkpoint != tt.cp {
					t.Errorf("first problem: got %s (seq %d, checkpoint %d), want %s of seq %d checkpoint %d\nall: %v",
						p, p.Seq, p.Checkpoint, tt.kind, tt.seq, tt.cp, rep.Problems)
				}
				guard := false
				for _, p := range rep.Problems {
					guard = guard || p.Kind == "guard"
				}
				if !guard {
					t.Errorf("problems %v: want the dropped guards reported too", rep.Problems)
				}
			})
		})
	}
}

// TestForgedTailIsNotSigned: a record someone appends to the database
// after the last checkpoint, chained correctly, is not signed by the next
// checkpoint, since it has no valid MAC.
func TestForgedTailIsNotSigned(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.fill(5)
		e.insertForged(6, e.record(5).Hash, true)
		if err := e.trail.Checkpoint(context.Background(), "interval"); err != nil {
			t.Fatal(err)
		}
		e.fill(2)
		if err := e.trail.Checkpoint(context.Background(), "interval"); err != nil {
			t.Fatal(err)
		}
		rep := e.verify()
		if rep.Newest == nil || rep.Newest.Seq != 5 {
			t.Errorf("newest checkpoint: got %+v, want one at seq 5, before the forged record", rep.Newest)
		}
		if len(rep.Problems) == 0 || rep.Problems[0].Kind != "forged" || rep.Problems[0].Seq != 6 {
			t.Errorf("problems: got %v, want the record at 6 named forged", rep.Problems)
		}
	})
}

// TestTruncationWhileRunning: records removed from the end while the
// server runs are noticed at its next append, which records an alarm.
func TestTruncationWhileRunning(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.fill(5)
		e.dropGuards()
		e.exec(`DELETE FROM records WHERE seq > 3`)
		e.fill(1)
		alarms, err := e.trail.st.ListAudit(context.Background(), store.AuditFilter{Action: "audit.alarm"})
		if err != nil || len(alarms) != 1 || alarms[0].Seq != 4 || !strings.Contains(alarms[0].Detail, "records after seq 3 were removed") {
			t.Fatalf("alarms: got %+v, %v, want one at seq 4 about records after 3", alarms, err)
		}
		rep := e.verify()
		found := false
		for _, p := range rep.Problems {
			found = found || p.Kind == "alarm" && p.Seq == 4
		}
		if !found {
			t.Errorf("problems: got %v, want the alarm at seq 4", rep.Problems)
		}
	})
}

// TestConcurrentAppends: many goroutines, and two trails on one database
// (two processes, say), append at once; the result is one chain.
func TestConcurrentAppends(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		other := e.open()
		const workers, each = 8, 40
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			tr := e.trail
			if w%2 == 1 {
				tr = other
			}
			wg.Go(func() {
				for i := range each {
					errs <- tr.Append(context.Background(), Entry{Username: fmt.Sprint("w", w), Action: auditlog.FootagePlay, Detail: fmt.Sprint(i)})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("Append: got %v, want nil", err)
			}
		}
		if err := other.Checkpoint(context.Background(), "close"); err != nil {
			t.Fatal(err)
		}
		rep := e.verify()
		if !rep.OK() || rep.Records != workers*each || rep.Last != workers*each {
			t.Errorf("got %d records to seq %d, problems %v; want %d in one intact chain", rep.Records, rep.Last, rep.Problems, workers*each)
		}
		if rep.Newest == nil || rep.Newest.Seq != workers*each {
			t.Errorf("newest checkpoint %+v: want one over every record", rep.Newest)
		}
	})
}

func TestPrune(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		old := time.Now().AddDate(-8, 0, 0)
		for i := range 25 {
			if err := e.trail.Append(ctx, Entry{At: old.Add(time.Duration(i) * time.Minute), Action: auditlog.SignIn, Username: "old"}); err != nil {
				t.Fatal(err)
			}
		}
		e.fill(5)
		n, err := e.trail.Prune(ctx, time.Now().AddDate(-7, 0, 0))
		if err != nil || n != 25 {
			t.Fatalf("Prune: got %d, %v, want 25 removed", n, err)
		}
		rep := e.verify()
		if !rep.OK() || rep.Start != 26 || rep.First != 26 || rep.Last != 31 || rep.Newest.Kind != "prune" {
			t.Fatalf("after pruning: got %+v, want an intact chain from 26 to 31 (the prune record) under a prune checkpoint", rep)
		}
		pr := e.record(31)
		if pr.Action != "audit.pruned" || !strings.Contains(pr.Detail, "records 1 to 25") {
			t.Errorf("prune record: got %+v", pr)
		}
		if n, err := e.trail.Prune(ctx, time.Now().AddDate(-7, 0, 0)); err != nil || n != 0 {
			t.Errorf("second Prune: got %d, %v, want nothing removed", n, err)
		}
		// Pruning is not mistaken for tampering; removing more of the
		// start is.
		e.dropGuards()
		e.exec(`DELETE FROM records WHERE seq = 26`)
		rep = e.verify()
		if rep.OK() || rep.Problems[0].Kind != "removed" || rep.Problems[0].Seq != 26 {
			t.Errorf("after deleting the new first record: got %v, want record 26 named removed", rep.Problems)
		}
	})
}

func TestPruneKeepsTheNewest(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for range 3 {
			if err := e.trail.Append(ctx, Entry{At: time.Now().AddDate(-9, 0, 0), Action: auditlog.SignIn}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := e.trail.Prune(ctx, time.Now().AddDate(-7, 0, 0)); err != nil || n != 2 {
			t.Fatalf("Prune: got %d, %v, want 2 removed (the newest stays)", n, err)
		}
		if rep := e.verify(); !rep.OK() || rep.First != 3 || rep.Last != 4 {
			t.Errorf("got %+v, want records 3 and 4 (the prune record), intact", rep)
		}
	})
}

type legacy []store.LegacyAudit

func (l legacy) CountLegacyAudit(context.Context) (int64, error) { return int64(len(l)), nil }
func (l legacy) EachLegacyAudit(ctx context.Context, fn func(store.LegacyAudit) error) error {
	for _, e := range l {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func TestImportLegacy(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var src legacy
		for i := range 25 {
			src = append(src, store.LegacyAudit{ID: int64(i + 3), At: t0.Add(time.Duration(i) * time.Second), UserID: 1, Username: "admin",
				Action: "footage.play", CameraID: 2, RemoteAddr: "192.0.2.9:1", Detail: fmt.Sprint("old ", i)})
		}
		n, err := e.trail.ImportLegacy(ctx, src)
		if err != nil || n != 25 {
			t.Fatalf("ImportLegacy: got %d, %v, want 25", n, err)
		}
		if n, err := e.trail.ImportLegacy(ctx, src); err != nil || n != 0 {
			t.Errorf("second ImportLegacy: got %d, %v, want 0 (done once)", n, err)
		}
		rep := e.verify()
		if !rep.OK() || rep.Records != 26 || rep.Newest == nil || rep.Newest.Seq != 26 {
			t.Fatalf("after import: got %+v, want 26 records, intact and signed", rep)
		}
		if r := e.record(1); r.Detail != "old 0" || !r.At.Equal(t0.Truncate(time.Microsecond)) {
			t.Errorf("first imported record: got %+v", r)
		}
		if r := e.record(26); r.Action != "audit.import" || !strings.Contains(r.Detail, "25 records (ids 3 to 27)") {
			t.Errorf("import record: got %+v", r)
		}
	})
}

func TestCleanFields(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		long := strings.Repeat("é", 3000)
		if err := e.trail.Append(context.Background(), Entry{Action: auditlog.SignInFailed, Username: "a\x00b\xff" + long}); err != nil {
			t.Fatalf("Append of a hostile name: %v", err)
		}
		r := e.record(1)
		if !strings.HasPrefix(r.Username, "a\uFFFDb\uFFFD") || !strings.HasSuffix(r.Username, "… (cut)") || len(r.Username) > auditlog.MaxField+20 {
			t.Errorf("stored name: got %d bytes starting %q", len(r.Username), r.Username[:8])
		}
		if rep := e.verify(); !rep.OK() {
			t.Errorf("problems: %v", rep.Problems)
		}
	})
}

func TestEncodingDistinguishes(t *testing.T) {
	base := store.ChainRow{Seq: 1, AtUS: 2, UserID: 3, Username: "ab", OrganisationID: 4, Action: "c", CameraID: 5, Version: 1}
	tests := []struct {
		name string
		mod  func(r *store.ChainRow)
	}{
		{"seq", func(r *store.ChainRow) { r.Seq = 2 }},
		{"moved byte between strings", func(r *store.ChainRow) { r.Username, r.Action = "a", "bc" }},
		{"range present at zero", func(r *store.ChainRow) { r.HasRangeStart = true }},
		{"range end instead of start", func(r *store.ChainRow) { r.HasRangeEnd = true }},
		{"version", func(r *store.ChainRow) { r.Version = 2 }},
		{"reason", func(r *store.ChainRow) { r.Reason = "x" }},
	}
	want := string(encodeRecord(nil, &base))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.mod(&r)
			if got := string(encodeRecord(nil, &r)); got == want {
				t.Errorf("encoding unchanged: %x", got)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.key")
	k1, err := LoadOrCreateKey(path, "")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKey(path, "")
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("second load: got a different key (%v)", err)
	}
	pub, err := ParsePublicKey(PublicKeyPEM(k1.Public().(ed25519.PublicKey)))
	if err != nil || !pub.Equal(k1.Public()) {
		t.Errorf("public key round trip: %v", err)
	}
	seed := fmt.Sprintf("%x", k1.Seed())
	k3, err := LoadOrCreateKey(filepath.Join(dir, "none"), seed)
	if err != nil || !k3.Equal(k1) {
		t.Errorf("key from a hex seed: got %v", err)
	}
	if _, err := LoadKey(filepath.Join(dir, "missing"), ""); err == nil {
		t.Error("LoadKey of a missing file: got nil error")
	}
}

// TestVerifyWithPublicKeyOnly: someone holding only the public key checks
// the chain and the checkpoints; a rewritten chain is placed between two
// checkpoints (the MACs that would name the record need the private key),
// and the records after the last checkpoint are counted, not checked.
func TestVerifyWithPublicKeyOnly(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		e.fill(33)
		pub := e.key.Public().(ed25519.PublicKey)
		verify := func() Report {
			rep, err := Verify(context.Background(), e.trail.st, VerifyOptions{Keys: []ed25519.PublicKey{pub}})
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		if rep := verify(); !rep.OK() || rep.TailMACs || rep.Tail != 3 || !strings.Contains(rep.String(), "need the private key") {
			t.Fatalf("intact trail: got %+v, want intact with a tail of 3 unchecked", rep)
		}
		if _, err := Verify(context.Background(), e.trail.st, VerifyOptions{}); err == nil {
			t.Error("Verify with no key: got nil error, want one asking for the public key")
		}
		other, _, _ := ed25519.GenerateKey(rand.Reader)
		rep, err := Verify(context.Background(), e.trail.st, VerifyOptions{Keys: []ed25519.PublicKey{other}})
		if err != nil || rep.OK() || rep.Problems[0].Kind != "checkpoint" {
			t.Errorf("Verify with someone else's key: got %v, %v, want the checkpoints rejected", rep.Problems, err)
		}
		e.dropGuards()
		e.exec(`UPDATE records SET camera_id = 9 WHERE seq = 15`)
		e.rehash(15, 33)
		rep = verify()
		if rep.OK() || rep.Problems[0].Kind != "changed" || rep.Problems[0].Seq != 11 || rep.Problems[0].Checkpoint != 2 ||
			!strings.Contains(rep.Problems[0].Msg, "from seq 11 to 20") {
			t.Errorf("rewritten chain: got %v, want a change placed between seq 11 and checkpoint #2 at 20", rep.Problems)
		}
	})
}

// TestCloseWaitsForAppends: records accepted before Close, some still
// being written by the queue's goroutines after their callers stopped
// waiting, are all written before Close's final checkpoint, and no
// goroutine of the trail outlives Close.
func TestCloseWaitsForAppends(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		const workers, each = 8, 25
		// The callers stop waiting at once: their records are left to
		// the goroutines draining the queue.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					e.trail.Append(ctx, Entry{Username: fmt.Sprint("w", w), Action: auditlog.FootagePlay, Detail: fmt.Sprint(i)})
				}
			})
		}
		wg.Wait()
		if err := e.trail.Close(); err != nil {
			t.Fatalf("Close: got %v, want nil", err)
		}
		testkit.AwaitNoGoroutines(t, 2*time.Second, "github.com/vigil-cctv/vigil/internal/audit")
		e.trail = e.open()
		rep := e.verify()
		if !rep.OK() || rep.Records != workers*each {
			t.Errorf("got %d records, problems %v; want %d in one intact chain", rep.Records, rep.Problems, workers*each)
		}
		if rep.Newest == nil || rep.Newest.Seq != rep.Last {
			t.Errorf("newest checkpoint %+v, last record %d: want Close's checkpoint over every record", rep.Newest, rep.Last)
		}
	})
}
