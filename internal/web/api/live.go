package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/transcode"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// liveViews remembers who is watching what, so the end of a live view,
// however it ends, is audited against the person who started it.
type liveViews struct {
	mu       sync.Mutex
	sessions map[string]liveView
}

type liveView struct {
	user      identity.User
	cameraID  int64
	cameraOrg int64
	remote    string
	started   time.Time
	detail    string // how it is watched: "WebRTC", "WebSocket, transcoded H.264"
	stop      func() // ends the view; liveEnded then audits it
	revoked   bool   // ended because the viewer's right lapsed
}

// Audit details of the ways of watching live.
const (
	viaWebRTC    = "WebRTC"
	viaWebSocket = "WebSocket"
	transcoded   = ", transcoded H.264"
)

// addLiveView remembers a live view that has started, for liveEnded and
// for the review that ends it when its viewer's right lapses.
func (s *API) addLiveView(id string, r *http.Request, c cameras.Camera, detail string, stop func()) {
	s.live.mu.Lock()
	s.live.sessions[id] = liveView{user: httpx.User(r.Context()), cameraID: c.ID, cameraOrg: c.OrganisationID, remote: r.RemoteAddr,
		started: s.now(), detail: detail, stop: stop}
	s.live.mu.Unlock()
}

// reviewEvery is how often live views are checked against their viewers'
// rights: a sharing agreement that ends, or a role taken away, ends the
// live views it allowed within this time.
const reviewEvery = time.Second

func (s *API) startReview() {
	ctx, cancel := context.WithCancel(context.Background())
	s.reviewStop, s.reviewDone = cancel, make(chan struct{})
	go func() {
		defer close(s.reviewDone)
		t := time.NewTicker(reviewEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.reviewLive(ctx)
			}
		}
	}()
}

// CameraMoved tells the live views of a camera its new owner, once a
// move of it is committed (an approved request's, which the server's
// approvals service makes).
func (s *API) CameraMoved(camera, org int64) { s.liveMoved(camera, org) }

// liveMoved tells the live views of a camera its new owner, which the
// review loop then checks their viewers' rights against.
func (s *API) liveMoved(camera, org int64) {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	for id, v := range s.live.sessions {
		if v.cameraID == camera {
			v.cameraOrg = org
			s.live.sessions[id] = v
		}
	}
}

// reviewLive ends every live view its viewer may no longer watch.
func (s *API) reviewLive(ctx context.Context) {
	s.live.mu.Lock()
	if len(s.live.sessions) == 0 {
		s.live.mu.Unlock()
		return
	}
	views := make(map[string]liveView, len(s.live.sessions))
	for id, v := range s.live.sessions {
		views[id] = v
	}
	s.live.mu.Unlock()
	snap, err := s.rights.Snapshot(ctx)
	if err != nil {
		s.log.Error("reviewing live views", "err", err)
		return
	}
	now := s.now()
	for id, v := range views {
		p := snap.Principal(v.user.ID, v.user.OrganisationID)
		if snap.Can(p, rights.ViewLive, rights.Camera{ID: v.cameraID, Org: v.cameraOrg}, now).Allowed {
			continue
		}
		s.live.mu.Lock()
		cur, ok := s.live.sessions[id]
		if ok {
			cur.revoked = true
			s.live.sessions[id] = cur
		}
		s.live.mu.Unlock()
		if ok && cur.stop != nil {
			s.log.Info("ending a live view: the viewer's right has lapsed", "user", v.user.Username, "camera", v.cameraID)
			cur.stop()
		}
	}
}

// transcodedHub returns the H.264 view of H.265 camera id, or the error
// to answer: the browser cannot play the camera, and the server cannot
// help.
func (s *API) transcodedHub(ctx context.Context, id int64) (*live.Hub, error) {
	h, err := s.opt.Cameras.TranscodedHub(ctx, id)
	switch {
	case errors.Is(err, transcode.ErrNotInstalled):
		return nil, httpx.Errorf(http.StatusNotAcceptable, fmt.Sprintf(
			"camera %d sends H.265, which this browser cannot play; install ffmpeg on the server for an H.264 live view", id), err)
	case errors.Is(err, transcode.ErrDisabled):
		return nil, httpx.Errorf(http.StatusNotAcceptable, fmt.Sprintf(
			"camera %d sends H.265, which this browser cannot play, and the server's live transcoder is off (live_transcoder), so there is no H.264 live view", id), err)
	case err != nil && ctx.Err() != nil:
		return nil, httpx.Errorf(http.StatusServiceUnavailable, "the request ended before the H.264 live view started", err)
	case err != nil:
		return nil, httpx.Errorf(http.StatusServiceUnavailable, fmt.Sprintf(
			"the H.264 live view of camera %d could not be started; the server's log says why", id), err)
	}
	return h, nil
}

// isH265 reports whether a hub carries H.265.
func isH265(h *live.Hub) bool {
	c, _ := codec.ParseCodec(h.Codec())
	return c == codec.H265
}

// whepOffer starts a live view (WHEP, RFC 9725): the body is the browser's
// SDP offer; the answer comes back with the session's URL in Location.
func (s *API) whepOffer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cameraFor(r, rights.ViewLive)
	if err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/sdp" {
		return httpx.Errorf(http.StatusUnsupportedMediaType, "send the SDP offer as application/sdp", nil)
	}
	offer, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil {
		return httpx.BadRequest("the offer could not be read")
	}
	if len(offer) > 64<<10 {
		return httpx.Errorf(http.StatusRequestEntityTooLarge, "the SDP offer is over 64 KiB", nil)
	}
	hub, ok := s.opt.Cameras.Hub(c.ID)
	if !ok || hub == nil {
		return httpx.Errorf(http.StatusServiceUnavailable, fmt.Sprintf("camera %d is not connected; try again when its state is recording", c.ID), nil)
	}
	detail := viaWebRTC
	if isH265(hub) && errors.Is(live.CheckOffer(hub, offer), live.ErrCodecNotOffered) {
		// A browser without H.265 gets the camera's H.264 view.
		if hub, err = s.transcodedHub(r.Context(), c.ID); err != nil {
			return err
		}
		detail += transcoded
	}
	// Audited before a packet flows, like every other way of seeing footage.
	if err := s.audit(r, auditlog.LiveStart, c.ID, nil, nil, detail); err != nil {
		return err
	}
	answer, id, err := s.whep.Offer(r.Context(), hub, offer)
	if err != nil {
		// The start is on the record: so is that nothing came of it.
		s.auditLogged(r, auditlog.Entry{Action: auditlog.LiveStop, CameraID: c.ID, Detail: detail + ", never started: " + err.Error()})
	}
	var ce *live.CodecError
	switch {
	case errors.As(err, &ce):
		return httpx.Errorf(http.StatusNotAcceptable, ce.Error(), err)
	case errors.Is(err, live.ErrBadOffer), errors.Is(err, live.ErrNoVideo):
		return httpx.BadRequest(err.Error())
	case errors.Is(err, live.ErrTooManySessions):
		return httpx.Errorf(http.StatusServiceUnavailable, "too many live views on this server", err)
	case err != nil:
		return err
	}
	s.addLiveView(id, r, c, detail, func() { s.whep.Delete(id) })
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cameras/%d/whep/%s", c.ID, id))
	w.WriteHeader(http.StatusCreated)
	w.Write(answer)
	return nil
}

// whepDelete ends a live view.
func (s *API) whepDelete(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("session")
	s.live.mu.Lock()
	v, ok := s.live.sessions[id]
	s.live.mu.Unlock()
	if !ok || fmt.Sprint(v.cameraID) != r.PathValue("id") {
		return httpx.Errorf(http.StatusNotFound, "no such live view", nil)
	}
	if u := httpx.User(r.Context()); u.ID != v.user.ID {
		return httpx.Errorf(http.StatusForbidden, "this live view belongs to someone else", nil)
	}
	if err := s.whep.Delete(id); err != nil && !errors.Is(err, live.ErrNotFound) {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// whepPatch: candidates are all in the answer; there is no trickle ICE.
func (s *API) whepPatch(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Allow", "DELETE")
	return httpx.Errorf(http.StatusMethodNotAllowed, "trickle ICE is not supported: every candidate is in the answer", nil)
}

// liveEnded audits the end of a live view, whatever ended it.
func (s *API) liveEnded(id string) {
	s.live.mu.Lock()
	v, ok := s.live.sessions[id]
	delete(s.live.sessions, id)
	s.live.mu.Unlock()
	if !ok {
		return
	}
	detail := fmt.Sprintf("%s, %s", v.detail, s.now().Sub(v.started).Round(time.Second))
	if v.revoked {
		detail += ", ended by the server: the viewer's right to watch lapsed"
	}
	e := auditlog.Entry{
		At: s.now().UTC(), UserID: v.user.ID, Username: v.user.Username, OrganisationID: v.user.OrganisationID, Action: auditlog.LiveStop, CameraID: v.cameraID,
		RemoteAddr: v.remote, Detail: detail,
	}
	if err := s.opt.Audit.Append(context.Background(), e); err != nil {
		s.log.Error("auditing the end of a live view", "err", err)
	}
}

// Close ends every live view, each audited, and returns once every
// goroutine the API started has: the review loop, the live WebSockets
// and WHEP's sessions.
func (s *API) Close() error {
	s.reviewStop()
	<-s.reviewDone
	s.ws.close()
	return s.whep.Close()
}
