package console

import (
	"net/http"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// Render writes template name with data: the console's pages, and the
// server's own (signing in, the password, the second factor, the
// account), whose templates are the console's too.
func (c *Console) Render(w http.ResponseWriter, name string, code int, data any) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	return c.tmpl.ExecuteTemplate(w, name, data)
}

// Page is what every console page's template gets.
type Page struct {
	Title string
	Nav   string // which item of the navigation is current
	User  identity.User
	CSRF  string
	Can   permissions
	Data  any
	// AuditAlarms are what the server found wrong with the audit trail,
	// shown as a banner to those who may read the trail.
	AuditAlarms []audit.Alarm
}

// permissions say which pages and controls a page shows: what one of the
// user's roles allows somewhere. Which cameras they apply to comes with
// each camera (its rights in the camera list). The server checks again on
// every request; hiding is for the operator's sake, not security.
type permissions struct {
	Live      bool // view live video
	Playback  bool // play back recorded footage
	Export    bool // export footage
	Manage    bool // add, change and remove cameras
	Users     bool // manage users
	Approvals bool // ask for or decide four-eyes approvals
	Audit     bool // read the audit trail
	// Maintenance: report faults on cameras one sees, or read the
	// maintenance record.
	Maintenance bool
	Trading     bool // read the trading company's customers and invoices
	Works       bool // read works contracts, budgets and orders
	Finance     bool // read the partnership's figures
}

func permissionsOf(p rights.Principal) permissions {
	h := p.Holds()
	return permissions{
		Live: h.Has(rights.ViewLive), Playback: h.Has(rights.PlayBack), Export: h.Has(rights.Export),
		Manage: h.Has(rights.ManageCameras), Users: h.Has(rights.ManageUsers),
		Approvals: h.Has(rights.Export) || h.Has(rights.ManageCameras) || h.Has(rights.ManageUsers),
		Audit:     h.Has(rights.ReadAudit),
		// Every camera action shows the camera, and so lets one report a
		// fault on it.
		Maintenance: h&(rights.Footage|rights.SetOf(rights.ManageCameras, rights.ReadFinance)) != 0,
		Trading:     h.Has(rights.ReadFinance),
		Works:       h.Has(rights.ReadFinance),
		Finance:     h.Has(rights.ReadFinance),
	}
}

// Show renders a console page for the signed-in user: template tmpl
// with its title, the navigation item nav marked current, and data.
func (c *Console) Show(w http.ResponseWriter, r *http.Request, tmpl, title, nav string, data any) error {
	a := accessOf(r)
	p := Page{Title: title, Nav: nav, User: a.User, CSRF: httpx.CSRF(r.Context()), Can: permissionsOf(a.P), Data: data}
	if p.Can.Audit && c.opt.Audit != nil {
		p.AuditAlarms = c.opt.Audit.Alarms()
	}
	return c.Render(w, tmpl, http.StatusOK, p)
}

// wall is the live video wall: the camera tree, a grid of tiles and the
// operator's saved layouts. The tiles are filled by static/wall.js. It is
// every user's home, so each role lands where its work is (home).
func (c *Console) wall(w http.ResponseWriter, r *http.Request) error {
	can := permissionsOf(accessOf(r).P)
	if can.Live {
		return c.Show(w, r, "wall.html", "Live", "live", nil)
	}
	http.Redirect(w, r, home(can), http.StatusSeeOther)
	return nil
}

// home is where one who may not view live video lands: an administrator
// on the administration pages, the data protection officer (who reads
// the trail and sees no footage) on the audit trail, finance on the
// figures, one who plays footage back on playback; anyone else on the map.
func home(can permissions) string {
	switch {
	case can.Manage:
		return "/admin/cameras"
	case can.Users:
		return "/admin/people"
	case can.Audit && !can.Playback:
		return "/audit"
	case can.Finance && !can.Playback:
		return "/finance"
	case can.Playback:
		return "/playback"
	}
	return "/map"
}

// playbackPage shows recorded footage of one or several cameras on one
// timeline, synchronised (static/playback.js).
func (c *Console) playbackPage(w http.ResponseWriter, r *http.Request) error {
	return c.Show(w, r, "playback.html", "Playback", "playback", nil)
}

// mapPage draws the cameras at their positions, without map tiles from
// the internet (static/map.js).
func (c *Console) mapPage(w http.ResponseWriter, r *http.Request) error {
	return c.Show(w, r, "map.html", "Map", "map", nil)
}

// approvalsPage lists the four-eyes requests the user made or may decide
// (static/approvals.js).
func (c *Console) approvalsPage(w http.ResponseWriter, r *http.Request) error {
	return c.Show(w, r, "approvals.html", "Approvals", "approvals", nil)
}
