package access

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Repo is what the service needs of storage; *store.Store implements it.
type Repo interface {
	Organisation(ctx context.Context, id int64) (Organisation, error)
	CreateOrganisation(ctx context.Context, o *Organisation) error
	UpdateOrganisation(ctx context.Context, o *Organisation) error
	SetFourEyes(ctx context.Context, org int64, actions []string) error

	CameraGroup(ctx context.Context, id int64) (CameraGroup, error)
	CreateCameraGroup(ctx context.Context, g *CameraGroup) error
	UpdateCameraGroup(ctx context.Context, g *CameraGroup) error
	DeleteCameraGroup(ctx context.Context, id int64) error

	SharingAgreement(ctx context.Context, id int64) (SharingAgreement, error)
	CreateSharingAgreement(ctx context.Context, a *SharingAgreement) error
	UpdateSharingAgreement(ctx context.Context, a *SharingAgreement) error

	// CameraOrganisation is the organisation that owns live camera id:
	// what may be shared or grouped is decided by it.
	CameraOrganisation(ctx context.Context, id int64) (int64, error)

	SetUserRoles(ctx context.Context, userID int64, roles []UserRole) error
	// RolesHolder names the user whose roles these are, for the record.
	RolesHolder(ctx context.Context, userID int64) (string, error)

	Log(e auditlog.Entry) error // in a change: the record commits with it
}

// Service changes who may see what, each change with its audit record.
// The changes a second person may have to approve have an In form, which
// makes the change in a transaction the caller holds (package approvals
// applies an approved change so, with the decision); the others make
// their own.
type Service struct {
	repo    Repo // reads outside a change
	change  func(ctx context.Context, fn func(tx Repo) error) error
	changed func()
	now     func() time.Time
}

// New returns the service over repo (for reads). change runs a function in one transaction;
// changed is called after every change of what rights rest on (the
// rights cache to reload); now is the clock.
func New(repo Repo, change func(ctx context.Context, fn func(tx Repo) error) error, changed func(), now func() time.Time) *Service {
	if changed == nil {
		changed = func() {}
	}
	if now == nil {
		now = time.Now
	}
	return &Service{repo: repo, change: change, changed: changed, now: now}
}

// do runs fn in a change and says rights changed, whatever came of it.
func (s *Service) do(ctx context.Context, fn func(tx Repo) error) error {
	defer s.changed()
	return s.change(ctx, fn)
}

// log adds the record of action to tx.
func (s *Service) log(tx Repo, by auditlog.Actor, action auditlog.Action, detail string) error {
	e := by.Entry(action, detail)
	e.At = s.now().UTC()
	return tx.Log(e)
}

// conflict words a unique-name clash for the person who chose the name.
func conflict(err error, msg string) error {
	if errors.Is(err, problem.ErrConflict) && msg != "" {
		var p *problem.Problem
		if errors.As(err, &p) {
			return err // already worded
		}
		return problem.New(problem.ErrConflict, msg, err)
	}
	return err
}

// CreateOrganisation makes o below o.ParentID, where c manages users.
func (s *Service) CreateOrganisation(ctx context.Context, c Caller, o Organisation) (Organisation, error) {
	if err := c.inOrg(rights.ManageUsers, o.ParentID); err != nil {
		return o, err
	}
	by := c.Actor
	err := s.do(ctx, func(tx Repo) error {
		if err := tx.CreateOrganisation(ctx, &o); err != nil {
			return conflict(err, fmt.Sprintf("an organisation named %q already exists", o.Name))
		}
		return s.log(tx, by, auditlog.OrganisationCreate, fmt.Sprintf("%s (%d), a %s below %d", o.Name, o.ID, o.Kind, o.ParentID))
	})
	return o, err
}

// UpdateOrganisation renames o or changes its kind, where c manages
// users; a move in the tree is MoveOrganisationIn, a change of rights.
func (s *Service) UpdateOrganisation(ctx context.Context, c Caller, o Organisation) (Organisation, error) {
	if err := c.inOrg(rights.ManageUsers, o.ID); err != nil {
		return o, err
	}
	by := c.Actor
	err := s.do(ctx, func(tx Repo) error {
		if err := tx.UpdateOrganisation(ctx, &o); err != nil {
			return conflict(err, fmt.Sprintf("an organisation named %q already exists", o.Name))
		}
		return s.log(tx, by, auditlog.OrganisationUpdate, fmt.Sprintf("%s (%d), a %s", o.Name, o.ID, o.Kind))
	})
	return o, err
}

// MoveOrganisationIn writes o, moved below o.ParentID, in tx with its
// record; note is added to the record's detail.
func (s *Service) MoveOrganisationIn(ctx context.Context, tx Repo, by auditlog.Actor, o Organisation, note string) (Organisation, error) {
	if err := tx.UpdateOrganisation(ctx, &o); err != nil {
		return o, conflict(err, fmt.Sprintf("an organisation named %q already exists", o.Name))
	}
	return o, s.log(tx, by, auditlog.RightsMoveOrganisation, fmt.Sprintf("organisation %s: parent %d", o.Name, o.ParentID)+note)
}

// SetFourEyesIn replaces what organisation org requires a second person
// for, in tx with its record, and returns the organisation.
func (s *Service) SetFourEyesIn(ctx context.Context, tx Repo, by auditlog.Actor, org int64, actions []string, note string) (Organisation, error) {
	if err := tx.SetFourEyes(ctx, org, actions); err != nil {
		return Organisation{}, err
	}
	o, err := tx.Organisation(ctx, org)
	if err != nil {
		return o, err
	}
	return o, s.log(tx, by, auditlog.RightsSetFourEyes, fmt.Sprintf("organisation %s: four eyes for %q", o.Name, actions)+note)
}

// CreateGroup makes camera group g. That its cameras are its
// organisation's is the caller's to check.
func (s *Service) CreateGroup(ctx context.Context, by auditlog.Actor, g CameraGroup) (CameraGroup, error) {
	err := s.do(ctx, func(tx Repo) error {
		if err := tx.CreateCameraGroup(ctx, &g); err != nil {
			return conflict(err, fmt.Sprintf("the organisation already has a camera group named %q", g.Name))
		}
		return s.log(tx, by, auditlog.CameraGroupCreate, fmt.Sprintf("group %d (%s) of organisation %d: cameras %v", g.ID, g.Name, g.OrganisationID, g.Cameras))
	})
	return g, err
}

// UpdateGroupIn renames g and replaces its cameras, in tx with its record.
func (s *Service) UpdateGroupIn(ctx context.Context, tx Repo, by auditlog.Actor, g CameraGroup, note string) (CameraGroup, error) {
	if err := tx.UpdateCameraGroup(ctx, &g); err != nil {
		return g, conflict(err, fmt.Sprintf("the organisation already has a camera group named %q", g.Name))
	}
	return g, s.log(tx, by, auditlog.RightsUpdateGroup, fmt.Sprintf("camera group %d (%s): cameras %v", g.ID, g.Name, g.Cameras)+note)
}

// DeleteGroup removes camera group id, where c manages its
// organisation's cameras (any other is "no camera group N"); roles
// limited to it go, and agreements stop naming it.
func (s *Service) DeleteGroup(ctx context.Context, c Caller, id int64) error {
	missing := fmt.Sprintf("no camera group %d", id)
	g, err := s.repo.CameraGroup(ctx, id)
	switch {
	case errors.Is(err, problem.ErrNotFound):
		return problem.New(problem.ErrNotFound, missing, err)
	case err != nil:
		return err
	case !c.Snap.CanOrg(c.P, rights.ManageCameras, g.OrganisationID).Allowed:
		return problem.New(problem.ErrNotFound, missing, nil)
	}
	by := c.Actor
	return s.do(ctx, func(tx Repo) error {
		if err := tx.DeleteCameraGroup(ctx, g.ID); err != nil {
			return err
		}
		return s.log(tx, by, auditlog.CameraGroupDelete, fmt.Sprintf("group %d (%s)", g.ID, g.Name))
	})
}

// SaveAgreementIn makes agreement a (ID 0) or writes it, in tx with its
// record.
func (s *Service) SaveAgreementIn(ctx context.Context, tx Repo, by auditlog.Actor, a SharingAgreement, note string) (SharingAgreement, error) {
	action, err := auditlog.RightsUpdateAgreement, error(nil)
	if a.ID == 0 {
		action, err = auditlog.RightsCreateAgreement, tx.CreateSharingAgreement(ctx, &a)
	} else {
		err = tx.UpdateSharingAgreement(ctx, &a)
	}
	if err != nil {
		return a, err
	}
	return a, s.log(tx, by, action, fmt.Sprintf("sharing agreement %d (%s): %s", a.ID, a.Reference, strings.Join(a.Rights, " "))+note)
}

// EndAgreementSooner writes a, whose only change is to end no later than
// it did: made at once, never held, so access can always be withdrawn
// fast.
func (s *Service) EndAgreementSooner(ctx context.Context, by auditlog.Actor, a SharingAgreement) (SharingAgreement, error) {
	err := s.do(ctx, func(tx Repo) error {
		var err error
		a, err = s.SaveAgreementIn(ctx, tx, by, a, ", ends "+a.EndsAt.Format(time.RFC3339))
		return err
	})
	return a, err
}

// SetIncident opens (open, with reference) or closes the incident an
// agreement with the condition incident_open waits for: the sharing
// side's control room (anyone there who may see it) says when there is
// one.
func (s *Service) SetIncident(ctx context.Context, c Caller, a SharingAgreement, open bool, reference string) (SharingAgreement, error) {
	reference = strings.TrimSpace(reference)
	if err := c.checkIncident(a, open, reference); err != nil {
		return a, err
	}
	by := c.Actor
	state := "closed"
	if open {
		t := s.now().UTC()
		a.IncidentOpenAt, a.IncidentReference, state = &t, reference, "opened"
	} else {
		a.IncidentOpenAt = nil
	}
	err := s.do(ctx, func(tx Repo) error {
		if err := tx.UpdateSharingAgreement(ctx, &a); err != nil {
			return err
		}
		return s.log(tx, by, auditlog.SharingIncident, fmt.Sprintf("agreement %d (%s): incident %s %s", a.ID, a.Reference, a.IncidentReference, state))
	})
	return a, err
}

// SetRolesIn replaces user's roles, in tx with its record.
func (s *Service) SetRolesIn(ctx context.Context, tx Repo, by auditlog.Actor, user int64, roles []UserRole, note string) error {
	if err := tx.SetUserRoles(ctx, user, roles); err != nil {
		return err
	}
	name, err := tx.RolesHolder(ctx, user)
	if err != nil {
		return err
	}
	return s.log(tx, by, auditlog.RightsSetRoles, fmt.Sprintf("user %s: roles %s", name, DescribeRoles(roles))+note)
}
