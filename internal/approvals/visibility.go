package approvals

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Who may see a request, and who may decide it, are the service's
// decisions: a request is seen by its requester and by those who hold,
// over what it concerns, the right its requester needed; to anyone else
// it does not exist. The console, the API and a peer all get the same
// answer.

// Caller is who asks, as the audit trail names them and as rights judge
// them.
type Caller struct {
	Actor auditlog.Actor
	P     rights.Principal
	Snap  *rights.Snapshot
}

// listLimit is how many requests a list reads, newest first.
const listLimit = 1000

// MaxNote is how long a decision's note may be, in characters.
const MaxNote = 200

// MayDecide reports whether c holds, over what ap concerns, the right its
// requester needed: over the camera, for an export (export) or an early
// deletion (manage cameras); in every organisation a change of rights
// names, for the rest. Being the requester, or too close to the request,
// is Independent's to refuse.
func (s *Service[T]) MayDecide(ctx context.Context, c Caller, ap Approval) bool {
	switch ap.Kind {
	case KindExport, KindDeleteFootage:
		need := rights.Export
		if ap.Kind == KindDeleteFootage {
			need = rights.ManageCameras
		}
		org, err := s.repo.CameraOrganisation(ctx, ap.CameraID)
		return err == nil && c.Snap.Can(c.P, need, rights.Camera{ID: ap.CameraID, Org: org}, s.opt.Now()).Allowed
	}
	var ch Change
	if err := json.Unmarshal([]byte(ap.Payload), &ch); err != nil || len(ch.Orgs) == 0 {
		return false
	}
	for _, org := range ch.Orgs {
		if !c.Snap.CanOrg(c.P, ch.Need, org).Allowed {
			return false
		}
	}
	return true
}

// Visible reports whether c may see ap: its requester, or one who may
// decide it.
func (s *Service[T]) Visible(ctx context.Context, c Caller, ap Approval) bool {
	return ap.RequestedBy == c.Actor.UserID || s.MayDecide(ctx, c, ap)
}

// CanDecide reports whether c may approve or reject ap now: it is
// pending, c is not its requester, holds the right it needs and is not
// too close to it (Independent).
func (s *Service[T]) CanDecide(ctx context.Context, c Caller, ap Approval) bool {
	return ap.State == Pending && ap.RequestedBy != c.Actor.UserID && s.MayDecide(ctx, c, ap) &&
		s.Independent(ctx, c.Actor.UserID, ap) == nil
}

// Get returns request id if c may see it; one that is not, or that c may
// not see, is "no request N" (problem.ErrNotFound).
func (s *Service[T]) Get(ctx context.Context, c Caller, id int64) (Approval, error) {
	ap, err := s.repo.Approval(ctx, id)
	switch {
	case errors.Is(err, problem.ErrNotFound) || err == nil && !s.Visible(ctx, c, ap):
		return ap, problem.New(problem.ErrNotFound, fmt.Sprintf("no request %d", id), err)
	case err != nil:
		return ap, err
	}
	return ap, nil
}

// List returns the requests in state ("" for any) that c may see, newest
// first. A state that is not one refuses (problem.ErrInvalid).
func (s *Service[T]) List(ctx context.Context, c Caller, state string) ([]Approval, error) {
	if state != "" && !slices.Contains(States, state) {
		return nil, problem.Invalidf("state must be %s or %s", strings.Join(States[:len(States)-1], ", "), States[len(States)-1])
	}
	list, err := s.repo.ListApprovals(ctx, state, listLimit)
	if err != nil {
		return nil, err
	}
	out := []Approval{}
	for _, ap := range list {
		if s.Visible(ctx, c, ap) {
			out = append(out, ap)
		}
	}
	return out, nil
}
