package cameras

import (
	"fmt"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Caller is who asks the service for something: as the trail names them,
// and as rights decisions see them, in the snapshot of rights the request
// is decided by.
type Caller struct {
	Actor     auditlog.Actor
	Principal rights.Principal
	// Rights is the snapshot decisions are made in; nil is Vigil itself
	// or the command line, run by whoever may run the server, whom no
	// rights bind.
	Rights *rights.Snapshot
}

// rightsCamera is what decisions need of c.
func rightsCamera(c Camera) rights.Camera {
	return rights.Camera{ID: c.ID, Org: c.OrganisationID}
}

// mayDo decides act on camera c for by: nil, a problem.ErrNotFound "no
// camera N" that reveals nothing when c is outside all they may see, or
// a problem.ErrForbidden saying why.
func (s *Service) mayDo(by Caller, act rights.Action, c Camera) error {
	if by.Rights == nil {
		return nil
	}
	return refusal(by.Rights.Can(by.Principal, act, rightsCamera(c), s.opt.Now()), fmt.Sprintf("no camera %d", c.ID))
}

// mayManageIn decides whether by may add cameras to organisation org.
func (s *Service) mayManageIn(by Caller, org int64) error {
	if by.Rights == nil {
		return nil
	}
	return refusal(by.Rights.CanOrg(by.Principal, rights.ManageCameras, org), "no such organisation")
}

func refusal(d rights.Decision, notFound string) error {
	switch {
	case d.Allowed:
		return nil
	case d.Hidden:
		return problem.Notf("%s", notFound)
	}
	return problem.Forbiddenf("%s", d.Reason)
}
