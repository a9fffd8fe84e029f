package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/secret"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// clock is a settable time for the server under test: lockouts and idle
// sessions are about time, and the tests move it rather than wait.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type signinEnv struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	st    *store.Store
	clock *clock
	org   int64
}

// newSigninEnv runs the web server on a real store (SQLite, and
// PostgreSQL when VIGIL_TEST_POSTGRES is set, through forEachDB).
func newSigninEnv(t *testing.T, dsn string, mod func(*Options)) *signinEnv {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secret.New(key)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Store: st, Audit: openTrail(t, dsn), Secrets: box, SignIn: SignInOptions{
		Account: auth.Lockout{Threshold: 3, Base: time.Minute, Max: 10 * time.Minute},
		Address: auth.Lockout{Threshold: 12, Base: time.Minute, Max: 10 * time.Minute},
	}}
	if mod != nil {
		mod(&opt)
	}
	if opt.Changes == nil && opt.Audit != nil {
		// Changes commit with their audit records, as in the server.
		if opt.Changes, err = audit.NewOutbox(context.Background(), opt.Store, opt.Audit, audit.OutboxOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := &clock{t: time.Now()}
	srv.now = c.now
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	org, err := st.EnsureOrganisation(context.Background(), "Council", "council")
	if err != nil {
		t.Fatal(err)
	}
	return &signinEnv{t: t, srv: srv, ts: ts, st: st, clock: c, org: org.ID}
}

func forEachDB(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "vigil.db")) })
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, testkit.PostgresSchema(t, pg)) })
	}
}

// user makes an account with a password.
func (e *signinEnv) user(name, role, password string, mustChange bool) identity.User {
	e.t.Helper()
	hash, err := auth.HashPassword(password)
	if err != nil {
		e.t.Fatal(err)
	}
	u := identity.User{Username: name, PasswordHash: hash, OrganisationID: e.org, Role: role, MustChangePassword: mustChange}
	if err := e.st.CreateUser(context.Background(), &u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// apiToken makes an API token for a user, as `vigil token create` does.
func (e *signinEnv) apiToken(u identity.User) string {
	tok, hash := auth.NewToken()
	if err := e.st.CreateToken(context.Background(), &identity.Token{UserID: u.ID, Name: "t", Hash: hash}); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// browser is a client with its own cookies that does not follow
// redirects, so each step's answer can be checked.
type browser struct {
	e   *signinEnv
	c   *http.Client
	ua  string
	jar *cookiejar.Jar
}

func (e *signinEnv) browser(ua string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, ua: ua, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	code     int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(method, path string, form url.Values, hdr map[string]string) answer {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.ts.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	req.Header.Set("User-Agent", b.ua)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return answer{code: res.StatusCode, location: res.Header.Get("Location"), body: string(raw), header: res.Header}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) csrf(path string) string {
	b.e.t.Helper()
	a := b.do("GET", path, nil, nil)
	m := csrfRE.FindStringSubmatch(a.body)
	if m == nil {
		b.e.t.Fatalf("GET %s: %d, no CSRF token in the page:\n%.400s", path, a.code, a.body)
	}
	return m[1]
}

// post sends a form from the page at from, with that page's token.
func (b *browser) post(from, to string, form url.Values) answer {
	b.e.t.Helper()
	form.Set("csrf", b.csrf(from))
	return b.do("POST", to, form, nil)
}

func (b *browser) signIn(name, password string) answer {
	return b.post("/login", "/login", url.Values{"username": {name}, "password": {password}})
}

// api calls the API with the browser's session (and its CSRF token for
// changes), as the console's scripts do.
func (b *browser) api(method, path, token string) answer {
	hdr := map[string]string{"Accept": "application/json"}
	if token != "" {
		hdr[csrfHeader] = token
	}
	return b.do(method, path, nil, hdr)
}

func bearer(e *signinEnv, method, path, token, body string) answer {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return answer{code: res.StatusCode, body: string(raw), header: res.Header}
}

func (e *signinEnv) audits(action string) []store.AuditRecord {
	e.t.Helper()
	list, err := e.srv.opt.Audit.Store().ListAudit(context.Background(), store.AuditFilter{Action: action})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

var secretRE = regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`)

// enrol adds an authenticator on the enrolment page and returns its
// secret and the recovery codes shown.
func (b *browser) enrol(current string) (string, []string) {
	b.e.t.Helper()
	page := b.do("GET", "/account/totp", nil, nil)
	m := secretRE.FindStringSubmatch(page.body)
	if m == nil {
		b.e.t.Fatalf("enrolment page %d shows no key:\n%.600s", page.code, page.body)
	}
	secret := m[1]
	code, _ := auth.TOTPCode(secret, b.e.clock.now())
	form := url.Values{"secret": {secret}, "code": {code}, "csrf": {csrfRE.FindStringSubmatch(page.body)[1]}}
	if current != "" {
		form.Set("current_code", current)
	}
	a := b.do("POST", "/account/totp", form, nil)
	if a.code != http.StatusOK || !strings.Contains(a.body, "recovery codes") {
		b.e.t.Fatalf("enrolment: got %d:\n%.600s", a.code, a.body)
	}
	codes := regexp.MustCompile(`<li><code>([a-z2-9-]{19})</code></li>`).FindAllStringSubmatch(a.body, -1)
	var out []string
	for _, c := range codes {
		out = append(out, c[1])
	}
	return secret, out
}

// TestForcedPasswordChange: a user whose password someone else chose is
// sent to /password and can do nothing else, in the console or the API,
// until they set a strong one of their own; then, their role needing a
// second factor, to enrolment.
func TestForcedPasswordChange(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newSigninEnv(t, dsn, nil)
		first := "Given-by-admin-7731"
		u := e.user("olive", "operator", first, true)
		tok := e.apiToken(u)
		other := e.browser("other")
		if a := other.signIn("olive", first); a.code != http.StatusSeeOther {
			t.Fatalf("the other browser's sign-in: got %d", a.code)
		}
		b := e.browser("main")
		a := b.signIn("olive", first)
		if a.code != http.StatusSeeOther || a.location != "/password" {
			t.Fatalf("sign-in: got %d to %q, want 303 to /password", a.code, a.location)
		}
		tests := []struct {
			name, method, path string
			code               int
			want               string
		}{
			{"wall page", "GET", "/", http.StatusSeeOther, "/password"},
			{"playback page", "GET", "/playback", http.StatusSeeOther, "/password?next=%2Fplayback"},
			{"account page", "GET", "/account", http.StatusSeeOther, "/password?next=%2Faccount"},
			{"enrolment first", "GET", "/account/totp", http.StatusSeeOther, "/password?next=%2Faccount%2Ftotp"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := b.do(tt.method, tt.path, nil, nil)
				if a.code != tt.code || a.location != tt.want {
					t.Errorf("got %d to %q, want %d to %q", a.code, a.location, tt.code, tt.want)
				}
			})
		}
		if a := b.api("GET", "/api/v1/cameras", ""); a.code != http.StatusForbidden || !strings.Contains(a.body, "change your password first") {
			t.Errorf("API with the session: got %d %s, want 403 saying change your password first", a.code, a.body)
		}
		if a := bearer(e, "GET", "/api/v1/layouts", tok, ""); a.code != http.StatusForbidden || !strings.Contains(a.body, "change your password first") {
			t.Errorf("API with a token: got %d %s, want 403 saying change your password first", a.code, a.body)
		}

		weak := []struct{ name, current, next, confirm, want string }{
			{"wrong current", "nope-nope-nope", "Fresh-Keeper-9182", "Fresh-Keeper-9182", "current password is wrong"},
			{"mismatch", first, "Fresh-Keeper-9182", "Fresh-Keeper-9183", "differ"},
			{"same", first, first, first, "must differ from the current"},
			{"short", first, "Sh0rt!", "Sh0rt!", "too weak"},
			{"common", first, "Password2024!", "Password2024!", "common"},
			{"username", first, "olive-is-great-42", "olive-is-great-42", "username"},
		}
		for _, w := range weak {
			t.Run(w.name, func(t *testing.T) {
				a := b.post("/password", "/password", url.Values{"current": {w.current}, "new": {w.next}, "confirm": {w.confirm}})
				if a.code < 400 || !strings.Contains(a.body, w.want) {
					t.Errorf("got %d, want a 4xx saying %q:\n%.300s", a.code, w.want, a.body)
				}
			})
		}
		a = b.post("/password", "/password", url.Values{"current": {first}, "new": {"Fresh-Keeper-9182"}, "confirm": {"Fresh-Keeper-9182"}})
		if a.code != http.StatusSeeOther || a.location != "/account/totp" {
			t.Fatalf("strong new password: got %d to %q, want 303 to /account/totp", a.code, a.location)
		}
		got, _ := e.st.User(context.Background(), u.ID)
		if got.MustChangePassword {
			t.Errorf("after the change: must_change_password still set")
		}
		if a := other.do("GET", "/account", nil, nil); a.code != http.StatusSeeOther || !strings.HasPrefix(a.location, "/login") {
			t.Errorf("the other browser's session after the change: got %d to %q, want it ended", a.code, a.location)
		}
		if n := len(e.audits("password.change")); n != 1 {
			t.Errorf("audited password changes: got %d, want 1", n)
		}
		// Still owed: a second factor. The token works again (tokens are
		// not asked for one); the session reaches only enrolment.
		if a := bearer(e, "GET", "/api/v1/layouts", tok, ""); a.code != http.StatusOK {
			t.Errorf("API with a token after the change: got %d %s, want 200", a.code, a.body)
		}
		if a := b.api("GET", "/api/v1/layouts", ""); a.code != http.StatusForbidden || !strings.Contains(a.body, "second factor") {
			t.Errorf("API with the session before enrolment: got %d %s, want 403 about the second factor", a.code, a.body)
		}
		if a := b.do("GET", "/", nil, nil); a.location != "/account/totp" {
			t.Errorf("the wall before enrolment: got %d to %q, want /account/totp", a.code, a.location)
		}
		b.enrol("")
		if a := b.api("GET", "/api/v1/layouts", ""); a.code != http.StatusOK {
			t.Errorf("API with the session after enrolment: got %d %s, want 200", a.code, a.body)
		}
	})
}

// TestTOTPSignIn: after enrolment the password alone is not enough; a code
// is, once; a recovery code is, once.
func TestTOTPSignIn(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newSigninEnv(t, dsn, nil)
		pass := "Tall-Lamp-Post-5521"
		e.user("tess", "operator", pass, false)
		b := e.browser("b")
		if a := b.signIn("tess", pass); a.location != "/account/totp" {
			t.Fatalf("first sign-in without a factor: got %d to %q, want /account/totp", a.code, a.location)
		}
		enrolPage := b.do("GET", "/account/totp", nil, nil)
		for _, want := range []string{"otpauth://totp/Vigil:tess?secret=", "<svg", `id="totp-secret"`} {
			if !strings.Contains(enrolPage.body, want) {
				t.Errorf("enrolment page lacks %q", want)
			}
		}
		secret, codes := b.enrol("")
		if len(codes) != auth.RecoveryCodeCount {
			t.Fatalf("recovery codes shown: got %d, want %d", len(codes), auth.RecoveryCodeCount)
		}
		if n := len(e.audits("totp.enrol")); n != 1 {
			t.Errorf("audited enrolments: got %d, want 1", n)
		}
		b.post("/account", "/logout", url.Values{})

		// The code used to confirm enrolment is spent; move on a step.
		e.clock.add(30 * time.Second)
		c := e.browser("c")
		a := c.signIn("tess", pass)
		if a.code != http.StatusSeeOther || a.location != "/login/totp" {
			t.Fatalf("password: got %d to %q, want 303 to /login/totp", a.code, a.location)
		}
		if a := c.api("GET", "/api/v1/layouts", ""); a.code != http.StatusUnauthorized {
			t.Errorf("the API between password and code: got %d, want 401", a.code)
		}
		if a := c.post("/login/totp", "/login/totp", url.Values{"code": {"000000"}}); a.code != http.StatusUnauthorized || !strings.Contains(a.body, "Wrong code") {
			t.Errorf("a wrong code: got %d, want 401 saying Wrong code", a.code)
		}
		code, _ := auth.TOTPCode(secret, e.clock.now())
		if a := c.post("/login/totp", "/login/totp", url.Values{"code": {code}}); a.code != http.StatusSeeOther || a.location != "/" {
			t.Fatalf("the right code: got %d to %q:\n%.300s", a.code, a.location, a.body)
		}
		if a := c.api("GET", "/api/v1/layouts", ""); a.code != http.StatusOK {
			t.Errorf("the API after the code: got %d, want 200", a.code)
		}
		// The same code again, in another browser: refused.
		d := e.browser("d")
		d.signIn("tess", pass)
		if a := d.post("/login/totp", "/login/totp", url.Values{"code": {code}}); a.code != http.StatusUnauthorized {
			t.Errorf("a code used once already: got %d, want 401", a.code)
		}
		// A recovery code, once.
		if a := d.post("/login/totp", "/login/totp", url.Values{"code": {strings.ToUpper(codes[3])}}); a.code != http.StatusSeeOther {
			t.Errorf("a recovery code: got %d, want 303", a.code)
		}
		f := e.browser("f")
		f.signIn("tess", pass)
		if a := f.post("/login/totp", "/login/totp", url.Values{"code": {codes[3]}}); a.code != http.StatusUnauthorized {
			t.Errorf("a recovery code used once already: got %d, want 401", a.code)
		}
		signins := e.audits("signin")
		if len(signins) != 3 || signins[0].Detail != "password and recovery code" || signins[1].Detail != "password and TOTP code" {
			t.Errorf("audited sign-ins: got %+v", signins)
		}
		// Replacing the authenticator needs the old one.
		e.clock.add(30 * time.Second)
		old, _ := auth.TOTPCode(secret, e.clock.now())
		newSecret, _ := c.enrol(old)
		if newSecret == secret {
			t.Errorf("re-enrolment kept the old secret")
		}
	})
}

// TestLockout: repeated failures lock an account with a clear message and
// a doubling wait, audited; the lock holds against the right password; it
// is the same for a name that does not exist; success resets it; many
// names from one address lock the address.
func TestLockout(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newSigninEnv(t, dsn, nil)
		pass := "Quiet-River-Stone-88"
		e.user("lena", "administrator", pass, false)
		b := e.browser("b")
		for i := 1; i <= 3; i++ {
			a := b.signIn("lena", "wrong password "+fmt.Sprint(i))
			locked := strings.Contains(a.body, "Too many attempts; try again in 1 minute")
			if a.code != http.StatusUnauthorized || locked != (i == 3) {
				t.Fatalf("failure %d: got %d (locked message %v), want 401 with the lock message only at the third", i, a.code, locked)
			}
		}
		a := b.signIn("lena", pass)
		if a.code != http.StatusTooManyRequests || !strings.Contains(a.body, "Too many attempts; try again in 1 minute") || a.header.Get("Retry-After") != "60" {
			t.Fatalf("the right password while locked: got %d Retry-After %q, want 429 and 60:\n%s", a.code, a.header.Get("Retry-After"), a.body)
		}
		if l := e.audits("signin.locked"); len(l) != 1 || !strings.Contains(l[0].Detail, "user:lena") {
			t.Errorf("audited locks: got %+v, want one for user:lena", l)
		}
		e.clock.add(61 * time.Second)
		a = b.signIn("lena", "wrong again")
		if !strings.Contains(a.body, "try again in 2 minutes") {
			t.Errorf("the failure after the lock: got %d, want the lock doubled to 2 minutes", a.code)
		}
		e.clock.add(121 * time.Second)
		if a := b.signIn("lena", pass); a.code != http.StatusSeeOther {
			t.Fatalf("the right password after the lock: got %d, want 303", a.code)
		}
		// Success reset the count: two failures lock nothing.
		for range 2 {
			b.signIn("lena", "nope")
		}
		if a := b.signIn("lena", pass); a.code != http.StatusSeeOther {
			t.Errorf("after a success and two failures: got %d, want 303", a.code)
		}
		// A name that does not exist locks the same way.
		for range 3 {
			b.signIn("nobody", "x")
		}
		if a := b.signIn("nobody", "x"); a.code != http.StatusTooManyRequests {
			t.Errorf("an unknown name after 3 failures: got %d, want 429 like a real one", a.code)
		}
		// Spraying: failures on many names from one address (12 after the
		// earlier ones are forgotten) lock the address for everyone there.
		e.clock.add(time.Hour + 2*time.Minute)
		for i := range 12 {
			b.signIn(fmt.Sprintf("spray%d", i), "Summer2024!")
		}
		if a := b.signIn("lena", pass); a.code != http.StatusTooManyRequests {
			t.Errorf("the right password from a sprayed address: got %d, want 429", a.code)
		}
		if l := e.audits("signin.locked"); !strings.Contains(l[0].Detail, "addr:127.0.0.1") {
			t.Errorf("newest lock: got %+v, want the address", l[0])
		}
	})
}

// TestSessionsAndTokens: a user's sessions and tokens through the API;
// idle sessions end; administrators end other users' sessions; tokens
// are made only from a session, within the maximum lifetime, and revoked.
func TestSessionsAndTokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newSigninEnv(t, dsn, func(o *Options) {
			o.SignIn.SessionIdle = 30 * time.Minute
			o.SignIn.TokenMaxLifetime = 10 * 24 * time.Hour
		})
		pass := "Amber-Window-Sill-41"
		admin := e.user("ada", "administrator", pass, false)
		other := e.user("abe", "administrator", pass, false)
		one, two := e.browser("Browser One"), e.browser("Browser Two")
		one.signIn("ada", pass)
		two.signIn("ada", pass)
		csrf := one.csrf("/account")
		var list []sessionJSON
		a := one.api("GET", "/api/v1/sessions", "")
		if err := json.Unmarshal([]byte(a.body), &list); err != nil || len(list) != 2 {
			t.Fatalf("GET /api/v1/sessions: got %d %s, want two sessions", a.code, a.body)
		}
		var mine, theirs sessionJSON
		for _, s := range list {
			if s.Current {
				mine = s
			} else {
				theirs = s
			}
		}
		if mine.UserAgent != "Browser One" || theirs.UserAgent != "Browser Two" || mine.RemoteAddr != "127.0.0.1" {
			t.Errorf("sessions: got %+v and %+v, want each browser's agent and address", mine, theirs)
		}
		if a := one.api("DELETE", fmt.Sprintf("/api/v1/sessions/%d", theirs.ID), csrf); a.code != http.StatusNoContent {
			t.Errorf("ending the other session: got %d %s, want 204", a.code, a.body)
		}
		if a := two.api("GET", "/api/v1/layouts", ""); a.code != http.StatusUnauthorized {
			t.Errorf("the ended session: got %d, want 401", a.code)
		}
		if a := one.api("DELETE", fmt.Sprintf("/api/v1/sessions/%d", theirs.ID), csrf); a.code != http.StatusNotFound {
			t.Errorf("ending it again: got %d, want 404", a.code)
		}

		// Tokens: made from a session, shown once, then they act as the user.
		a = one.do("POST", "/api/v1/tokens", nil, map[string]string{csrfHeader: csrf, "Content-Type": "application/json"})
		if a.code != http.StatusBadRequest {
			t.Errorf("POST /api/v1/tokens with no body: got %d, want 400", a.code)
		}
		mk := func(body string) answer {
			req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/tokens", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(csrfHeader, csrf)
			res, err := one.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			return answer{code: res.StatusCode, body: string(raw)}
		}
		a = mk(`{"name": "export script"}`)
		var made tokenJSON
		if err := json.Unmarshal([]byte(a.body), &made); err != nil || a.code != http.StatusCreated || !strings.HasPrefix(made.Token, auth.TokenPrefix) {
			t.Fatalf("POST /api/v1/tokens: got %d %s", a.code, a.body)
		}
		if want := e.clock.now().Add(10 * 24 * time.Hour); made.ExpiresAt == nil || made.ExpiresAt.Sub(want).Abs() > time.Second {
			t.Errorf("a token without an expiry: got %v, want the maximum, %v", made.ExpiresAt, want)
		}
		if a := mk(fmt.Sprintf(`{"name": "long", "expires_at": %q}`, e.clock.now().Add(11*24*time.Hour).Format(time.RFC3339))); a.code != http.StatusBadRequest || !strings.Contains(a.body, "at most 10 days") {
			t.Errorf("a token past the maximum: got %d %s, want 400", a.code, a.body)
		}
		if a := bearer(e, "GET", "/api/v1/layouts", made.Token, ""); a.code != http.StatusOK {
			t.Errorf("the new token: got %d, want 200", a.code)
		}
		if a := bearer(e, "POST", "/api/v1/tokens", made.Token, `{"name": "child"}`); a.code != http.StatusForbidden {
			t.Errorf("a token making a token: got %d, want 403", a.code)
		}
		var toks []tokenJSON
		json.Unmarshal([]byte(bearer(e, "GET", "/api/v1/tokens", made.Token, "").body), &toks)
		if len(toks) != 1 || toks[0].Name != "export script" || toks[0].Token != "" {
			t.Errorf("GET /api/v1/tokens: got %+v, want the one token without its secret", toks)
		}
		// A session cookie is no bearer token.
		var cookie string
		for _, c := range one.jar.Cookies(mustURL(e.ts.URL)) {
			if c.Name == sessionCookie {
				cookie = c.Value
			}
		}
		if a := bearer(e, "GET", "/api/v1/layouts", cookie, ""); a.code != http.StatusUnauthorized {
			t.Errorf("the session's secret as a bearer token: got %d, want 401", a.code)
		}
		if a := bearer(e, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", made.ID), made.Token, ""); a.code != http.StatusNoContent {
			t.Errorf("revoking the token: got %d, want 204", a.code)
		}
		if a := bearer(e, "GET", "/api/v1/layouts", made.Token, ""); a.code != http.StatusUnauthorized {
			t.Errorf("the revoked token: got %d, want 401", a.code)
		}

		// An administrator ends another user's sessions; they cannot be
		// listed or ended by a non-administrator.
		abe := e.browser("abe")
		abe.signIn("abe", pass)
		adminTok := e.apiToken(admin)
		if a := bearer(e, "DELETE", fmt.Sprintf("/api/v1/users/%d/sessions", other.ID), adminTok, ""); a.code != http.StatusOK || !strings.Contains(a.body, `"ended": 1`) {
			t.Errorf("an administrator ending abe's sessions: got %d %s", a.code, a.body)
		}
		if a := abe.api("GET", "/api/v1/layouts", ""); a.code != http.StatusUnauthorized {
			t.Errorf("abe's session afterwards: got %d, want 401", a.code)
		}
		op := e.user("otto", "operator", pass, false)
		if a := bearer(e, "GET", fmt.Sprintf("/api/v1/users/%d/sessions", admin.ID), e.apiToken(op), ""); a.code != http.StatusForbidden {
			t.Errorf("an operator listing an administrator's sessions: got %d, want 403", a.code)
		}

		// Idle: 31 minutes without a request ends the session.
		if a := one.api("GET", "/api/v1/layouts", ""); a.code != http.StatusOK {
			t.Fatalf("before idling: got %d", a.code)
		}
		e.clock.add(29 * time.Minute)
		if a := one.api("GET", "/api/v1/layouts", ""); a.code != http.StatusOK {
			t.Errorf("after 29 idle minutes: got %d, want 200", a.code)
		}
		e.clock.add(31 * time.Minute)
		if a := one.do("GET", "/account", nil, nil); a.code != http.StatusSeeOther || !strings.HasPrefix(a.location, "/login") {
			t.Errorf("after 31 idle minutes: got %d to %q, want the sign-in page", a.code, a.location)
		}
	})
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

// TestCookiesAndHeaders: the session cookie's flags, and the security
// headers, with and without TLS.
func TestCookiesAndHeaders(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tls), func(t *testing.T) {
			e := newSigninEnv(t, filepath.Join(t.TempDir(), "v.db"), func(o *Options) { o.TLS = tls })
			pass := "Green-Field-Gate-19"
			e.user("gus", "administrator", pass, false)
			b := e.browser("b")
			a := b.signIn("gus", pass)
			var session string
			for _, c := range a.header.Values("Set-Cookie") {
				if strings.HasPrefix(c, sessionCookie+"=") {
					session = c
				}
			}
			for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
				if !strings.Contains(session, want) {
					t.Errorf("session cookie %q lacks %s", session, want)
				}
			}
			if strings.Contains(session, "Secure") != tls {
				t.Errorf("session cookie %q: Secure %v, want %v", session, !tls, tls)
			}
			h := b.do("GET", "/login", nil, nil).header
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("CSP: got %q", csp)
			}
			if h.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("Referrer-Policy: got %q", h.Get("Referrer-Policy"))
			}
			if hsts := h.Get("Strict-Transport-Security"); (hsts != "") != tls {
				t.Errorf("HSTS: got %q with TLS %v", hsts, tls)
			}
		})
	}
}
