package web

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auth"
)

// hostileNext are places to go after signing in that a browser would take
// off this site, each by a different reading of the WHATWG URL rules:
// ASCII tab and newline removed anywhere, leading C0 controls and spaces
// stripped, backslashes read as slashes, "//" meaning another host.
var hostileNext = []struct{ name, next string }{
	{"tab", "/\t/evil.example"},
	{"vertical tab", "/\v/evil.example"},
	{"carriage return", "/\r/evil.example"},
	{"line feed", "/\n/evil.example"},
	{"tab first", "\t//evil.example"},
	{"NUL", "/\x00/evil.example"},
	{"slash backslash", "/\\evil.example"},
	{"two slashes", "//evil.example"},
	{"backslash slash", "\\/evil.example"},
	{"two backslashes", "\\\\evil.example"},
	{"encoded slash", "/%2F/evil.example"},
	{"encoded backslash", "/%5Cevil.example"},
	{"encoded tab", "/%09/evil.example"},
	{"scheme without slashes", "https:evil.example"},
	{"scheme", "https://evil.example/"},
	{"javascript", "javascript:alert(1)"},
	{"leading space", " //evil.example"},
	{"leading spaces before a path", "  /playback"},
	{"trailing space", "/playback "},
	{"relative", "evil.example"},
	{"empty", ""},
	{"bad escape", "/%zz"},
	{"user info", "//user@evil.example"},
}

var goodNext = []string{"/", "/playback?camera=3", "/account/totp", "/playback?from=2026-01-02T03%3A04%3A05Z&camera=3", "/people#x", "/cameras?q=front%20door%2F2"}

// TestSafeNext: only paths of this site pass, however a browser might read
// the rest.
func TestSafeNext(t *testing.T) {
	for _, tt := range hostileNext {
		t.Run(tt.name, func(t *testing.T) {
			if safeNext(tt.next) {
				t.Errorf("safeNext(%q): got true, want false", tt.next)
			}
			if got := safeOr(tt.next); got != "" {
				t.Errorf("safeOr(%q): got %q, want \"\"", tt.next, got)
			}
		})
	}
	for _, p := range goodNext {
		if !safeNext(p) {
			t.Errorf("safeNext(%q): got false, want true", p)
		}
	}
}

// browserTarget reads a Location as a browser does (WHATWG URL parsing,
// for the parts that matter here) against base, and returns the host it
// would go to.
func browserTarget(t *testing.T, base, loc string) string {
	t.Helper()
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(loc)
	b, _ := url.Parse(base)
	u, err := url.Parse(loc)
	if err != nil {
		return "(unparseable: " + err.Error() + ")"
	}
	return b.ResolveReference(u).Host
}

// raw posts a form from the page at from, as post does, but reads the
// answer without Go's client, which refuses to parse a Location holding
// control characters: a browser does not, and that is the attack.
func (b *browser) raw(t *testing.T, from, to string, form url.Values) answer {
	t.Helper()
	form.Set("csrf", b.csrf(from))
	req, err := http.NewRequest("POST", b.e.ts.URL+to, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	req.Header.Set("User-Agent", b.ua)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range b.jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Errorf("POST %s: %v", to, err)
		return answer{}
	}
	defer res.Body.Close()
	b.jar.SetCookies(req.URL, res.Cookies())
	body, _ := io.ReadAll(res.Body)
	return answer{code: res.StatusCode, location: res.Header.Get("Location"), body: string(body), header: res.Header}
}

// TestSignInNextStaysHere: through the real sign-in (password, then code)
// and the forced password change, a hostile next never leads off the site;
// a good one is kept.
func TestSignInNextStaysHere(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newSigninEnv(t, dsn, nil)
		pass := "Tall-Lamp-Post-5521"
		e.user("tess", "operator", pass, false)
		b := e.browser("b")
		b.signIn("tess", pass)
		secret, _ := b.enrol("")
		host := mustURL(e.ts.URL).Host

		// signIn goes through the password and code steps with next and
		// returns where the browser is finally sent.
		signIn := func(t *testing.T, next string) string {
			t.Helper()
			e.clock.add(30 * time.Second) // a fresh code each time
			c := e.browser("c")
			a := c.raw(t, "/login", "/login", url.Values{"username": {"tess"}, "password": {pass}, "next": {next}})
			if a.code != http.StatusSeeOther || !strings.HasPrefix(a.location, "/login/totp") {
				t.Fatalf("password: got %d to %q, want 303 to /login/totp", a.code, a.location)
			}
			if h := browserTarget(t, e.ts.URL, a.location); h != host {
				t.Errorf("password step sends the browser to %q, want %q", h, host)
			}
			code, _ := auth.TOTPCode(secret, e.clock.now())
			// The code page is asked for as the redirect said, and the
			// code is sent with next as the page would and as an attacker
			// might (both forms).
			a = c.raw(t, a.location, "/login/totp", url.Values{"code": {code}, "next": {next}})
			if a.code != http.StatusSeeOther {
				t.Fatalf("code: got %d:\n%.300s", a.code, a.body)
			}
			if h := browserTarget(t, e.ts.URL, a.location); h != host {
				t.Errorf("code step sends the browser to %q (Location %q), want %q", h, a.location, host)
			}
			return a.location
		}
		for _, tt := range hostileNext {
			t.Run(tt.name, func(t *testing.T) {
				if got := signIn(t, tt.next); got != "/" {
					t.Errorf("after sign-in with next %q: got Location %q, want \"/\"", tt.next, got)
				}
			})
		}
		t.Run("good", func(t *testing.T) {
			if got := signIn(t, "/playback?camera=3"); got != "/playback?camera=3" {
				t.Errorf("got Location %q, want /playback?camera=3", got)
			}
		})

		// The forced change passes next on after the new password.
		olive := e.user("olive", "viewer", "Given-by-admin-7731", true)
		for _, tt := range hostileNext[:8] { // each costs three password hashes
			t.Run("forced change "+tt.name, func(t *testing.T) {
				// A password someone else chose, each case afresh.
				hash, _ := auth.HashPassword("Given-by-admin-7731")
				if err := e.st.SetPassword(t.Context(), olive.ID, hash, true); err != nil {
					t.Fatal(err)
				}
				o := e.browser("o")
				if a := o.raw(t, "/login", "/login", url.Values{"username": {"olive"}, "password": {"Given-by-admin-7731"}, "next": {tt.next}}); a.code != http.StatusSeeOther {
					t.Fatalf("sign-in: got %d", a.code)
				} else if h := browserTarget(t, e.ts.URL, a.location); h != host {
					t.Errorf("sign-in sends the browser to %q (Location %q), want %q", h, a.location, host)
				}
				a := o.raw(t, "/password", "/password", url.Values{"current": {"Given-by-admin-7731"}, "new": {"Fresh-Keeper-9182"}, "confirm": {"Fresh-Keeper-9182"}, "next": {tt.next}})
				if a.code != http.StatusSeeOther {
					t.Fatalf("password change: got %d:\n%.300s", a.code, a.body)
				}
				if h := browserTarget(t, e.ts.URL, a.location); h != host {
					t.Errorf("password change sends the browser to %q (Location %q), want %q", h, a.location, host)
				}
			})
		}
	})
}
