package approvals

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Repo is what the service needs of storage; *store.Store implements it.
type Repo interface {
	Approval(ctx context.Context, id int64) (Approval, error)
	// ListApprovals lists requests in state ("" for any), newest first,
	// at most limit.
	ListApprovals(ctx context.Context, state string, limit int) ([]Approval, error)
	// CameraOrganisation is the organisation that owns live camera id,
	// over which an export or a deletion is decided; a deleted one is a
	// problem.ErrNotFound.
	CameraOrganisation(ctx context.Context, id int64) (int64, error)
	CreateApproval(ctx context.Context, a *Approval) error
	// DecideApproval records a decision on a pending request; of two at
	// once one wins, the other gets ErrNotPending.
	DecideApproval(ctx context.Context, id, by int64, state, note string, at, expires time.Time) (Approval, error)
	SettleApproval(ctx context.Context, id int64, state, note string) error
	Log(e auditlog.Entry) error // in a change: the record commits with it
}

// An Applier makes the changes of one kind inside the transaction tx is
// bound to, and adds the change's audit record there, by, with note
// added to its detail (" (approved request 3 of user 7)" when approved;
// "" when made at once). It returns what was made, for the answer.
// The capability that owns the change implements it; T is the bound
// repository, the same for every capability (the store).
type Applier[T any] interface {
	Apply(ctx context.Context, tx T, by auditlog.Actor, ch Change, note string) (any, error)
}

// ApplierFunc is a function that is an Applier.
type ApplierFunc[T any] func(ctx context.Context, tx T, by auditlog.Actor, ch Change, note string) (any, error)

// Apply implements Applier.
func (f ApplierFunc[T]) Apply(ctx context.Context, tx T, by auditlog.Actor, ch Change, note string) (any, error) {
	return f(ctx, tx, by, ch, note)
}

// Options configure a Service.
type Options[T Repo] struct {
	// Appliers make the changes of rights, by kind.
	Appliers map[string]Applier[T]
	// After is called once an applied change has committed (the rights
	// cache to reload, live views to check).
	After func(Change)
	Now   func() time.Time
	// People says who made whom, for who may decide a request
	// (Independent) and which grants always wait (GrantHold); nil: no
	// account made another.
	People People
}

// Service asks for, decides and carries out approvals, each step with its
// audit record in the same transaction.
type Service[T Repo] struct {
	repo   Repo
	change func(ctx context.Context, fn func(tx T) error) error
	opt    Options[T]
}

// New returns the service over repo (for reads), making its changes with
// change (one transaction each).
func New[T Repo](repo Repo, change func(ctx context.Context, fn func(tx T) error) error, opt Options[T]) *Service[T] {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.After == nil {
		opt.After = func(Change) {}
	}
	return &Service[T]{repo: repo, change: change, opt: opt}
}

// Request records a pending request and its audit record. e is the
// record to write: the service sets who, the action, and begins its
// detail with the request's number; the camera and range are the
// request's.
func (s *Service[T]) Request(ctx context.Context, by auditlog.Actor, ap Approval, e auditlog.Entry) (Approval, error) {
	ap.RequestedBy = by.UserID
	if ap.ExpiresAt.IsZero() {
		ap.ExpiresAt = s.opt.Now().Add(Life)
	}
	err := s.change(ctx, func(tx T) error {
		if err := tx.CreateApproval(ctx, &ap); err != nil {
			return err
		}
		rec := by.Entry(auditlog.ApprovalRequest, fmt.Sprintf("request %d: %s", ap.ID, e.Detail))
		rec.CameraID, rec.RangeStart, rec.RangeEnd, rec.Reason, rec.At = ap.CameraID, ap.RangeStart, ap.RangeEnd, e.Reason, s.opt.Now().UTC()
		return tx.Log(rec)
	})
	return ap, err
}

// Proposal is a change of rights to make at once, or to hold for a
// second person when Hold says so.
type Proposal struct {
	Change          Change
	Hold            Hold
	Summary, Reason string
}

// Outcome is what came of a proposal: the change made (Made, what its
// Applier returned), or the request that holds it (Pending).
type Outcome struct {
	Made    any
	Pending *Approval
}

// Propose makes p's change at once with its audit record, or, where a
// four-eyes policy in snap (or p.Hold.Always) asks for a second person,
// records the request instead.
func (s *Service[T]) Propose(ctx context.Context, by auditlog.Actor, snap *rights.Snapshot, p Proposal) (Outcome, error) {
	if org, act, held := p.Hold.By(snap); held {
		payload, err := json.Marshal(p.Change)
		if err != nil {
			return Outcome{}, err
		}
		ap := Approval{OrganisationID: org, Action: act, Kind: p.Change.Kind, Payload: string(payload), Summary: p.Summary, Reason: p.Reason}
		ap, err = s.Request(ctx, by, ap, auditlog.Entry{Detail: p.Summary})
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{Pending: &ap}, nil
	}
	a, ok := s.opt.Appliers[p.Change.Kind]
	if !ok {
		return Outcome{}, fmt.Errorf("approvals: no applier for %q", p.Change.Kind)
	}
	var made any
	err := s.change(ctx, func(tx T) error {
		var err error
		made, err = a.Apply(ctx, tx, by, p.Change, "")
		return err
	})
	if err != nil {
		return Outcome{}, err
	}
	s.opt.After(p.Change)
	return Outcome{Made: made}, nil
}

// Decide approves or rejects request id for c. A request c may not see
// is "no request N" (problem.ErrNotFound, as Get); a note longer than
// MaxNote is refused (problem.ErrInvalid), and so is one too close to
// the request (Independent), before anything is decided. Approving a change of rights makes it in the same
// transaction as the decision, both with their records; if it can no
// longer be made, the request is recorded approved and failed, with why.
// Approving an export opens its download window. An early deletion is
// the caller's to carry out, after.
func (s *Service[T]) Decide(ctx context.Context, c Caller, id int64, approve bool, note string) (Approval, error) {
	ap, err := s.Get(ctx, c, id)
	if err != nil {
		return Approval{}, err
	}
	if utf8.RuneCountInString(note) > MaxNote {
		return Approval{}, problem.Invalidf("the note must be at most %d characters", MaxNote)
	}
	// Whoever sees a request but its requester may decide it (Visible);
	// the requester, and those too close to it, are refused here.
	by := c.Actor
	if err := s.Independent(ctx, by.UserID, ap); err != nil {
		return Approval{}, err
	}
	state, act, window := Rejected, auditlog.ApprovalReject, time.Time{}
	if approve {
		state, act = Approved, auditlog.ApprovalApprove
		if ap.Kind == KindExport {
			window = s.opt.Now().Add(ExportWindow)
		}
	}
	ch, isChange := ChangeOf(ap)
	applier := s.opt.Appliers[ap.Kind]
	apply := approve && ap.Kind != KindExport && ap.Kind != KindDeleteFootage
	decide := func(tx T) (Approval, error) {
		d, err := tx.DecideApproval(ctx, ap.ID, by.UserID, state, note, s.opt.Now(), window)
		switch {
		case errors.Is(err, ErrNotPending):
			return d, problem.New(problem.ErrConflict, fmt.Sprintf("request %d is no longer pending (it is %s)", ap.ID, ap.State), err)
		case err != nil:
			return d, err
		}
		rec := by.Entry(act, fmt.Sprintf("request %d of user %d: %s", ap.ID, ap.RequestedBy, ap.Summary))
		rec.CameraID, rec.RangeStart, rec.RangeEnd, rec.At = ap.CameraID, ap.RangeStart, ap.RangeEnd, s.opt.Now().UTC()
		return d, tx.Log(rec)
	}
	var decided Approval
	var applyErr error
	err = s.change(ctx, func(tx T) error {
		var err error
		if decided, err = decide(tx); err != nil || !apply {
			return err
		}
		switch {
		case !isChange || applier == nil:
			applyErr = fmt.Errorf("approvals: no applier for %q", ap.Kind)
		default:
			_, applyErr = applier.Apply(ctx, tx, by, ch, fmt.Sprintf(" (approved request %d of user %d)", ap.ID, ap.RequestedBy))
		}
		if applyErr != nil {
			return applyErr
		}
		decided.State = Applied
		return tx.SettleApproval(ctx, ap.ID, Applied, decided.Note)
	})
	if applyErr == nil {
		if err == nil && apply {
			s.opt.After(ch)
		}
		return decided, err
	}
	// The change could not be made: the decision stands, and the request
	// says why it failed.
	why := problem.Message(applyErr, "the change could not be made; the server's log says why")
	err = s.change(ctx, func(tx T) error {
		var err error
		if decided, err = decide(tx); err != nil {
			return err
		}
		decided.State, decided.Note = Failed, why
		return tx.SettleApproval(ctx, ap.ID, Failed, why)
	})
	if err != nil {
		return Approval{}, err
	}
	return decided, &FailedError{Approval: decided, Err: applyErr}
}

// FailedError is Decide's answer when the approved change could not be
// made: the request is recorded failed, and Err is why.
type FailedError struct {
	Approval Approval
	Err      error
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("approved request %d failed: %v", e.Approval.ID, e.Err)
}

func (e *FailedError) Unwrap() error { return e.Err }
