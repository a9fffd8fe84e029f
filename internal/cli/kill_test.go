package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// TestMain lets the test binary stand in for vigil itself, so tests can
// run the real command in a process of its own and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("VIGIL_TEST_MAIN") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	log  *bytes.Buffer
}

func startServer(t *testing.T, data, addr string, env ...string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.Env = append(os.Environ(), "VIGIL_TEST_MAIN=1", "VIGIL_DATA="+data, "VIGIL_HTTP="+addr,
		"VIGIL_ADMIN_PASSWORD=correct horse battery staple", "VIGIL_SEGMENT_DURATION=5s",
		// The tests' cameras are on loopback, which cameras otherwise
		// may not be.
		"VIGIL_CAMERA_ALLOW=127.0.0.0/8")
	cmd.Env = append(cmd.Env, env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, addr: addr, log: &log}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v\n%s", err, log.String())
		}
		time.Sleep(50 * time.Millisecond) // polling: nothing to await from another process
	}
}

func api(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

type spans struct {
	Spans []struct{ Start, End time.Time }
	Gaps  []struct {
		Start, End time.Time
		Reason     string
	}
}

func awaitSpan(t *testing.T, base, token string, id int64, n int, d time.Duration) spans {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		_, b := api(t, "GET", fmt.Sprintf("%s/api/v1/cameras/%d/recordings", base, id), token, nil)
		var r spans
		json.Unmarshal(b, &r)
		if len(r.Spans) >= n && r.Spans[len(r.Spans)-1].End.Sub(r.Spans[len(r.Spans)-1].Start) >= d {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("no span %d of %s: %s", n, d, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestKilledMidWrite kills the server with SIGKILL while it records, leaves
// half a fragment at the end of the open segment (as a kill during the
// write would), restarts it, and checks that index and files agree, that
// the footage from before the kill still decodes, and that the time the
// server was down is recorded as a gap.
func TestKilledMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server process for half a minute")
	}
	ffmpeg := testkit.NeedTool(t, "ffmpeg")
	cams, err := simcam.New(simcam.Options{Listen: "127.0.0.1:0", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go cams.Run(ctx)

	data := t.TempDir()
	addr := freePort(t)
	base := "http://" + addr
	srv := startServer(t, data, addr)
	// admin sees no footage: the test acts as a CCTV manager.
	var out bytes.Buffer
	if code := Run(ctx, []string{"user", "create", "--data", data, "--user", "manager", "--role", "cctv_manager", "--must-change=false"}, &out, io.Discard); code != 0 || len(strings.TrimSpace(out.String())) < 16 {
		t.Fatalf("user create exited %d, printing %q; want 0 and a password", code, out.String())
	}
	out.Reset()
	if code := Run(ctx, []string{"token", "create", "--data", data, "--user", "manager", "--without-second-factor"}, &out, io.Discard); code != 0 {
		t.Fatalf("token create exited %d", code)
	}
	token := strings.TrimSpace(out.String())
	code, b := api(t, "POST", base+"/api/v1/cameras", token, map[string]string{"name": "Killed", "url": cams.URL(1)})
	if code != 201 {
		t.Fatalf("POST camera: %d %s", code, b)
	}
	var cam struct{ ID int64 }
	json.Unmarshal(b, &cam)
	before := awaitSpan(t, base, token, cam.ID, 1, 7*time.Second)

	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()

	// Half a fragment at the end of the open segment.
	st, err := store.Open(ctx, filepath.Join(data, "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	open, err := st.OpenSegments(ctx)
	st.Close()
	if err != nil || len(open) != 1 {
		t.Fatalf("open segments after the kill: %v, %v; want one", open, err)
	}
	openPath := filepath.Join(data, "recordings", open[0].Path)
	f, err := os.OpenFile(openPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 0x40, 0, 'm', 'o', 'o', 'f', 0, 0, 0, 16, 'm', 'f', 'h', 'd'})
	f.Close()
	// And a file no row knows of.
	orphan := filepath.Join(data, "recordings", "999", "orphan.mp4")
	os.MkdirAll(filepath.Dir(orphan), 0o750)
	os.WriteFile(orphan, []byte("not footage"), 0o600)

	srv = startServer(t, data, addr)
	after := awaitSpan(t, base, token, cam.ID, 2, 3*time.Second)
	if _, err := os.Stat(orphan); err == nil {
		t.Error("the orphan file survived the restart")
	}
	foundGap := false
	for _, g := range after.Gaps {
		if strings.Contains(g.Reason, "Vigil was not running") {
			foundGap = true
		}
	}
	if !foundGap {
		t.Errorf("gaps after restart %+v, want one saying Vigil was not running", after.Gaps)
	}

	// The footage from before the kill decodes.
	first := before.Spans[0]
	url := fmt.Sprintf("%s/api/v1/cameras/%d/video.mp4?start=%s&end=%s", base, cam.ID, first.Start.Format(time.RFC3339Nano), after.Spans[0].End.Format(time.RFC3339Nano))
	code, clip := api(t, "GET", url, token, nil)
	if code != 200 {
		t.Fatalf("export of pre-kill footage: %d %s", code, clip)
	}
	path := filepath.Join(t.TempDir(), "before-kill.mp4")
	os.WriteFile(path, clip, 0o600)
	if o, err := exec.Command(ffmpeg, "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(o) > 0 {
		t.Fatalf("ffmpeg on pre-kill footage: %v %s", err, o)
	}

	srv.cmd.Process.Signal(syscall.SIGTERM)
	srv.cmd.Wait()
	// Every file has its row and every closed row its whole file.
	st, err = store.Open(ctx, filepath.Join(data, "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	trail, err := store.OpenTrail(ctx, filepath.Join(data, "audit.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer trail.Close()
	if tokens, err := trail.ListAudit(ctx, store.AuditFilter{Action: "token.create"}); err != nil || len(tokens) != 1 || tokens[0].Username != "manager" {
		t.Errorf("token.create audit records %+v (%v), want one for manager", tokens, err)
	}
	// Newest first: manager's, then the first start's admin, by Vigil.
	if made, err := trail.ListAudit(ctx, store.AuditFilter{Action: "user.create"}); err != nil || len(made) != 2 ||
		made[0].Username != "manager" || made[0].RemoteAddr != "command line" || made[1].Username != "vigil" {
		t.Errorf("user.create audit records %+v (%v), want manager's from the command line and the first start's by vigil", made, err)
	}
	root := filepath.Join(data, "recordings")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		seg, err := st.SegmentByPath(ctx, "local", rel)
		if err != nil {
			t.Errorf("file %s has no index row: %v", rel, err)
			return nil
		}
		fi, _ := d.Info()
		if seg.Open {
			t.Errorf("segment %s still open after a clean stop", rel)
		}
		if fi.Size() != seg.Size {
			t.Errorf("file %s is %d bytes, index says %d", rel, fi.Size(), seg.Size)
		}
		return nil
	})
}
