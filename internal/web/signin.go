package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/web/console"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// Signing in, in the order a person meets it:
//
//  1. The password (POST /login), or the OpenID provider (oidc.go). Every
//     attempt is counted against the account name and the remote address
//     before the password is checked, and refused unchecked while either
//     is locked (auth.Lockout).
//  2. The second factor, when the user has one (POST /login/totp): the
//     password alone gives only a pending token, good for five minutes
//     and for nothing but giving the code.
//  3. A session: a token of kind session in an HttpOnly, SameSite=Strict
//     cookie (Secure under TLS), ended by idle time, its lifetime, signing
//     out, a password change, or the user or an administrator revoking it.
//  4. Setting up: a user whose password someone else chose must change it
//     (/password), and one whose role needs a second factor and has none
//     must add one (/account/totp), before anything else answers them.

const (
	pendingCookie = "vigil_signin"
)

// SignInOptions say how long sign-ins last and how failures are slowed.
// Zero fields take the defaults in New.
type SignInOptions struct {
	SessionIdle, SessionLifetime time.Duration
	TokenMaxLifetime             time.Duration
	Account, Address             auth.Lockout
}

func (o *SignInOptions) fill() {
	// One set of defaults: the identity service's.
	d := identity.Options{Account: o.Account, Address: o.Address, SessionLifetime: o.SessionLifetime, SessionIdle: o.SessionIdle,
		TokenMaxLifetime: o.TokenMaxLifetime}
	d.Fill()
	o.Account, o.Address, o.SessionLifetime, o.SessionIdle, o.TokenMaxLifetime = d.Account, d.Address, d.SessionLifetime, d.SessionIdle, d.TokenMaxLifetime
}

// needsSecondFactor says whether a user must sign in with a second
// factor (identity.SecondFactorNeeded: anyone any of whose roles sees
// footage). If the rights cannot be read the answer is yes.
func (s *Server) needsSecondFactor(u identity.User) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := s.principal(ctx, u)
	if err != nil {
		s.log.Error("reading a user's rights for their second factor", "user", u.ID, "err", err)
		return true
	}
	return identity.SecondFactorNeeded(a.P.Holds())
}

// secondFactorDue says whether Vigil asks this user for its own second
// factor: their role needs one, unless they sign in through an OpenID
// provider trusted to ask for one itself.
func (s *Server) secondFactorDue(u identity.User) bool {
	if u.OIDCSubject != "" && s.opt.OIDC.TrustProviderMFA {
		return false
	}
	return s.needsSecondFactor(u)
}

// setupStep is where a signed-in user must go before anything else, and
// what the API says meanwhile; "" when they are free to go anywhere.
func (s *Server) setupStep(u identity.User, byCookie bool) (path, msg string) {
	switch {
	case u.MustChangePassword:
		return "/password", "change your password first (at /password)"
	case byCookie && s.secondFactorDue(u) && !u.TOTPEnabled:
		// Only sessions: an API token was made by someone already fully
		// signed in (or by an administrator on the server itself).
		return "/account/totp", "set up your second factor first (at /account/totp)"
	}
	return "", ""
}

// afterSignIn is where a newly signed-in user goes: the first setup step
// they owe, or where they were going.
func (s *Server) afterSignIn(u identity.User, next string) string {
	if path, _ := s.setupStep(u, true); path != "" {
		if safeNext(next) && next != "/" {
			return path + "?next=" + url.QueryEscape(next)
		}
		return path
	}
	if !safeNext(next) {
		return "/"
	}
	return next
}

// remoteHost is the address part of a request's remote address: what an
// address lock and a session's "from" name.
func remoteHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	next := r.URL.Query().Get("next")
	if !safeNext(next) {
		next = ""
	}
	return s.renderLogin(w, http.StatusOK, "", "", next)
}

func (s *Server) renderLogin(w http.ResponseWriter, code int, msg, username, next string) error {
	if !safeNext(next) {
		next = ""
	}
	data := map[string]any{"Error": msg, "Username": username, "CSRF": s.newLoginToken(w), "Next": next}
	if s.opt.OIDC.Enabled() {
		data["OIDC"] = s.opt.OIDC.Name
	}
	return s.console.Render(w, "login.html", code, data)
}

// beginAttempt counts an attempt of username's from r's address, or says
// how long to wait when either is locked.
func (s *Server) beginAttempt(ctx context.Context, username string, r *http.Request) (*identity.Attempt, time.Duration, error) {
	return s.id.BeginAttempt(ctx, username, remoteHost(r))
}

// failed audits a failed attempt and the locks it earned, and returns the
// message for the person: what was wrong, and how long to wait if the
// account or address is now locked.
func (s *Server) failed(r *http.Request, t *identity.Attempt, u identity.User, username, what string) string {
	ctx := context.WithoutCancel(r.Context())
	s.auditTo(ctx, auditlog.Entry{At: s.now().UTC(), UserID: u.ID, Username: username, OrganisationID: u.OrganisationID, Action: auditlog.SignInFailed, RemoteAddr: r.RemoteAddr, Detail: what})
	msg := ""
	for subject, until := range t.Locks() {
		d := until.Sub(s.now())
		s.log.Warn("sign-in locked", "subject", subject, "for", d.Round(time.Second))
		s.auditTo(ctx, auditlog.Entry{At: s.now().UTC(), UserID: u.ID, Username: username, OrganisationID: u.OrganisationID, Action: auditlog.SignInLocked, RemoteAddr: r.RemoteAddr,
			Detail: fmt.Sprintf("%s locked for %s after repeated failed sign-ins", subject, d.Round(time.Second))})
		msg = " Too many attempts; " + auth.WaitMessage(d) + "."
	}
	return msg
}

// refusedLocked audits and answers an attempt refused unchecked.
func (s *Server) refusedLocked(w http.ResponseWriter, r *http.Request, username string, wait time.Duration, render func(code int, msg string) error) error {
	s.auditTo(context.WithoutCancel(r.Context()), auditlog.Entry{At: s.now().UTC(), Username: username, Action: auditlog.SignInFailed, RemoteAddr: r.RemoteAddr, Detail: "refused while locked"})
	w.Header().Set("Retry-After", fmt.Sprint(int((wait+time.Second-1)/time.Second)))
	return render(http.StatusTooManyRequests, "Too many attempts; "+auth.WaitMessage(wait)+".")
}

// login checks a username and password. With a second factor to give,
// the browser gets a pending token and the code page; otherwise a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return httpx.BadRequest("the form could not be read")
	}
	name, pass, next := r.PostForm.Get("username"), r.PostForm.Get("password"), r.PostForm.Get("next")
	render := func(code int, msg string) error { return s.renderLogin(w, code, msg, name, next) }
	if !checkLoginToken(r) {
		return render(http.StatusForbidden, "The sign-in form had expired or did not come from this server. Please sign in again.")
	}
	ctx := r.Context()
	t, wait, err := s.beginAttempt(ctx, name, r)
	if err != nil {
		return err
	}
	if wait > 0 {
		return s.refusedLocked(w, r, name, wait, render)
	}
	u, ok, err := s.id.CheckPassword(ctx, name, pass)
	if err != nil {
		return err
	}
	if !ok {
		return render(http.StatusUnauthorized, "Wrong username or password."+s.failed(r, t, u, name, "wrong username or password"))
	}
	if s.secondFactorDue(u) && u.TOTPEnabled {
		// The account's count stands until the code is given: guessing
		// codes costs attempts like guessing passwords.
		s.id.PasswordPassed(ctx, t)
		return s.startPending(w, r, u, next, false)
	}
	s.id.Succeeded(ctx, t)
	return s.signedIn(w, r, u, "password", next, false)
}

// startPending issues the token that stands between the password and the
// second factor.
func (s *Server) startPending(w http.ResponseWriter, r *http.Request, u identity.User, next string, viaOtherSite bool) error {
	token, err := s.id.StartPending(r.Context(), u, remoteHost(r), r.UserAgent())
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: token, Path: "/login", MaxAge: int(identity.PendingLife / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opt.TLS})
	target := "/login/totp"
	if safeNext(next) {
		target += "?next=" + url.QueryEscape(next)
	}
	if viaOtherSite {
		return s.console.Render(w, "signed_in.html", http.StatusOK, target)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// pending returns the sign-in awaiting its second factor, if the browser
// has one.
func (s *Server) pending(r *http.Request) (identity.Token, identity.User, string, bool) {
	c, err := r.Cookie(pendingCookie)
	if err != nil || c.Value == "" {
		return identity.Token{}, identity.User{}, "", false
	}
	tok, u, err := s.id.Pending(r.Context(), c.Value)
	if err != nil {
		return identity.Token{}, identity.User{}, "", false
	}
	return tok, u, c.Value, true
}

func (s *Server) totpPage(w http.ResponseWriter, r *http.Request) error {
	_, u, secret, ok := s.pending(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	return s.console.Render(w, "login_totp.html", http.StatusOK, map[string]any{"Username": u.Username, "CSRF": csrfToken(secret), "Next": safeOr(r.URL.Query().Get("next"))})
}

// loginTOTP takes the second factor: a TOTP code, or a recovery code.
func (s *Server) loginTOTP(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return httpx.BadRequest("the form could not be read")
	}
	tok, u, secret, ok := s.pending(r)
	if !ok {
		return s.renderLogin(w, http.StatusUnauthorized, "The sign-in waited too long for its code. Please sign in again.", "", r.PostForm.Get("next"))
	}
	if err := checkCSRF(r, secret); err != nil {
		return err
	}
	next := safeOr(r.PostForm.Get("next"))
	render := func(code int, msg string) error {
		return s.console.Render(w, "login_totp.html", code, map[string]any{"Username": u.Username, "CSRF": csrfToken(secret), "Next": next, "Error": msg})
	}
	ctx := r.Context()
	t, wait, err := s.beginAttempt(ctx, u.Username, r)
	if err != nil {
		return err
	}
	if wait > 0 {
		return s.refusedLocked(w, r, u.Username, wait, render)
	}
	how, err := s.id.CheckSecondFactor(ctx, u, r.PostForm.Get("code"))
	if err != nil {
		return err
	}
	if how == "" {
		return render(http.StatusUnauthorized, "Wrong code."+s.failed(r, t, u, u.Username, "wrong second-factor code"))
	}
	s.id.Succeeded(ctx, t)
	if err := s.id.EndPending(ctx, tok); err != nil {
		s.log.Error("ending a sign-in's pending step", "user", u.ID, "err", err)
	}
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opt.TLS})
	return s.signedIn(w, r, u, "password and "+how, next, false)
}

// signedIn starts a session: a token of kind session in an HttpOnly,
// SameSite=Strict cookie. viaOtherSite is set when the browser arrived
// from another site (an OpenID provider's redirect), which would not send
// a Strict cookie on a redirect onward: it gets a page that moves on
// instead.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, u identity.User, how, next string, viaOtherSite bool) error {
	ctx := r.Context()
	token, t, err := s.id.StartSession(ctx, httpx.UserActor(u, r), u, identity.Session{How: how, RemoteAddr: remoteHost(r), UserAgent: r.UserAgent()})
	if err != nil {
		return err
	}
	exp := *t.ExpiresAt
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: exp,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opt.TLS,
	})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opt.TLS})
	target := s.afterSignIn(u, next)
	if viaOtherSite {
		return s.console.Render(w, "signed_in.html", http.StatusOK, target)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// safeNext admits only this site's own console paths as a place to go
// after signing in, so the login page cannot be used to bounce a user to
// another site. Every taker of next (password and code steps, the forced
// password change, single sign-on's return) asks it, through safeOr or
// directly.
//
// A browser reads a Location by the WHATWG URL rules, not Go's: it strips
// leading and trailing C0 controls and spaces, removes ASCII tab and
// newline anywhere, and takes a backslash for a slash, so "/\t/evil" is
// "//evil", another host. Rather than imitate that reading, next is held
// to printable ASCII without spaces or backslashes (a path the console
// makes is always escaped so), must start with one slash and no second,
// and its path must still pass once percent-decoded, in case anything on
// the way decodes it again (the query may hold escaped spaces: decoded or
// not, it cannot name a host).
func safeNext(p string) bool {
	if !sameSitePath(p) {
		return false
	}
	path := p
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	d, err := url.PathUnescape(path)
	return err == nil && sameSitePath(d)
}

// sameSitePath is safeNext's test of one form of next.
func sameSitePath(p string) bool {
	if p == "" || p[0] != '/' || len(p) > 1 && p[1] == '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return false
		}
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Opaque == "" && u.Host == "" && u.User == nil
}

func safeOr(p string) string {
	if safeNext(p) {
		return p
	}
	return ""
}

// logout ends the session, in the database as well as in the browser.
// Like every state-changing request made with the session cookie it needs
// the CSRF token (csrf.go), so a hostile page cannot sign an operator out
// mid-incident. (An Origin check would not do: with Referrer-Policy
// no-referrer, browsers send "Origin: null".)
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	id, _ := r.Context().Value(sessionKey).(int64)
	if err := s.id.SignOut(r.Context(), httpx.Actor(r), id); err != nil {
		// The browser is signed out whatever the database says.
		s.log.Error("signing out", "user", httpx.User(r.Context()).ID, "err", err)
	}
	s.clearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opt.TLS})
}

// passwordPage is where a user changes their password, and where one whose
// password was set by someone else is sent until they do.
func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPassword(w, r, http.StatusOK, "")
}

func (s *Server) renderPassword(w http.ResponseWriter, r *http.Request, code int, msg string) error {
	u := httpx.User(r.Context())
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostFormValue("next")
	}
	data := map[string]any{"Forced": u.MustChangePassword, "Error": msg, "Next": safeOr(next)}
	if u.PasswordHash == "" {
		data["NoPassword"] = u.OIDCIssuer
	}
	token := httpx.CSRF(r.Context())
	return s.console.Render(w, "password.html", code, console.Page{Title: "Change password", User: u, CSRF: token, Data: data})
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := httpx.User(ctx)
	if u.PasswordHash == "" {
		return httpx.Errorf(http.StatusBadRequest, "this account signs in through single sign-on and has no password", nil)
	}
	cur, next, confirm := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	// Guessing the current password here costs attempts like signing in,
	// or a stolen session would be a way round the lockout.
	t, wait, err := s.beginAttempt(ctx, u.Username, r)
	if err != nil {
		return err
	}
	if wait > 0 {
		return s.refusedLocked(w, r, u.Username, wait, func(code int, msg string) error { return s.renderPassword(w, r, code, msg) })
	}
	if ok, err := auth.VerifyPassword(u.PasswordHash, cur); err != nil || !ok {
		return s.renderPassword(w, r, http.StatusUnauthorized, "The current password is wrong."+s.failed(r, t, u, u.Username, "wrong current password at password change"))
	}
	s.id.Succeeded(ctx, t)
	// Whoever else knew the old password is signed out.
	current, _ := ctx.Value(sessionKey).(int64)
	if _, err := s.id.ChangePassword(ctx, httpx.UserActor(u, r), u, cur, next, confirm, current); errors.Is(err, problem.ErrInvalid) {
		return s.renderPassword(w, r, http.StatusBadRequest, problem.Message(err, "The new password breaks a rule."))
	} else if err != nil {
		return err
	}
	u.MustChangePassword = false
	http.Redirect(w, r, s.afterSignIn(u, r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}

// auditTo writes e in ctx for the sign-in flows, which go ahead even
// when the trail cannot be written (the failure is logged instead), and
// whose request context may end before the record is written.
func (s *Server) auditTo(ctx context.Context, e auditlog.Entry) {
	if err := s.opt.Audit.Append(ctx, e); err != nil {
		s.log.Error("audit trail", "action", e.Action.String(), "err", err)
	}
}
