package web

import (
	"context"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/footage"
	"github.com/vigil-cctv/vigil/internal/store"
)

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
	s.footage = footage.New(s.st, func(ctx context.Context, fn func(footage.Repo) error) error {
		return change(ctx, func(tx *store.Store) error { return fn(tx) })
	}, opt)
}
