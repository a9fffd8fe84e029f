package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/footage"
	"github.com/vigil-cctv/vigil/internal/localtime"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
)

// timeRange reads start and end (RFC 3339); def is the length of the
// range ending now used when both are missing.
func (s *Server) timeRange(r *http.Request, def time.Duration, required bool) (time.Time, time.Time, error) {
	q := r.URL.Query()
	parse := func(name string) (time.Time, error) {
		v := q.Get(name)
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return t, badRequest(fmt.Sprintf("%s=%q is not an RFC 3339 time such as 2026-11-21T10:00:00Z", name, v))
		}
		return t.UTC(), nil
	}
	if q.Get("start") == "" && q.Get("end") == "" && !required {
		end := s.now().UTC()
		return end.Add(-def), end, nil
	}
	if q.Get("start") == "" || q.Get("end") == "" {
		return time.Time{}, time.Time{}, badRequest("give both start and end, as RFC 3339 times")
	}
	start, err := parse("start")
	if err != nil {
		return start, start, err
	}
	end, err := parse("end")
	if err != nil {
		return start, end, err
	}
	if !end.After(start) {
		return start, end, badRequest("end must be after start")
	}
	return start, end, nil
}

type spanJSON struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Codec  string    `json:"codec"`
	Width  int       `json:"width"`
	Height int       `json:"height"`
	// ClockOffsetMS is the camera's own clock minus ours when the span
	// began, from RTCP: what an investigator needs to compare the
	// camera's on-screen clock with the recorded time.
	ClockOffsetMS int64 `json:"clock_offset_ms"`
}

type gapJSON struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason"`
}

// recordings answers which parts of a range hold footage, and why the
// rest does not.
func (s *Server) recordings(w http.ResponseWriter, r *http.Request) error {
	c, err := s.footageCamera(r, rights.PlayBack)
	if err != nil {
		return err
	}
	start, end, err := s.timeRange(r, 24*time.Hour, false)
	if err != nil {
		return err
	}
	rec, err := s.footage.Recorded(r.Context(), footageCaller(r), c, start, end)
	if err != nil {
		return footageRefusal(err)
	}
	spans := []spanJSON{}
	for _, sp := range rec.Spans {
		spans = append(spans, spanJSON{Start: sp.Start, End: sp.End, Codec: sp.Codec, Width: sp.Width, Height: sp.Height, ClockOffsetMS: sp.ClockOffset.Milliseconds()})
	}
	gaps := []gapJSON{}
	for _, g := range rec.Gaps {
		gaps = append(gaps, gapJSON{Start: g.Start, End: g.End, Reason: g.Reason})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"camera_id": rec.CameraID,
		"start":     rec.Start,
		"end":       rec.End,
		"spans":     spans,
		"gaps":      gaps,
	})
	return nil
}

// video serves a range as one MP4, with Range requests, Content-Length and
// an ETag, once the footage service has decided it and audited it.
func (s *Server) video(w http.ResponseWriter, r *http.Request) error {
	c, err := s.footageCamera(r, rights.PlayBack)
	if err != nil {
		return err
	}
	start, end, err := s.timeRange(r, 0, true)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	req := footage.Request{Start: start, End: end, Export: q.Get("download") == "1", Reason: q.Get("reason"), Approval: q.Get("approval"), Detail: r.Method}
	if rg := r.Header.Get("Range"); rg != "" {
		req.Detail += " Range: " + rg
	}
	f, err := s.footage.Footage(r.Context(), footageCaller(r), c, req)
	if err != nil {
		return footageRefusal(err)
	}
	if f.Clip == nil {
		// A range to end earlier (the playback delay's cutoff, or the
		// footage there is now): the URL whose end is fixed.
		q.Set("end", f.Until.Format(time.RFC3339Nano))
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, r.URL.Path+"?"+q.Encode(), http.StatusTemporaryRedirect)
		return nil
	}
	clip := f.Clip
	defer clip.Close()
	h := w.Header()
	h.Set("Content-Type", "video/mp4")
	h.Set("ETag", clip.ETag)
	h.Set("Cache-Control", "private, no-transform")
	h.Set("X-Vigil-Start", clip.Start.Format(time.RFC3339Nano))
	h.Set("X-Vigil-End", clip.End.Format(time.RFC3339Nano))
	if len(clip.Gaps) > 0 {
		var gs []string
		for _, g := range clip.Gaps {
			gs = append(gs, g.Start.Format(time.RFC3339Nano)+"/"+g.End.Format(time.RFC3339Nano))
		}
		h.Set("X-Vigil-Gaps", strings.Join(gs, ","))
	}
	name := localtime.ExportName(c.ID, clip.Start, clip.End, s.zone())
	disp := "inline"
	if req.Export {
		disp = "attachment"
	}
	h.Set("Content-Disposition", fmt.Sprintf("%s; filename=%q", disp, name))
	http.ServeContent(w, r, "", time.Time{}, io.NewSectionReader(clip, 0, clip.Size()))
	return nil
}

// zone is where people read times; file names carry it with the offset.
func (s *Server) zone() *time.Location {
	if s.opt.Zone == nil {
		return localtime.London()
	}
	return s.opt.Zone
}

// footageCaller is who asks in r, as the footage service judges them.
func footageCaller(r *http.Request) footage.Caller {
	a := accessFrom(r.Context())
	return footage.Caller{Actor: requestActor(r), P: a.p, Snap: a.snap}
}

// footageCamera returns the camera of the request's {id} if the user may
// do act to its footage now: one they may not see at all is "no camera N".
func (s *Server) footageCamera(r *http.Request, act rights.Action) (cameras.Camera, error) {
	id, err := cameraID(r)
	if err != nil {
		return cameras.Camera{}, err
	}
	c, err := s.footage.Camera(r.Context(), footageCaller(r), id, act)
	return c, fromProblem(err)
}

// footageRefusal is the HTTP error of the footage service's refusal: a
// malformed request is a 400, a range that starts in the future a 422,
// the rest as fromProblem says.
func footageRefusal(err error) error {
	if errors.Is(err, footage.ErrNotYet) {
		return fromProblem(err)
	}
	return refusal(err)
}

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
