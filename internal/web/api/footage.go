package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/footage"
	"github.com/vigil-cctv/vigil/internal/localtime"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// timeRange reads start and end (RFC 3339); def is the length of the
// range ending now used when both are missing.
func (s *API) timeRange(r *http.Request, def time.Duration, required bool) (time.Time, time.Time, error) {
	q := r.URL.Query()
	parse := func(name string) (time.Time, error) {
		v := q.Get(name)
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return t, httpx.BadRequest(fmt.Sprintf("%s=%q is not an RFC 3339 time such as 2026-11-21T10:00:00Z", name, v))
		}
		return t.UTC(), nil
	}
	if q.Get("start") == "" && q.Get("end") == "" && !required {
		end := s.now().UTC()
		return end.Add(-def), end, nil
	}
	if q.Get("start") == "" || q.Get("end") == "" {
		return time.Time{}, time.Time{}, httpx.BadRequest("give both start and end, as RFC 3339 times")
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
		return start, end, httpx.BadRequest("end must be after start")
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
func (s *API) recordings(w http.ResponseWriter, r *http.Request) error {
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
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"camera_id": rec.CameraID,
		"start":     rec.Start,
		"end":       rec.End,
		"spans":     spans,
		"gaps":      gapsJSON(rec.Gaps),
	})
	return nil
}

func gapsJSON(gs []footage.Gap) []gapJSON {
	out := []gapJSON{}
	for _, g := range gs {
		out = append(out, gapJSON{Start: g.Start, End: g.End, Reason: g.Reason})
	}
	return out
}

// video serves a range as one MP4, with Range requests, Content-Length and
// an ETag, once the footage service has decided it and audited it.
func (s *API) video(w http.ResponseWriter, r *http.Request) error {
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
	var nf *footage.NoFootageError
	if errors.As(err, &nf) {
		// A 404 that says when and why there is none, part by part.
		httpx.WriteJSON(w, http.StatusNotFound, map[string]any{"error": problem.Message(err, "no footage"), "start": nf.Start, "end": nf.End, "gaps": gapsJSON(nf.Gaps)})
		return nil
	}
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
	if len(f.Missing) > 0 {
		// What the range asked for lacks, each part with its reason
		// (percent-encoded: it may be a person's words).
		var gs []string
		for _, g := range f.Missing {
			gs = append(gs, g.Start.Format(time.RFC3339Nano)+"/"+g.End.Format(time.RFC3339Nano)+";reason="+url.PathEscape(g.Reason))
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

// footageCaller is who asks in r, as the footage service judges them.
func footageCaller(r *http.Request) footage.Caller {
	a := httpx.AccessOf(r.Context())
	return footage.Caller{Actor: httpx.Actor(r), P: a.P, Snap: a.Snap}
}

// footageCamera returns the camera of the request's {id} if the user may
// do act to its footage now: one they may not see at all is "no camera N".
func (s *API) footageCamera(r *http.Request, act rights.Action) (cameras.Camera, error) {
	id, err := cameraID(r)
	if err != nil {
		return cameras.Camera{}, err
	}
	c, err := s.footage.Camera(r.Context(), footageCaller(r), id, act)
	return c, httpx.FromProblem(err)
}

// footageRefusal is the HTTP error of the footage service's refusal: a
// malformed request is a 400, a range that starts in the future a 422,
// the rest as fromProblem says.
func footageRefusal(err error) error {
	if errors.Is(err, footage.ErrNotYet) {
		return httpx.FromProblem(err)
	}
	return httpx.Refusal(err)
}

// zone is where people read times; file names carry it with the offset.
func (s *API) zone() *time.Location {
	if s.opt.Zone == nil {
		return localtime.London()
	}
	return s.opt.Zone
}
