package web

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
)

// The services the server builds from its options and hands to the API
// and the console: those whose wiring reaches past one capability (the
// approvals' appliers, cameras' organisations) are made here, footage's
// in footage.go.

// initAccess makes the services of access and approvals: each change
// they make commits with its audit record, through the outbox.
func (s *Server) initAccess() {
	change := changerFor[*store.Store](s.opt.Changes, s.st)
	now := func() time.Time { return s.now() }
	s.accessSvc = access.New(s.st, changerFor[access.Repo](s.opt.Changes, s.st), s.changed, now)
	s.approvalSvc = approvals.New(s.st, change, approvals.Options[*store.Store]{Appliers: s.appliers(), After: s.afterChange, Now: now, People: s.id})
}

// applier is an approvals.Applier over the store.
type applier = approvals.ApplierFunc[*store.Store]

// appliers make the changes of rights, each in the transaction the
// approvals service holds: those of access by its service, a camera's
// move by the store's own move.
func (s *Server) appliers() map[string]approvals.Applier[*store.Store] {
	acc := s.accessSvc
	return map[string]approvals.Applier[*store.Store]{
		approvals.KindSetRoles: applier(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch approvals.Change, note string) (any, error) {
			return nil, acc.SetRolesIn(ctx, tx, by, ch.UserID, ch.Roles, note)
		}),
		approvals.KindCreateSharing: applier(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch approvals.Change, note string) (any, error) {
			if ch.Agreement == nil {
				return nil, problem.Invalidf("the request names no agreement")
			}
			a := *ch.Agreement
			a.ID = 0
			return acc.SaveAgreementIn(ctx, tx, by, a, note)
		}),
		approvals.KindUpdateSharing: applier(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch approvals.Change, note string) (any, error) {
			if ch.Agreement == nil || ch.Agreement.ID == 0 {
				return nil, problem.Invalidf("the request names no agreement")
			}
			return acc.SaveAgreementIn(ctx, tx, by, *ch.Agreement, note)
		}),
		approvals.KindSetFourEyes: applier(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch approvals.Change, note string) (any, error) {
			return acc.SetFourEyesIn(ctx, tx, by, ch.OrgID, ch.FourEyes, note)
		}),
		approvals.KindMoveOrg: applier(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch approvals.Change, note string) (any, error) {
			if ch.Org == nil {
				return nil, problem.Invalidf("the request names no organisation")
			}
			return acc.MoveOrganisationIn(ctx, tx, by, *ch.Org, note)
		}),
		approvals.KindUpdateGroup: applier(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch approvals.Change, note string) (any, error) {
			if ch.Group == nil {
				return nil, problem.Invalidf("the request names no camera group")
			}
			return acc.UpdateGroupIn(ctx, tx, by, *ch.Group, note)
		}),
		approvals.KindMoveCamera: applier(s.moveCameraIn),
	}
}

// afterChange follows a change of rights once committed: the snapshot
// reloads, and a moved camera's live views answer to its new owner.
func (s *Server) afterChange(ch approvals.Change) {
	s.changed()
	if ch.Kind == approvals.KindMoveCamera {
		s.api.CameraMoved(ch.CameraID, ch.OrgID)
	}
}

// moveCameraIn makes a move_camera in tx: the store moves the camera and
// what no longer holds it, and dates the change of owner today for the
// recharge. The camera records on, its address unchanged; live views are
// checked against its new owner by the review loop.
func (s *Server) moveCameraIn(ctx context.Context, tx *store.Store, by auditlog.Actor, ch approvals.Change, note string) (any, error) {
	mv, err := tx.MoveCamera(ctx, ch.CameraID, ch.OrgID, s.now(), by.UserID)
	var ie *store.InvalidError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, problem.New(problem.ErrNotFound, fmt.Sprintf("camera %d or organisation %d no longer exists", ch.CameraID, ch.OrgID), err)
	case errors.As(err, &ie):
		return nil, problem.New(problem.ErrInvalid, ie.Msg, err)
	case errors.Is(err, store.ErrConflict):
		return nil, problem.New(problem.ErrConflict, "the organisation already has a camera of that name", err)
	case err != nil:
		return nil, err
	}
	c, err := tx.Camera(ctx, ch.CameraID)
	if err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("camera %d (%s): organisation %d to %d, from %s; left camera groups %v, sharing agreements %v",
		c.ID, c.Name, mv.From, mv.To, mv.Event.Day.Format(time.DateOnly), mv.Groups, mv.Agreements)
	if mv.From == mv.To {
		// Moved there by someone else while the request waited.
		detail = fmt.Sprintf("camera %d (%s): already of organisation %d, nothing moved", c.ID, c.Name, mv.To)
	}
	e := by.Entry(auditlog.RightsMoveCamera, detail+note)
	e.CameraID, e.At = c.ID, s.now().UTC()
	return c, tx.Log(e)
}

// cameraOrgs finds organisations for the camera service in the store.
type cameraOrgs struct{ st *store.Store }

func orgOf(o access.Organisation, err error) (rights.Org, error) {
	return rights.Org{ID: o.ID, Parent: o.ParentID, Name: o.Name, Kind: o.Kind}, err
}

func (o cameraOrgs) OrganisationByID(ctx context.Context, id int64) (rights.Org, error) {
	return orgOf(o.st.Organisation(ctx, id))
}

func (o cameraOrgs) OrganisationByName(ctx context.Context, name string) (rights.Org, error) {
	return orgOf(o.st.OrganisationByName(ctx, name))
}

// changed is called after every change of what rights rest on.
func (s *Server) changed() { s.rights.Invalidate() }
