package cli

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vigil-cctv/vigil/internal/testkit"
)

// vigil runs the command line in a process of its own, as an operator
// would, and returns its exit code and output.
func vigil(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(append(os.Environ(), "VIGIL_TEST_MAIN=1"), env...)
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

// TestAuditVerifyCommand runs a server, which writes the trail, stops it,
// and runs `vigil audit verify` on the trail as it is and after changing
// it in the database.
func TestAuditVerifyCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server process")
	}
	t.Run("sqlite", func(t *testing.T) {
		data := t.TempDir()
		testAuditVerifyCommand(t, data, nil, "sqlite", filepath.Join(data, "audit.db"))
	})
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) {
			dsn := testkit.PostgresSchema(t, pg)
			u, _ := url.Parse(dsn)
			q := u.Query()
			q.Set("search_path", q.Get("search_path")+"_audit")
			u.RawQuery = q.Encode()
			testAuditVerifyCommand(t, t.TempDir(), []string{"VIGIL_DATABASE_URL=" + dsn}, "pgx", u.String())
		})
	}
}

func testAuditVerifyCommand(t *testing.T, data string, env []string, driver, trailDSN string) {
	// A witness database apart from the data folder, which the server
	// and every command keep checkpoints in, and verify reads.
	env = append(env, "VIGIL_AUDIT_WITNESS_DATABASE="+filepath.Join(t.TempDir(), "witness.db"))
	addr := freePort(t)
	base := "http://" + addr
	srv := startServer(t, data, addr, env...)
	tokenEnv := append([]string{}, env...)
	code, o := vigil(t, tokenEnv, "token", "create", "--data", data, "--user", "admin")
	if code != 0 {
		t.Fatalf("token create: exit %d: %s", code, o)
	}
	token := strings.TrimSpace(o)
	// An administrator sees no footage: a supervisor exports it.
	if code, o := vigil(t, tokenEnv, "user", "create", "--data", data, "--user", "sup", "--role", "supervisor", "--must-change=false"); code != 0 {
		t.Fatalf("user create: exit %d: %s", code, o)
	}
	code, o = vigil(t, tokenEnv, "token", "create", "--data", data, "--user", "sup", "--without-second-factor")
	if code != 0 {
		t.Fatalf("token create: exit %d: %s", code, o)
	}
	// The output mixes the warning (stderr) with the token, printed last.
	lines := strings.Split(strings.TrimSpace(o), "\n")
	supToken := lines[len(lines)-1]
	if !strings.Contains(o, "WARNING") {
		t.Errorf("token create --without-second-factor: got %q, want a warning", o)
	}
	for i := range 3 {
		if c, b := api(t, "POST", base+"/api/v1/cameras", token, map[string]any{"name": fmt.Sprint("Cam ", i), "url": "rtsp://127.0.0.1:9/none", "enabled": false}); c != 201 {
			t.Fatalf("POST camera: %d %s", c, b)
		}
		api(t, "GET", base+"/api/v1/cameras/1/video.mp4?start=2026-01-01T00:00:00Z&end=2026-01-01T00:01:00Z&download=1&reason=test", supToken, nil)
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	srv.cmd.Wait()

	dataEnv := func(more ...string) []string { return append(append([]string{}, env...), more...) }
	code, o = vigil(t, dataEnv(), "audit", "verify", "--data", data)
	if code != 0 || !strings.Contains(o, "audit trail intact: 11 records, chain intact from seq 1 to 11") || !strings.Contains(o, "last checkpoint: #4 at seq 11") {
		t.Fatalf("verify of the server's trail: exit %d\n%s\nwant 0 and 11 records (the first start's partnership and admin, token, user, token, 3 cameras, 3 exports) under checkpoint #4 (each command line append signs one)", code, o)
	}

	// With only the public key, as someone without the server's secrets.
	code, o = vigil(t, dataEnv(), "audit", "key", "--data", data)
	if code != 0 || !strings.Contains(o, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("audit key: exit %d\n%s", code, o)
	}
	pub := filepath.Join(t.TempDir(), "audit.pub")
	os.WriteFile(pub, []byte(o), 0o600)
	elsewhere := t.TempDir()
	if driver == "sqlite" {
		copyFile(t, filepath.Join(data, "audit.db"), filepath.Join(elsewhere, "audit.db"))
	}
	copyFile(t, filepath.Join(data, "audit.checkpoint"), filepath.Join(elsewhere, "audit.checkpoint"))
	code, o = vigil(t, dataEnv(), "audit", "verify", "--data", elsewhere, "--public-key", pub)
	if code != 0 || !strings.Contains(o, "audit trail intact: 11 records") {
		t.Errorf("verify with the public key only: exit %d\n%s", code, o)
	}
	if code, o := vigil(t, dataEnv(), "audit", "verify", "--data", elsewhere); code == 0 || !strings.Contains(o, "key") {
		t.Errorf("verify with no key at all: exit %d\n%s\nwant a failure asking for the key", code, o)
	}

	db, err := sql.Open(driver, trailDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := db.Exec(`UPDATE records SET reason = 'routine' WHERE seq = 7`); err == nil {
		t.Fatal("the guard let an audit record be changed")
	}
	if driver == "pgx" {
		exec(`DROP TRIGGER records_guard ON records`)
	} else {
		exec(`DROP TRIGGER records_no_update`)
		exec(`DROP TRIGGER records_no_delete`)
	}
	exec(`UPDATE records SET reason = 'routine' WHERE seq = 7`)
	code, o = vigil(t, dataEnv(), "audit", "verify", "--data", data)
	if code != 1 || !strings.Contains(o, "record 7 was changed") || !strings.Contains(o, "audit trail not intact: changed (record 7)") {
		t.Errorf("verify after changing record 7: exit %d\n%s\nwant 1 naming record 7 changed", code, o)
	}
	// Put it back as it was, and take another away.
	exec(`UPDATE records SET reason = 'test' WHERE seq = 7`)
	exec(`DELETE FROM records WHERE seq = 9`)
	code, o = vigil(t, dataEnv(), "audit", "verify", "--data", data)
	if code != 1 || strings.Contains(o, "record 7") || !strings.Contains(o, "record 9 was removed") {
		t.Errorf("verify after restoring record 7 and removing record 9: exit %d\n%s\nwant 1 naming record 9 alone", code, o)
	}

	// Records removed from the end with the checkpoints over them, and
	// the witness file too: the witness database still tells.
	if driver == "pgx" {
		exec(`DROP TRIGGER checkpoints_guard ON checkpoints`)
	} else {
		exec(`DROP TRIGGER checkpoints_no_delete`)
	}
	exec(`DELETE FROM records WHERE seq > 8`)
	exec(`DELETE FROM checkpoints WHERE seq > 8`)
	if err := os.Remove(filepath.Join(data, "audit.checkpoint")); err != nil {
		t.Fatal(err)
	}
	code, o = vigil(t, dataEnv(), "audit", "verify", "--data", data)
	if code != 1 || !strings.Contains(o, "records from seq 9 on were removed from the end of the trail: the witness database holds checkpoint") {
		t.Errorf("verify after truncating the trail and removing the witness file: exit %d\n%s\nwant 1, the witness database naming the truncation", code, o)
	}

	// The loss investigated and accepted: not without saying yes, then
	// recorded and signed, and verify warns of it with exit code 3.
	ack := []string{"audit", "acknowledge", "--data", data, "--by", "J. Smith (DPO)", "--reason", "police informed, ref 42/2026; no backup"}
	code, o = vigilIn(t, dataEnv(), "no\n", ack...)
	if code != 1 || !strings.Contains(o, "trail shortened at seq 8: records 9-11 removed from the end; checkpoint #4 vouched for seq 11") ||
		!strings.Contains(o, "not acknowledged") {
		t.Errorf("acknowledge, answered no: exit %d\n%s\nwant 1, the damage shown and nothing written", code, o)
	}
	if code, o := vigil(t, dataEnv(), "audit", "verify", "--data", data); code != 1 {
		t.Errorf("verify after a refused acknowledgement: exit %d\n%s\nwant 1", code, o)
	}
	code, o = vigilIn(t, dataEnv(), "yes\n", ack...)
	if code != 0 || !strings.Contains(o, "acknowledged: record 9, checkpoint #5 signed") {
		t.Fatalf("acknowledge, answered yes: exit %d\n%s\nwant 0, record 9 and checkpoint #5", code, o)
	}
	code, o = vigil(t, dataEnv(), "audit", "verify", "--data", data)
	if code != 3 || !strings.Contains(o, "WARNING: trail shortened at seq 8: records 9-11 removed from the end") ||
		!strings.Contains(o, "by J. Smith (DPO): police informed, ref 42/2026; no backup") {
		t.Errorf("verify after the acknowledgement: exit %d\n%s\nwant 3 and the acknowledged damage", code, o)
	}
	if code, o := vigil(t, dataEnv(), ack...); code != 0 || !strings.Contains(o, "nothing to acknowledge") {
		t.Errorf("acknowledge again: exit %d\n%s\nwant 0, nothing to acknowledge", code, o)
	}
}

// vigilIn is vigil with stdin, for the questions a command asks.
func vigilIn(t *testing.T, env []string, stdin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &out, strings.NewReader(stdin)
	cmd.Env = append(append(os.Environ(), "VIGIL_TEST_MAIN=1"), env...)
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := io.Copy(g, f); err != nil {
		t.Fatal(err)
	}
}
