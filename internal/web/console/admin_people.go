package console

import (
	"net/http"
	"slices"
	"strings"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// The administration pages for people and organisations. The people
// table and every action on an account are drawn and sent by
// static/admin_people.js over the JSON API, which decides and records
// them (each with its reason); the organisation tree is drawn here, its
// forms sent by the same script. What the pages offer is what the user
// manages; the API checks again.

// adminOrg is an organisation in the tree, indented by its depth.
type adminOrg struct {
	access.Organisation
	Depth  int
	Indent string
	// Manage: the user manages users here, so may make organisations
	// below it, rename it and make accounts in it.
	Manage bool
}

type adminPeoplePage struct {
	Orgs  []adminOrg
	Roles []rights.RoleInfo
	Kinds []string
	// Self is the signed-in user, whose own account has its own pages.
	Self int64
}

// adminTree lists the organisations the user sees, each under its
// parent, in name order.
func (c *Console) adminTree(r *http.Request) ([]adminOrg, error) {
	all, err := c.opt.Store.ListOrganisations(r.Context())
	if err != nil {
		return nil, err
	}
	a := accessOf(r)
	seen := map[int64]bool{}
	children := map[int64][]access.Organisation{}
	for _, o := range all {
		if a.Snap.Sees(a.P, o.ID) {
			seen[o.ID] = true
		}
	}
	var roots []access.Organisation
	for _, o := range all {
		if !seen[o.ID] {
			continue
		}
		if seen[o.ParentID] && o.ParentID != o.ID {
			children[o.ParentID] = append(children[o.ParentID], o)
		} else {
			roots = append(roots, o)
		}
	}
	byName := func(a, b access.Organisation) int { return strings.Compare(a.Name, b.Name) }
	var out []adminOrg
	var walk func(os []access.Organisation, depth int)
	walk = func(os []access.Organisation, depth int) {
		slices.SortFunc(os, byName)
		for _, o := range os {
			out = append(out, adminOrg{Organisation: o, Depth: depth, Indent: strings.Repeat("— ", depth),
				Manage: a.Snap.CanOrg(a.P, rights.ManageUsers, o.ID).Allowed})
			if depth < 32 {
				walk(children[o.ID], depth+1)
			}
		}
	}
	walk(roots, 0)
	return out, nil
}

func (c *Console) adminPageData(r *http.Request) (adminPeoplePage, error) {
	orgs, err := c.adminTree(r)
	if err != nil {
		return adminPeoplePage{}, err
	}
	return adminPeoplePage{Orgs: orgs, Roles: rights.Roles, Self: accessOf(r).User.ID,
		Kinds: []string{rights.KindPartnership, rights.KindCouncil, rights.KindDepartment, rights.KindPolice, rights.KindCustomer, rights.KindCameraOwner}}, nil
}

// adminPeoplePage lists the users the signed-in user manages, with the
// form to make one and the actions on each (static/admin_people.js).
func (c *Console) adminPeoplePage(w http.ResponseWriter, r *http.Request) error {
	p, err := c.adminPageData(r)
	if err != nil {
		return err
	}
	return c.Show(w, r, "admin_people.html", "People", "admin", p)
}

// adminOrganisationsPage draws the organisation tree with the forms to
// make and rename organisations.
func (c *Console) adminOrganisationsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := c.adminPageData(r)
	if err != nil {
		return err
	}
	return c.Show(w, r, "admin_organisations.html", "Organisations", "admin", p)
}
