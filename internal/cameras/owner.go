package cameras

import (
	"context"
	"errors"

	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Organisations finds the organisation a new camera is asked to join;
// the store implements it (through web's adapter, since its organisations
// are access's type).
type Organisations interface {
	// OrganisationByID and OrganisationByName return one organisation;
	// none is problem.ErrNotFound.
	OrganisationByID(ctx context.Context, id int64) (rights.Org, error)
	OrganisationByName(ctx context.Context, name string) (rights.Org, error)
}

// Joins is the organisation asked for a new camera: by number (ID), by
// name (Name), or neither, for the default.
type Joins struct {
	ID   *int64
	Name string
}

// Owner decides the organisation a new camera joins, which by must
// manage cameras in. One asked for that by may not see is refused
// (problem.ErrInvalid) exactly like one that does not exist. Asked for
// none, it is the partnership, by its place at the top of the tree (never
// by a configured name, which a rename would leave behind), for those who
// manage cameras there, and anyone else's own organisation; Vigil itself
// and the command line, whom no rights bind, must name one.
func (s *Service) Owner(ctx context.Context, by Caller, want Joins) (rights.Org, error) {
	orgs := s.opt.Organisations
	if orgs == nil {
		return rights.Org{}, errors.New("cameras: no organisations to find a new camera's owner in")
	}
	sees := func(id int64) bool { return by.Rights == nil || by.Rights.Sees(by.Principal, id) }
	var org rights.Org
	var err error
	switch {
	case want.ID != nil:
		org, err = orgs.OrganisationByID(ctx, *want.ID)
		if errors.Is(err, problem.ErrNotFound) || err == nil && !sees(org.ID) {
			return org, problem.Invalidf("there is no organisation %d", *want.ID)
		}
	case want.Name != "":
		org, err = orgs.OrganisationByName(ctx, want.Name)
		if errors.Is(err, problem.ErrNotFound) || err == nil && !sees(org.ID) {
			return org, problem.Invalidf("there is no organisation named %q; make it first (POST /api/v1/organisations)", want.Name)
		}
	case by.Rights == nil:
		return org, problem.Invalidf("name the organisation the camera joins")
	default:
		id := by.Principal.Org
		if top, ok := by.Rights.Partnership(); ok && by.Rights.CanOrg(by.Principal, rights.ManageCameras, top.ID).Allowed {
			id = top.ID
		}
		org, err = orgs.OrganisationByID(ctx, id)
	}
	if err != nil {
		return org, err
	}
	return org, s.mayManageIn(by, org.ID)
}
