package access

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Who stands where to a sharing agreement, and what may be shared, are
// decided here, for the console, the command line and a peer alike.

// Sides says how c stands to agreement a: they manage the grantor's
// cameras, or belong to the grantee (or an organisation below it).
// Someone on neither side may not know it exists.
func (c Caller) Sides(a SharingAgreement) (manages, grantee bool) {
	return c.Snap.CanOrg(c.P, rights.ManageCameras, a.GrantorID).Allowed, c.Snap.Within(c.P.Org, a.GranteeID)
}

// Agreement returns agreement id if c stands on either side of it, and
// whether c manages it (the grantor's cameras); anyone else, as for one
// that does not exist, is "no sharing agreement N" (problem.ErrNotFound).
func (s *Service) Agreement(ctx context.Context, c Caller, id int64) (SharingAgreement, bool, error) {
	a, err := s.repo.SharingAgreement(ctx, id)
	if errors.Is(err, problem.ErrNotFound) {
		return a, false, problem.New(problem.ErrNotFound, noAgreement(id), err)
	}
	if err != nil {
		return a, false, err
	}
	m, g := c.Sides(a)
	if !m && !g {
		return a, false, problem.New(problem.ErrNotFound, noAgreement(id), nil)
	}
	return a, m, nil
}

func noAgreement(id int64) string { return fmt.Sprintf("no sharing agreement %d", id) }

// MayChangeAgreement refuses (problem.ErrForbidden) a change of a by one
// who does not manage the grantor's cameras: the grantee may read an
// agreement, never widen it.
func (c Caller) MayChangeAgreement(a SharingAgreement) error {
	if m, _ := c.Sides(a); !m {
		return problem.Forbiddenf("only those who manage the sharing organisation's cameras change its agreements")
	}
	return nil
}

// CheckOwnCameras refuses (problem.ErrInvalid) cameras c may not see, as
// if they did not exist, and cameras not of organisation org (or an
// organisation below it).
func (s *Service) CheckOwnCameras(ctx context.Context, c Caller, org int64, ids []int64) error {
	for _, id := range ids {
		owner, err := s.repo.CameraOrganisation(ctx, id)
		switch {
		case errors.Is(err, problem.ErrNotFound) || err == nil && c.Snap.On(c.P, rights.Camera{ID: id, Org: owner}, s.now()) == 0:
			return problem.Invalidf("there is no camera %d", id)
		case err != nil:
			return err
		case !c.Snap.Within(owner, org):
			return problem.Invalidf("camera %d is not one of this organisation's", id)
		}
	}
	return nil
}

// CheckShared refuses (problem.ErrInvalid) cameras and camera groups that
// are not the grantor's for c to share, then the agreement's own fields
// (Validate, which puts them in order).
func (s *Service) CheckShared(ctx context.Context, c Caller, a *SharingAgreement) error {
	if err := s.CheckOwnCameras(ctx, c, a.GrantorID, a.Cameras); err != nil {
		return err
	}
	for _, id := range a.Groups {
		g, ok := c.Snap.Group(id)
		if !ok || !c.Snap.CanOrg(c.P, rights.ManageCameras, g.Org).Allowed {
			return problem.Invalidf("there is no camera group %d", id)
		}
		if !c.Snap.Within(g.Org, a.GrantorID) {
			return problem.Invalidf("camera group %d is not one of the sharing organisation's", id)
		}
	}
	if utf8.RuneCountInString(strings.TrimSpace(a.Reference)) == 0 {
		return problem.Invalidf("give the agreement's reference: its name or number in the partnership's records")
	}
	return a.Validate()
}

// CheckNewAgreement decides a new agreement a for c before it is made or
// held: c must manage the grantor's cameras (an organisation c may not
// see is "no organisation N", problem.ErrNotFound; else
// problem.ErrForbidden), the organisation shared with must be one
// (problem.ErrInvalid), and what is shared must be the grantor's
// (CheckShared). It returns the organisation shared with.
func (s *Service) CheckNewAgreement(ctx context.Context, c Caller, a *SharingAgreement) (Organisation, error) {
	if err := c.inOrg(rights.ManageCameras, a.GrantorID); err != nil {
		return Organisation{}, err
	}
	grantee, err := s.repo.Organisation(ctx, a.GranteeID)
	if errors.Is(err, problem.ErrNotFound) {
		return grantee, problem.New(problem.ErrInvalid, fmt.Sprintf("there is no organisation %d to share with", a.GranteeID), err)
	}
	if err != nil {
		return grantee, err
	}
	return grantee, s.CheckShared(ctx, c, a)
}

// CheckAgreementChange decides next, a change of agreement was, for c
// before it is made or held: its organisations stay as they are
// (problem.ErrInvalid: another agreement is another decision, under
// another's policy), and what is shared must be the grantor's
// (CheckShared). Whether c may change was at all is MayChangeAgreement.
func (s *Service) CheckAgreementChange(ctx context.Context, c Caller, was SharingAgreement, next *SharingAgreement) error {
	if next.GrantorID != was.GrantorID || next.GranteeID != was.GranteeID {
		return problem.Invalidf("an agreement's organisations stay as they are: end it and make another")
	}
	return s.CheckShared(ctx, c, next)
}

// MaySetIncident refuses (problem.ErrForbidden) anyone but the sharing
// organisation's people (there or above it) saying when an incident is
// open on a.
func (c Caller) MaySetIncident(a SharingAgreement) error {
	if !c.Snap.Sees(c.P, a.GrantorID) {
		return problem.Forbiddenf("only the sharing organisation's people open and close incidents on its agreements")
	}
	return nil
}

// checkIncident refuses a change of a's incident: by anyone but the
// sharing organisation's people (problem.ErrForbidden), on an agreement
// that waits for none (problem.ErrConflict), or opening one without its
// reference (problem.ErrInvalid).
func (c Caller) checkIncident(a SharingAgreement, open bool, reference string) error {
	if err := c.MaySetIncident(a); err != nil {
		return err
	}
	switch {
	case a.Condition != rights.WhileIncidentOpen:
		return problem.Conflictf("this agreement does not wait for an incident: its condition is not incident_open")
	case open && reference == "":
		return problem.Invalidf("give the incident's reference")
	}
	return nil
}
