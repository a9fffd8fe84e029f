package e2e

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auth"
)

// TestConsoleAdminSharing: the administrator of `vigil demo` lands on the
// administration pages, shares a camera with the police force through the
// sharing page's form (admin_sharing.mjs), and the force's viewer, who did
// not see that camera before, then does. Once the council's four-eyes
// policy covers changes of rights, a further agreement waits for approval.
func TestConsoleAdminSharing(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser through two people's sessions")
	}
	d := startDemo(t, 4, 0)
	var cams []struct {
		ID           int64
		Organisation string
		Area         string
	}
	d.getJSON(t, "/api/v1/cameras", &cams)
	// A camera the demo does not already share with the police: not in
	// Lea Vale's town centre.
	i := slices.IndexFunc(cams, func(c struct {
		ID           int64
		Organisation string
		Area         string
	}) bool {
		return !(c.Organisation == "Lea Vale Borough Council" && c.Area == "Town Centre")
	})
	if i < 0 {
		t.Fatalf("the demo's cameras %+v: want one the police do not see", cams)
	}
	cam := cams[i]
	const reference = "Browser test DSA 2026/07"
	res := browserScript(t, "admin_sharing.mjs", map[string]any{
		"base": d.base, "accounts": d.accounts, "newPassword": auth.RandomPassword(), "shots": os.Getenv("VIGIL_E2E_SHOTS"),
		"grantor": cam.Organisation, "police": "Shire Constabulary", "camera": cam.ID, "reference": reference, "group": "Browser test group",
	})
	before, after := field[[]int64](t, res, "before"), field[[]int64](t, res, "after")
	if slices.Contains(before, cam.ID) {
		t.Fatalf("the police viewer sees camera %d (%s) before it is shared: %v", cam.ID, cam.Organisation, before)
	}
	a := field[struct {
		Landed      string   `json:"landed"`
		GroupStatus string   `json:"groupStatus"`
		Groups      []string `json:"groups"`
		Tabs        []string `json:"tabs"`
		BarsBefore  int      `json:"barsBefore"`
		BarsAfter   int      `json:"barsAfter"`
		Status      string   `json:"status"`
		Rows        []string `json:"rows"`
		Lanes       []string `json:"lanes"`
	}](t, res, "admin")
	if !strings.HasPrefix(a.Landed, "/admin/") || !slices.Contains(a.Tabs, "Sharing") {
		t.Errorf("the administrator landed on %q with tabs %v, want an administration page with Sharing", a.Landed, a.Tabs)
	}
	if !strings.Contains(a.GroupStatus, "created") || !slices.Contains(a.Groups, "Browser test group") {
		t.Errorf("making a group: the page said %q and lists %v, want Browser test group created", a.GroupStatus, a.Groups)
	}
	if !strings.Contains(a.Status, "made") || !strings.Contains(a.Status, "Shire Constabulary") {
		t.Errorf("sharing: the page said %q, want the agreement made with the police", a.Status)
	}
	if !slices.Contains(a.Rows, reference) || a.BarsAfter != a.BarsBefore+1 || !slices.Contains(a.Lanes, "Shire Constabulary") {
		t.Errorf("after sharing: agreements %v, timeline bars %d (were %d), lanes %v; want the new agreement in the table and one more bar in the police's lane",
			a.Rows, a.BarsAfter, a.BarsBefore, a.Lanes)
	}
	if !slices.Contains(after, cam.ID) {
		t.Errorf("the police viewer's cameras after sharing: %v, want camera %d among them", after, cam.ID)
	}
	fe := field[struct {
		Status  string   `json:"status"`
		Checked bool     `json:"checked"`
		Held    string   `json:"held"`
		Rows    []string `json:"rows"`
	}](t, res, "fourEyes")
	if !strings.Contains(fe.Status, "saved") || !fe.Checked {
		t.Errorf("four eyes for rights: the page said %q, box checked %v; want saved and checked", fe.Status, fe.Checked)
	}
	if !strings.Contains(fe.Held, "Sent for approval") || slices.Contains(fe.Rows, reference+" (held)") {
		t.Errorf("sharing under four eyes: the page said %q and lists %v, want it sent for approval and not yet made", fe.Held, fe.Rows)
	}
}
