package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/store"
)

// outlineRing is the exterior ring of the demo outline, as [lon, lat].
func outlineRing(t *testing.T) [][2]float64 {
	t.Helper()
	var fc struct {
		Type     string
		Features []struct {
			Type     string
			Geometry struct {
				Type        string
				Coordinates [][][2]float64
			}
		}
	}
	if err := json.Unmarshal(demoOutline, &fc); err != nil {
		t.Fatalf("demo outline: %v", err)
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != 1 || fc.Features[0].Geometry.Type != "Polygon" {
		t.Fatalf("demo outline: got %+v, want a FeatureCollection of one Polygon", fc)
	}
	ring := fc.Features[0].Geometry.Coordinates[0]
	if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
		t.Fatalf("demo outline ring of %d points, want a closed ring of at least 4", len(ring))
	}
	// RFC 7946: an exterior ring runs counter-clockwise, a positive area.
	var area float64
	for i := 0; i+1 < len(ring); i++ {
		area += ring[i][0]*ring[i+1][1] - ring[i+1][0]*ring[i][1]
	}
	if area <= 0 {
		t.Errorf("demo outline: got a clockwise ring (signed area %g), want counter-clockwise", area)
	}
	return ring
}

// inside is the even-odd test of a point against a closed ring.
func inside(ring [][2]float64, lon, lat float64) bool {
	in := false
	for i, j := 0, len(ring)-2; i < len(ring)-1; j, i = i, i+1 {
		a, b := ring[i], ring[j]
		if (a[1] > lat) != (b[1] > lat) && lon < (b[0]-a[0])*(lat-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

func TestDemoPlan(t *testing.T) {
	ring := outlineRing(t)
	if inside(ring, 0.5, 51.79) || !inside(ring, -0.083, 51.795) {
		t.Fatal("the point-in-outline test itself is wrong")
	}
	councils := map[string]bool{}
	for _, c := range demoCouncils {
		councils[c.name] = true
	}
	names := map[string]int{}
	firstEight := map[string]bool{}
	for i := 1; i <= 1000; i++ {
		p := demoPlan(i)
		if prev, ok := names[p.name]; ok {
			t.Errorf("cameras %d and %d are both called %q", prev, i, p.name)
		}
		names[p.name] = i
		if !councils[p.council] {
			t.Errorf("camera %d: council %q is not one of the demo's", i, p.council)
		}
		if i <= 8 {
			firstEight[p.council] = true
		}
		for _, f := range []string{p.area, p.site} {
			if f == "" || utf8.RuneCountInString(f) > cameras.MaxPlace {
				t.Errorf("camera %d: area or site %q, want 1 to %d characters", i, f, cameras.MaxPlace)
			}
		}
		if !inside(ring, p.lon, p.lat) {
			t.Errorf("camera %d %q at %v, %v lies outside the demo outline", i, p.name, p.lat, p.lon)
		}
		if again := demoPlan(i); again != p {
			t.Errorf("camera %d: planned %+v then %+v, want the same place every run", i, p, again)
		}
	}
	if len(firstEight) != len(demoCouncils) {
		t.Errorf("the default eight cameras belong to %d councils, want all %d", len(firstEight), len(demoCouncils))
	}
}

// runDemo runs "vigil demo" in this process until stop is called.
func runDemo(t *testing.T, data, addr string, n int) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logFile, err := os.Create(filepath.Join(t.TempDir(), "demo.log"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"demo", "--data", data, "--http", addr, "--cameras", fmt.Sprint(n)}, io.Discard, logFile)
	}()
	log := func() string {
		b, _ := os.ReadFile(logFile.Name())
		return string(b)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("demo exited %d\n%s", code, log())
		}
		logFile.Close()
	}
	t.Cleanup(stop)
	for deadline := time.Now().Add(30 * time.Second); ; {
		select {
		case code := <-done:
			stopped = true
			t.Fatalf("demo exited %d before serving\n%s", code, log())
		default:
		}
		if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return stop
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo did not start\n%s", log())
		}
		time.Sleep(50 * time.Millisecond) // polling: the demo offers nothing to await
	}
}

type demoCamera struct {
	ID                  int64
	Name, Organisation  string
	Area, Site          string
	Description         string
	Latitude, Longitude *float64
	URL                 string
}

func demoCameras(t *testing.T, base, token string) []demoCamera {
	t.Helper()
	code, b := api(t, "GET", base+"/api/v1/cameras", token, nil)
	var out []demoCamera
	if err := json.Unmarshal(b, &out); code != 200 || err != nil {
		t.Fatalf("GET /api/v1/cameras: got %d %s (%v), want 200 and cameras", code, b, err)
	}
	return out
}

// TestDemoUpgradesOldDataFolder runs the demo on a data folder left by a
// demo that named its cameras "Demo camera N" in one organisation, then
// again, and checks that the cameras keep their ids and footage rows while
// gaining their councils and places, and that a rerun changes nothing.
func TestDemoUpgradesOldDataFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo twice")
	}
	ctx := t.Context()
	data := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(data, "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.EnsureOrganisation(ctx, "Demo Partnership", "council")
	if err != nil {
		t.Fatal(err)
	}
	oldIDs := map[int]int64{}
	for i := 1; i <= 3; i++ {
		c := cameras.Camera{OrganisationID: org.ID, Name: fmt.Sprintf("Demo camera %d", i), URL: "rtsp://127.0.0.1:1/old", RetentionDays: 31, Enabled: true}
		if err := st.CreateCamera(ctx, &c); err != nil {
			t.Fatal(err)
		}
		oldIDs[i] = c.ID
	}
	st.Close()

	// An administrator with a password of their own: a printed one must
	// be changed before the API answers.
	t.Setenv("VIGIL_ADMIN_PASSWORD", "correct horse battery staple")
	addr := freePort(t)
	base := "http://" + addr
	stop := runDemo(t, data, addr, 4)
	var out bytes.Buffer
	if code := Run(ctx, []string{"token", "create", "--data", data, "--user", "admin"}, &out, io.Discard); code != 0 {
		t.Fatalf("token create exited %d", code)
	}
	token := strings.TrimSpace(out.String())

	cams := demoCameras(t, base, token)
	if len(cams) != 4 {
		t.Fatalf("cameras: got %d, want 4 (3 kept, 1 added)", len(cams))
	}
	for i, c := range cams {
		p := demoPlan(i + 1)
		if id, ok := oldIDs[i+1]; ok && c.ID != id {
			t.Errorf("camera %d: got id %d, want the old camera's %d", i+1, c.ID, id)
		}
		if c.Name != p.name || c.Organisation != p.council || c.Area != p.area || c.Site != p.site || c.Description != p.description ||
			c.Latitude == nil || *c.Latitude != p.lat || c.Longitude == nil || *c.Longitude != p.lon || c.URL == "rtsp://127.0.0.1:1/old" {
			t.Errorf("camera %d: got %+v, want %+v with this run's URL", i+1, c, p)
		}
	}
	code, b := api(t, "GET", base+"/api/v1/map/outline", token, nil)
	if code != 200 || !bytes.Equal(b, demoOutline) {
		t.Errorf("map outline: got %d and %d bytes, want 200 and the demo's %d", code, len(b), len(demoOutline))
	}
	// An operator's edit, which the next run must keep.
	if code, b := api(t, "PATCH", fmt.Sprintf("%s/api/v1/cameras/%d", base, cams[0].ID), token, map[string]any{"site": "Corn Exchange"}); code != 200 {
		t.Fatalf("PATCH: got %d %s", code, b)
	}
	stop()

	stop = runDemo(t, data, addr, 4)
	again := demoCameras(t, base, token)
	if len(again) != 4 {
		t.Fatalf("cameras after a rerun: got %d, want the same 4", len(again))
	}
	for i := range again {
		want := cams[i]
		if i == 0 {
			want.Site = "Corn Exchange"
		}
		got := again[i]
		if got.ID != want.ID || got.Name != want.Name || got.Organisation != want.Organisation || got.Area != want.Area ||
			got.Site != want.Site || got.Description != want.Description || got.Latitude == nil || got.Longitude == nil ||
			*got.Latitude != *want.Latitude || *got.Longitude != *want.Longitude {
			t.Errorf("camera %d after a rerun: got %+v, want %+v", i+1, got, want)
		}
	}
	stop()
}
