package app

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// as is the harness speaking with another token.
func (h *harness) as(token string) *harness {
	c := *h
	c.token = token
	return &c
}

// newUser makes an operator in the admin's organisation and returns an
// API token of theirs.
func (h *harness) newUser(name string) string {
	h.t.Helper()
	ctx := h.t.Context()
	admin, err := h.app.Store.UserByName(ctx, "admin")
	if err != nil {
		h.t.Fatal(err)
	}
	u := identity.User{Username: name, PasswordHash: "unusable", OrganisationID: admin.OrganisationID, Role: "operator"}
	if err := h.app.Store.CreateUser(ctx, &u); err != nil {
		h.t.Fatal(err)
	}
	tok, hash := auth.NewToken()
	if err := h.app.Store.CreateToken(ctx, &identity.Token{UserID: u.ID, Name: "test", Hash: hash}); err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// cameraPlace is the part of the camera JSON this file is about.
type cameraPlace struct {
	ID             int64
	Organisation   string
	OrganisationID int64 `json:"organisation_id"`
	Area, Site     string
	Description    string
	Latitude       *float64
	Longitude      *float64
}

func (h *harness) cameraPlace(id int64) (cameraPlace, map[string]json.RawMessage) {
	h.t.Helper()
	res, b := h.do("GET", fmt.Sprintf("/api/v1/cameras/%d", id), nil, nil)
	if res.StatusCode != http.StatusOK {
		h.t.Fatalf("GET camera %d: got %d %s, want 200", id, res.StatusCode, b)
	}
	var p cameraPlace
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &p); err != nil {
		h.t.Fatal(err)
	}
	json.Unmarshal(b, &raw)
	return p, raw
}

func samePtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Float64bits(*a) == math.Float64bits(*b)
}

func TestCameraPlaceHTTP(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{})
	if res, b := h.do("POST", "/api/v1/organisations", map[string]any{"name": "Mimram District Council", "kind": "council"}, nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/v1/organisations: got %d %s, want 201", res.StatusCode, b)
	}
	// Not a short decimal: the value must survive JSON and the database.
	lat, lon := 51.795712345678901, -0.078123456789012
	body := map[string]any{
		"name": "Market Place North", "url": "rtsp://127.0.0.1:1/x", "enabled": false, "organisation": "Mimram District Council",
		"area": " Town Centre ", "site": "Market Place", "description": "Lamp post by the war memorial, looking south",
		"latitude": lat, "longitude": lon,
	}
	res, b := h.do("POST", "/api/v1/cameras", body, nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST: got %d %s, want 201", res.StatusCode, b)
	}
	var created cameraPlace
	json.Unmarshal(b, &created)
	want := cameraPlace{ID: created.ID, Organisation: "Mimram District Council", OrganisationID: created.OrganisationID,
		Area: "Town Centre", Site: "Market Place", Description: "Lamp post by the war memorial, looking south", Latitude: &lat, Longitude: &lon}
	check := func(step string, got, want cameraPlace) {
		t.Helper()
		if got.ID != want.ID || got.Organisation != want.Organisation || got.OrganisationID != want.OrganisationID || got.OrganisationID == 0 ||
			got.Area != want.Area || got.Site != want.Site || got.Description != want.Description ||
			!samePtr(got.Latitude, want.Latitude) || !samePtr(got.Longitude, want.Longitude) {
			t.Errorf("%s: got %+v, want %+v", step, got, want)
		}
	}
	check("POST answer", created, want)
	org, err := h.app.Store.Organisation(t.Context(), created.OrganisationID)
	if err != nil || org.Name != "Mimram District Council" {
		t.Errorf("organisation %d: got %+v, %v, want Mimram District Council", created.OrganisationID, org, err)
	}
	got, _ := h.cameraPlace(created.ID)
	check("GET", got, want)

	// PATCH: absent fields stay, null clears the position.
	path := fmt.Sprintf("/api/v1/cameras/%d", created.ID)
	steps := []struct {
		name   string
		patch  map[string]any
		change func(*cameraPlace)
	}{
		{"area only", map[string]any{"area": "Car Parks"}, func(p *cameraPlace) { p.Area = "Car Parks" }},
		{"unrelated field", map[string]any{"retention_days": 14}, func(*cameraPlace) {}},
		{"move", map[string]any{"latitude": 51.8, "longitude": -0.1}, func(p *cameraPlace) { p.Latitude, p.Longitude = ptr(51.8), ptr(-0.1) }},
		{"empty site and description", map[string]any{"site": "", "description": ""}, func(p *cameraPlace) { p.Site, p.Description = "", "" }},
		{"clear position", map[string]any{"latitude": nil, "longitude": nil}, func(p *cameraPlace) { p.Latitude, p.Longitude = nil, nil }},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res, b := h.do("PATCH", path, st.patch, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("PATCH %v: got %d %s, want 200", st.patch, res.StatusCode, b)
			}
			st.change(&want)
			got, _ := h.cameraPlace(created.ID)
			check("after PATCH "+st.name, got, want)
		})
	}
	_, raw := h.cameraPlace(created.ID)
	if string(raw["latitude"]) != "null" || string(raw["longitude"]) != "null" {
		t.Errorf("cleared position: got latitude %s longitude %s, want null and null", raw["latitude"], raw["longitude"])
	}

	// A camera with no place says so in the same shape.
	plain := h.addCamera("Plain", "rtsp://127.0.0.1:1/y", map[string]any{"enabled": false})
	p, raw := h.cameraPlace(plain)
	for _, k := range []string{"area", "site", "description", "latitude", "longitude", "organisation", "organisation_id"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("camera JSON lacks %q: %v", k, raw)
		}
	}
	if p.Organisation != "Partnership" || p.Area != "" || p.Latitude != nil {
		t.Errorf("camera without a place: got %+v, want organisation Partnership, empty area, null position", p)
	}

	res, b = h.do("GET", "/api/v1/cameras", nil, nil)
	var list []cameraPlace
	if err := json.Unmarshal(b, &list); err != nil || res.StatusCode != 200 || len(list) != 2 {
		t.Fatalf("GET /api/v1/cameras: got %d %s, want 200 and two cameras", res.StatusCode, b)
	}
	if list[0].Organisation != "Mimram District Council" || list[0].Area != "Car Parks" || list[1].Organisation != "Partnership" {
		t.Errorf("list: got %+v, want Mimram's camera in Car Parks then Partnership's", list)
	}

	bad := []struct {
		name   string
		method string
		body   map[string]any
		want   string
	}{
		{"latitude too far north", "POST", map[string]any{"latitude": 90.5, "longitude": 0}, "latitude 90.5 is outside -90 to 90"},
		{"longitude too far west", "POST", map[string]any{"latitude": 0, "longitude": -180.01}, "longitude -180.01 is outside -180 to 180"},
		{"latitude alone", "POST", map[string]any{"latitude": 51.8}, "latitude and longitude must be given together"},
		{"longitude alone", "POST", map[string]any{"latitude": nil, "longitude": -0.1}, "latitude and longitude must be given together"},
		{"latitude as text", "POST", map[string]any{"latitude": "51.8N", "longitude": 0}, "not valid JSON"},
		{"long area", "POST", map[string]any{"area": strings.Repeat("a", 101)}, "area must be at most 100 characters"},
		{"long site", "POST", map[string]any{"site": strings.Repeat("s", 101)}, "site must be at most 100 characters"},
		{"long description", "POST", map[string]any{"description": strings.Repeat("d", 2001)}, "description must be at most 2000 characters"},
		// The position is cleared, so half of one is refused.
		{"patch half a position", "PATCH", map[string]any{"latitude": 51.8}, "latitude and longitude must be given together"},
		{"patch out of range", "PATCH", map[string]any{"latitude": -95, "longitude": 0}, "latitude -95 is outside"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			target := path
			if tt.method == "POST" {
				body["name"], body["url"], target = "Bad "+tt.name, "rtsp://127.0.0.1:1/z", "/api/v1/cameras"
			}
			res, b := h.do(tt.method, target, body, nil)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tt.want) {
				t.Errorf("%s %v: got %d %s, want 400 mentioning %q", tt.method, tt.body, res.StatusCode, b, tt.want)
			}
		})
	}
	if got, _ := h.cameraPlace(created.ID); got.Latitude != nil || got.Area != "Car Parks" {
		t.Errorf("after refused PATCHes: got %+v, want the camera unchanged", got)
	}
}

func ptr(v float64) *float64 { return &v }

type layoutBody struct {
	Name      string
	Grid      int
	Tiles     []*int64
	UpdatedAt string `json:"updated_at"`
}

func tilesString(ts []*int64) string {
	var parts []string
	for _, t := range ts {
		if t == nil {
			parts = append(parts, "null")
		} else {
			parts = append(parts, fmt.Sprint(*t))
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func (h *harness) layouts() []layoutBody {
	h.t.Helper()
	res, b := h.do("GET", "/api/v1/layouts", nil, nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(b), "[") {
		h.t.Fatalf("GET /api/v1/layouts: got %d %s, want 200 and an array", res.StatusCode, b)
	}
	var out []layoutBody
	if err := json.Unmarshal(b, &out); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func TestLayoutsHTTP(t *testing.T) {
	t.Parallel() // see main_test.go
	engines := []struct {
		name     string
		postgres bool
	}{{"sqlite", false}}
	if testkit.PostgresURL() != "" {
		engines = append(engines, struct {
			name     string
			postgres bool
		}{"postgres", true})
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { testLayoutsHTTP(t, start(t, harnessOptions{postgres: e.postgres})) })
	}
}

func testLayoutsHTTP(t *testing.T, h *harness) {
	cam1 := h.addCamera("Wall One", "rtsp://127.0.0.1:1/a", map[string]any{"enabled": false})
	cam2 := h.addCamera("Wall Two", "rtsp://127.0.0.1:1/b", map[string]any{"enabled": false})
	bob := h.as(h.newUser("bob"))
	name := "Town centre / night"
	lpath := "/api/v1/layouts/" + url.PathEscape(name)

	res, b := h.do("PUT", lpath, map[string]any{"grid": 2, "tiles": []any{cam1, nil, cam2, cam1}}, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PUT: got %d %s, want 200", res.StatusCode, b)
	}
	var saved layoutBody
	var raw map[string]json.RawMessage
	json.Unmarshal(b, &saved)
	json.Unmarshal(b, &raw)
	if len(raw) != 4 || saved.Name != name || saved.Grid != 2 || tilesString(saved.Tiles) != fmt.Sprintf("[%d,null,%d,%d]", cam1, cam2, cam1) || saved.UpdatedAt == "" {
		t.Errorf("PUT answer: got %s, want exactly name, grid, tiles and updated_at of the layout", b)
	}
	if got := h.layouts(); len(got) != 1 || got[0].Name != name || tilesString(got[0].Tiles) != tilesString(saved.Tiles) {
		t.Errorf("admin's layouts: got %+v, want the one saved", got)
	}
	res, b = h.do("GET", lpath, nil, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"grid": 2`) {
		t.Errorf("GET one: got %d %s, want 200 with the layout", res.StatusCode, b)
	}

	// Per user: bob sees none of admin's, and his own of the same name is
	// his alone.
	if got := bob.layouts(); len(got) != 0 {
		t.Errorf("bob's layouts: got %+v, want none", got)
	}
	if res, b := bob.do("GET", lpath, nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("bob GET admin's layout: got %d %s, want 404", res.StatusCode, b)
	}
	if res, b := bob.do("PUT", lpath, map[string]any{"grid": 1, "tiles": []any{cam2}}, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("bob PUT: got %d %s, want 200", res.StatusCode, b)
	}
	if got := h.layouts(); len(got) != 1 || got[0].Grid != 2 {
		t.Errorf("admin's layouts after bob saved the same name: got %+v, want admin's grid 2 unchanged", got)
	}
	if res, b := bob.do("DELETE", lpath, nil, nil); res.StatusCode != http.StatusNoContent {
		t.Errorf("bob DELETE his: got %d %s, want 204", res.StatusCode, b)
	}
	if got := h.layouts(); len(got) != 1 {
		t.Errorf("admin's layouts after bob deleted his: got %+v, want admin's still there", got)
	}
	for _, who := range []struct {
		name string
		h    *harness
		path string
	}{
		{"bob's deleted layout", bob, lpath},
		{"never saved", h, "/api/v1/layouts/nothing"},
	} {
		res, b := who.h.do("DELETE", who.path, nil, nil)
		if res.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "no layout named") {
			t.Errorf("DELETE %s: got %d %s, want 404 saying there is no such layout", who.name, res.StatusCode, b)
		}
	}

	// Replacing under the same name, then a grid of every size.
	for grid := 1; grid <= 5; grid++ {
		tiles := make([]any, grid*grid)
		tiles[len(tiles)-1] = cam2
		if res, b := h.do("PUT", lpath, map[string]any{"grid": grid, "tiles": tiles}, nil); res.StatusCode != http.StatusOK {
			t.Errorf("PUT grid %d: got %d %s, want 200", grid, res.StatusCode, b)
		}
	}
	if got := h.layouts(); len(got) != 1 || got[0].Grid != 5 || len(got[0].Tiles) != 25 || got[0].Tiles[24] == nil || *got[0].Tiles[24] != cam2 {
		t.Errorf("after replacing: got %+v, want one layout, grid 5, camera %d last", got, cam2)
	}

	bad := []struct {
		name, path string
		body       any
		want       string
	}{
		{"missing camera", lpath, map[string]any{"grid": 1, "tiles": []any{999999}}, "tile 1: there is no camera 999999"},
		{"camera zero", lpath, map[string]any{"grid": 2, "tiles": []any{nil, 0, nil, nil}}, "tile 2"},
		{"grid 6", lpath, map[string]any{"grid": 6, "tiles": make([]any, 36)}, "grid must be 1 to 5"},
		{"no grid", lpath, map[string]any{"tiles": []any{nil}}, "grid must be 1 to 5"},
		{"tiles short", lpath, map[string]any{"grid": 3, "tiles": make([]any, 8)}, "has 9 tiles, not 8"},
		{"no tiles", lpath, map[string]any{"grid": 1}, "tiles is required"},
		{"tile not a number", lpath, map[string]any{"grid": 1, "tiles": []any{"cam"}}, "not valid JSON"},
		{"unknown field", lpath, map[string]any{"grid": 1, "tiles": []any{nil}, "colour": "red"}, "unknown field"},
		{"long name", "/api/v1/layouts/" + strings.Repeat("n", 61), map[string]any{"grid": 1, "tiles": []any{nil}}, "1 to 60 characters"},
		{"control character", "/api/v1/layouts/a%09b", map[string]any{"grid": 1, "tiles": []any{nil}}, "control or invisible formatting characters"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			res, b := h.do("PUT", tt.path, tt.body, nil)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tt.want) {
				t.Errorf("PUT %v: got %d %s, want 400 mentioning %q", tt.body, res.StatusCode, b, tt.want)
			}
		})
	}

	// A deleted camera's tile reads as empty, so the layout saves back.
	if res, b := h.do("DELETE", fmt.Sprintf("/api/v1/cameras/%d", cam2), nil, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE camera: got %d %s", res.StatusCode, b)
	}
	got := h.layouts()
	if len(got) != 1 || got[0].Tiles[24] != nil {
		t.Fatalf("layout after its camera was deleted: got %+v, want tile 25 null", got)
	}
	if res, b := h.do("PUT", lpath, map[string]any{"grid": got[0].Grid, "tiles": got[0].Tiles}, nil); res.StatusCode != http.StatusOK {
		t.Errorf("saving back what was read: got %d %s, want 200", res.StatusCode, b)
	}

	req, _ := http.NewRequest("GET", h.base+"/api/v1/layouts", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/layouts signed out: got %d, want 401", res.StatusCode)
	}
}

func TestMapOutlineHTTP(t *testing.T) {
	t.Parallel() // see main_test.go
	t.Run("not configured", func(t *testing.T) {
		h := start(t, harnessOptions{})
		res, b := h.do("GET", "/api/v1/map/outline", nil, nil)
		if res.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "no map outline is configured") {
			t.Errorf("got %d %s, want 404 saying none is configured", res.StatusCode, b)
		}
	})
	t.Run("configured", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "outline.geojson")
		outline := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Test"},` +
			`"geometry":{"type":"Polygon","coordinates":[[[-0.1,51.7],[0.0,51.7],[0.0,51.8],[-0.1,51.7]]]}}]}`
		if err := os.WriteFile(file, []byte(outline), 0o600); err != nil {
			t.Fatal(err)
		}
		h := start(t, harnessOptions{mapOutline: file})
		res, b := h.do("GET", "/api/v1/map/outline", nil, nil)
		if res.StatusCode != http.StatusOK || string(b) != outline || res.Header.Get("Content-Type") != "application/geo+json" {
			t.Errorf("got %d %q %s, want 200 application/geo+json with the file", res.StatusCode, res.Header.Get("Content-Type"), b)
		}
		// The file is read on each request, so it can be replaced live.
		for _, tc := range []struct {
			name string
			body []byte
			want string
		}{
			{"too large", append([]byte(`{"a":"`), make([]byte, 5<<20)...), "larger than 5 MiB"},
			{"not JSON", []byte("<svg/>"), "not valid JSON"},
		} {
			if err := os.WriteFile(file, tc.body, 0o600); err != nil {
				t.Fatal(err)
			}
			res, b := h.do("GET", "/api/v1/map/outline", nil, nil)
			if res.StatusCode != http.StatusInternalServerError || !strings.Contains(string(b), tc.want) {
				t.Errorf("%s: got %d %s, want 500 mentioning %q", tc.name, res.StatusCode, b, tc.want)
			}
		}
	})
}
