package console

import (
	"strings"
	"testing"
)

// TestRoutes: every console route is a GET that says exactly one of
// public, anyone or a right (the server's table refuses the rest at
// start), and only pages, never a CSV download, send a user without the
// right home.
func TestRoutes(t *testing.T) {
	c := &Console{}
	seen := map[string]bool{}
	for _, r := range c.Routes() {
		if seen[r.Pattern] {
			t.Errorf("%s: got it twice, want each route once", r.Pattern)
		}
		seen[r.Pattern] = true
		if !strings.HasPrefix(r.Pattern, "GET /") {
			t.Errorf("%s: got another method, want GET: pages change nothing", r.Pattern)
		}
		n := 0
		for _, set := range []bool{r.Public, r.Anyone, r.Need != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: got %d of public, anyone and a right, want exactly one", r.Pattern, n)
		}
		if csv := strings.HasSuffix(r.Pattern, ".csv"); csv && r.Page {
			t.Errorf("%s: got a page, want a download refused with 403", r.Pattern)
		}
		if r.H == nil {
			t.Errorf("%s: got no handler", r.Pattern)
		}
	}
}
