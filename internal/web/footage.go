package web

import (
	"context"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/footage"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/store"
)

// footageRepo is the store as the footage service reads and changes it:
// the segment index in the footage's own terms. The store cannot
// implement footage.Repo itself while footage imports recording and
// playback, which import the store.
type footageRepo struct{ *store.Store }

func (f footageRepo) RecordedSegments(ctx context.Context, camera int64, start, end time.Time) ([]footage.Segment, error) {
	segs, err := f.SegmentsInRange(ctx, camera, start, end)
	out := make([]footage.Segment, 0, len(segs))
	for _, sg := range segs {
		out = append(out, footage.Segment{Start: sg.Start, End: sg.End, Codec: sg.Codec, Width: sg.Width, Height: sg.Height, ClockOffset: sg.ClockOffset})
	}
	return out, err
}

func (f footageRepo) RecordedGaps(ctx context.Context, camera int64, start, end time.Time) ([]footage.Gap, error) {
	parts, err := f.GapPartsInRange(ctx, camera, start, end)
	out := make([]footage.Gap, 0, len(parts))
	for _, p := range parts {
		out = append(out, footage.Gap{Start: p.Start, End: p.End, Reason: p.Reason})
	}
	return out, err
}

func (f footageRepo) EraseSegments(ctx context.Context, p recording.ErasurePlan, at time.Time, logReason, gapReason string) (recording.ErasureResult, error) {
	return recording.EraseRows(ctx, f.Store, p, at, logReason, gapReason)
}

// trailEvents writes footage's events to the server's audit trail.
type trailEvents struct{ s *Server }

func (t trailEvents) Append(ctx context.Context, e auditlog.Entry) error {
	return t.s.opt.Audit.Append(ctx, e)
}

// newFootage builds the footage service over the server's store, trail,
// clips and eraser.
func (s *Server) newFootage() {
	opt := footage.Options{Trail: trailEvents{s}, Approvals: s.approvalSvc, PlaybackDelay: s.opt.PlaybackDelay,
		Now: func() time.Time { return s.now() }, Logger: s.log.With("component", "footage")}
	if s.opt.Clips != nil {
		opt.Clips = s.opt.Clips
	}
	if s.opt.Eraser != nil {
		opt.Eraser = s.opt.Eraser
	}
	change := changerFor[*store.Store](s.opt.Changes, s.st)
	s.footage = footage.New(footageRepo{s.st}, func(ctx context.Context, fn func(footage.Repo) error) error {
		return change(ctx, func(tx *store.Store) error { return fn(footageRepo{tx}) })
	}, opt)
}
