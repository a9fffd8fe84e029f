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
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
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
	// pendingLife is how long the second-factor step waits for its code.
	pendingLife = 5 * time.Minute
	// touchEvery bounds the writes that keep a session's last use: the
	// idle timeout is measured to within this.
	touchEvery = time.Minute
	// maxUsername bounds what a sign-in form can make the server count.
	maxUsername = 200
)

// SignInOptions say how long sign-ins last and how failures are slowed.
// Zero fields take the defaults in New.
type SignInOptions struct {
	SessionIdle, SessionLifetime time.Duration
	TokenMaxLifetime             time.Duration
	Account, Address             auth.Lockout
}

func (o *SignInOptions) fill() {
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 12 * time.Hour
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = min(time.Hour, o.SessionLifetime)
	}
	if o.TokenMaxLifetime <= 0 {
		o.TokenMaxLifetime = 90 * 24 * time.Hour
	}
	if o.Account.Threshold <= 0 {
		o.Account = auth.Lockout{Threshold: 5, Base: time.Minute, Max: time.Hour}
	}
	if o.Address.Threshold <= 0 {
		o.Address = auth.Lockout{Threshold: 20, Base: o.Account.Base, Max: o.Account.Max}
	}
	// An account's failures are forgotten a day after the last; an
	// address's sooner, since many people share one.
	if o.Account.Forget <= 0 {
		o.Account.Forget = 24 * time.Hour
	}
	if o.Address.Forget <= 0 {
		o.Address.Forget = time.Hour
	}
}

// needsSecondFactor says whether a user must sign in with a second
// factor: anyone any of whose roles sees footage (live, recorded, export
// or PTZ). Administrators and auditors, who see none, are not asked. If
// the rights cannot be read the answer is yes.
func (s *Server) needsSecondFactor(u store.User) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := s.principal(ctx, u)
	if err != nil {
		s.log.Error("reading a user's rights for their second factor", "user", u.ID, "err", err)
		return true
	}
	return a.p.Holds()&rights.Footage != 0
}

// secondFactorDue says whether Vigil asks this user for its own second
// factor: their role needs one, unless they sign in through an OpenID
// provider trusted to ask for one itself.
func (s *Server) secondFactorDue(u store.User) bool {
	if u.OIDCSubject != "" && s.opt.OIDC.TrustProviderMFA {
		return false
	}
	return s.needsSecondFactor(u)
}

// setupStep is where a signed-in user must go before anything else, and
// what the API says meanwhile; "" when they are free to go anywhere.
func (s *Server) setupStep(u store.User, byCookie bool) (path, msg string) {
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
func (s *Server) afterSignIn(u store.User, next string) string {
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
	return s.render(w, "login.html", code, data)
}

// throttled is one sign-in attempt, counted in advance against its
// account and its address.
type throttled struct {
	account, address string
	// locks are the subjects this attempt's failure locks, and until when.
	locks map[string]time.Time
}

// beginAttempt counts an attempt on both subjects, or says how long to
// wait when either is locked (counting nothing then).
func (s *Server) beginAttempt(ctx context.Context, username string, r *http.Request) (*throttled, time.Duration, error) {
	if len(username) > maxUsername {
		username = username[:maxUsername]
	}
	t := &throttled{account: "user:" + username, address: "addr:" + remoteHost(r), locks: map[string]time.Time{}}
	wait, err := s.countAttempt(ctx, t, t.address, s.opt.SignIn.Address)
	if err != nil || wait > 0 {
		return nil, wait, err
	}
	wait, err = s.countAttempt(ctx, t, t.account, s.opt.SignIn.Account)
	if err != nil || wait > 0 {
		// Not an attempt after all: the address should not pay for it.
		s.settle(ctx, t.address, s.opt.SignIn.Address.Undo)
		return nil, wait, err
	}
	return t, 0, nil
}

func (s *Server) countAttempt(ctx context.Context, t *throttled, subject string, p auth.Lockout) (time.Duration, error) {
	for range 20 {
		cur, err := s.st.Throttle(ctx, subject)
		if err != nil {
			return 0, err
		}
		now := s.now()
		next, wait := p.Begin(auth.Attempts{Failures: cur.Failures, LockedUntil: cur.LockedUntil, LastFailure: cur.LastFailure}, now)
		if wait > 0 {
			return wait, nil
		}
		ok, err := s.st.SwapThrottle(ctx, cur, store.Throttle{Subject: subject, Failures: next.Failures, LockedUntil: next.LockedUntil, LastFailure: next.LastFailure})
		if err != nil {
			return 0, err
		}
		if ok {
			if next.LockedUntil.After(now) {
				t.locks[subject] = next.LockedUntil
			}
			return 0, nil
		}
	}
	return 0, errors.New("sign-in counts: too many sign-ins at once for one subject")
}

// settle rewrites a subject's record after an attempt succeeded.
func (s *Server) settle(ctx context.Context, subject string, fn func(auth.Attempts) auth.Attempts) {
	for range 20 {
		cur, err := s.st.Throttle(ctx, subject)
		if err != nil {
			s.log.Error("sign-in counts: read", "subject", subject, "err", err)
			return
		}
		next := fn(auth.Attempts{Failures: cur.Failures, LockedUntil: cur.LockedUntil, LastFailure: cur.LastFailure})
		ok, err := s.st.SwapThrottle(ctx, cur, store.Throttle{Subject: subject, Failures: next.Failures, LockedUntil: next.LockedUntil, LastFailure: next.LastFailure})
		if err != nil {
			s.log.Error("sign-in counts: write", "subject", subject, "err", err)
			return
		}
		if ok {
			return
		}
	}
}

// succeeded clears the account's count and takes this attempt back from
// the address's.
func (s *Server) succeeded(ctx context.Context, t *throttled) {
	s.settle(ctx, t.account, func(auth.Attempts) auth.Attempts { return auth.Attempts{} })
	s.settle(ctx, t.address, s.opt.SignIn.Address.Undo)
}

// failed audits a failed attempt and the locks it earned, and returns the
// message for the person: what was wrong, and how long to wait if the
// account or address is now locked.
func (s *Server) failed(r *http.Request, t *throttled, u store.User, username, what string) string {
	ctx := context.WithoutCancel(r.Context())
	s.auditTo(ctx, auditlog.Entry{At: s.now().UTC(), UserID: u.ID, Username: username, OrganisationID: u.OrganisationID, Action: auditlog.SignInFailed, RemoteAddr: r.RemoteAddr, Detail: what})
	msg := ""
	for subject, until := range t.locks {
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
		return badRequest("the form could not be read")
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
	u, err := s.st.UserByName(ctx, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// Unknown users, and users without a password (single sign-on), cost
	// the same hash as the rest, so timing does not tell them apart.
	hash := u.PasswordHash
	if err != nil || hash == "" {
		hash = dummyHash
	}
	ok, verr := auth.VerifyPassword(hash, pass)
	if err != nil || u.PasswordHash == "" || verr != nil || !ok {
		return render(http.StatusUnauthorized, "Wrong username or password."+s.failed(r, t, u, name, "wrong username or password"))
	}
	if s.secondFactorDue(u) && u.TOTPEnabled {
		// The account's count stands until the code is given: guessing
		// codes costs attempts like guessing passwords.
		s.settle(ctx, t.address, s.opt.SignIn.Address.Undo)
		return s.startPending(w, r, u, next, false)
	}
	s.succeeded(ctx, t)
	return s.signedIn(w, r, u, "password", next, false)
}

// startPending issues the token that stands between the password and the
// second factor.
func (s *Server) startPending(w http.ResponseWriter, r *http.Request, u store.User, next string, viaOtherSite bool) error {
	token, hash := auth.NewToken()
	exp := s.now().Add(pendingLife)
	if err := s.st.CreateToken(r.Context(), &store.Token{UserID: u.ID, Name: "sign-in awaiting second factor", Hash: hash, ExpiresAt: &exp,
		Kind: store.TokenPending, RemoteAddr: remoteHost(r), UserAgent: r.UserAgent()}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: token, Path: "/login", MaxAge: int(pendingLife / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opt.TLS})
	target := "/login/totp"
	if safeNext(next) {
		target += "?next=" + url.QueryEscape(next)
	}
	if viaOtherSite {
		return s.render(w, "signed_in.html", http.StatusOK, target)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// pending returns the sign-in awaiting its second factor, if the browser
// has one.
func (s *Server) pending(r *http.Request) (store.Token, store.User, string, bool) {
	c, err := r.Cookie(pendingCookie)
	if err != nil || c.Value == "" {
		return store.Token{}, store.User{}, "", false
	}
	tok, u, err := s.st.TokenByHash(r.Context(), auth.HashToken(c.Value), store.TokenPending)
	if err != nil {
		return store.Token{}, store.User{}, "", false
	}
	return tok, u, c.Value, true
}

func (s *Server) totpPage(w http.ResponseWriter, r *http.Request) error {
	_, u, secret, ok := s.pending(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	return s.render(w, "login_totp.html", http.StatusOK, map[string]any{"Username": u.Username, "CSRF": csrfToken(secret), "Next": safeOr(r.URL.Query().Get("next"))})
}

// loginTOTP takes the second factor: a TOTP code, or a recovery code.
func (s *Server) loginTOTP(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badRequest("the form could not be read")
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
		return s.render(w, "login_totp.html", code, map[string]any{"Username": u.Username, "CSRF": csrfToken(secret), "Next": next, "Error": msg})
	}
	ctx := r.Context()
	t, wait, err := s.beginAttempt(ctx, u.Username, r)
	if err != nil {
		return err
	}
	if wait > 0 {
		return s.refusedLocked(w, r, u.Username, wait, render)
	}
	how, err := s.checkSecondFactor(ctx, u, r.PostForm.Get("code"))
	if err != nil {
		return err
	}
	if how == "" {
		return render(http.StatusUnauthorized, "Wrong code."+s.failed(r, t, u, u.Username, "wrong second-factor code"))
	}
	s.succeeded(ctx, t)
	s.st.DeleteToken(ctx, u.ID, tok.ID, store.TokenPending)
	http.SetCookie(w, &http.Cookie{Name: pendingCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opt.TLS})
	return s.signedIn(w, r, u, "password and "+how, next, false)
}

// checkSecondFactor returns how the user proved it ("TOTP code", "recovery
// code"), or "" when the code is wrong or already used.
func (s *Server) checkSecondFactor(ctx context.Context, u store.User, code string) (string, error) {
	if auth.LooksLikeRecoveryCode(code) {
		ok, err := s.st.UseRecoveryCode(ctx, u.ID, auth.HashRecoveryCode(code))
		if err != nil || !ok {
			return "", err
		}
		return "recovery code", nil
	}
	secret, err := s.totpSecret(ctx, u)
	if err != nil {
		return "", err
	}
	step, ok := auth.TOTPStep(secret, code, s.now())
	if !ok {
		return "", nil
	}
	// The step is spent, so a code seen once cannot be used again.
	fresh, err := s.st.UseTOTPStep(ctx, u.ID, step)
	if err != nil || !fresh {
		return "", err
	}
	return "TOTP code", nil
}

// totpAD binds a sealed TOTP secret to its user.
func totpAD(userID int64) []byte { return fmt.Appendf(nil, "vigil totp v1 user %d", userID) }

func (s *Server) totpSecret(ctx context.Context, u store.User) (string, error) {
	sealed, err := s.st.UserTOTP(ctx, u.ID)
	if err != nil {
		return "", err
	}
	plain, err := s.opt.Secrets.Open(sealed, totpAD(u.ID))
	if err != nil {
		return "", fmt.Errorf("user %d's TOTP secret: %w", u.ID, err)
	}
	return string(plain), nil
}

// signedIn starts a session: a token of kind session in an HttpOnly,
// SameSite=Strict cookie. viaOtherSite is set when the browser arrived
// from another site (an OpenID provider's redirect), which would not send
// a Strict cookie on a redirect onward: it gets a page that moves on
// instead.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, u store.User, how, next string, viaOtherSite bool) error {
	ctx := r.Context()
	token, hash := auth.NewToken()
	now := s.now()
	exp := now.Add(s.opt.SignIn.SessionLifetime)
	if err := s.st.CreateToken(ctx, &store.Token{UserID: u.ID, Name: "console session", Hash: hash, ExpiresAt: &exp, LastUsedAt: &now,
		Kind: store.TokenSession, RemoteAddr: remoteHost(r), UserAgent: r.UserAgent()}); err != nil {
		return err
	}
	s.auditTo(ctx, auditlog.Entry{At: now.UTC(), UserID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, Action: auditlog.SignIn, RemoteAddr: r.RemoteAddr, Detail: how})
	if n, err := s.st.DeleteExpiredTokens(ctx, now); err == nil && n > 0 {
		s.log.Debug("expired tokens removed", "count", n)
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: exp,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opt.TLS,
	})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opt.TLS})
	target := s.afterSignIn(u, next)
	if viaOtherSite {
		return s.render(w, "signed_in.html", http.StatusOK, target)
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

var dummyHash, _ = auth.HashPassword("not a real password, only spends time")

// logout ends the session, in the database as well as in the browser.
// Like every state-changing request made with the session cookie it needs
// the CSRF token (csrf.go), so a hostile page cannot sign an operator out
// mid-incident. (An Origin check would not do: with Referrer-Policy
// no-referrer, browsers send "Origin: null".)
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	u := userFrom(r.Context())
	if id, ok := r.Context().Value(sessionKey).(int64); ok {
		s.st.DeleteToken(r.Context(), u.ID, id, store.TokenSession)
	}
	s.auditTo(r.Context(), auditlog.Entry{At: s.now().UTC(), UserID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, Action: auditlog.SignOut, RemoteAddr: r.RemoteAddr})
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
	u := userFrom(r.Context())
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostFormValue("next")
	}
	data := map[string]any{"Forced": u.MustChangePassword, "Error": msg, "Next": safeOr(next)}
	if u.PasswordHash == "" {
		data["NoPassword"] = u.OIDCIssuer
	}
	token, _ := r.Context().Value(csrfKey).(string)
	return s.render(w, "password.html", code, page{Title: "Change password", User: u, CSRF: token, Data: data})
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := userFrom(ctx)
	if u.PasswordHash == "" {
		return errorf(http.StatusBadRequest, "this account signs in through single sign-on and has no password", nil)
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
	s.succeeded(ctx, t)
	switch {
	case next != confirm:
		return s.renderPassword(w, r, http.StatusBadRequest, "The two new passwords differ.")
	case next == cur:
		return s.renderPassword(w, r, http.StatusBadRequest, "The new password must differ from the current one.")
	case len(u.Username) >= 3 && strings.Contains(strings.ToLower(next), strings.ToLower(u.Username)):
		return s.renderPassword(w, r, http.StatusBadRequest, "The new password must not contain your username.")
	}
	if err := auth.CheckPasswordStrength(next); err != nil {
		return s.renderPassword(w, r, http.StatusBadRequest, "The new password is too weak: "+strings.TrimPrefix(err.Error(), "auth: ")+".")
	}
	hash, err := auth.HashPassword(next)
	if err != nil {
		return err
	}
	if err := s.st.SetPassword(ctx, u.ID, hash, false); err != nil {
		return err
	}
	// Whoever else knew the old password is signed out.
	current, _ := ctx.Value(sessionKey).(int64)
	ended, err := s.st.DeleteUserTokens(ctx, u.ID, store.TokenSession, current)
	if err != nil {
		return err
	}
	s.st.DeleteUserTokens(ctx, u.ID, store.TokenPending, 0)
	s.auditTo(ctx, auditlog.Entry{At: s.now().UTC(), UserID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, Action: auditlog.PasswordChange, RemoteAddr: r.RemoteAddr,
		Detail: fmt.Sprintf("other sessions ended: %d", ended)})
	u.MustChangePassword = false
	http.Redirect(w, r, s.afterSignIn(u, r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}
