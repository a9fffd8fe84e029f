package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Early deletion of footage: POST /api/v1/cameras/{id}/deletions, by
// those who manage the camera, with a reason. Where the camera's
// organisation, or one that owned it at some instant of the range (or
// one above them), requires four eyes for delete_footage,
// it answers 202 with a request that someone else who manages the camera
// approves, and the footage goes when they do; otherwise it goes at once.
// Either way what is deleted is decided when it is deleted, so footage
// held as evidence meanwhile stays.

const kindDeleteFootage = approvals.KindDeleteFootage

// maxDeletionRange bounds one request: enough for a day's mistake or a
// month's erasure request, small enough to read back before approving.
const maxDeletionRange = 31 * 24 * time.Hour

// deletionRequest is the body of POST /api/v1/cameras/{id}/deletions.
type deletionRequest struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason"`
	// DryRun asks what would be deleted, deleting nothing: the console's
	// confirmation.
	DryRun bool `json:"dry_run"`
}

type keptJSON struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Why   string    `json:"why"`
}

type rangeJSON struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// deletionJSON is what an early deletion did.
type deletionJSON struct {
	CameraID int64     `json:"camera_id"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Reason   string    `json:"reason"`
	// Deleted is from the start of the first deleted segment to the end
	// of the last; null when nothing was.
	Deleted  *rangeJSON `json:"deleted"`
	Segments int        `json:"segments"`
	Bytes    int64      `json:"bytes"`
	// Kept is footage inside the range left in place, and why.
	Kept     []keptJSON `json:"kept"`
	Approval *int64     `json:"approval,omitempty"`
	// DryRun: nothing was deleted; this is what would be, and whether
	// it waits for a second person's approval first.
	DryRun        bool `json:"dry_run,omitempty"`
	NeedsApproval bool `json:"needs_approval,omitempty"`
}

func keptList(ks []recording.Kept) []keptJSON {
	out := []keptJSON{}
	for _, k := range ks {
		out = append(out, keptJSON{Start: k.Start, End: k.End, Why: k.Why})
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
		return errorf(http.StatusConflict, "footage in this range is under "+strings.Join(hs, ", ")+"; held footage is never deleted", nil)
	}
	if len(p.Delete) == 0 {
		msg := "there is no footage of this camera between start and end to delete"
		if len(p.Kept) > 0 {
			msg = "nothing in this range can be deleted: " + describeKept(p.Kept)
		}
		return errorf(http.StatusConflict, msg, nil)
	}
	return nil
}

func (s *Server) requestDeletion(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cameraFor(r, rights.ManageCameras)
	if err != nil {
		return err
	}
	var in deletionRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case in.Start.IsZero() || in.End.IsZero() || !in.End.After(in.Start):
		return badRequest(`give start and end, RFC 3339 times, the end after the start, and the reason, e.g. {"start": "2026-11-21T10:00:00Z", "end": "2026-11-21T10:05:00Z", "reason": "erasure request DSR-12"}`)
	case in.End.Sub(in.Start) > maxDeletionRange:
		return badRequest("delete at most 31 days in one request")
	case in.End.After(s.now()):
		return badRequest("the range must have ended: footage not yet recorded cannot be deleted")
	case (in.Reason == "" && !in.DryRun) || utf8.RuneCountInString(in.Reason) > maxReason:
		return badRequest(fmt.Sprintf("give the reason for deleting the footage (1 to %d characters): the approver and the audit trail need it", maxReason))
	}
	if s.opt.Eraser == nil {
		return errorf(http.StatusServiceUnavailable, "this server cannot delete footage early", nil)
	}
	start, end := in.Start.UTC(), in.End.UTC()
	plan, err := s.opt.Eraser.Plan(r.Context(), c.ID, start, end)
	if err != nil {
		return err
	}
	if err := refusePlan(plan); err != nil {
		return err
	}
	a := accessFrom(r.Context())
	need, by, err := s.footageNeedsApproval(r.Context(), a, c, start, end, rights.FourEyesDeletion)
	if err != nil {
		return err
	}
	if in.DryRun {
		from, to, bytes := plan.Extent()
		writeJSON(w, http.StatusOK, deletionJSON{CameraID: c.ID, Start: start, End: end, Reason: in.Reason, Deleted: &rangeJSON{Start: from, End: to},
			Segments: len(plan.Delete), Bytes: bytes, Kept: keptList(plan.Kept), DryRun: true, NeedsApproval: need})
		return nil
	}
	if need {
		from, to, bytes := plan.Extent()
		summary := fmt.Sprintf("Delete footage of %s early, %s to %s: %d segment(s), %s to %s, %d bytes", c.Name,
			start.Format(time.RFC3339), end.Format(time.RFC3339), len(plan.Delete), from.Format(time.RFC3339), to.Format(time.RFC3339), bytes)
		if len(plan.Kept) > 0 {
			summary += "; kept: " + describeKept(plan.Kept)
		}
		ap := approvals.Approval{OrganisationID: by, Action: rights.FourEyesDeletion, Kind: kindDeleteFootage, Summary: summary,
			Reason: in.Reason, CameraID: c.ID, RangeStart: &start, RangeEnd: &end}
		ap, err := s.approvalSvc.Request(r.Context(), requestActor(r), ap, auditlog.Entry{Detail: summary, Reason: in.Reason})
		if err != nil {
			return refusal(err)
		}
		out, err := s.approvalJSON(r.Context(), a, ap, nil)
		if err != nil {
			return err
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v1/approvals/%d", ap.ID))
		writeJSON(w, http.StatusAccepted, out)
		return nil
	}
	out, err := s.eraseFootage(r, c.ID, start, end, in.Reason, nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// eraseFootage deletes a camera's footage in [start, end) now, as the
// request's user, and, where ap is not nil, as approved by them. The
// audit record is written before anything is deleted.
func (s *Server) eraseFootage(r *http.Request, cameraID int64, start, end time.Time, reason string, ap *approvals.Approval) (deletionJSON, error) {
	ctx := r.Context()
	plan, err := s.opt.Eraser.Plan(ctx, cameraID, start, end)
	if err != nil {
		return deletionJSON{}, err
	}
	if err := refusePlan(plan); err != nil {
		return deletionJSON{}, err
	}
	who := userFrom(ctx)
	by := "by " + who.Username
	if ap != nil {
		by = fmt.Sprintf("request %d of %s approved by %s", ap.ID, s.username(ctx, ap.RequestedBy), who.Username)
	}
	from, to, bytes := plan.Extent()
	detail := fmt.Sprintf("early deletion, %s: %d segment(s), %s to %s, %d bytes", by, len(plan.Delete),
		from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), bytes)
	if ap != nil {
		detail += fmt.Sprintf(" (approval: request %d of user %d, approved by user %d)", ap.ID, ap.RequestedBy, who.ID)
	}
	if len(plan.Kept) > 0 {
		detail += "; kept: " + describeKept(plan.Kept)
	}
	// The record commits with the deletion, or neither happens.
	rec := userActor(who, r).Entry(auditlog.FootageDeleted, detail)
	rec.CameraID, rec.RangeStart, rec.RangeEnd, rec.Reason = cameraID, &start, &end, reason
	res, err := s.opt.Eraser.Erase(ctx, plan, "deleted early: "+reason+", "+by, "deleted early: "+reason+", "+by, rec)
	if err != nil {
		return deletionJSON{}, err
	}
	out := deletionJSON{CameraID: cameraID, Start: start, End: end, Reason: reason, Segments: len(res.Deleted), Kept: keptList(res.Kept)}
	if ap != nil {
		out.Approval = &ap.ID
	}
	if len(res.Deleted) > 0 {
		out.Deleted = &rangeJSON{Start: res.Gap.Start, End: res.Gap.End}
		_, _, out.Bytes = recording.ErasurePlan{Delete: res.Deleted}.Extent()
	}
	return out, nil
}

// username names a user for a record, even one since deleted.
func (s *Server) username(ctx context.Context, id int64) string {
	if u, err := s.st.User(ctx, id); err == nil {
		return u.Username
	}
	return fmt.Sprintf("user %d (deleted)", id)
}

// carryOutDeletion deletes the footage of an approved request and
// records the outcome on it.
func (s *Server) carryOutDeletion(r *http.Request, ap approvals.Approval) (approvals.Approval, error) {
	if ap.RangeStart == nil || ap.RangeEnd == nil {
		return ap, errors.New("web: a deletion request without its range")
	}
	out, err := s.eraseFootage(r, ap.CameraID, *ap.RangeStart, *ap.RangeEnd, ap.Reason, &ap)
	if err != nil {
		ap.State, ap.Note = approvals.Failed, errorMessage(err)
		if serr := s.st.SettleApproval(r.Context(), ap.ID, ap.State, ap.Note); serr != nil {
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
	return ap, s.st.SettleApproval(r.Context(), ap.ID, ap.State, ap.Note)
}
