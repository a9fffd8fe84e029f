package access

import (
	"fmt"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Caller is who asks for a change, as the audit trail names them and as
// rights judge them, so that the service decides on the very thing
// changed rather than trusting its caller to have.
type Caller struct {
	Actor auditlog.Actor
	P     rights.Principal
	Snap  *rights.Snapshot
}

// Decide turns a decision into the service's answer: nil, a
// problem.ErrNotFound saying notFound (the thing is outside all the caller
// may see, which must not be revealed), or a problem.ErrForbidden with the
// reason.
func Decide(d rights.Decision, notFound string) error {
	switch {
	case d.Allowed:
		return nil
	case d.Hidden:
		return problem.New(problem.ErrNotFound, notFound, nil)
	}
	return problem.New(problem.ErrForbidden, d.Reason, nil)
}

// inOrg decides act within organisation id for c.
func (c Caller) inOrg(act rights.Action, id int64) error {
	return Decide(c.Snap.CanOrg(c.P, act, id), fmt.Sprintf("no organisation %d", id))
}
