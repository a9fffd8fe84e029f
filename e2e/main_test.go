package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"

	"github.com/vigil-cctv/vigil/internal/cli"
)

// TestMain lets the test binary stand in for vigil itself (VIGIL_TEST_MAIN),
// so the tests run the real `vigil demo` in a process of its own.
//
// It also moves the tests into a network namespace of their own, with
// loopback alone, when it can (as root, with unshare and ip): the browser's
// WebRTC then has no interface but loopback to gather candidates on and
// nothing it does can reach, or multicast to, any network.
func TestMain(m *testing.M) {
	if os.Getenv("VIGIL_TEST_MAIN") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	if os.Getenv("VIGIL_E2E_NETNS") == "" && canUnshare() {
		cmd := exec.Command("unshare", append([]string{"--net", "--", "/bin/sh", "-c", `ip link set lo up && exec "$0" "$@"`, os.Args[0]}, os.Args[1:]...)...)
		cmd.Env = append(os.Environ(), "VIGIL_E2E_NETNS=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				os.Exit(ee.ExitCode())
			}
			fmt.Fprintln(os.Stderr, "e2e: running in a network namespace:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// canUnshare reports whether a loopback-only network namespace can be made.
func canUnshare() bool {
	if os.Geteuid() != 0 {
		return false
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return false
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return false
	}
	return exec.Command("unshare", "--net", "--", "/bin/sh", "-c", "ip link set lo up").Run() == nil
}
