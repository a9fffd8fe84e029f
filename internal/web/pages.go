package web

import (
	"net/http"

	"github.com/vigil-cctv/vigil/internal/store"
)

func (s *Server) render(w http.ResponseWriter, name string, code int, data any) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	return s.tmpl.ExecuteTemplate(w, name, data)
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
