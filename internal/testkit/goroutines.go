package testkit

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Goroutines returns the stacks of the goroutines, other than the
// caller's and the tests', running a function of one of the packages named by import
// path (a path ending in "/" names every package below it). Only the frames count: the line naming the goroutine's creator
// does not, so a goroutine that is merely finishing a sync.WaitGroup.Go
// started by the package is not counted.
func Goroutines(pkgs ...string) []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	// The caller's goroutine comes first in the dump.
	for _, g := range strings.Split(string(buf), "\n\n")[1:] {
		// The tests' own goroutines (a parent test waiting for its
		// subtests, say) are not the code's.
		if strings.Contains(g, "\ntesting.tRunner(") {
			continue
		}
		if runsIn(g, pkgs) {
			out = append(out, g)
		}
	}
	return out
}

// runsIn reports whether one goroutine's stack has a frame in one of
// pkgs. A frame is a function line followed by its file line; the
// "created by" line is not a frame.
func runsIn(stack string, pkgs []string) bool {
	for _, line := range strings.Split(stack, "\n") {
		if strings.HasPrefix(line, "created by ") || strings.HasPrefix(line, "\t") {
			continue
		}
		for _, p := range pkgs {
			if strings.HasSuffix(p, "/") && strings.HasPrefix(line, p) || strings.HasPrefix(line, p+".") {
				return true
			}
		}
	}
	return false
}

// AwaitNoGoroutines fails the test unless, within the given time, no
// goroutine but the caller's runs code of pkgs: call it after a Close
// that must have waited for every goroutine its component started. The
// time only covers goroutines returning from their last call after
// signalling that they are done (a deferred close, a WaitGroup's Done);
// one still blocked never leaves, and the test names it.
func AwaitNoGoroutines(t testing.TB, within time.Duration, pkgs ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		left := Goroutines(pkgs...)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d goroutines left running in %v after Close, want none:\n\n%s", len(left), pkgs, strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond) // polling: a goroutine's exit has no event to await
	}
}
