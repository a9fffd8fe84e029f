package console

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// The administration pages of camera groups, sharing agreements and
// four-eyes policies (issue 12). The server draws the tables and the
// sharing timeline; the forms' script (static/admin_share.js) sends each
// change to the JSON API, which decides it as it decides any other
// caller's, four eyes included (a 202 is "sent for approval").

// adminScope is the organisations and cameras in which the user may
// take an action, for the forms' choices, and every one's name.
type adminScope struct {
	Orgs    []access.Organisation
	Cameras []cameras.Camera
	names   map[int64]string
	cams    map[int64]string
}

func (c *Console) adminScope(r *http.Request, act rights.Action) (adminScope, error) {
	a := accessOf(r)
	orgs, err := c.opt.Store.ListOrganisations(r.Context())
	if err != nil {
		return adminScope{}, err
	}
	cams, err := c.opt.Store.ListCameras(r.Context())
	if err != nil {
		return adminScope{}, err
	}
	s := adminScope{names: map[int64]string{}, cams: map[int64]string{}}
	for _, o := range orgs {
		s.names[o.ID] = o.Name
		if a.Snap.CanOrg(a.P, act, o.ID).Allowed {
			s.Orgs = append(s.Orgs, o)
		}
	}
	for _, cam := range cams {
		s.cams[cam.ID] = cam.Name
		if a.Snap.CanOrg(a.P, act, cam.OrganisationID).Allowed {
			s.Cameras = append(s.Cameras, cam)
		}
	}
	return s, nil
}

// groupRow is a camera group as the groups page shows it.
type groupRow struct {
	access.CameraGroup
	Organisation string
	CameraNames  []string
}

// Has says whether camera id is in the group, for its form.
func (g groupRow) Has(id int64) bool { return slices.Contains(g.Cameras, id) }

// adminGroupsPage lists the camera groups of the organisations in which
// the user manages cameras, with forms to create, change and delete them.
func (c *Console) adminGroupsPage(w http.ResponseWriter, r *http.Request) error {
	s, err := c.adminScope(r, rights.ManageCameras)
	if err != nil {
		return err
	}
	gs, err := c.opt.Store.ListCameraGroups(r.Context())
	if err != nil {
		return err
	}
	a := accessOf(r)
	data := struct {
		Scope  adminScope
		Groups []groupRow
	}{Scope: s}
	for _, g := range gs {
		if !a.Snap.CanOrg(a.P, rights.ManageCameras, g.OrganisationID).Allowed {
			continue
		}
		row := groupRow{CameraGroup: g, Organisation: s.names[g.OrganisationID]}
		for _, id := range g.Cameras {
			row.CameraNames = append(row.CameraNames, s.cams[id])
		}
		data.Groups = append(data.Groups, row)
	}
	return c.Show(w, r, "admin_groups.html", "Camera groups", "admin", data)
}

// agreementRow is a sharing agreement as the sharing page shows it.
type agreementRow struct {
	access.SharingAgreement
	Grantor, Grantee string
	// What is shared, in words: "all cameras", or the groups' and
	// cameras' names.
	What string
	// Manages: the user may change or end it (they manage the grantor's
	// cameras); otherwise they see it as its grantee.
	Manages bool
	Active  bool
	Ended   bool
}

// HasRight, HasCamera and HasGroup say what the agreement shares, for
// its form.
func (a agreementRow) HasRight(r string) bool  { return slices.Contains(a.Rights, r) }
func (a agreementRow) HasCamera(id int64) bool { return slices.Contains(a.Cameras, id) }
func (a agreementRow) HasGroup(id int64) bool  { return slices.Contains(a.Groups, id) }

// adminSharingPage lists the sharing agreements the user stands on
// either side of, draws who may see what when, and offers a form to share
// cameras with another organisation.
func (c *Console) adminSharingPage(w http.ResponseWriter, r *http.Request) error {
	s, err := c.adminScope(r, rights.ManageCameras)
	if err != nil {
		return err
	}
	ags, err := c.opt.Store.ListSharingAgreements(r.Context())
	if err != nil {
		return err
	}
	gs, err := c.opt.Store.ListCameraGroups(r.Context())
	if err != nil {
		return err
	}
	a := accessOf(r)
	caller := access.Caller{Actor: actor(r), P: a.P, Snap: a.Snap}
	groupNames := map[int64]string{}
	var groups []groupRow
	for _, g := range gs {
		groupNames[g.ID] = g.Name
		if a.Snap.CanOrg(a.P, rights.ManageCameras, g.OrganisationID).Allowed {
			groups = append(groups, groupRow{CameraGroup: g, Organisation: s.names[g.OrganisationID]})
		}
	}
	now := c.now()
	var rows []agreementRow
	for _, ag := range ags {
		m, g := caller.Sides(ag)
		if !m && !g {
			continue
		}
		ra := ag.RightsAgreement()
		row := agreementRow{SharingAgreement: ag, Grantor: s.names[ag.GrantorID], Grantee: s.names[ag.GranteeID], Manages: m,
			Active: ra.Active(now), Ended: ag.EndsAt != nil && !ag.EndsAt.After(now)}
		var what []string
		if ag.AllCameras {
			what = append(what, "all cameras")
		}
		for _, id := range ag.Groups {
			what = append(what, "group "+nameOr(groupNames[id], id))
		}
		for _, id := range ag.Cameras {
			what = append(what, nameOr(s.cams[id], id))
		}
		row.What = strings.Join(what, ", ")
		rows = append(rows, row)
	}
	data := struct {
		Scope      adminScope
		Partners   []access.Organisation
		Groups     []groupRow
		Agreements []agreementRow
		Rights     []string
		Timeline   template.HTML
	}{Scope: s, Groups: groups, Agreements: rows, Timeline: sharingTimeline(rows, now, c.opt.Zone)}
	for _, act := range rights.Actions {
		if rights.Footage.Has(act) {
			data.Rights = append(data.Rights, string(act))
		}
	}
	// Any organisation may be shared with; the API refuses what may not.
	all, err := c.opt.Store.ListOrganisations(r.Context())
	if err != nil {
		return err
	}
	data.Partners = all
	return c.Show(w, r, "admin_sharing.html", "Sharing agreements", "admin", data)
}

func nameOr(name string, id int64) string {
	if name == "" {
		return fmt.Sprintf("#%d", id)
	}
	return name
}

// sharingTimeline draws, per partner shared with, a bar for each
// agreement from its start to its end (or the chart's edge when it has
// none), with today marked: what each partner can see when. An
// agreement on condition is drawn hatched: it grants only while an
// incident is open.
func sharingTimeline(rows []agreementRow, now time.Time, zone *time.Location) template.HTML {
	if len(rows) == 0 {
		return ""
	}
	from, to := now.AddDate(0, 0, -7), now.AddDate(0, 0, 30)
	for _, r := range rows {
		if r.StartsAt.Before(from) {
			from = r.StartsAt
		}
		if r.EndsAt != nil && r.EndsAt.After(to) {
			to = *r.EndsAt
		}
	}
	var partners []string
	lanes := map[string][]agreementRow{}
	for _, r := range rows {
		if _, ok := lanes[r.Grantee]; !ok {
			partners = append(partners, r.Grantee)
		}
		lanes[r.Grantee] = append(lanes[r.Grantee], r)
	}
	slices.Sort(partners)
	const left, width, rowH, barH, top = 180.0, 600.0, 24.0, 8.0, 24.0
	rowsN := 0
	for _, p := range partners {
		rowsN += len(lanes[p])
	}
	height := top + float64(rowsN)*rowH + float64(len(partners))*8 + 20
	span := to.Sub(from).Seconds()
	x := func(t time.Time) float64 { return left + width*t.Sub(from).Seconds()/span }
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="sharing-timeline" role="img" aria-label="What each partner can see when" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f">`,
		left+width+10, height, left+width+10, height)
	b.WriteString(`<defs><pattern id="cond" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="#e0a030"/></pattern></defs>`)
	fmt.Fprintf(&b, `<text x="%.1f" y="12" class="axis" fill="currentColor">%s</text><text x="%.1f" y="12" text-anchor="end" class="axis" fill="currentColor">%s</text>`,
		left, esc(from.In(zone).Format("2 Jan 2006")), left+width, esc(to.In(zone).Format("2 Jan 2006")))
	y := top
	for _, p := range partners {
		fmt.Fprintf(&b, `<g class="partner" data-partner="%s"><text x="0" y="%.1f" class="name" fill="currentColor">%s</text>`, esc(p), y+barH, esc(p))
		for _, r := range lanes[p] {
			end := to
			if r.EndsAt != nil {
				end = *r.EndsAt
			}
			fill := "#3b7dd8"
			switch {
			case r.Condition != "":
				fill = "url(#cond)"
			case !r.Active:
				fill = "#aaa"
			}
			until := "until ended"
			if r.EndsAt != nil {
				until = "to " + r.EndsAt.In(zone).Format("2 Jan 2006 15:04")
			}
			fmt.Fprintf(&b, `<rect class="agreement" data-id="%d" x="%.1f" y="%.1f" width="%.1f" height="%.0f" fill="%s"><title>%s: %s of %s, %s from %s %s%s</title></rect>`,
				r.ID, x(r.StartsAt), y, max(x(end)-x(r.StartsAt), 1), barH, fill, esc(r.Reference), esc(strings.Join(r.Rights, ", ")), esc(r.Grantor), esc(r.What),
				esc(r.StartsAt.In(zone).Format("2 Jan 2006 15:04")), esc(until), esc(condText(r.Condition)))
			// Each bar is labelled with its agreement's reference.
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" class="ref" fill="currentColor">%s</text>`, x(r.StartsAt), y+barH+10, esc(r.Reference))
			y += rowH
		}
		b.WriteString(`</g>`)
		y += 8
	}
	nx := x(now)
	fmt.Fprintf(&b, `<line class="now" x1="%.1f" x2="%.1f" y1="16" y2="%.1f" stroke="#c00"/><text x="%.1f" y="%.1f" text-anchor="middle" class="axis" fill="currentColor">now</text></svg>`,
		nx, nx, height-10, nx, height-1)
	return template.HTML(b.String())
}

func condText(cond string) string {
	if cond == rights.WhileIncidentOpen {
		return ", only while an incident is open"
	}
	return ""
}

// fourEyesRow is an organisation's four-eyes policy as the page shows it.
type fourEyesRow struct {
	access.Organisation
	Actions []fourEyesAction
}

type fourEyesAction struct {
	Name, About string
	On          bool
}

var fourEyesAbout = map[string]string{
	rights.FourEyesExport:   "exporting footage",
	rights.FourEyesDeletion: "deleting footage before its time",
	rights.FourEyesRights:   "changing rights: roles, sharing agreements, these policies",
}

// adminFourEyesPage shows each organisation's four-eyes policy, for the
// user to change where they manage users.
func (c *Console) adminFourEyesPage(w http.ResponseWriter, r *http.Request) error {
	s, err := c.adminScope(r, rights.ManageUsers)
	if err != nil {
		return err
	}
	a := accessOf(r)
	var rows []fourEyesRow
	for _, o := range s.Orgs {
		own := a.Snap.FourEyes(o.ID)
		row := fourEyesRow{Organisation: o}
		for _, act := range rights.FourEyesActions {
			row.Actions = append(row.Actions, fourEyesAction{Name: act, About: fourEyesAbout[act], On: slices.Contains(own, act)})
		}
		rows = append(rows, row)
	}
	return c.Show(w, r, "admin_four_eyes.html", "Four eyes", "admin", rows)
}
