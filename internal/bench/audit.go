package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auditlog"
)

// AuditOptions configure "vigil bench audit".
type AuditOptions struct {
	Records int64
	// Dir holds the SQLite trail; a trail already there with enough
	// records is measured again rather than refilled. Empty: a temporary
	// folder, removed after.
	Dir string
	// Postgres, when set, measures a trail on PostgreSQL: a schema made
	// for the run in the database this URL names, dropped after.
	Postgres string
	Workers  int // 0: one per CPU
	Runs     int // verify runs; the median is reported
}

// AuditReport is what the run measured.
type AuditReport struct {
	Engine      string
	Records     int64
	Filled      bool          // false when an existing trail was reused
	Fill        time.Duration // appending them, in batches of 10,000
	DBBytes     int64         // the trail's database file (SQLite)
	Workers     int
	Verify      time.Duration // vigil's verification, median
	VerifyOne   time.Duration // the same on one worker
	HashedBytes int64         // what verification hashed
	Count       time.Duration // SELECT count(*)
	Scan        time.Duration // SELECT of every column of every record, read through database/sql
	Sha256sum   time.Duration // sha256sum over HashedBytes in a file
	Checkpoints int64
}

// Audit fills a trail with Records records through the real append path
// (hashes, MACs, signed checkpoints, the guards and indexes) and times
// `vigil audit verify` over it against a plain scan of the same table and
// sha256sum over the same number of bytes, in the same run.
func Audit(ctx context.Context, opt AuditOptions, progress io.Writer) (*AuditReport, error) {
	if opt.Records <= 0 {
		return nil, errors.New("bench audit: --records must be positive")
	}
	if opt.Runs < 1 {
		opt.Runs = 3
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Dir == "" {
		d, err := os.MkdirTemp("", "vigil-bench-audit-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		opt.Dir = d
	}
	if err := os.MkdirAll(opt.Dir, 0o750); err != nil {
		return nil, err
	}
	rep := &AuditReport{Engine: "sqlite", Records: opt.Records, Workers: opt.Workers}
	dsn, driver := filepath.Join(opt.Dir, "audit.db"), "sqlite"
	if opt.Postgres != "" {
		rep.Engine, driver = "postgres", "pgx"
		schema := fmt.Sprintf("vigil_bench_audit_%d", time.Now().UnixNano())
		var err error
		if dsn, err = withSearchPath(opt.Postgres, schema); err != nil {
			return nil, err
		}
		defer func() {
			db, err := sql.Open("pgx", opt.Postgres)
			if err == nil {
				db.Exec(`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`)
				db.Close()
			}
		}()
	}
	key, err := audit.LoadOrCreateKey(filepath.Join(opt.Dir, "audit.key"), "")
	if err != nil {
		return nil, err
	}
	open := func() (*audit.Trail, error) {
		return audit.Open(ctx, audit.Options{DSN: dsn, Key: key, Logger: slog.New(slog.DiscardHandler)})
	}
	tr, err := open()
	if err != nil {
		return nil, err
	}
	_, last, err := tr.Store().AuditBounds(ctx)
	if err != nil {
		tr.Store().Close()
		return nil, err
	}
	if last > 0 && last != opt.Records {
		tr.Store().Close()
		return nil, fmt.Errorf("bench audit: %s already holds %d records, not %d", dsn, last, opt.Records)
	}
	if last == 0 {
		rep.Filled = true
		began := time.Now()
		if err := fillTrail(ctx, tr, opt.Records, progress); err != nil {
			tr.Store().Close()
			return nil, err
		}
		rep.Fill = time.Since(began)
		if err := tr.Close(); err != nil {
			return nil, err
		}
		if tr, err = open(); err != nil {
			return nil, err
		}
	}
	defer tr.Store().Close()
	if fi, err := os.Stat(dsn); err == nil {
		rep.DBBytes = fi.Size()
	}

	// Each measurement runs Runs times, interleaved, so that a neighbour's
	// load on the machine falls on all of them alike; medians are kept.
	var verify, verifyOne, count, scan, sums []time.Duration
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var hashFile string
	for run := range opt.Runs {
		fmt.Fprintf(progress, "run %d of %d: verify\n", run+1, opt.Runs)
		began := time.Now()
		r, err := tr.Verify(ctx, opt.Workers)
		if err != nil {
			return nil, err
		}
		if !r.OK() {
			return nil, fmt.Errorf("bench audit: the trail does not verify: %v", r.Problems[0])
		}
		verify = append(verify, time.Since(began))
		rep.HashedBytes, rep.Checkpoints = r.Bytes, r.Checkpoints
		if r.Records != opt.Records {
			return nil, fmt.Errorf("bench audit: verify read %d records, want %d", r.Records, opt.Records)
		}
		began = time.Now()
		if _, err := tr.Verify(ctx, 1); err != nil {
			return nil, err
		}
		verifyOne = append(verifyOne, time.Since(began))

		fmt.Fprintf(progress, "run %d of %d: count, scan\n", run+1, opt.Runs)
		began = time.Now()
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM records`).Scan(&n); err != nil {
			return nil, err
		}
		count = append(count, time.Since(began))
		d, err := plainScan(ctx, db, opt.Records)
		if err != nil {
			return nil, err
		}
		scan = append(scan, d)

		if hashFile == "" {
			hashFile = filepath.Join(opt.Dir, "sha256sum-input")
			if err := writeRandom(hashFile, rep.HashedBytes); err != nil {
				return nil, err
			}
			defer os.Remove(hashFile)
		}
		fmt.Fprintf(progress, "run %d of %d: sha256sum\n", run+1, opt.Runs)
		began = time.Now()
		if out, err := exec.CommandContext(ctx, "sha256sum", hashFile).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("sha256sum: %v: %s", err, out)
		}
		sums = append(sums, time.Since(began))
	}
	rep.Verify, rep.VerifyOne, rep.Count, rep.Scan, rep.Sha256sum = median(verify), median(verifyOne), median(count), median(scan), median(sums)
	return rep, nil
}

func withSearchPath(dsn, schema string) (string, error) {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	if strings.Contains(dsn, "search_path=") {
		return "", errors.New("bench audit: give a --postgres URL without a search_path")
	}
	return dsn + sep + "search_path=" + schema, nil
}

// fillTrail appends n records like a busy control room's: mostly playback
// requests by 50 operators of four partners across 300 cameras, live
// views, some exports with reasons, sign-ins.
func fillTrail(ctx context.Context, tr *audit.Trail, n int64, progress io.Writer) error {
	const batch = 10000
	at := time.Now().Add(-time.Duration(n) * 50 * time.Millisecond).UTC()
	entries := make([]auditlog.Entry, 0, batch)
	began := time.Now()
	for i := int64(0); i < n; i++ {
		at = at.Add(50 * time.Millisecond)
		op := i*7919%50 + 1
		e := auditlog.Entry{At: at, UserID: op, Username: fmt.Sprintf("operator%02d", op), OrganisationID: op%4 + 1,
			CameraID: i*104729%300 + 1, RemoteAddr: fmt.Sprintf("10.20.%d.%d:%d", op, i%250, 40000+i%20000)}
		rs, re := at.Add(-10*time.Minute), at.Add(-9*time.Minute)
		switch k := i % 100; {
		case k < 70:
			e.Action, e.RangeStart, e.RangeEnd = auditlog.FootagePlay, &rs, &re
			e.Detail = fmt.Sprintf("GET Range: bytes=%d-", i*4096%(1<<30))
		case k < 90:
			e.Action, e.Detail = auditlog.LiveStart, "WebRTC"
			if k%2 == 1 {
				e.Action, e.Detail = auditlog.LiveStop, fmt.Sprintf("WebRTC, %ds", i%600)
			}
		case k < 95:
			e.Action, e.RangeStart, e.RangeEnd = auditlog.FootageExport, &rs, &re
			e.Reason, e.Detail = fmt.Sprintf("police request %d", i%100000), "GET"
		default:
			e.Action, e.CameraID, e.Detail = auditlog.SignIn, 0, ""
		}
		entries = append(entries, e)
		if len(entries) == batch || i == n-1 {
			if err := tr.AppendBatch(ctx, entries); err != nil {
				return err
			}
			entries = entries[:0]
		}
		if (i+1)%1000000 == 0 {
			fmt.Fprintf(progress, "filled %d records (%.0f/s)\n", i+1, float64(i+1)/time.Since(began).Seconds())
		}
	}
	return nil
}

// plainScan reads every column of every record in seq order the ordinary
// way, through database/sql's Scan, on one connection: what any program
// reading the table pays before it checks anything.
func plainScan(ctx context.Context, db *sql.DB, want int64) (time.Duration, error) {
	began := time.Now()
	rows, err := db.QueryContext(ctx, `SELECT seq, at_us, user_id, username, organisation_id, action, camera_id,
		range_start_us, range_end_us, remote_addr, reason, detail, version, prev_hash, hash FROM records ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var seq, at, uid, org, cam, version int64
	var rs, re sql.NullInt64
	var user, action, addr, reason, detail, prev, hash sql.RawBytes
	var n int64
	for rows.Next() {
		if err := rows.Scan(&seq, &at, &uid, &user, &org, &action, &cam, &rs, &re, &addr, &reason, &detail, &version, &prev, &hash); err != nil {
			return 0, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if n != want {
		return 0, fmt.Errorf("bench audit: the scan read %d records, want %d", n, want)
	}
	return time.Since(began), nil
}

func writeRandom(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	rand.Read(buf)
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := f.Write(buf[:k]); err != nil {
			f.Close()
			return err
		}
		n -= k
	}
	return f.Close()
}

// Print writes the report.
func (r *AuditReport) Print(w io.Writer) {
	rate := func(d time.Duration) float64 { return float64(r.Records) / d.Seconds() }
	fmt.Fprintf(w, "\naudit trail on %s: %d records, %d checkpoints", r.Engine, r.Records, r.Checkpoints)
	if r.DBBytes > 0 {
		fmt.Fprintf(w, ", %.2f GiB database", float64(r.DBBytes)/(1<<30))
	}
	if r.Filled {
		fmt.Fprintf(w, "\nfill:      %s (%.0f records/s, appended in transactions of 10,000)", r.Fill.Round(time.Second), rate(r.Fill))
	}
	fmt.Fprintf(w, "\nverify:    %s on %d workers: %.0f records/s (%.0f MiB hashed)\n", r.Verify.Round(time.Millisecond), r.Workers,
		rate(r.Verify), float64(r.HashedBytes)/(1<<20))
	fmt.Fprintf(w, "verify:    %s on 1 worker: %.0f records/s\n", r.VerifyOne.Round(time.Millisecond), rate(r.VerifyOne))
	fmt.Fprintf(w, "scan:      SELECT of every column through database/sql, 1 connection: %s (%.0f records/s); verify takes %.2fx as long\n",
		r.Scan.Round(time.Millisecond), rate(r.Scan), r.Verify.Seconds()/r.Scan.Seconds())
	fmt.Fprintf(w, "count:     SELECT count(*): %s\n", r.Count.Round(time.Millisecond))
	fmt.Fprintf(w, "sha256sum: the same %.0f MiB from a file: %s (%.0f MiB/s); verify takes %.2fx as long\n",
		float64(r.HashedBytes)/(1<<20), r.Sha256sum.Round(time.Millisecond), float64(r.HashedBytes)/(1<<20)/r.Sha256sum.Seconds(),
		r.Verify.Seconds()/r.Sha256sum.Seconds())
}
