package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// A signed-in browser carries its session in a cookie, which the browser
// adds to any request, including one a hostile page makes it send. So a
// state-changing request authenticated by the cookie must also carry a
// token that only the console's own pages know: the CSRF token, in the
// X-CSRF-Token header (scripts) or the csrf form field (forms).
//
// The token is derived from the session's secret cookie value, so it needs
// no table and no server key, changes with every sign-in, and reveals
// nothing about the cookie (a hash cannot be inverted). SameSite=Strict
// already stops most cross-site requests; the token covers browsers and
// paths where it does not (a same-site subdomain, an old browser).

const (
	csrfHeader = "X-CSRF-Token"
	csrfField  = "csrf"
	// loginCookie holds the sign-in form's token before there is a
	// session (double submit), so a hostile page cannot sign a browser
	// in to an account of the attacker's choosing.
	loginCookie = "vigil_login"
)

// csrfToken is the token for a session cookie value.
func csrfToken(session string) string {
	sum := sha256.Sum256([]byte("vigil csrf v1\x00" + session))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// safeMethod reports whether a method changes nothing, so needs no token.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF refuses a state-changing request made with the session cookie
// that lacks the session's token.
func checkCSRF(r *http.Request, session string) error {
	if safeMethod(r.Method) {
		return nil
	}
	got := r.Header.Get(csrfHeader)
	if got == "" && isForm(r) {
		got = r.PostFormValue(csrfField)
	}
	if got == "" {
		return httpx.Errorf(http.StatusForbidden, "the request has no CSRF token; reload the page and try again", nil)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(csrfToken(session))) != 1 {
		return httpx.Errorf(http.StatusForbidden, "the request's CSRF token is wrong or from an earlier sign-in; reload the page and try again", nil)
	}
	return nil
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return len(ct) >= 33 && ct[:33] == "application/x-www-form-urlencoded" ||
		len(ct) >= 19 && ct[:19] == "multipart/form-data"
}

// newLoginToken sets the sign-in form's cookie and returns the value the
// form must post back.
func (s *Server) newLoginToken(w http.ResponseWriter) string {
	b := make([]byte, 24)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: loginCookie, Value: v, Path: "/login", MaxAge: 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opt.TLS,
	})
	return v
}

// checkLoginToken compares the sign-in form's token with its cookie.
func checkLoginToken(r *http.Request) bool {
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(csrfField))) == 1
}
