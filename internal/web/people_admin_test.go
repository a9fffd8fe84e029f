package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAdminAccountActions: through the API, an administrator unlocks a
// locked account, resets a password (the old one then fails, the new one
// signs in to change it) and removes a second factor, each only with a
// reason, which the trail keeps; an operator may do none of it.
func TestAdminAccountActions(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newSigninEnv(t, dsn, nil)
		pass := "Quiet-River-Stone-88"
		admin := e.user("ada", "administrator", pass, false)
		lena := e.user("lena", "operator", pass, false)
		tok := e.apiToken(admin)
		path := func(action string) string { return fmt.Sprintf("/api/v1/users/%d/%s", lena.ID, action) }

		b := e.browser("b")
		for i := range 3 {
			b.signIn("lena", fmt.Sprint("wrong ", i))
		}
		if a := b.signIn("lena", pass); a.code != http.StatusTooManyRequests {
			t.Fatalf("lena locked: got %d, want 429", a.code)
		}
		for _, tc := range []struct {
			method, action, body string
			code                 int
		}{
			{"POST", "unlock", `{}`, http.StatusBadRequest},
			{"POST", "password-reset", `{"reason": ""}`, http.StatusBadRequest},
			{"DELETE", "second-factor", `{"reason": " "}`, http.StatusBadRequest},
		} {
			if a := bearer(e, tc.method, path(tc.action), tok, tc.body); a.code != tc.code {
				t.Errorf("%s without a reason: got %d %s, want %d", tc.action, a.code, a.body, tc.code)
			}
		}
		if a := bearer(e, "POST", path("unlock"), tok, `{"reason": "called the help desk"}`); a.code != http.StatusOK || !strings.Contains(a.body, `"was_locked": true`) {
			t.Errorf("unlocking: got %d %s, want 200, was locked", a.code, a.body)
		}
		if a := b.signIn("lena", pass); a.code != http.StatusSeeOther {
			t.Errorf("lena after unlocking: got %d, want 303", a.code)
		}
		if a := bearer(e, "GET", fmt.Sprintf("/api/v1/users/%d", lena.ID), tok, ""); !strings.Contains(a.body, `"last_sign_in": "`) || !strings.Contains(a.body, `"locked": false`) {
			t.Errorf("lena after signing in: got %s, want her last sign-in and not locked", a.body)
		}
		a := bearer(e, "POST", path("password-reset"), tok, `{"reason": "forgot it"}`)
		var reset struct {
			Password string `json:"password"`
		}
		if err := json.Unmarshal([]byte(a.body), &reset); err != nil || a.code != http.StatusOK || len(reset.Password) < 12 {
			t.Fatalf("resetting the password: got %d %s", a.code, a.body)
		}
		if a := b.api("GET", "/api/v1/layouts", ""); a.code != http.StatusUnauthorized {
			t.Errorf("lena's session after the reset: got %d, want 401", a.code)
		}
		if a := e.browser("c").signIn("lena", pass); a.code != http.StatusUnauthorized {
			t.Errorf("the old password after the reset: got %d, want 401", a.code)
		}
		if a := e.browser("d").signIn("lena", reset.Password); a.code != http.StatusSeeOther || !strings.HasPrefix(a.location, "/password") {
			t.Errorf("the new password: got %d to %q, want sent to change it", a.code, a.location)
		}
		if a := bearer(e, "DELETE", path("second-factor"), tok, `{"reason": "lost phone"}`); a.code != http.StatusNoContent {
			t.Errorf("removing the second factor: got %d %s, want 204", a.code, a.body)
		}
		op := e.apiToken(e.user("otto", "operator", pass, false))
		if a := bearer(e, "POST", path("password-reset"), op, `{"reason": "x"}`); a.code != http.StatusForbidden {
			t.Errorf("an operator resetting a password: got %d, want 403", a.code)
		}
		if a := bearer(e, "DELETE", fmt.Sprintf("/api/v1/users/%d", lena.ID), tok, `{"reason": "left the council"}`); a.code != http.StatusNoContent {
			t.Errorf("deleting lena: got %d %s, want 204", a.code, a.body)
		}
		for action, reason := range map[string]string{"user.unlock": "called the help desk", "password.reset": "forgot it", "totp.revoke": "lost phone",
			"user.delete": "left the council"} {
			if l := e.audits(action); len(l) != 1 || !strings.Contains(l[0].Detail, "lena") || !strings.Contains(l[0].Detail, "reason: "+reason) {
				t.Errorf("records of %s: got %+v, want one for lena with the reason", action, l)
			}
		}
	})
}
