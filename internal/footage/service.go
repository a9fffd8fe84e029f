package footage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/playback"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/segindex"
)

// Repo is what the service needs of storage: the cameras, the segment
// index, who owned a camera when, and the requests for a second person's
// approval that exports and deletions wait on.
type Repo interface {
	// Camera is a live camera; none is a problem.ErrNotFound.
	Camera(ctx context.Context, id int64) (cameras.Camera, error)
	// CameraOwnersDuring lists the organisations that owned the camera
	// at some instant of [start, end).
	CameraOwnersDuring(ctx context.Context, camera int64, start, end time.Time) ([]int64, error)
	// SegmentsInRange are the camera's segments that overlap [start,
	// end), in order of start: the segment index's rows, which the
	// service reads as Segments.
	SegmentsInRange(ctx context.Context, camera int64, start, end time.Time) ([]segindex.Segment, error)
	// GapPartsInRange are the camera's recorded gaps cut to [start,
	// end), in order of start, split where they overlap so that each
	// part has one reason.
	GapPartsInRange(ctx context.Context, camera int64, start, end time.Time) ([]segindex.Gap, error)
	Approval(ctx context.Context, id int64) (approvals.Approval, error)
	// SettleApproval records what came of an approved request.
	SettleApproval(ctx context.Context, id int64, state, note string) error
	// User names the requester of an approval in a deletion's record.
	User(ctx context.Context, id int64) (identity.User, error)
	// DeletionTx deletes, in the change's transaction, the rows an
	// early deletion plans to, each with its deletion log entry, and the
	// gap over them (recording.EraseRows); what a hold covers by now is
	// kept.
	recording.DeletionTx
	// Log adds an audit record to the change: it commits with it.
	Log(e auditlog.Entry) error
}

// Events is the audit trail for what is not a change: footage viewed or
// exported. Append returns once the record is durable; the footage is
// refused when it fails.
type Events interface {
	Append(ctx context.Context, e auditlog.Entry) error
}

// Clips builds a recorded range as one MP4 (playback.Builder).
type Clips interface {
	Build(ctx context.Context, cameraID int64, start, end time.Time) (*playback.Clip, error)
}

// Eraser is recording's side of an early deletion (recording.Eraser):
// Plan says what deleting a camera's footage in [start, end) would do
// now; Removed removes the files of what a committed deletion deleted.
type Eraser interface {
	Plan(ctx context.Context, cameraID int64, start, end time.Time) (recording.ErasurePlan, error)
	Removed(res recording.ErasureResult, logReason string)
}

// Approvals asks for a second person's approval (approvals.Service): the
// request and its audit record commit together.
type Approvals interface {
	Request(ctx context.Context, by auditlog.Actor, ap approvals.Approval, e auditlog.Entry) (approvals.Approval, error)
}

// Options configure a Service.
type Options struct {
	// Trail is where views and exports of footage are written before
	// it is sent; required for Footage.
	Trail Events
	// Clips builds the footage served; required for Footage.
	Clips Clips
	// Eraser deletes footage early; nil: early deletion is refused.
	Eraser Eraser
	// Approvals holds exports and deletions for a second person where
	// four eyes apply; required for RequestExport and RequestDeletion.
	Approvals Approvals
	// PlaybackDelay is how old footage must be before someone without
	// the right to view a camera live may play it back; 0: no delay.
	PlaybackDelay time.Duration
	Now           func() time.Time // nil: time.Now
	Logger        *slog.Logger     // nil: discard
}

// Service decides what footage who may see, export and delete, and
// audits it.
type Service struct {
	repo   Repo
	change func(ctx context.Context, fn func(tx Repo) error) error
	opt    Options
	log    *slog.Logger
	// plays are the plays recorded lately (play.go, playing).
	plays playing
}

// New returns the service over repo; change runs a function in one
// transaction of repo's database, whose audit records commit with it.
func New(repo Repo, change func(ctx context.Context, fn func(tx Repo) error) error, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{repo: repo, change: change, opt: opt, log: opt.Logger, plays: playing{last: map[playKey]time.Time{}}}
}

// MaxReason is the longest reason an export or deletion may give.
const MaxReason = 200

// Camera returns the live camera id if by may do act to it now: one they
// may not see at all is "no camera N", like one that does not exist.
func (s *Service) Camera(ctx context.Context, by Caller, id int64, act rights.Action) (cameras.Camera, error) {
	c, err := s.camera(ctx, id)
	if err != nil {
		return c, err
	}
	return c, s.mayDo(by, act, c)
}

func (s *Service) camera(ctx context.Context, id int64) (cameras.Camera, error) {
	c, err := s.repo.Camera(ctx, id)
	if errors.Is(err, problem.ErrNotFound) {
		return c, problem.New(problem.ErrNotFound, fmt.Sprintf("no camera %d", id), err)
	}
	return c, err
}

// Recorded says which parts of [start, end) hold footage of camera c,
// and why the rest does not; by must be allowed to play it back.
func (s *Service) Recorded(ctx context.Context, by Caller, c cameras.Camera, start, end time.Time) (Recorded, error) {
	if err := s.mayDo(by, rights.PlayBack, c); err != nil {
		return Recorded{}, err
	}
	if end.Sub(start) > MaxListRange {
		return Recorded{}, problem.Invalidf("ask for at most 31 days at a time")
	}
	rows, err := s.repo.SegmentsInRange(ctx, c.ID, start, end)
	if err != nil {
		return Recorded{}, err
	}
	parts, err := s.repo.GapPartsInRange(ctx, c.ID, start, end)
	if err != nil {
		return Recorded{}, err
	}
	spans := MergeSpans(segmentsOf(rows))
	gaps := gapsOf(parts)
	return Recorded{CameraID: c.ID, Start: start, End: end, Spans: spans, Gaps: Holes(spans, gaps, start)}, nil
}

// record writes an event to the trail, refusing what it cannot record.
func (s *Service) record(ctx context.Context, e auditlog.Entry) error {
	if e.At.IsZero() {
		e.At = s.opt.Now().UTC()
	}
	if err := s.opt.Trail.Append(ctx, e); err != nil {
		return problem.New(problem.ErrUnavailable, "the audit trail cannot be written, so this is refused", err)
	}
	return nil
}

// needsApproval reports whether act (export, delete_footage) on camera
// c's footage in [start, end) needs a second person, and the
// organisation whose policy says so. Footage answers to every
// organisation that owned the camera at some instant of the range, not
// only to its owner now: moving a camera to an organisation that asks
// for no approval does not free what was recorded before.
func (s *Service) needsApproval(ctx context.Context, by Caller, c cameras.Camera, start, end time.Time, act string) (bool, int64, error) {
	if by.Snap == nil {
		return false, 0, nil
	}
	owners, err := s.repo.CameraOwnersDuring(ctx, c.ID, start, end)
	if err != nil {
		return false, 0, err
	}
	for _, org := range append([]int64{c.OrganisationID}, owners...) {
		if need, policy := by.Snap.NeedsApproval(org, act); need {
			return true, policy, nil
		}
	}
	return false, 0, nil
}

// approvalNeeded says, for by, why an export needs approval: the name of
// the organisation whose policy asks it, which may be one that owned the
// camera while the footage was recorded and owns it no longer, and a
// sentence.
func approvalNeeded(by Caller, c cameras.Camera, policy int64) (string, string) {
	name := fmt.Sprintf("organisation %d", policy)
	if by.Snap != nil {
		if o, ok := by.Snap.Org(policy); ok && o.Name != "" {
			name = o.Name
		}
	}
	if policy == c.OrganisationID {
		return name, fmt.Sprintf("exporting this footage needs a second person's approval: %s asks for it", name)
	}
	return name, fmt.Sprintf("exporting this footage needs a second person's approval: it was recorded while %s, which asks for it, owned the camera", name)
}
