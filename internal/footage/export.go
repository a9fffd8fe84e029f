package footage

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/playback"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// ExportRequest asks for a second person's approval of an export of a
// camera's footage in [Start, End).
type ExportRequest struct {
	CameraID   int64
	Start, End time.Time
	Reason     string
	// DryRun asks whether exporting the range needs approval, asking
	// nothing: the answer depends on who owned the camera while the
	// range was recorded, not only on its owner now.
	DryRun bool
}

// ExportDecision is the answer to an ExportRequest.
type ExportDecision struct {
	DryRun     bool
	CameraID   int64
	Start, End time.Time
	// NeedsApproval: the export must be asked for; otherwise it is
	// downloaded directly.
	NeedsApproval bool
	// PolicyOf names the organisation whose policy asks for approval.
	PolicyOf string
	// Message says it in a sentence for the user.
	Message string
	// Approval is the request made, waiting for a second person (not a
	// dry run).
	Approval approvals.Approval
}

// RequestExport asks for a second person's approval of an export by by,
// who must hold the export right over the camera; a dry run says whether
// one is needed, the same decision the download makes. An export that
// needs no approval is refused: it is downloaded directly.
func (s *Service) RequestExport(ctx context.Context, by Caller, in ExportRequest) (ExportDecision, error) {
	if in.CameraID <= 0 {
		return ExportDecision{}, problem.Invalidf(`give the camera_id, start, end and reason of the export, e.g. {"camera_id": 3, "start": "2026-11-21T10:00:00Z", "end": "2026-11-21T10:05:00Z", "reason": "PC 1234, crime 42/2026"}`)
	}
	c, err := s.camera(ctx, in.CameraID)
	if err != nil {
		return ExportDecision{}, err
	}
	if err := s.mayDo(by, rights.Export, c); err != nil {
		return ExportDecision{}, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case in.Start.IsZero() || in.End.IsZero() || !in.End.After(in.Start):
		return ExportDecision{}, problem.Invalidf("give start and end, RFC 3339 times, the end after the start")
	case in.End.Sub(in.Start) > playback.MaxRange:
		return ExportDecision{}, problem.Invalidf("ask for at most 24 hours in one export")
	case in.End.After(s.opt.Now()) && !in.DryRun:
		return ExportDecision{}, problem.Invalidf("the range must have ended: footage not yet recorded cannot be approved")
	case (in.Reason == "" && !in.DryRun) || utf8.RuneCountInString(in.Reason) > MaxReason:
		return ExportDecision{}, problem.Invalidf("give the reason for the export (1 to %d characters): the approver and the audit trail need it", MaxReason)
	}
	start, end := in.Start.UTC(), in.End.UTC()
	need, policy, err := s.needsApproval(ctx, by, c, start, end, rights.FourEyesExport)
	if err != nil {
		return ExportDecision{}, err
	}
	out := ExportDecision{DryRun: in.DryRun, CameraID: c.ID, Start: start, End: end, NeedsApproval: need}
	if in.DryRun {
		out.Message = "no approval needed: download it directly"
		if need {
			out.PolicyOf, out.Message = approvalNeeded(by, c, policy)
		}
		return out, nil
	}
	if !need {
		return ExportDecision{}, problem.Conflictf("exports of this footage need no approval: download it directly (video.mp4 with download=1)")
	}
	ap := approvals.Approval{OrganisationID: policy, Action: rights.FourEyesExport, Kind: approvals.KindExport,
		Summary: fmt.Sprintf("Export %s, %s to %s", c.Name, start.Format(time.RFC3339), end.Format(time.RFC3339)),
		Reason:  in.Reason, CameraID: c.ID, RangeStart: &start, RangeEnd: &end}
	out.Approval, err = s.opt.Approvals.Request(ctx, by.Actor, ap, auditlog.Entry{Detail: "export, reason: " + in.Reason})
	return out, err
}
