package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// server is a running `vigil serve` with no cameras: enough to sign in to.
type server struct {
	base, password, data string
	log                  *syncBuffer
}

// startServeOn runs the real `vigil serve` (this test binary standing in
// for vigil) on addr with the given TOML settings added to its own. The
// address is the caller's: the OpenID provider must know vigil's callback
// before vigil starts.
func startServeOn(t *testing.T, addr, extra string) *server {
	t.Helper()
	dir := t.TempDir()
	s := &server{base: "http://" + addr, password: auth.RandomPassword(), data: filepath.Join(dir, "data"), log: &syncBuffer{}}
	cfg := fmt.Sprintf("data_dir = %q\nhttp = %q\nlive_transcoder = \"off\"\nlog_level = \"warn\"\n%s", s.data, addr, extra)
	file := filepath.Join(dir, "vigil.toml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "serve", "--config", file)
	cmd.Env = append(os.Environ(), "VIGIL_TEST_MAIN=1", "VIGIL_ADMIN_PASSWORD="+s.password)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			t.Logf("vigil serve's output:\n%s", s.log)
		}
	})
	await(t, 30*time.Second, "vigil serve's health check", func() bool {
		res, err := http.Get(s.base + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return s
}

// withStore opens the server's database beside it (SQLite allows that) to
// set up accounts as an administrator's tools would.
func (s *server) withStore(t *testing.T, fn func(ctx context.Context, st *store.Store)) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(s.data, "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fn(context.Background(), st)
}

// provider is a running oidc-provider (oidc_provider.mjs).
type provider struct {
	issuer, clientID, clientSecret string
}

// oidcAccounts are the provider's test accounts, by subject.
var oidcAccounts = map[string]map[string]any{
	"sub-olivia":  {"preferred_username": "olivia", "name": "Olivia Operator", "roles": []string{"staff", "cctv-operators"}, "organisation": "Partnership"},
	"sub-arthur":  {"preferred_username": "arthur", "roles": []string{"cctv-admins", "cctv-operators"}, "organisation": "Partnership"},
	"sub-mallory": {"preferred_username": "mallory", "roles": []string{"cctv-operators"}, "organisation": "Elsewhere Council"},
	"sub-nobody":  {"preferred_username": "nobody", "roles": []string{"staff"}, "organisation": "Partnership"},
}

// startProvider runs the certified OpenID provider on 127.0.0.1 with one
// client whose redirect is vigil's callback.
func startProvider(t *testing.T, vigilAddr string) *provider {
	t.Helper()
	node := testkit.NeedTool(t, "node")
	testkit.NeedFile(t, filepath.Join("node_modules", "oidc-provider", "package.json"), "oidc-provider (npm ci in e2e/)")
	addr := freeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	p := &provider{issuer: "http://" + addr, clientID: "vigil-test", clientSecret: auth.RandomPassword()}
	cfg, _ := json.Marshal(map[string]any{
		"port": json.Number(port), "clientId": p.clientID, "clientSecret": p.clientSecret,
		"redirectUri": "http://" + vigilAddr + "/login/oidc/callback", "accounts": oidcAccounts,
	})
	cmd := exec.Command(node, "oidc_provider.mjs", string(cfg))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			t.Logf("oidc-provider's errors:\n%s", stderr.String())
		}
	})
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), `"ready":true`) {
				ready <- nil
				io.Copy(io.Discard, out)
				return
			}
		}
		ready <- fmt.Errorf("oidc-provider ended before it was ready: %s", stderr.String())
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("oidc-provider did not start within 30 s")
	}
	return p
}

// oidcSettings are vigil's [oidc] settings for the provider.
func (p *provider) settings(vigilBase string) string {
	return fmt.Sprintf(`
[oidc]
name = "Partnership ID"
issuer = %q
client_id = %q
client_secret = %q
redirect_url = %q
allowed_organisations = ["Partnership"]
[[oidc.roles]]
value = "cctv-admins"
role = "administrator"
[[oidc.roles]]
value = "cctv-operators"
role = "operator"
`, p.issuer, p.clientID, p.clientSecret, vigilBase+"/login/oidc/callback")
}

var (
	formRE  = regexp.MustCompile(`(?s)<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>`)
	inputRE = regexp.MustCompile(`<input[^>]*>`)
	nameRE  = regexp.MustCompile(`\bname="([^"]*)"`)
	valueRE = regexp.MustCompile(`\bvalue="([^"]*)"`)
	hrefRE  = regexp.MustCompile(`id="continue" href="([^"]+)"`)
)

// postForm fills the first form of a page whose action contains want and
// posts it, following redirects.
func postForm(t *testing.T, c *http.Client, page *http.Response, body, want string, fields map[string]string) (*http.Response, string) {
	t.Helper()
	for _, m := range formRE.FindAllStringSubmatch(body, -1) {
		action := html.UnescapeString(m[1])
		if !strings.Contains(action, want) {
			continue
		}
		v := url.Values{}
		for _, in := range inputRE.FindAllString(m[2], -1) {
			name, value := nameRE.FindStringSubmatch(in), valueRE.FindStringSubmatch(in)
			if name == nil {
				continue
			}
			if value == nil {
				value = []string{"", ""}
			}
			v.Set(html.UnescapeString(name[1]), html.UnescapeString(value[1]))
		}
		for k, val := range fields {
			v.Set(k, val)
		}
		target, _ := page.Request.URL.Parse(action)
		res, err := c.PostForm(target.String(), v)
		if err != nil {
			t.Fatalf("posting %s: %v", target, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}
	os.WriteFile(filepath.Join(os.TempDir(), "vigil-oidc-page.html"), []byte(body), 0o644)
	t.Fatalf("no form posting to %q at %s:\n%.1500s", want, page.Request.URL, body)
	return nil, ""
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "text/html")
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

// oidcSignIn goes through the whole flow as a browser without scripts
// would: vigil's button, the provider's real login and consent pages and
// forms, the redirect back, and the page that moves on. It returns the
// last page.
func oidcSignIn(t *testing.T, s *server, login string) (*http.Client, *http.Response, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	_, body := get(t, c, s.base+"/login")
	if !strings.Contains(body, "Sign in with Partnership ID") {
		t.Fatalf("the sign-in page has no single sign-on button:\n%.800s", body)
	}
	res, body := get(t, c, s.base+"/login/oidc")
	if res.Request.URL.Host == strings.TrimPrefix(s.base, "http://") {
		t.Fatalf("/login/oidc stayed at vigil (%s):\n%.600s", res.Request.URL, body)
	}
	// The provider's login page, then its consent page: each one form,
	// posted back to the interaction.
	res, body = postForm(t, c, res, body, "/interaction/", map[string]string{"login": login, "password": "any"})
	if strings.Contains(res.Request.URL.Path, "/interaction/") {
		res, body = postForm(t, c, res, body, "/interaction/", nil)
	}
	if m := hrefRE.FindStringSubmatch(body); m != nil && strings.Contains(body, `http-equiv="refresh"`) {
		next, _ := res.Request.URL.Parse(html.UnescapeString(m[1]))
		res, body = get(t, c, next.String())
	}
	return c, res, body
}

// TestOIDCSignIn: single sign-on against a real, certified OpenID provider
// run here, driven by an HTTP client through the provider's own pages:
// users made from claims (role from the first mapping that matches,
// organisation checked), a role that needs a second factor sent to
// enrolment, a refused organisation and an unmapped role.
func TestOIDCSignIn(t *testing.T) {
	addr := freeAddr(t)
	p := startProvider(t, addr)
	s := startServeOn(t, addr, p.settings("http://"+addr))

	t.Run("administrator", func(t *testing.T) {
		// An administrator sees no footage: their home is where their
		// work is, the administration pages.
		c, res, body := oidcSignIn(t, s, "sub-arthur")
		if res.Request.URL.Path != "/admin/cameras" || !strings.Contains(body, `class="who"`) {
			t.Fatalf("arthur ended at %s, want the administration pages (an administrator's home):\n%.600s", res.Request.URL, body)
		}
		if !strings.Contains(body, ">arthur</a>") {
			t.Errorf("the page does not name arthur")
		}
		_ = c
		s.withStore(t, func(ctx context.Context, st *store.Store) {
			u, err := st.UserByOIDC(ctx, p.issuer, "sub-arthur")
			if err != nil || u.Role != "administrator" || u.Username != "arthur" || u.PasswordHash != "" {
				t.Errorf("arthur's account: got %+v, %v; want an administrator with no password", u, err)
			}
		})
	})
	t.Run("operator-enrols", func(t *testing.T) {
		c, res, body := oidcSignIn(t, s, "sub-olivia")
		if res.Request.URL.Path != "/account/totp" {
			t.Fatalf("olivia ended at %s, want enrolment (operators need a second factor):\n%.600s", res.Request.URL, body)
		}
		res, body = get(t, c, s.base+"/api/v1/layouts")
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "second factor") {
			t.Errorf("the API before enrolment: got %d %s, want 403", res.StatusCode, body)
		}
	})
	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct{ sub, want string }{
			{"sub-mallory", "may not sign in here"},
			{"sub-nobody", "no role in Vigil"},
		} {
			_, res, body := oidcSignIn(t, s, tc.sub)
			if res.Request.URL.Path != "/login/oidc/callback" || res.StatusCode != http.StatusForbidden || !strings.Contains(html.UnescapeString(body), tc.want) {
				t.Errorf("%s: got %d at %s, want 403 saying %q:\n%.600s", tc.sub, res.StatusCode, res.Request.URL.Path, tc.want, body)
			}
		}
	})
	t.Run("audited", func(t *testing.T) {
		s.withStore(t, func(ctx context.Context, st *store.Store) {
			trail, err := store.OpenTrail(ctx, filepath.Join(s.data, "audit.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer trail.Close()
			all, _ := trail.ListAudit(ctx, store.AuditFilter{Action: "user.create"})
			// The first start's administrator has a record too; the
			// single sign-on accounts are the others.
			var created []store.AuditRecord
			for _, e := range all {
				if !strings.HasPrefix(e.Detail, "first start: ") {
					created = append(created, e)
				}
			}
			signins, _ := trail.ListAudit(ctx, store.AuditFilter{Action: "signin"})
			failed, _ := trail.ListAudit(ctx, store.AuditFilter{Action: "signin.failed"})
			if len(created) != 2 || len(signins) != 2 || len(failed) != 2 {
				t.Errorf("audit: %d users made, %d sign-ins, %d refused; want 2, 2, 2", len(created), len(signins), len(failed))
			}
			for _, e := range signins {
				if !strings.HasPrefix(e.Detail, "single sign-on (") {
					t.Errorf("sign-in audited as %q, want single sign-on", e.Detail)
				}
			}
		})
	})
	t.Run("state", func(t *testing.T) {
		// An answer from the provider that this browser did not ask for.
		res, body := get(t, &http.Client{}, s.base+"/login/oidc/callback?code=x&state=y")
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "expired or was started in another browser") {
			t.Errorf("a callback without the sign-in's cookie: got %d, want 400:\n%.300s", res.StatusCode, body)
		}
	})
}

var operatorPasswordRE = regexp.MustCompile(`Created the account "operator" [^\n]*\n\n    (\S+)`)

// TestSignInBrowser: a new operator of `vigil demo` in a real Chromium:
// the forced password change (a weak password refused), adding an
// authenticator (codes computed from the key the page shows), signing out
// and in again with password and code (a wrong code refused), and the
// lockout after repeated wrong passwords.
func TestSignInBrowser(t *testing.T) {
	testkit.NeedFile(t, "/usr/bin/chromium", "Chromium (apt-get install chromium)")
	d := startDemo(t, 1, 0)
	m := operatorPasswordRE.FindStringSubmatch(d.log.String())
	if m == nil {
		t.Fatalf("the demo printed no password for \"operator\":\n%s", d.log)
	}
	newPassword := auth.RandomPassword()
	res := browserScript(t, "signin.mjs", map[string]any{
		"base": d.base, "username": "operator", "password": m[1], "newPassword": newPassword, "lockoutThreshold": 5,
		"steps": []string{"forced", "enrol", "totp", "lockout"},
	})

	t.Run("forced-change", func(t *testing.T) {
		f := field[struct {
			SignInStatus   int    `json:"signInStatus"`
			After          string `json:"after"`
			PlaybackGoesTo string `json:"playbackGoesTo"`
			APIStatus      int    `json:"apiStatus"`
			APIBody        string `json:"apiBody"`
			WeakMessage    string `json:"weakMessage"`
			AfterChange    string `json:"afterChange"`
		}](t, res, "forced")
		if f.After != "/password" {
			t.Errorf("first sign-in went to %q, want /password", f.After)
		}
		if f.PlaybackGoesTo != "/password" {
			t.Errorf("the playback page went to %q, want /password", f.PlaybackGoesTo)
		}
		if f.APIStatus != http.StatusForbidden || !strings.Contains(f.APIBody, "change your password first") {
			t.Errorf("the API before the change: got %d %s, want 403 saying change your password first", f.APIStatus, f.APIBody)
		}
		if !strings.Contains(f.WeakMessage, "common") {
			t.Errorf("a common password: got %q, want it refused as common", f.WeakMessage)
		}
		if f.AfterChange != "/account/totp" {
			t.Errorf("after the change: went to %q, want /account/totp (operators need a second factor)", f.AfterChange)
		}
	})
	var secret string
	t.Run("enrol", func(t *testing.T) {
		e := field[struct {
			At            string   `json:"at"`
			Secret        string   `json:"secret"`
			URI           string   `json:"uri"`
			QRModules     int      `json:"qrModules"`
			WrongMessage  string   `json:"wrongMessage"`
			SecretKept    bool     `json:"secretKept"`
			RecoveryCodes []string `json:"recoveryCodes"`
			AfterContinue string   `json:"afterContinue"`
			Who           string   `json:"who"`
			APIStatus     int      `json:"apiStatus"`
		}](t, res, "enrol")
		secret = e.Secret
		u, err := url.Parse(e.URI)
		if err != nil || u.Scheme != "otpauth" || u.Query().Get("secret") != e.Secret || len(e.Secret) != 32 {
			t.Errorf("the page's key %q and URI %q: want a 32-letter key inside an otpauth:// URI", e.Secret, e.URI)
		}
		if e.QRModules < 200 {
			t.Errorf("the QR code draws %d modules, want a real code", e.QRModules)
		}
		if !strings.Contains(e.WrongMessage, "does not match") || !e.SecretKept {
			t.Errorf("a wrong code at enrolment: got %q (key kept %v), want it refused with the same key", e.WrongMessage, e.SecretKept)
		}
		if len(e.RecoveryCodes) != auth.RecoveryCodeCount {
			t.Errorf("recovery codes shown: got %d, want %d", len(e.RecoveryCodes), auth.RecoveryCodeCount)
		}
		// The page the operator asked for before the setup steps.
		if e.AfterContinue != "/playback" || e.Who != "operator" || e.APIStatus != http.StatusOK {
			t.Errorf("after enrolment: at %q as %q, API %d; want /playback (asked for before) as operator and 200", e.AfterContinue, e.Who, e.APIStatus)
		}
	})
	t.Run("totp-sign-in", func(t *testing.T) {
		r := field[struct {
			SignedOutAt   string `json:"signedOutAt"`
			AfterPassword string `json:"afterPassword"`
			APIBetween    int    `json:"apiBetween"`
			WrongStatus   int    `json:"wrongStatus"`
			WrongMessage  string `json:"wrongMessage"`
			After         string `json:"after"`
			Who           string `json:"who"`
			Sessions      int    `json:"sessions"`
		}](t, res, "totp")
		if r.AfterPassword != "/login/totp" || r.APIBetween != http.StatusUnauthorized {
			t.Errorf("after the password: at %q, API %d; want /login/totp and 401", r.AfterPassword, r.APIBetween)
		}
		if r.WrongStatus != http.StatusUnauthorized || !strings.Contains(r.WrongMessage, "Wrong code") {
			t.Errorf("a wrong code: got %d %q, want 401 Wrong code", r.WrongStatus, r.WrongMessage)
		}
		if r.After != "/" || r.Who != "operator" {
			t.Errorf("after the right code: at %q as %q, want the wall as operator", r.After, r.Who)
		}
		if r.Sessions != 1 {
			t.Errorf("the account page lists %d sessions, want 1 (signing out ended the others)", r.Sessions)
		}
	})
	t.Run("lockout", func(t *testing.T) {
		l := field[struct {
			Statuses     []int    `json:"statuses"`
			Messages     []string `json:"messages"`
			RightStatus  int      `json:"rightStatus"`
			RightMessage string   `json:"rightMessage"`
		}](t, res, "lockout")
		for i, st := range l.Statuses {
			locked := strings.Contains(l.Messages[i], "Too many attempts; try again in 1 minute")
			if st != http.StatusUnauthorized || locked != (i == len(l.Statuses)-1) {
				t.Errorf("wrong password %d: got %d %q, want 401, with the lock message only at the last", i+1, st, l.Messages[i])
			}
		}
		if l.RightStatus != http.StatusTooManyRequests || !strings.Contains(l.RightMessage, "try again in 1 minute") {
			t.Errorf("the right password while locked: got %d %q, want 429 and how long to wait", l.RightStatus, l.RightMessage)
		}
	})
	// What the browser did is what the audit trail says.
	trail, err := store.OpenTrail(context.Background(), filepath.Join(d.dir, "data", "audit.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer trail.Close()
	for _, c := range []struct {
		action string
		min    int
	}{{"password.change", 1}, {"totp.enrol", 1}, {"signin", 2}, {"signin.failed", 6}, {"signin.locked", 1}} {
		list, _ := trail.ListAudit(context.Background(), store.AuditFilter{Action: c.action})
		if len(list) < c.min {
			t.Errorf("audit %s: got %d entries, want at least %d", c.action, len(list), c.min)
		}
	}
	if secret == "" {
		t.Errorf("no key was read off the enrolment page")
	}
}

// TestOIDCBrowser: single sign-on in a real Chromium, through the real
// provider's login and consent pages and back, to an administrator's home
// page, the map.
func TestOIDCBrowser(t *testing.T) {
	testkit.NeedFile(t, "/usr/bin/chromium", "Chromium (apt-get install chromium)")
	addr := freeAddr(t)
	p := startProvider(t, addr)
	s := startServeOn(t, addr, p.settings("http://"+addr))
	res := browserScript(t, "signin.mjs", map[string]any{"base": s.base, "oidcLogin": "sub-arthur", "steps": []string{"oidc"}})
	o := field[struct {
		Button       string `json:"button"`
		ProviderPage string `json:"providerPage"`
		After        string `json:"after"`
		Who          string `json:"who"`
		APIStatus    int    `json:"apiStatus"`
	}](t, res, "oidc")
	if o.Button != "Sign in with Partnership ID" {
		t.Errorf("the button says %q, want Sign in with Partnership ID", o.Button)
	}
	if o.ProviderPage != p.issuer {
		t.Errorf("the button led to %q, want the provider %s", o.ProviderPage, p.issuer)
	}
	if o.After != "/admin/cameras" || o.Who != "arthur" || o.APIStatus != http.StatusOK {
		t.Errorf("back from the provider: at %q as %q, API %d; want the administration pages (an administrator's home) as arthur and 200", o.After, o.Who, o.APIStatus)
	}
}
