// Package testkit holds what Vigil's tests share: finding the external
// tools that prove behaviour against code we did not write, and the
// databases the store runs on.
//
// A test that needs a tool calls NeedTool. On a developer's machine a
// missing tool skips the test and names it; under CI (VIGIL_REQUIRE_TOOLS=1)
// a missing tool fails the test, so a green CI always means the tool ran.
package testkit

import (
	"os"
	"os/exec"
	"testing"
)

// NeedTool returns the path of the named executable, or skips (fails under
// VIGIL_REQUIRE_TOOLS=1) the test when it is not installed.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("VIGIL_REQUIRE_TOOLS") == "1" {
		t.Fatalf("required tool %q is not installed (VIGIL_REQUIRE_TOOLS=1)", name)
	}
	t.Skipf("skipping: tool %q is not installed", name)
	return ""
}

// NeedFile is NeedTool for a tool found by path rather than on PATH, such as
// /usr/bin/python3 with GStreamer's introspection bindings.
func NeedFile(t testing.TB, path, what string) string {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if os.Getenv("VIGIL_REQUIRE_TOOLS") == "1" {
		t.Fatalf("required %s (%s) is not installed (VIGIL_REQUIRE_TOOLS=1)", what, path)
	}
	t.Skipf("skipping: %s (%s) is not installed", what, path)
	return ""
}

// PostgresURL returns VIGIL_TEST_POSTGRES, or "" when store tests should run
// on SQLite alone.
func PostgresURL() string { return os.Getenv("VIGIL_TEST_POSTGRES") }
