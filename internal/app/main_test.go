package app

import (
	"flag"
	"os"
	"testing"
	"time"
)

// goDefaultTimeout is the timeout the go command gives every test binary
// when none is asked for.
const goDefaultTimeout = 10 * time.Minute

// TestMain gives this package's tests 30 minutes where the go command
// would give them its default of 10: they record real cameras, run
// browsers and restart servers, and together take about ten minutes on
// two cores with every external tool installed, so the default would cut
// off whichever test happened to be running then. A timeout asked for
// with -timeout (other than exactly the default) is kept.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d == goDefaultTimeout {
			flag.Set("test.timeout", (30 * time.Minute).String())
		}
	}
	os.Exit(m.Run())
}
