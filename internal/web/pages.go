package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/store"
)

// sessionLife is how long a console sign-in lasts.
const sessionLife = 12 * time.Hour

func (s *Server) render(w http.ResponseWriter, name string, code int, data any) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	return s.tmpl.ExecuteTemplate(w, name, data)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, "login.html", http.StatusOK, map[string]any{})
}

// login checks a username and password and starts a session: a token of
// the same kind as API tokens, held in an HttpOnly, SameSite=Strict cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badRequest("the form could not be read")
	}
	name, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
	fail := func() error {
		s.st.AddAudit(r.Context(), &store.AuditEntry{At: s.now().UTC(), Username: name, Action: "signin.failed", RemoteAddr: r.RemoteAddr})
		return s.render(w, "login.html", http.StatusUnauthorized, map[string]any{"Error": "Wrong username or password.", "Username": name})
	}
	u, err := s.st.UserByName(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		// Spend the same time as a real check, so timing does not tell
		// which usernames exist.
		auth.VerifyPassword(dummyHash, pass)
		return fail()
	}
	if err != nil {
		return err
	}
	ok, err := auth.VerifyPassword(u.PasswordHash, pass)
	if err != nil || !ok {
		return fail()
	}
	token, hash := auth.NewToken()
	exp := s.now().Add(sessionLife)
	if err := s.st.CreateToken(r.Context(), &store.Token{UserID: u.ID, Name: "console session", Hash: hash, ExpiresAt: &exp}); err != nil {
		return err
	}
	s.st.AddAudit(r.Context(), &store.AuditEntry{At: s.now().UTC(), UserID: u.ID, Username: u.Username, Action: "signin", RemoteAddr: r.RemoteAddr})
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: exp,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opt.SecureCookies,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

var dummyHash, _ = auth.HashPassword("not a real password, only spends time")

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	// SameSite=Strict keeps other sites from posting here with the cookie;
	// the Origin check is for browsers that ignore it.
	if o := r.Header.Get("Origin"); o != "" && subtle.ConstantTimeCompare([]byte(o), []byte("http://"+r.Host)) == 0 && subtle.ConstantTimeCompare([]byte(o), []byte("https://"+r.Host)) == 0 {
		return errorf(http.StatusForbidden, "cross-site request refused", nil)
	}
	u := userFrom(r.Context())
	s.st.AddAudit(r.Context(), &store.AuditEntry{At: s.now().UTC(), UserID: u.ID, Username: u.Username, Action: "signout", RemoteAddr: r.RemoteAddr})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// home lists the cameras, each with the last minute of its footage.
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cameraList(r.Context())
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Second)
	return s.render(w, "home.html", http.StatusOK, map[string]any{
		"User":    userFrom(r.Context()),
		"Cameras": list,
		"Start":   now.Add(-time.Minute),
		"End":     now,
	})
}
