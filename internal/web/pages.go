package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/vigil-cctv/vigil/internal/audit"
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
	next := r.URL.Query().Get("next")
	if !safeNext(next) {
		next = ""
	}
	return s.render(w, "login.html", http.StatusOK, map[string]any{"CSRF": s.newLoginToken(w), "Next": next})
}

// login checks a username and password and starts a session: a token of
// the same kind as API tokens, held in an HttpOnly, SameSite=Strict cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return badRequest("the form could not be read")
	}
	name, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
	if !checkLoginToken(r) {
		return s.render(w, "login.html", http.StatusForbidden, map[string]any{
			"Error": "The sign-in form had expired or did not come from this server. Please sign in again.", "Username": name, "CSRF": s.newLoginToken(w), "Next": r.PostForm.Get("next")})
	}
	fail := func() error {
		s.auditLogged(r, audit.Entry{Username: name, Action: "signin.failed"})
		return s.render(w, "login.html", http.StatusUnauthorized, map[string]any{"Error": "Wrong username or password.", "Username": name, "CSRF": s.newLoginToken(w), "Next": r.PostForm.Get("next")})
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
	s.auditLogged(r, audit.Entry{UserID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, Action: "signin"})
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: exp,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.opt.SecureCookies,
	})
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	next := r.PostForm.Get("next")
	if !safeNext(next) {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// safeNext admits only this site's own console paths as a place to go
// after signing in, so the login page cannot be used to bounce a user to
// another site.
func safeNext(p string) bool {
	return len(p) > 0 && p[0] == '/' && (len(p) == 1 || p[1] != '/' && p[1] != '\\')
}

var dummyHash, _ = auth.HashPassword("not a real password, only spends time")

// logout ends the session. Like every state-changing request made with
// the session cookie it needs the CSRF token (csrf.go), so a hostile page
// cannot sign an operator out mid-incident. (An Origin check would not do:
// with Referrer-Policy no-referrer, browsers send "Origin: null".)
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	u := userFrom(r.Context())
	s.auditLogged(r, audit.Entry{UserID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, Action: "signout"})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// page is what every console page's template gets.
type page struct {
	Title string
	Nav   string // which item of the navigation is current
	User  store.User
	CSRF  string
	Can   permissions
	Data  any
}

// permissions say which controls a page shows. The server checks again on
// every request; hiding is for the operator's sake, not security.
type permissions struct {
	Export bool // download footage
	Manage bool // add, change and remove cameras
}

func permissionsOf(u store.User) permissions {
	switch u.Role {
	case "administrator":
		return permissions{Export: true, Manage: true}
	case "viewer":
		return permissions{}
	default:
		return permissions{Export: true}
	}
}

func (s *Server) page(w http.ResponseWriter, r *http.Request, tmpl, title, nav string, data any) error {
	u := userFrom(r.Context())
	token, _ := r.Context().Value(csrfKey).(string)
	return s.render(w, tmpl, http.StatusOK, page{Title: title, Nav: nav, User: u, CSRF: token, Can: permissionsOf(u), Data: data})
}

// wall is the live video wall: the camera tree, a grid of tiles and the
// operator's saved layouts. The tiles are filled by static/wall.js.
func (s *Server) wall(w http.ResponseWriter, r *http.Request) error {
	return s.page(w, r, "wall.html", "Live", "live", nil)
}

// playbackPage shows recorded footage of one or several cameras on one
// timeline, synchronised (static/playback.js).
func (s *Server) playbackPage(w http.ResponseWriter, r *http.Request) error {
	return s.page(w, r, "playback.html", "Playback", "playback", nil)
}

// mapPage draws the cameras at their positions, without map tiles from
// the internet (static/map.js).
func (s *Server) mapPage(w http.ResponseWriter, r *http.Request) error {
	return s.page(w, r, "map.html", "Map", "map", nil)
}
