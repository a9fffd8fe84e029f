package footage

import (
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Caller is who asks for footage: as the trail names them, and as rights
// decisions see them, in the snapshot of rights the request is decided
// by.
type Caller struct {
	Actor auditlog.Actor
	P     rights.Principal
	// Snap is the snapshot decisions are made in; nil is Vigil itself or
	// the command line, whom no rights (and no four-eyes policy) bind.
	Snap *rights.Snapshot
}

// may reports whether by may do act to camera c at t.
func (by Caller) may(act rights.Action, c cameras.Camera, t time.Time) bool {
	return by.Snap == nil || by.Snap.Can(by.P, act, rightsCamera(c), t).Allowed
}

func rightsCamera(c cameras.Camera) rights.Camera {
	return rights.Camera{ID: c.ID, Org: c.OrganisationID}
}

// mayDo decides act on camera c for by now: nil, a problem.ErrNotFound
// "no camera N" that reveals nothing when c is outside all they may see,
// or a problem.ErrForbidden saying why.
func (s *Service) mayDo(by Caller, act rights.Action, c cameras.Camera) error {
	if by.Snap == nil {
		return nil
	}
	d := by.Snap.Can(by.P, act, rightsCamera(c), s.opt.Now())
	switch {
	case d.Allowed:
		return nil
	case d.Hidden:
		return problem.Notf("no camera %d", c.ID)
	}
	return problem.Forbiddenf("%s", d.Reason)
}
