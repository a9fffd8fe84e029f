package e2e

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auth"
)

// TestAdminPeople: the administration page for people of `vigil demo`
// in a real Chromium (admin_people.mjs). The administrator creates a user
// through the form and is shown their password once; the user appears in
// the table, signs in with it, and is signed out everywhere with a reason
// the trail keeps.
func TestAdminPeople(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser through the administration page")
	}
	d := startDemo(t, 1, 0)
	const newUser, reason, newOrg = "browser-newcomer", "Browser test: laptop left on the train", "Browser Test Parks Department"
	res := browserScript(t, "admin_people.mjs", map[string]any{
		"base": d.base, "accounts": d.accounts, "newPassword": auth.RandomPassword(), "shots": os.Getenv("VIGIL_E2E_SHOTS"),
		"newUser": newUser, "reason": reason, "newOrg": newOrg,
	})
	a := field[struct {
		Tabs          []string `json:"tabs"`
		UsersBefore   int      `json:"usersBefore"`
		Organisation  string   `json:"organisation"`
		Password      string   `json:"password"`
		Created       string   `json:"created"`
		Row           string   `json:"row"`
		NewUserLanded string   `json:"newUserLanded"`
		WithoutReason bool     `json:"withoutReason"`
		SignedOut     string   `json:"signedOut"`
		Audit         string   `json:"audit"`
		OrgsBefore    int      `json:"orgsBefore"`
		OrgParent     string   `json:"orgParent"`
		OrgRow        string   `json:"orgRow"`
		Orgs          []string `json:"orgs"`
	}](t, res, "admin")
	if !slices.Contains(a.Tabs, "People") || !slices.Contains(a.Tabs, "Organisations") {
		t.Errorf("the administration tabs: got %v, want People and Organisations", a.Tabs)
	}
	if a.UsersBefore == 0 {
		t.Errorf("the people table listed nobody before the new user")
	}
	if len(a.Password) < 12 {
		t.Errorf("the one-time password shown: got %q, want a generated password", a.Password)
	}
	if !strings.Contains(a.Created, newUser+" is created") {
		t.Errorf("after creating: the page said %q, want %s created", a.Created, newUser)
	}
	if !strings.Contains(a.Row, newUser) || !strings.Contains(a.Row, "to change at sign-in") || !strings.Contains(a.Row, "not set") {
		t.Errorf("the new user's row: got %q, want the user, a password to change at sign-in and no second factor", a.Row)
	}
	if a.NewUserLanded == "" || strings.HasPrefix(a.NewUserLanded, "/login") {
		t.Errorf("the new user signing in with the password shown landed on %q", a.NewUserLanded)
	}
	if !a.WithoutReason {
		t.Errorf("signing out without a reason was not held back by the form")
	}
	if !strings.Contains(a.SignedOut, newUser+" signed out everywhere") {
		t.Errorf("after signing out: the page said %q", a.SignedOut)
	}
	if !strings.Contains(a.Audit, newUser) || !strings.Contains(a.Audit, "reason: "+reason) {
		t.Errorf("the trail's session.revoke_all records: got %s, want one for %s with the reason %q", a.Audit, newUser, reason)
	}
	if !strings.HasPrefix(a.OrgRow, "— — ") || !strings.HasSuffix(a.OrgRow, newOrg) || !strings.Contains(a.OrgParent, "Lea Vale Borough Council") {
		t.Errorf("the new department's row: got %q, want it indented under Lea Vale Borough Council (chosen: %s)", a.OrgRow, a.OrgParent)
	}
	if len(a.Orgs) != a.OrgsBefore+1 || !slices.ContainsFunc(a.Orgs, func(o string) bool { return strings.HasSuffix(o, newOrg+" renamed") }) {
		t.Errorf("the organisation tree after renaming: got %q (%d before), want one more, renamed", a.Orgs, a.OrgsBefore)
	}
	t.Logf("created: %s; signed out: %s; organisations: %q", a.Created, a.SignedOut, a.Orgs)
}
