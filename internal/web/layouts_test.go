package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/web/api"
)

// TestLayoutLimitAPI: past 100 a new layout is a 409
// that says why, replacing one still works, and the list comes in pages
// that together hold every layout once, in order.
func TestLayoutLimitAPI(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newSigninEnv(t, dsn, nil)
		tok := e.apiToken(e.user("ada", "admin", "Quiet-Harbour-Lights-42", false))
		put := func(name string) answer {
			return bearer(e, "PUT", "/api/v1/layouts/"+url.PathEscape(name), tok, `{"grid": 1, "tiles": [null]}`)
		}
		var want []string
		for i := range cameras.MaxLayoutsPerUser {
			name := fmt.Sprintf("Wall %03d", i)
			if a := put(name); a.code != http.StatusOK {
				t.Fatalf("layout %d: got %d %s, want 200", i, a.code, a.body)
			}
			want = append(want, name)
		}
		if a := put("one too many"); a.code != http.StatusConflict || !strings.Contains(a.body, "the most one person may keep") {
			t.Errorf("a layout past the limit: got %d %s, want 409 saying the most one person may keep", a.code, a.body)
		}
		if a := bearer(e, "PUT", "/api/v1/layouts/Wall%20007", tok, `{"grid": 2, "tiles": [null, null, null, null]}`); a.code != http.StatusOK {
			t.Errorf("replacing a layout at the limit: got %d %s, want 200", a.code, a.body)
		}

		list := func(query string) ([]string, answer) {
			t.Helper()
			a := bearer(e, "GET", "/api/v1/layouts"+query, tok, "")
			var ls []api.LayoutJSON
			if a.code == http.StatusOK {
				if err := json.Unmarshal([]byte(a.body), &ls); err != nil {
					t.Fatalf("GET %s: %v", query, err)
				}
			}
			var names []string
			for _, l := range ls {
				names = append(names, l.Name)
			}
			return names, a
		}
		if got, a := list(""); !slices.Equal(got, want) || a.header.Get("Link") != "" {
			t.Errorf("the default page: got %d layouts, Link %q, want all %d and no Link", len(got), a.header.Get("Link"), len(want))
		}
		// Pages of 30, each from the Link of the one before.
		var got []string
		next, pages := "?limit=30", 0
		for next != "" && pages < 10 {
			names, a := list(next)
			if a.code != http.StatusOK {
				t.Fatalf("GET %s: got %d %s", next, a.code, a.body)
			}
			got = append(got, names...)
			pages++
			next = ""
			if link := a.header.Get("Link"); link != "" {
				i, j := strings.Index(link, "<"), strings.Index(link, ">")
				if i < 0 || j < i || !strings.HasSuffix(link, `rel="next"`) {
					t.Fatalf("Link %q: want <...>; rel=\"next\"", link)
				}
				next = strings.TrimPrefix(link[i+1:j], "/api/v1/layouts")
			}
		}
		if !slices.Equal(got, want) || pages != 4 {
			t.Errorf("paged by 30: got %d layouts in %d pages, want %d in 4, in order", len(got), pages, len(want))
		}
		if got, _ := list("?limit=5&after=" + url.QueryEscape("Wall 097")); !slices.Equal(got, want[98:]) {
			t.Errorf("after Wall 097: got %q, want %q", got, want[98:])
		}
		for _, q := range []string{"?limit=0", "?limit=-1", "?limit=x", fmt.Sprintf("?limit=%d", cameras.MaxLayoutPage+1)} {
			if _, a := list(q); a.code != http.StatusBadRequest {
				t.Errorf("GET %s: got %d, want 400", q, a.code)
			}
		}
	})
}
