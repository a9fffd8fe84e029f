package console

import (
	"net/http"
	"slices"
	"strings"

	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The page a user is shown for a console page none of their roles allows:
// a 403 that says what the page needs, which roles hold it and who can
// grant it, rather than a redirect home (which, for one who may view
// live video, started and audited the wall's live views each time).

// refusal is the refused page's data.
type refusal struct {
	// Need is what the page needs, in words: "read the audit trail".
	Need string
	// Yours says the user's roles allow none of it: "Your role
	// (operator) does not allow it."
	Yours string
	// Roles are the built-in roles that allow it.
	Roles []rights.RoleInfo
	// Grantors say who can give the user such a role: an administrator
	// of their organisation or of one above it, by organisation, never by
	// person (the user may not see who they are).
	Grantors []string
}

// Refused answers a request for a console page none of whose rights,
// need (any one of them opens it), the user's roles hold: status 403 and
// the refused page. a is the user
// and their rights, which the server has worked out but not yet put in
// the request's context. Nothing else is started: no live view, no
// footage.
func (c *Console) Refused(w http.ResponseWriter, r *http.Request, a *httpx.Access, need ...rights.Action) error {
	d := refusal{Need: rights.Verbs(need...), Yours: yours(a.P.Grants)}
	for _, ri := range rights.Roles {
		if ri.Can&rights.SetOf(need...) != 0 {
			d.Roles = append(d.Roles, ri)
		}
	}
	// Users are managed by an administrator of their organisation or of
	// any organisation above it (rights.Snapshot.CanOrg: Within).
	for _, id := range a.Snap.Ancestors(a.P.Org) {
		if o, ok := a.Snap.Org(id); ok {
			d.Grantors = append(d.Grantors, "an administrator of "+o.Name)
		}
	}
	p := Page{Title: "Not allowed", User: a.User, CSRF: httpx.CSRF(r.Context()), Can: permissionsOf(a.P), Data: d}
	return c.Render(w, "refused.html", http.StatusForbidden, p)
}

// yours says that the roles of grants allow none of what a page needs.
func yours(grants []rights.Grant) string {
	var names []string
	for _, g := range grants {
		if t := g.Role.Title(); !slices.Contains(names, t) {
			names = append(names, t)
		}
	}
	switch len(names) {
	case 0:
		return "You hold no role."
	case 1:
		return "Your role (" + names[0] + ") does not allow it."
	}
	return "Your roles (" + strings.Join(names, ", ") + ") do not allow it."
}
