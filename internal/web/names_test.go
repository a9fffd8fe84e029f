package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestNamesThroughAPI: the API refuses names with control and invisible
// formatting characters with a 400 that says so, for users, cameras
// (name, area, site) and organisations, and a username that looks like
// another with a 409 naming it; ordinary names from any script pass.
func TestNamesThroughAPI(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newSigninEnv(t, dsn, func(o *Options) { o.Cameras = noCameras{} })
		tok := e.apiToken(e.user("admin", "administrator", "Quiet-Harbour-Lights-42", false))
		post := func(path string, body map[string]any) answer {
			raw, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			return bearer(e, "POST", path, tok, string(raw))
		}
		const bad = "control or invisible formatting characters"
		tests := []struct {
			name, path string
			body       map[string]any
			code       int
			want       string
		}{
			{"user with NUL", "/api/v1/users", map[string]any{"username": "ev\x00e"}, 400, bad},
			{"user with a right-to-left override", "/api/v1/users", map[string]any{"username": "\u202Enimda"}, 400, bad},
			{"user with a zero-width space", "/api/v1/users", map[string]any{"username": "ad\u200Bmin"}, 400, bad},
			{"user in Cyrillic like admin", "/api/v1/users", map[string]any{"username": "аdmin"}, 409, `looks too much like the existing username \"admin\"`},
			{"user in capitals like admin", "/api/v1/users", map[string]any{"username": "ADMIN"}, 409, "looks too much like"},
			{"user in full width like admin", "/api/v1/users", map[string]any{"username": "ａｄｍｉｎ"}, 409, "looks too much like"},
			{"user of another script", "/api/v1/users", map[string]any{"username": "Σοφία"}, 201, ""},
			{"camera with NUL", "/api/v1/cameras", map[string]any{"name": "Gate\x00", "url": "rtsp://192.0.2.1/a"}, 400, bad},
			{"camera with a bidi isolate", "/api/v1/cameras", map[string]any{"name": "\u2066Gate\u2069", "url": "rtsp://192.0.2.1/a"}, 400, bad},
			{"camera area with a left-to-right mark", "/api/v1/cameras", map[string]any{"name": "Gate", "area": "North\u200E", "url": "rtsp://192.0.2.1/a"}, 400, bad},
			{"camera site with a byte order mark", "/api/v1/cameras", map[string]any{"name": "Gate", "site": "\uFEFFPark", "url": "rtsp://192.0.2.1/a"}, 400, bad},
			{"camera", "/api/v1/cameras", map[string]any{"name": "Place de l'Église – nord", "area": "Centre", "url": "rtsp://192.0.2.1/a"}, 201, ""},
			{"organisation with NUL", "/api/v1/organisations", map[string]any{"name": "Parks\x00", "kind": "department"}, 400, bad},
			{"organisation with a right-to-left override", "/api/v1/organisations", map[string]any{"name": "Shire \u202Elicnuoc", "kind": "department"}, 400, bad},
			{"organisation with a zero-width joiner", "/api/v1/organisations", map[string]any{"name": "Parks\u200D", "kind": "department"}, 400, bad},
			{"organisation", "/api/v1/organisations", map[string]any{"name": "Parks & Gardens", "kind": "department"}, 201, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := post(tt.path, tt.body)
				if a.code != tt.code || !strings.Contains(a.body, tt.want) {
					t.Errorf("got %d %s, want %d saying %q", a.code, a.body, tt.code, tt.want)
				}
			})
		}
		// Nothing refused was made.
		for _, list := range []struct{ path, bad string }{{"/api/v1/users", `"аdmin"`}, {"/api/v1/cameras", `Gate`}, {"/api/v1/organisations", `Parks\u0000`}} {
			if a := bearer(e, "GET", list.path, tok, ""); a.code != http.StatusOK || strings.Contains(a.body, list.bad) {
				t.Errorf("GET %s: got %d, want 200 without %s:\n%.500s", list.path, a.code, list.bad, a.body)
			}
		}
	})
}
