//go:build unix

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/testkit"
)

// scriptResult is what every e2e script prints, in its one JSON line,
// beside what it found: whether it got through, the step it failed at and
// why, and what the page threw.
type scriptResult struct {
	OK         bool     `json:"ok"`
	Step       string   `json:"step"`
	Error      string   `json:"error"`
	PageErrors []string `json:"pageErrors"`
}

// needBrowser is node and the e2e folder with playwright-core, or the
// test skips (fails under VIGIL_REQUIRE_TOOLS) naming what is missing,
// before anything is started.
func needBrowser(t *testing.T) (node, dir string) {
	t.Helper()
	node = testkit.NeedTool(t, "node")
	testkit.NeedFile(t, "/usr/bin/chromium", "Chromium (apt-get install chromium)")
	dir, err := filepath.Abs(filepath.Join("..", "..", "e2e"))
	mustDo(t, err)
	testkit.NeedFile(t, filepath.Join(dir, "node_modules", "playwright-core", "package.json"), "playwright-core (npm ci in e2e/)")
	return node, dir
}

// runScript runs the e2e script name with cfg as its argument, in a
// process group of its own so that a timeout (3 minutes) ends node and
// the browser it started, and decodes its line into out. A script that
// failed fails the test with its step and error; what the page threw is
// an error of the test's.
func runScript(t *testing.T, node, dir, name string, cfg any, out any) {
	t.Helper()
	arg, err := json.Marshal(cfg)
	mustDo(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, name), string(arg))
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	line := bytes.TrimSpace(stdout.Bytes())
	var res scriptResult
	if err := json.Unmarshal(line, &res); err != nil {
		t.Fatalf("%s output is not one JSON line (%v, run: %v)\nstdout: %s\nstderr: %s", name, err, runErr, stdout.String(), stderr.String())
	}
	if runErr != nil || !res.OK {
		t.Fatalf("browser: failed at %q: %s (exit: %v)\nstderr: %s", res.Step, res.Error, runErr, stderr.String())
	}
	if len(res.PageErrors) > 0 {
		t.Errorf("the page threw: %q", res.PageErrors)
	}
	if err := json.Unmarshal(line, out); err != nil {
		t.Fatalf("%s output: %v", name, err)
	}
}
