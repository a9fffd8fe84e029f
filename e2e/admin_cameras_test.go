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
// right one, and the camera added is in the table and records.
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
	if r.State != "recording" {
		t.Errorf("the camera added reads %q, want recording (its credentials kept)", r.State)
	}
}
