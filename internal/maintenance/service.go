package maintenance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Repo is what maintenance needs of storage; *store.Store implements it
// (store declares `var _ maintenance.Repo = (*Store)(nil)`). The store
// keeps its own checks of what it writes, and the atomic step of a fault
// (two people recording the same step do not both succeed); the rules
// are here.
type Repo interface {
	// CameraLives lists every camera ever made, removed ones included;
	// CameraLife returns one (problem.ErrNotFound if it never existed).
	CameraLives(ctx context.Context) ([]CameraLife, error)
	CameraLife(ctx context.Context, id int64) (CameraLife, error)

	Contractors(ctx context.Context) ([]Contractor, error)
	EnsureContractor(ctx context.Context, name, contact string) (Contractor, error)

	AddOutage(ctx context.Context, o *Outage) error
	EndOutage(ctx context.Context, id int64, at time.Time, reason string) error
	OpenOutages(ctx context.Context) ([]Outage, error)
	Outages(ctx context.Context, camera int64, from, to time.Time) ([]Outage, error)

	RaiseFault(ctx context.Context, f *Fault) error
	Fault(ctx context.Context, id int64) (Fault, error)
	ListFaults(ctx context.Context, f FaultFilter) ([]Fault, error)
	AdvanceFault(ctx context.Context, id int64, state string, at time.Time, by, note string) (Fault, error)
	SetFaultPriority(ctx context.Context, id int64, priority string, responseDue, fixDue time.Time) error

	// Log adds an audit record to the transaction of a Change: it
	// commits with the change or not at all.
	Log(e auditlog.Entry) error
}

// Change runs fn in one transaction of the main database, handing it the
// Repo bound to it; audit.Changer makes one from the server's outbox.
type Change func(ctx context.Context, fn func(tx Repo) error) error

// Caller is who asks: the actor the audit records name, and their rights,
// from which the service decides what they may see and do.
type Caller struct {
	By        auditlog.Actor
	Principal rights.Principal
	Rights    *rights.Snapshot
}

// Service changes and reads the maintenance record, each change with its
// audit record.
type Service struct {
	repo   Repo
	change Change
	policy Policy
	now    func() time.Time
}

// NewService makes the service. now is the clock (time.Now when nil).
func NewService(repo Repo, change Change, policy Policy, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{repo: repo, change: change, policy: policy, now: now}
}

// Policy is the policy the service applies.
func (s *Service) Policy() Policy { return s.policy }

// FaultInput is a fault a person reports.
type FaultInput struct {
	CameraID    int64
	Kind        string
	Priority    string // "" for the default: P3, or the policy's offline priority for an offline fault
	Description string
}

// Raise records a fault reported by a person on a camera they may do
// anything to, assigned to the policy's contractor; a camera they may not
// see is "no camera N".
func (s *Service) Raise(ctx context.Context, c Caller, in FaultInput) (Fault, error) {
	now := s.now().UTC()
	cam, err := s.repo.CameraLife(ctx, in.CameraID)
	if errors.Is(err, problem.ErrNotFound) || err == nil && cam.Deleted != nil {
		return Fault{}, problem.Notf("no camera %d", in.CameraID)
	} else if err != nil {
		return Fault{}, err
	}
	if c.Rights.On(c.Principal, rights.Camera{ID: cam.ID, Org: cam.OrganisationID}, now) == 0 {
		return Fault{}, problem.Notf("no camera %d", cam.ID)
	}
	if in.Priority == "" {
		in.Priority = "P3"
		if in.Kind == FaultOffline {
			in.Priority = s.policy.OfflinePriority
		}
	}
	if !ValidPriority(in.Priority) {
		return Fault{}, problem.Invalidf("priority %q is not one of %s", in.Priority, strings.Join(Priorities, ", "))
	}
	desc := strings.TrimSpace(in.Description)
	if desc == "" {
		return Fault{}, problem.Invalidf("say what is wrong (description)")
	}
	if err := checkFault(in.Kind, desc); err != nil {
		return Fault{}, err
	}
	resp, fix, err := s.policy.Due(in.Priority, now)
	if err != nil {
		return Fault{}, problem.Invalidf("%s", err.Error())
	}
	f := Fault{CameraID: cam.ID, Kind: in.Kind, Priority: in.Priority, Description: desc,
		RaisedAt: now, RaisedBy: c.By.Username, ResponseDue: resp, FixDue: fix}
	err = s.change(ctx, func(tx Repo) error {
		if s.policy.Contractor != "" {
			ct, err := tx.EnsureContractor(ctx, s.policy.Contractor, "")
			if err != nil {
				return err
			}
			f.ContractorID = ct.ID
		}
		if err := tx.RaiseFault(ctx, &f); err != nil {
			return err
		}
		return tx.Log(raisedEntry(c.By, f))
	})
	if err != nil {
		return Fault{}, err
	}
	return f, nil
}

// checkFault is the rule of what a fault says of itself.
func checkFault(kind, desc string) error {
	if !slices.Contains(FaultKinds, kind) {
		return problem.Invalidf("%q is not a kind of fault; they are %s", kind, strings.Join(FaultKinds, ", "))
	}
	if len(desc) > MaxFaultText {
		return problem.Invalidf("the description is longer than %d bytes", MaxFaultText)
	}
	return nil
}

// raisedEntry is the audit record of a fault raised, by a person or by
// Vigil.
func raisedEntry(by auditlog.Actor, f Fault) auditlog.Entry {
	e := by.Entry(auditlog.FaultRaise, fmt.Sprintf("fault %d: %s, %s: %s", f.ID, f.Kind, f.Priority, f.Description))
	e.CameraID = f.CameraID
	return e
}

// updatedEntry is the audit record of a fault changed.
func updatedEntry(by auditlog.Actor, f Fault, note string) auditlog.Entry {
	e := by.Entry(auditlog.FaultUpdate, fmt.Sprintf("fault %d: state %s, priority %s, note %q", f.ID, f.State, f.Priority, note))
	e.CameraID = f.CameraID
	return e
}

// FaultChange is a change to a fault: a step of its progress, a new
// priority, or both.
type FaultChange struct {
	// State moves the fault on: acknowledged, fixed or closed.
	State string
	// At dates the step (a response reported by telephone an hour ago);
	// now when nil, never in the future.
	At       *time.Time
	Priority string
	// Note goes with a step and replaces the fault's note.
	Note string
}

// Update records the contractor's progress on a fault, or changes its
// priority (and so its deadlines), for those who manage its camera: a
// fault of a camera they may not see is "no fault N". Everything is
// checked before anything is written; a step the fault has already taken
// (someone recorded it first) is a conflict.
func (s *Service) Update(ctx context.Context, c Caller, id int64, in FaultChange) (Fault, error) {
	now := s.now().UTC()
	f, err := s.visibleFault(ctx, c, id, now)
	if err != nil {
		return Fault{}, err
	}
	at := now
	if in.At != nil {
		if in.At.After(now) {
			return Fault{}, problem.Invalidf("a step cannot be dated in the future")
		}
		at = in.At.UTC()
	}
	newPriority := in.Priority != "" && in.Priority != f.Priority
	var resp, fix time.Time
	if newPriority {
		if !ValidPriority(in.Priority) {
			return Fault{}, problem.Invalidf("priority %q is not one of %s", in.Priority, strings.Join(Priorities, ", "))
		}
		if resp, fix, err = s.policy.Due(in.Priority, f.RaisedAt); err != nil {
			return Fault{}, problem.Invalidf("%s", err.Error())
		}
	}
	if in.State == "" && in.Note != "" {
		return Fault{}, problem.Invalidf("a note goes with a step: give the state it records")
	}
	err = s.change(ctx, func(tx Repo) error {
		if in.State != "" {
			cur, err := tx.Fault(ctx, f.ID)
			if err != nil {
				return err
			}
			if err := checkStep(cur, in.State, at, in.Note); err != nil {
				return err
			}
			if _, err := tx.AdvanceFault(ctx, f.ID, in.State, at, c.By.Username, in.Note); err != nil {
				if errors.Is(err, problem.ErrInvalid) {
					// Changed by someone else between the read and the
					// write: the store's refusal says how, and is a
					// conflict, not a bad request.
					return problem.Conflictf("%s", err.Error())
				}
				return err
			}
		}
		if newPriority {
			if err := tx.SetFaultPriority(ctx, f.ID, in.Priority, resp, fix); err != nil {
				return err
			}
		}
		if f, err = tx.Fault(ctx, f.ID); err != nil {
			return err
		}
		return tx.Log(updatedEntry(c.By, f, in.Note))
	})
	if err != nil {
		return Fault{}, err
	}
	return f, nil
}

// checkStep is the rule of a fault's progress: a step moves it on to a
// later state, dated no earlier than it was raised. A step refused here
// is a conflict with the fault as it stands.
func checkStep(f Fault, state string, at time.Time, note string) error {
	to := slices.Index(FaultStates, state)
	switch {
	case to <= 0:
		return problem.Conflictf("%q is not a step a fault can move to; they are acknowledged, fixed and closed", state)
	case len(note) > MaxFaultText:
		return problem.Conflictf("the note is longer than %d bytes", MaxFaultText)
	case slices.Index(FaultStates, f.State) >= to:
		return problem.Conflictf("fault %d is already %s", f.ID, f.State)
	case at.Before(f.RaisedAt):
		return problem.Conflictf("a step cannot be dated before the fault was raised")
	}
	return nil
}

// MayUpdate refuses, as Update would, a caller who may not change fault
// id: for a caller to learn that before it reads the change itself.
func (s *Service) MayUpdate(ctx context.Context, c Caller, id int64) error {
	_, err := s.visibleFault(ctx, c, id, s.now().UTC())
	return err
}

// visibleFault returns fault id if the caller may manage its camera: one
// they may not see is "no fault N"; one they see but may not manage is
// refused with the reason.
func (s *Service) visibleFault(ctx context.Context, c Caller, id int64, now time.Time) (Fault, error) {
	f, err := s.repo.Fault(ctx, id)
	if errors.Is(err, problem.ErrNotFound) {
		return Fault{}, problem.Notf("no fault %d", id)
	} else if err != nil {
		return Fault{}, err
	}
	cam, err := s.repo.CameraLife(ctx, f.CameraID)
	if errors.Is(err, problem.ErrNotFound) || err == nil && cam.Deleted != nil {
		return Fault{}, problem.Notf("no fault %d", f.ID)
	} else if err != nil {
		return Fault{}, err
	}
	d := c.Rights.Can(c.Principal, rights.ManageCameras, rights.Camera{ID: cam.ID, Org: cam.OrganisationID}, now)
	switch {
	case d.Allowed:
		return f, nil
	case d.Hidden:
		return Fault{}, problem.Notf("no fault %d", f.ID)
	}
	return Fault{}, problem.Forbiddenf("%s", d.Reason)
}
