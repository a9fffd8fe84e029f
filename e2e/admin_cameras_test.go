package e2e

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/simcam"
)

// TestConsoleAdminCameras: the cameras' administration page of `vigil
// demo` in a real Chromium (admin_cameras.mjs). The administrator adds a
// camera that asks for credentials (a simulated one started here, since
// the demo's ask for none) through the form: the connection test shows
// the camera refusing a wrong password, then what it streams with the
// right one, and the camera added is in the table and records. A CSV
// file with a bad row is refused whole, naming the row; without it, its
// camera is added; moving that camera to Kingsmead, which asks for four
// eyes, is sent for approval.
func TestConsoleAdminCameras(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser")
	}
	d := startDemo(t, 2, 0)
	const user = "viewer"
	pass := auth.RandomPassword()
	cam, err := simcam.New(simcam.Options{Listen: "127.0.0.1:0", Count: 1, Codec: codec.H264, Username: user, Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); cam.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; cam.Close() })

	res := browserScript(t, "admin_cameras.mjs", map[string]any{
		"base": d.base, "accounts": d.accounts, "newPassword": auth.RandomPassword(), "shots": os.Getenv("VIGIL_E2E_SHOTS"),
		"camName": "Browser test gate", "camURL": cam.URL(1), "camUser": user, "camPassword": pass,
		"fourEyes": "Kingsmead Town Council",
	})
	type answer struct {
		Text string `json:"text"`
		OK   string `json:"ok"`
	}
	r := field[struct {
		Nav      []string `json:"nav"`
		Tabs     []string `json:"tabs"`
		Before   int      `json:"before"`
		Refused  answer   `json:"refused"`
		Accepted answer   `json:"accepted"`
		Row      []string `json:"row"`
		After    int      `json:"after"`
		State    string   `json:"state"`
		// The CSV import: refused whole for its bad row, then added.
		ImportRefused string   `json:"importRefused"`
		AfterRefusal  int      `json:"afterRefusal"`
		Imported      []string `json:"imported"`
		Moved         string   `json:"moved"`
	}](t, res, "admin")
	if !slices.Contains(r.Nav, "Admin") || !slices.Contains(r.Tabs, "Cameras") {
		t.Errorf("navigation %v and tabs %v: want Admin and its Cameras tab", r.Nav, r.Tabs)
	}
	if r.Refused.OK != "false" || !strings.Contains(r.Refused.Text, "the camera refused the user name or password") || !strings.Contains(r.Refused.Text, "401") {
		t.Errorf("the test with a wrong password: got %+v, want the camera's refusal with its 401", r.Refused)
	}
	if r.Accepted.OK != "true" || !strings.Contains(r.Accepted.Text, "H264") {
		t.Errorf("the test with the right password: got %+v, want the camera streaming H264", r.Accepted)
	}
	if r.After != r.Before+1 || len(r.Row) < 3 || !strings.Contains(r.Row[0], "Browser test gate") || strings.Contains(r.Row[0], pass) {
		t.Errorf("the table after adding: %d rows (%d before), the camera's row %q; want it added, its password not shown", r.After, r.Before, r.Row)
	}
	if !strings.Contains(r.ImportRefused, "row 3: url must be an rtsp:// URL") || r.AfterRefusal != r.After {
		t.Errorf("an import with a bad third row: the page said %q and has %d cameras (%d before); want the row named and nothing added", r.ImportRefused, r.AfterRefusal, r.After)
	}
	if len(r.Imported) < 6 || r.Imported[1] != "Lea Vale Borough Council" || r.Imported[5] != "14 days" {
		t.Errorf("the camera imported: row %q, want Lea Vale's, kept 14 days", r.Imported)
	}
	if !strings.Contains(r.Moved, "sent for approval") {
		t.Errorf("moving a camera to Kingsmead, which asks for four eyes: the page said %q, want it sent for approval", r.Moved)
	}
	if r.State != "recording" {
		t.Errorf("the camera added reads %q, want recording (its credentials kept)", r.State)
	}
}
