package web

import (
	"encoding/base32"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"

	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/web/console"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// A user's own account: their sessions and API tokens (listed, made,
// revoked) and their second factor. Nobody sees or ends another user's
// sessions here; an administrator does that through the API.

// sessionJSON is a console session as the API shows it.
type sessionJSON struct {
	ID         int64      `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RemoteAddr string     `json:"remote_addr"`
	UserAgent  string     `json:"user_agent"`
	Current    bool       `json:"current"`
}

// tokenJSON is an API token as the API shows it; the secret itself only
// once, when it is made.
type tokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Token      string     `json:"token,omitempty"`
}

// credentials lists a user's live sessions and API tokens.
func (s *Server) credentials(r *http.Request, userID int64) ([]sessionJSON, []tokenJSON, error) {
	c, err := s.id.Credentials(r.Context(), userID)
	if err != nil {
		return nil, nil, err
	}
	current, _ := r.Context().Value(sessionKey).(int64)
	sessions, tokens := []sessionJSON{}, []tokenJSON{}
	for _, t := range c.Sessions {
		sessions = append(sessions, sessionJSON{ID: t.ID, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, ExpiresAt: t.ExpiresAt,
			RemoteAddr: t.RemoteAddr, UserAgent: t.UserAgent, Current: t.ID == current})
	}
	for _, t := range c.Tokens {
		tokens = append(tokens, tokenJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt})
	}
	return sessions, tokens, nil
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, "", "")
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, message, newToken string) error {
	u := httpx.User(r.Context())
	sessions, tokens, err := s.credentials(r, u.ID)
	if err != nil {
		return err
	}
	left, err := s.id.RecoveryCodesLeft(r.Context(), u.ID)
	if err != nil {
		return err
	}
	return s.console.Show(w, r, "account.html", "Account", "account", map[string]any{
		"Sessions": sessions, "Tokens": tokens, "Message": message, "NewToken": newToken, "CodesLeft": left,
		"MaxDays": int(s.opt.SignIn.TokenMaxLifetime / (24 * time.Hour)),
	})
}

// accountRevoke ends one of the user's sessions or API tokens from the
// account page; ending the current session signs out.
func (s *Server) accountRevoke(w http.ResponseWriter, r *http.Request) error {
	u := httpx.User(r.Context())
	id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err != nil {
		return httpx.BadRequest("no session or token named")
	}
	kind, err := s.id.Revoke(r.Context(), httpx.UserActor(u, r), id, identity.TokenAPI, identity.TokenSession)
	if identity.IsUnknown(err) {
		return httpx.Errorf(http.StatusNotFound, "you have no such session or token", nil)
	}
	if err != nil {
		return httpx.Refusal(err)
	}
	if current, _ := r.Context().Value(sessionKey).(int64); kind == identity.TokenSession && id == current {
		s.clearSession(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	return s.renderAccount(w, r, "Done: the "+map[string]string{identity.TokenAPI: "token", identity.TokenSession: "session"}[kind]+" is ended.", "")
}

// accountToken makes an API token from the account page.
func (s *Server) accountToken(w http.ResponseWriter, r *http.Request) error {
	days, err := strconv.Atoi(r.PostFormValue("days"))
	if err != nil || days < 1 {
		return httpx.BadRequest("give the token's lifetime in whole days")
	}
	exp := s.now().Add(time.Duration(days) * 24 * time.Hour)
	tok, _, err := s.makeToken(r, r.PostFormValue("name"), &exp)
	if err != nil {
		return err
	}
	return s.renderAccount(w, r, "", tok)
}

// tokenInput is the body of POST /api/v1/tokens.
type tokenInput struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// makeToken makes an API token for the signed-in user. Only a console
// session may: a token that could make tokens would outlive itself.
func (s *Server) makeToken(r *http.Request, name string, exp *time.Time) (string, identity.Token, error) {
	u := httpx.User(r.Context())
	_, fromSession := r.Context().Value(sessionKey).(int64)
	secret, t, err := s.id.CreateToken(r.Context(), httpx.UserActor(u, r), u, identity.NewToken{Name: name, ExpiresAt: exp, FromSession: fromSession,
		RemoteAddr: remoteHost(r), UserAgent: r.UserAgent()})
	if err != nil {
		return "", t, httpx.Refusal(err)
	}
	return secret, t, nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	_, tokens, err := s.credentials(r, httpx.User(r.Context()).ID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, tokens)
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in tokenInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	secret, t, err := s.makeToken(r, in.Name, in.ExpiresAt)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, tokenJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, Token: secret})
	return nil
}

// deleteOwn ends one of the signed-in user's tokens of a kind.
func (s *Server) deleteOwn(kind string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, kind)
		if err != nil {
			return err
		}
		if _, err := s.id.Revoke(r.Context(), httpx.Actor(r), id, kind); identity.IsUnknown(err) {
			return httpx.Errorf(http.StatusNotFound, fmt.Sprintf("you have no %s %d", kind, id), nil)
		} else if err != nil {
			return httpx.Refusal(err)
		}
		if current, _ := r.Context().Value(sessionKey).(int64); kind == identity.TokenSession && id == current {
			s.clearSession(w)
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	sessions, _, err := s.credentials(r, httpx.User(r.Context()).ID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, sessions)
	return nil
}

// userSessions lets someone who manages a user's organisation list (GET)
// or end (DELETE) every session of that user: for a lost laptop, or
// someone who has left. A user outside what they manage is "no user N".
func (s *Server) userSessions(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodDelete {
		id, err := httpx.PathID(r, "user")
		if err != nil {
			return err
		}
		var in struct {
			Reason string `json:"reason"`
		}
		if err := httpx.DecodeOptionalJSON(r, &in); err != nil {
			return err
		}
		n, err := s.id.RevokeSessions(r.Context(), httpx.IdentityCaller(r), id, in.Reason)
		if err != nil {
			return httpx.Refusal(err)
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]int64{"ended": n})
		return nil
	}
	id, err := httpx.PathID(r, "user")
	if err != nil {
		return err
	}
	target, err := s.id.TargetUser(r.Context(), httpx.IdentityCaller(r), id)
	if err != nil {
		return httpx.Refusal(err)
	}
	sessions, _, err := s.credentials(r, target.ID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, sessions)
	return nil
}

// totpEnrolment is what the enrolment page shows.
type totpEnrolment struct {
	Secret, SecretGroups string
	// URI is an otpauth:// link, a scheme html/template would blank
	// out: it is built here from the key and an escaped name.
	URI               template.URL
	QR                template.HTML
	Enabled, Required bool
	CodesLeft         int
	Error, Next       string
	Codes             []string
}

// totpEnrolPage offers a new authenticator: a fresh secret as text, as an
// otpauth:// URI and as a QR code drawn here, with no script.
func (s *Server) totpEnrolPage(w http.ResponseWriter, r *http.Request) error {
	u := httpx.User(r.Context())
	if u.MustChangePassword {
		http.Redirect(w, r, "/password?next="+url.QueryEscape("/account/totp"), http.StatusSeeOther)
		return nil
	}
	secret, _, err := auth.NewTOTP("Vigil", u.Username)
	if err != nil {
		return err
	}
	return s.renderTOTP(w, r, http.StatusOK, secret, "")
}

func (s *Server) renderTOTP(w http.ResponseWriter, r *http.Request, code int, secret, msg string) error {
	u := httpx.User(r.Context())
	uri := totpURI(u.Username, secret)
	svg, err := qrSVG(uri)
	if err != nil {
		return err
	}
	left, err := s.id.RecoveryCodesLeft(r.Context(), u.ID)
	if err != nil {
		return err
	}
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostFormValue("next")
	}
	if !safeNext(next) {
		next = "/"
	}
	token := httpx.CSRF(r.Context())
	return s.console.Render(w, "totp.html", code, console.Page{Title: "Second factor", User: u, CSRF: token, Data: totpEnrolment{
		Secret: secret, SecretGroups: groups(secret, 4), URI: template.URL(uri), QR: svg,
		Enabled: u.TOTPEnabled, Required: s.secondFactorDue(u), CodesLeft: left, Error: msg, Next: next,
	}})
}

// totpURI is the otpauth:// URI of a secret (Key URI Format).
func totpURI(username, secret string) string {
	return "otpauth://totp/Vigil:" + url.PathEscape(username) + "?secret=" + secret + "&issuer=Vigil&algorithm=SHA1&digits=6&period=30"
}

// totpEnrol confirms a new authenticator with a code from it, then gives
// the user recovery codes, once.
func (s *Server) totpEnrol(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := httpx.User(ctx)
	if u.MustChangePassword {
		return httpx.Errorf(http.StatusForbidden, "change your password first (at /password)", nil)
	}
	secret := strings.ToUpper(strings.TrimSpace(r.PostFormValue("secret")))
	if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil || len(raw) < 16 || len(raw) > 64 {
		return httpx.BadRequest("the form's key is damaged; reload the page")
	}
	t, wait, err := s.beginAttempt(ctx, u.Username, r)
	if err != nil {
		return err
	}
	if wait > 0 {
		return s.refusedLocked(w, r, u.Username, wait, func(code int, msg string) error { return s.renderTOTP(w, r, code, secret, msg) })
	}
	if u.TOTPEnabled {
		// Replacing a factor takes the old one (or a recovery code), so
		// a session left open is not enough to take over the account.
		how, err := s.id.CheckSecondFactor(ctx, u, r.PostFormValue("current_code"))
		if err != nil {
			return err
		}
		if how == "" {
			return s.renderTOTP(w, r, http.StatusUnauthorized, secret, "The code from your current authenticator is wrong."+s.failed(r, t, u, u.Username, "wrong current second-factor code at enrolment"))
		}
	}
	step, ok := auth.TOTPStep(secret, r.PostFormValue("code"), s.now())
	if !ok {
		return s.renderTOTP(w, r, http.StatusBadRequest, secret, "That code does not match: check the phone's clock and try the next code."+s.failed(r, t, u, u.Username, "wrong code at enrolment"))
	}
	s.id.Succeeded(ctx, t)
	codes, err := s.id.EnrolTOTP(ctx, httpx.UserActor(u, r), u, secret, step)
	if err != nil {
		return httpx.Refusal(err)
	}
	next := r.PostFormValue("next")
	if !safeNext(next) {
		next = "/"
	}
	u.TOTPEnabled = true
	token := httpx.CSRF(ctx)
	return s.console.Render(w, "totp.html", http.StatusOK, console.Page{Title: "Second factor", User: u, CSRF: token, Data: totpEnrolment{Codes: codes, Next: next}})
}

// groups spaces s into groups of n characters, for reading and typing.
func groups(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

// qrSVG draws text as a QR code in SVG: one path of unit squares with the
// standard four-module quiet zone, dark on white, crisp at any size.
func qrSVG(text string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	n := code.Bounds().Dx()
	const quiet = 4
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code of the key"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="`, n+2*quiet, n+2*quiet)
	for y := range n {
		for x := range n {
			if r, _, _, _ := code.At(x, y).RGBA(); r < 0x8000 {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	// Only numbers and fixed text go into it: safe to embed as is.
	return template.HTML(b.String()), nil
}
