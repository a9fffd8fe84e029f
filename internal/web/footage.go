package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/playback"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/segindex"
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
	c, err := s.cameraFor(r, rights.PlayBack)
	if err != nil {
		return err
	}
	start, end, err := s.timeRange(r, 24*time.Hour, false)
	if err != nil {
		return err
	}
	if end.Sub(start) > 31*24*time.Hour {
		return badRequest("ask for at most 31 days at a time")
	}
	segs, err := s.st.SegmentsInRange(r.Context(), c.ID, start, end)
	if err != nil {
		return err
	}
	gaps, err := s.st.GapPartsInRange(r.Context(), c.ID, start, end)
	if err != nil {
		return err
	}
	spans := mergeSpans(segs)
	writeJSON(w, http.StatusOK, map[string]any{
		"camera_id": c.ID,
		"start":     start,
		"end":       end,
		"spans":     spans,
		"gaps":      holes(spans, gaps, start),
	})
	return nil
}

// joinTolerance is how close two segments must be to count as one span.
const joinTolerance = 250 * time.Millisecond

func mergeSpans(segs []segindex.Segment) []spanJSON {
	out := []spanJSON{}
	for _, sg := range segs {
		if !sg.End.After(sg.Start) {
			continue
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if sg.Start.Sub(last.End) <= joinTolerance && last.Codec == sg.Codec && last.Width == sg.Width && last.Height == sg.Height {
				if sg.End.After(last.End) {
					last.End = sg.End
				}
				continue
			}
		}
		out = append(out, spanJSON{Start: sg.Start, End: sg.End, Codec: sg.Codec, Width: sg.Width, Height: sg.Height, ClockOffsetMS: sg.ClockOffset.Milliseconds()})
	}
	return out
}

// unknownGap is the reason of a hole no recorded gap explains.
const unknownGap = "no footage recorded"

// holes lists the parts of the range before and between spans that hold
// no footage, and the recorded gaps after the last span (a camera
// offline now). parts are the recorded gaps as segindex.GapParts gives
// them: a hole is split where they meet, each part with its own reason
// (an outage next to an early deletion is two gaps), and what no
// recorded gap covers is "no footage recorded". Slivers under
// joinTolerance go to their neighbour, as spans are joined across them.
// The time after the newest footage of a camera still recording is not
// a gap: it is now.
func holes(spans []spanJSON, parts []segindex.Gap, start time.Time) []gapJSON {
	out := []gapJSON{}
	add := func(a, b time.Time) {
		if b.Sub(a) <= joinTolerance {
			return
		}
		first := len(out)
		cur := a
		for _, p := range parts {
			if !p.End.After(cur) || !p.Start.Before(b) {
				continue
			}
			ps, pe := later(p.Start, cur), p.End
			if pe.After(b) {
				pe = b
			}
			if ps.Sub(cur) > joinTolerance {
				out = append(out, gapJSON{Start: cur, End: ps, Reason: unknownGap})
			} else {
				ps = cur
			}
			out = append(out, gapJSON{Start: ps, End: pe, Reason: p.Reason})
			cur = pe
		}
		switch {
		case b.Sub(cur) > joinTolerance:
			out = append(out, gapJSON{Start: cur, End: b, Reason: unknownGap})
		case len(out) > first:
			out[len(out)-1].End = b
		}
	}
	cur := start
	for _, sp := range spans {
		if sp.Start.After(cur) {
			add(cur, sp.Start)
		}
		if sp.End.After(cur) {
			cur = sp.End
		}
	}
	for _, p := range parts {
		if a := later(p.Start, cur); p.End.Sub(a) > joinTolerance {
			out = append(out, gapJSON{Start: a, End: p.End, Reason: p.Reason})
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// growingMargin is how close to now a range's end must be for the
// footage in it to be possibly still growing.
const growingMargin = 30 * time.Second

// video serves a range as one MP4, with Range requests, Content-Length and
// an ETag, after auditing the request.
func (s *Server) video(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cameraFor(r, rights.PlayBack)
	if err != nil {
		return err
	}
	start, end, err := s.timeRange(r, 0, true)
	if err != nil {
		return err
	}
	if end.Sub(start) > playback.MaxRange {
		return badRequest("ask for at most 24 hours in one file")
	}
	action := auditlog.FootagePlay
	if r.URL.Query().Get("download") == "1" {
		action = auditlog.FootageExport
	}
	detail := r.Method
	if rg := r.Header.Get("Range"); rg != "" {
		detail += " Range: " + rg
	}
	reason := r.URL.Query().Get("reason")
	if reason != "" && action == auditlog.FootageExport {
		// Why the footage left the system: the first thing a data
		// protection officer or a court asks of an export.
		if len(reason) > 200 {
			return badRequest("the reason is over 200 characters")
		}
	} else {
		reason = ""
	}
	if action == auditlog.FootageExport {
		a := accessFrom(r.Context())
		if err := decide(a.snap.Can(a.p, rights.Export, rightsCamera(c), s.now()), fmt.Sprintf("no camera %d", c.ID)); err != nil {
			return err
		}
		approved, err := s.exportApproval(r, c, start, end)
		if err != nil {
			return err
		}
		detail += approved
	}
	// What was asked for and not served is audited too, without a
	// range: the record's range is always footage that left the server.
	asked := fmt.Sprintf(" asked %s to %s", start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
	refuse := func(he *Error) error {
		e := auditlog.Entry{Action: action, CameraID: c.ID, Reason: reason, Detail: detail + asked + ", nothing served: " + he.Msg}
		if err := s.auditEntry(r, e); err != nil {
			return err
		}
		return he
	}
	now := s.now()
	if start.After(now) {
		return refuse(errorf(http.StatusUnprocessableEntity, "the range starts in the future: there is no footage of it yet", nil))
	}
	if d := s.opt.PlaybackDelay; d > 0 && end.After(now.Add(-d)) {
		a := accessFrom(r.Context())
		if !a.snap.Can(a.p, rights.ViewLive, rightsCamera(c), now).Allowed {
			// Footage of the last moments, asked for again and again,
			// is a live view: those who may not view this camera live
			// get footage at least d old, from a URL whose end is fixed.
			cutoff := now.Add(-d).Truncate(time.Millisecond)
			if !start.Before(cutoff) {
				return refuse(errorf(http.StatusForbidden, fmt.Sprintf(
					"footage of the last %s counts as live video, which your roles do not allow for this camera: ask for a range that starts over %s ago", d, d), nil))
			}
			q := r.URL.Query()
			q.Set("end", cutoff.Format(time.RFC3339Nano))
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, r.URL.Path+"?"+q.Encode(), http.StatusTemporaryRedirect)
			return nil
		}
	}
	clip, err := s.opt.Clips.Build(r.Context(), c.ID, start, end)
	var cc *playback.CodecChangeError
	var lg *playback.LongGapError
	switch {
	case errors.Is(err, playback.ErrNoFootage):
		return refuse(errorf(http.StatusNotFound, "no footage of this camera between start and end", err))
	case errors.As(err, &cc):
		return refuse(errorf(http.StatusConflict, strings.TrimPrefix(cc.Error(), "playback: "), err))
	case errors.As(err, &lg):
		return refuse(errorf(http.StatusConflict, strings.TrimPrefix(lg.Error(), "playback: "), err))
	case err != nil:
		return err
	}
	defer clip.Close()
	if fixed := clip.End.Truncate(time.Millisecond); clip.End.Before(end) && fixed.After(start) && end.After(now.Add(-growingMargin)) {
		// The range reaches into footage still being recorded, so the
		// same URL would give a longer file a moment later, and a
		// browser that mixes ranges of the two gets garbage. Send it to
		// the URL of the footage there is now, whose bytes never change
		// (and whose answer is audited).
		q := r.URL.Query()
		q.Set("end", fixed.Format(time.RFC3339Nano))
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, r.URL.Path+"?"+q.Encode(), http.StatusTemporaryRedirect)
		return nil
	}
	// The record holds the footage served: from the clip's first picture
	// to the end of its last, which is not the range asked for (the
	// keyframe before start, the newest footage short of end). Nothing
	// is answered until it is written.
	served := auditlog.Entry{Action: action, CameraID: c.ID, RangeStart: &clip.Start, RangeEnd: &clip.End, Reason: reason, Detail: detail + asked}
	if err := s.auditEntry(r, served); err != nil {
		return err
	}
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
	name := fmt.Sprintf("camera-%d-%s.mp4", c.ID, clip.Start.Format("20060102T150405Z"))
	disp := "inline"
	if action == auditlog.FootageExport {
		disp = "attachment"
	}
	h.Set("Content-Disposition", fmt.Sprintf("%s; filename=%q", disp, name))
	http.ServeContent(w, r, "", time.Time{}, io.NewSectionReader(clip, 0, clip.Size()))
	return nil
}
