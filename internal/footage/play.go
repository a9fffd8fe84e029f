package footage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/playback"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// ErrNotYet is the cause of the refusal of a range that starts in the
// future (a problem.ErrInvalid): there is no footage of it yet, which a
// transport may answer apart from a malformed request.
var ErrNotYet = errors.New("footage: the range starts in the future")

// Request is a request for a camera's footage in [Start, End), to play
// or to export.
type Request struct {
	Start, End time.Time
	// Export: the footage leaves the system (a download), which needs
	// the export right and, where four eyes apply, an approved request.
	Export bool
	// Reason is why an export is made: the first thing a data protection
	// officer or a court asks of it, so an export without one is refused.
	// It is ignored for playback.
	Reason string
	// Approval is the approved export request the caller names, as they
	// gave it ("": none).
	Approval string
	// Detail is how it was asked, in the transport's words (the HTTP
	// method and Range), for the record.
	Detail string
}

// Footage is the answer to a Request: either a clip, whose view or
// export is already in the trail, or, when Until is set, the end to ask
// for instead.
type Footage struct {
	// Clip is the footage to send; the caller closes it.
	Clip *playback.Clip
	// Until is set when the range must end earlier: at the playback
	// delay's cutoff for someone who may not view the camera live, or at
	// the end of the footage there is now when the range reaches into
	// footage still being recorded (so the same request would give a
	// longer file a moment later). Nothing was served or recorded.
	Until time.Time
	// Missing are the parts of the range asked for that the clip holds
	// no footage of, each with its reason: before its first picture,
	// where it holds the last picture across a gap, after its end.
	// Empty when the clip covers the range.
	Missing []Gap
}

// growingMargin is how close to now a range's end must be for the
// footage in it to be possibly still growing.
const growingMargin = 30 * time.Second

// Footage decides a request for camera c's footage and builds it. Where
// footage is served, the record of it is written to the trail first,
// and where it cannot be, nothing is. A request refused once the caller
// may see the footage (the range in the future, under the playback
// delay, nothing there) is recorded too, without a range: the record's
// range is always footage that left the server.
func (s *Service) Footage(ctx context.Context, by Caller, c cameras.Camera, req Request) (Footage, error) {
	if err := s.mayDo(by, rights.PlayBack, c); err != nil {
		return Footage{}, err
	}
	start, end := req.Start, req.End
	if end.Sub(start) > playback.MaxRange {
		return Footage{}, problem.Invalidf("ask for at most 24 hours in one file")
	}
	action := auditlog.FootagePlay
	if req.Export {
		action = auditlog.FootageExport
	}
	detail, reason := req.Detail, ""
	if req.Export {
		if err := s.mayDo(by, rights.Export, c); err != nil {
			return Footage{}, err
		}
		// Footage that leaves the system without a reason is what a
		// data protection officer cannot account for.
		reason = strings.TrimSpace(req.Reason)
		if reason == "" || utf8.RuneCountInString(reason) > MaxReason {
			return Footage{}, problem.Invalidf("give the reason for the export (reason=, 1 to %d characters), e.g. reason=police request PC 1234: the audit trail keeps it with the export", MaxReason)
		}
		approved, err := s.exportApproval(ctx, by, c, start, end, req.Approval)
		if err != nil {
			return Footage{}, err
		}
		detail += approved
	}
	asked := fmt.Sprintf(" asked %s to %s", start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
	refuse := func(refusal error) error {
		e := by.Actor.Entry(action, detail+asked+", nothing served: "+problem.Message(refusal, ""))
		e.CameraID, e.Reason = c.ID, reason
		if err := s.record(ctx, e); err != nil {
			return err
		}
		return refusal
	}
	now := s.opt.Now()
	if start.After(now) {
		return Footage{}, refuse(problem.New(problem.ErrInvalid, "the range starts in the future: there is no footage of it yet", ErrNotYet))
	}
	if d := s.opt.PlaybackDelay; d > 0 && end.After(now.Add(-d)) && !by.may(rights.ViewLive, c, now) {
		// Footage of the last moments, asked for again and again, is a
		// live view: those who may not view this camera live get
		// footage at least d old, from a request whose end is fixed.
		cutoff := now.Add(-d).Truncate(time.Millisecond)
		if !start.Before(cutoff) {
			return Footage{}, refuse(problem.Forbiddenf(
				"footage of the last %s counts as live video, which your roles do not allow for this camera: ask for a range that starts over %s ago", d, d))
		}
		return Footage{Until: cutoff}, nil
	}
	clip, err := s.opt.Clips.Build(ctx, c.ID, start, end)
	var cc *playback.CodecChangeError
	var lg *playback.LongGapError
	switch {
	case errors.Is(err, playback.ErrNoFootage):
		// Said with when and why, never answered with footage from
		// before the range.
		gaps, merr := s.missing(ctx, c, start, later(start, earlier(end, now)))
		if merr != nil {
			return Footage{}, merr
		}
		if len(gaps) == 0 {
			gaps = []Gap{{Start: start, End: end, Reason: UnknownGap}}
		}
		nf := &NoFootageError{Start: start, End: end, Gaps: gaps}
		return Footage{}, refuse(problem.New(problem.ErrNotFound, "there is "+DescribeGaps(gaps), nf))
	case errors.As(err, &cc):
		return Footage{}, refuse(problem.New(problem.ErrConflict, strings.TrimPrefix(cc.Error(), "playback: "), err))
	case errors.As(err, &lg):
		return Footage{}, refuse(problem.New(problem.ErrConflict, strings.TrimPrefix(lg.Error(), "playback: "), err))
	case err != nil:
		return Footage{}, err
	}
	if fixed := clip.End.Truncate(time.Millisecond); clip.End.Before(end) && fixed.After(start) && end.After(now.Add(-growingMargin)) {
		// The range reaches into footage still being recorded: a client
		// that mixes byte ranges of the two files gets garbage. It asks
		// for the footage there is now, whose bytes never change (and
		// whose answer is recorded).
		clip.Close()
		return Footage{Until: fixed}, nil
	}
	var missing []Gap
	if clip.Start.After(start) || clip.End.Before(end) || len(clip.Gaps) > 0 {
		if missing, err = s.missing(ctx, c, start, end); err != nil {
			clip.Close()
			return Footage{}, err
		}
		if len(missing) > 0 {
			asked += ", missing: " + strings.TrimPrefix(DescribeGaps(missing), "no footage ")
		}
	}
	// The record holds the footage served: from the clip's first picture
	// to the end of its last, which is not the range asked for (the
	// keyframe before start, the newest footage short of end).
	key := playKey{user: by.Actor.UserID, addr: host(by.Actor.RemoteAddr), camera: c.ID, start: clip.Start, end: clip.End, etag: clip.ETag}
	if !req.Export && s.plays.again(key, now) {
		// The same clip, to the same person, moments after its play was
		// recorded: the browser's next request of one play (the HEAD
		// before it, the video element's byte ranges, a seek), which the
		// record already holds.
		return Footage{Clip: clip, Missing: missing}, nil
	}
	served := by.Actor.Entry(action, detail+asked)
	served.CameraID, served.RangeStart, served.RangeEnd, served.Reason = c.ID, &clip.Start, &clip.End, reason
	if err := s.record(ctx, served); err != nil {
		clip.Close()
		return Footage{}, err
	}
	if !req.Export {
		s.plays.recorded(key, now)
	}
	return Footage{Clip: clip, Missing: missing}, nil
}

// PlayRepeat is how long after its last request a play of one clip by
// one person goes on without a new record. One click in the console asks
// for a clip several times (a HEAD for its times, then the video
// element's byte ranges, then one for each seek); the trail wants one
// record of the person seeing it, not one per request. A request for the
// same clip after a pause this long is a new play, recorded again; so is
// every export, and every request for another range.
const PlayRepeat = 2 * time.Minute

// playKey is one clip served to one person: the clip's bytes (its times
// and ETag) and camera, the user and where they asked from.
type playKey struct {
	user       int64
	addr       string
	camera     int64
	start, end time.Time
	etag       string
}

// host is the address a request came from without its port: a
// browser's requests of one play may come over different connections.
func host(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// playing remembers the plays recorded lately: each key with the time of
// its last request. A play is recorded before any of its bytes are sent;
// only the requests after that record, for the very same clip, are let
// through without one.
type playing struct {
	mu   sync.Mutex
	last map[playKey]time.Time
}

// again reports whether k was recorded and last asked for within
// PlayRepeat of now, and if so counts this request as part of that play.
func (p *playing) again(k playKey, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.last[k]
	if !ok || now.Sub(t) >= PlayRepeat || now.Before(t) {
		return false
	}
	p.last[k] = now
	return true
}

// recorded notes that k's play was recorded at now, and forgets the
// plays that have ended, so that the map holds only the last few
// minutes' plays.
func (p *playing) recorded(k playKey, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for old, t := range p.last {
		if now.Sub(t) >= PlayRepeat {
			delete(p.last, old)
		}
	}
	p.last[k] = now
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// exportApproval checks, where four eyes apply to a camera's exports,
// that the request names (asked) an approved export of this range by
// this caller, and returns what the record should add.
func (s *Service) exportApproval(ctx context.Context, by Caller, c cameras.Camera, start, end time.Time, asked string) (string, error) {
	need, policy, err := s.needsApproval(ctx, by, c, start, end, rights.FourEyesExport)
	if err != nil || !need {
		return "", err
	}
	_, why := approvalNeeded(by, c, policy)
	ask := why + "; ask for it (POST /api/v1/approvals, or Export in the Playback console), then add approval=ID to this URL"
	if asked == "" {
		return "", problem.Forbiddenf("%s", ask)
	}
	id, err := strconv.ParseInt(asked, 10, 64)
	if err != nil || id <= 0 {
		return "", problem.Invalidf("approval=%q is not a request id", asked)
	}
	ap, err := s.repo.Approval(ctx, id)
	if errors.Is(err, problem.ErrNotFound) || err == nil && (ap.Kind != approvals.KindExport || ap.RequestedBy != by.Actor.UserID || ap.CameraID != c.ID) {
		return "", problem.Forbiddenf("request %d is not your export of this camera; %s", id, ask)
	}
	if err != nil {
		return "", err
	}
	switch {
	case ap.State == approvals.Pending:
		return "", problem.Forbiddenf("request %d is still waiting for approval", id)
	case ap.State != approvals.Approved:
		return "", problem.Forbiddenf("request %d was %s", id, ap.State)
	case !s.opt.Now().Before(ap.ExpiresAt):
		return "", problem.Forbiddenf("the approved export %d could be downloaded until %s; ask again", id, ap.ExpiresAt.Format(time.RFC3339))
	case start.Before(*ap.RangeStart) || end.After(*ap.RangeEnd):
		return "", problem.Forbiddenf("request %d approved %s to %s only", id, ap.RangeStart.Format(time.RFC3339Nano), ap.RangeEnd.Format(time.RFC3339Nano))
	}
	return fmt.Sprintf(" approval: request %d, approved by user %d", ap.ID, ap.DecidedBy), nil
}
