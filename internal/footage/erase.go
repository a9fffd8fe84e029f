package footage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Early deletion of footage, by those who manage the camera, with a
// reason. Where the camera's organisation, or one that owned it at some
// instant of the range (or one above them), requires four eyes for
// delete_footage, the deletion waits for someone else who manages the
// camera to approve it, and the footage goes when they do; otherwise it
// goes at once. Either way what is deleted is decided when it is
// deleted, so footage held as evidence meanwhile stays.

// MaxDeletionRange bounds one request: enough for a day's mistake or a
// month's erasure request, small enough to read back before approving.
const MaxDeletionRange = 31 * 24 * time.Hour

// DeletionRequest asks to delete a camera's footage in [Start, End).
type DeletionRequest struct {
	Start, End time.Time
	Reason     string
	// DryRun asks what would be deleted, deleting nothing.
	DryRun bool
}

// Range is a stretch of time, [Start, End).
type Range struct {
	Start, End time.Time
}

// Kept is footage inside a deletion's range left in place, and why.
type Kept struct {
	Start, End time.Time
	Why        string
}

// Deletion is what an early deletion did, would do (a dry run), or the
// request it waits on.
type Deletion struct {
	CameraID   int64
	Start, End time.Time
	Reason     string
	// Deleted is from the start of the first deleted segment to the end
	// of the last; nil when nothing was.
	Deleted  *Range
	Segments int
	Bytes    int64
	// Kept is footage inside the range left in place.
	Kept []Kept
	// ApprovalID is the approved request carried out; 0: none.
	ApprovalID int64
	// DryRun: nothing was deleted; this is what would be, and whether it
	// waits for a second person's approval first.
	DryRun        bool
	NeedsApproval bool
	// Pending is the request for a second person's approval the
	// deletion now waits on; nil when it was carried out (or a dry run).
	Pending *approvals.Approval
}

func keptList(ks []recording.Kept) []Kept {
	out := []Kept{}
	for _, k := range ks {
		out = append(out, Kept{Start: k.Start, End: k.End, Why: k.Why})
	}
	return out
}

// describeKept says in a sentence what footage in the range stays.
func describeKept(ks []recording.Kept) string {
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s to %s (%s)", k.Start.Format(time.RFC3339), k.End.Format(time.RFC3339), k.Why))
	}
	return strings.Join(parts, "; ")
}

// refusePlan is the refusal of a plan that may not or cannot be carried
// out: footage under a hold, or nothing wholly inside the range.
func refusePlan(p recording.ErasurePlan) error {
	if len(p.Holds) > 0 {
		var hs []string
		for _, h := range p.Holds {
			hs = append(hs, fmt.Sprintf("evidence hold %d (%s, %s to %s)", h.ID, h.Reason, h.Start.Format(time.RFC3339), h.End.Format(time.RFC3339)))
		}
		return problem.Conflictf("footage in this range is under %s; held footage is never deleted", strings.Join(hs, ", "))
	}
	if len(p.Delete) == 0 {
		if len(p.Kept) > 0 {
			return problem.Conflictf("nothing in this range can be deleted: %s", describeKept(p.Kept))
		}
		return problem.Conflictf("there is no footage of this camera between start and end to delete")
	}
	return nil
}

// RequestDeletion deletes camera c's footage in the request's range now,
// or, where four eyes apply, asks for a second person's approval and
// answers the request in Pending; by must manage the camera. A dry run
// says what would be deleted and whether it would wait.
func (s *Service) RequestDeletion(ctx context.Context, by Caller, c cameras.Camera, in DeletionRequest) (Deletion, error) {
	if err := s.mayDo(by, rights.ManageCameras, c); err != nil {
		return Deletion{}, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case in.Start.IsZero() || in.End.IsZero() || !in.End.After(in.Start):
		return Deletion{}, problem.Invalidf(`give start and end, RFC 3339 times, the end after the start, and the reason, e.g. {"start": "2026-11-21T10:00:00Z", "end": "2026-11-21T10:05:00Z", "reason": "erasure request DSR-12"}`)
	case in.End.Sub(in.Start) > MaxDeletionRange:
		return Deletion{}, problem.Invalidf("delete at most 31 days in one request")
	case in.End.After(s.opt.Now()):
		return Deletion{}, problem.Invalidf("the range must have ended: footage not yet recorded cannot be deleted")
	case (in.Reason == "" && !in.DryRun) || utf8.RuneCountInString(in.Reason) > MaxReason:
		return Deletion{}, problem.Invalidf("give the reason for deleting the footage (1 to %d characters): the approver and the audit trail need it", MaxReason)
	}
	if s.opt.Eraser == nil {
		return Deletion{}, problem.New(problem.ErrUnavailable, "this server cannot delete footage early", nil)
	}
	start, end := in.Start.UTC(), in.End.UTC()
	plan, err := s.opt.Eraser.Plan(ctx, c.ID, start, end)
	if err != nil {
		return Deletion{}, err
	}
	if err := refusePlan(plan); err != nil {
		return Deletion{}, err
	}
	need, policy, err := s.needsApproval(ctx, by, c, start, end, rights.FourEyesDeletion)
	if err != nil {
		return Deletion{}, err
	}
	if in.DryRun {
		from, to, bytes := plan.Extent()
		return Deletion{CameraID: c.ID, Start: start, End: end, Reason: in.Reason, Deleted: &Range{Start: from, End: to},
			Segments: len(plan.Delete), Bytes: bytes, Kept: keptList(plan.Kept), DryRun: true, NeedsApproval: need}, nil
	}
	if need {
		from, to, bytes := plan.Extent()
		summary := fmt.Sprintf("Delete footage of %s early, %s to %s: %d segment(s), %s to %s, %d bytes", c.Name,
			start.Format(time.RFC3339), end.Format(time.RFC3339), len(plan.Delete), from.Format(time.RFC3339), to.Format(time.RFC3339), bytes)
		if len(plan.Kept) > 0 {
			summary += "; kept: " + describeKept(plan.Kept)
		}
		ap := approvals.Approval{OrganisationID: policy, Action: rights.FourEyesDeletion, Kind: approvals.KindDeleteFootage, Summary: summary,
			Reason: in.Reason, CameraID: c.ID, RangeStart: &start, RangeEnd: &end}
		ap, err := s.opt.Approvals.Request(ctx, by.Actor, ap, auditlog.Entry{Detail: summary, Reason: in.Reason})
		if err != nil {
			return Deletion{}, err
		}
		return Deletion{CameraID: c.ID, Start: start, End: end, Reason: in.Reason, NeedsApproval: true, Pending: &ap}, nil
	}
	return s.erase(ctx, by, c.ID, start, end, in.Reason, nil)
}

// erase deletes a camera's footage in [start, end) now, by by, and,
// where ap is not nil, as the approval of request ap: in one change
// with its audit record, then the files.
func (s *Service) erase(ctx context.Context, by Caller, cameraID int64, start, end time.Time, reason string, ap *approvals.Approval) (Deletion, error) {
	if s.opt.Eraser == nil {
		return Deletion{}, problem.New(problem.ErrUnavailable, "this server cannot delete footage early", nil)
	}
	plan, err := s.opt.Eraser.Plan(ctx, cameraID, start, end)
	if err != nil {
		return Deletion{}, err
	}
	if err := refusePlan(plan); err != nil {
		return Deletion{}, err
	}
	who := "by " + by.Actor.Username
	if ap != nil {
		who = fmt.Sprintf("request %d of %s approved by %s", ap.ID, s.username(ctx, ap.RequestedBy), by.Actor.Username)
	}
	from, to, bytes := plan.Extent()
	detail := fmt.Sprintf("early deletion, %s: %d segment(s), %s to %s, %d bytes", who, len(plan.Delete),
		from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), bytes)
	if ap != nil {
		detail += fmt.Sprintf(" (approval: request %d of user %d, approved by user %d)", ap.ID, ap.RequestedBy, by.Actor.UserID)
	}
	if len(plan.Kept) > 0 {
		detail += "; kept: " + describeKept(plan.Kept)
	}
	rec := by.Actor.Entry(auditlog.FootageDeleted, detail)
	rec.CameraID, rec.RangeStart, rec.RangeEnd, rec.Reason = cameraID, &start, &end, reason
	why := "deleted early: " + reason + ", " + who
	// The rows, their deletion log, the gap and the record commit
	// together, or none of them; the files go after.
	var res recording.ErasureResult
	err = s.change(ctx, func(tx Repo) error {
		var err error
		res, err = recording.EraseRows(ctx, tx, plan, s.opt.Now(), why, why)
		if err != nil || len(res.Deleted) == 0 {
			return err // a request that deletes nothing writes no record
		}
		return tx.Log(rec)
	})
	if err != nil {
		return Deletion{}, err
	}
	s.opt.Eraser.Removed(res, why)
	out := Deletion{CameraID: cameraID, Start: start, End: end, Reason: reason, Segments: len(res.Deleted), Kept: keptList(res.Kept)}
	if ap != nil {
		out.ApprovalID = ap.ID
	}
	if len(res.Deleted) > 0 {
		out.Deleted = &Range{Start: res.Gap.Start, End: res.Gap.End}
		_, _, out.Bytes = recording.ErasurePlan{Delete: res.Deleted}.Extent()
	}
	return out, nil
}

// username names a user for a record, even one since deleted.
func (s *Service) username(ctx context.Context, id int64) string {
	if u, err := s.repo.User(ctx, id); err == nil {
		return u.Username
	}
	return fmt.Sprintf("user %d (deleted)", id)
}

// CarryOutDeletion deletes the footage of ap, a deletion request by has
// just approved, and settles the request with the outcome: applied, with
// what went, or failed, with why (a refusal's message; the error is
// returned for the log).
func (s *Service) CarryOutDeletion(ctx context.Context, by Caller, ap approvals.Approval) (approvals.Approval, error) {
	if ap.RangeStart == nil || ap.RangeEnd == nil {
		return ap, errors.New("footage: a deletion request without its range")
	}
	out, err := s.erase(ctx, by, ap.CameraID, *ap.RangeStart, *ap.RangeEnd, ap.Reason, &ap)
	if err != nil {
		ap.State, ap.Note = approvals.Failed, problem.Message(err, "the change could not be made; the server's log says why")
		if serr := s.repo.SettleApproval(ctx, ap.ID, ap.State, ap.Note); serr != nil {
			s.log.Error("settling an approval", "approval", ap.ID, "err", serr)
		}
		return ap, err
	}
	note := "nothing left to delete"
	if out.Deleted != nil {
		note = fmt.Sprintf("deleted %d segment(s), %s to %s", out.Segments, out.Deleted.Start.Format(time.RFC3339), out.Deleted.End.Format(time.RFC3339))
	}
	if len(out.Kept) > 0 {
		note += fmt.Sprintf("; %d part(s) kept: at the edges, still recording or held", len(out.Kept))
	}
	if ap.Note != "" {
		note = ap.Note + " — " + note
	}
	ap.State, ap.Note = approvals.Applied, note
	return ap, s.repo.SettleApproval(ctx, ap.ID, ap.State, ap.Note)
}
