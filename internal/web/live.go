package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/store"
)

// liveViews remembers who is watching what, so the end of a live view,
// however it ends, is audited against the person who started it.
type liveViews struct {
	mu       sync.Mutex
	sessions map[string]liveView
}

type liveView struct {
	user     store.User
	cameraID int64
	remote   string
	started  time.Time
}

// whepOffer starts a live view (WHEP, RFC 9725): the body is the browser's
// SDP offer; the answer comes back with the session's URL in Location.
func (s *Server) whepOffer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.camera(r)
	if err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/sdp" {
		return errorf(http.StatusUnsupportedMediaType, "send the SDP offer as application/sdp", nil)
	}
	offer, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	if err != nil {
		return badRequest("the offer could not be read")
	}
	if len(offer) > 64<<10 {
		return errorf(http.StatusRequestEntityTooLarge, "the SDP offer is over 64 KiB", nil)
	}
	hub, ok := s.opt.Cameras.Hub(c.ID)
	if !ok || hub == nil {
		return errorf(http.StatusServiceUnavailable, fmt.Sprintf("camera %d is not connected; try again when its state is recording", c.ID), nil)
	}
	// Audited before a packet flows, like every other way of seeing footage.
	if err := s.audit(r, "live.start", c.ID, nil, nil, "WebRTC"); err != nil {
		return err
	}
	answer, id, err := s.whep.Offer(r.Context(), hub, offer)
	var ce *live.CodecError
	switch {
	case errors.As(err, &ce):
		return errorf(http.StatusNotAcceptable, ce.Error(), err)
	case errors.Is(err, live.ErrBadOffer), errors.Is(err, live.ErrNoVideo):
		return badRequest(err.Error())
	case errors.Is(err, live.ErrTooManySessions):
		return errorf(http.StatusServiceUnavailable, "too many live views on this server", err)
	case err != nil:
		return err
	}
	s.live.mu.Lock()
	s.live.sessions[id] = liveView{user: userFrom(r.Context()), cameraID: c.ID, remote: r.RemoteAddr, started: s.now()}
	s.live.mu.Unlock()
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cameras/%d/whep/%s", c.ID, id))
	w.WriteHeader(http.StatusCreated)
	w.Write(answer)
	return nil
}

// whepDelete ends a live view.
func (s *Server) whepDelete(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("session")
	s.live.mu.Lock()
	v, ok := s.live.sessions[id]
	s.live.mu.Unlock()
	if !ok || fmt.Sprint(v.cameraID) != r.PathValue("id") {
		return errorf(http.StatusNotFound, "no such live view", nil)
	}
	if u := userFrom(r.Context()); u.ID != v.user.ID {
		return errorf(http.StatusForbidden, "this live view belongs to someone else", nil)
	}
	if err := s.whep.Delete(id); err != nil && !errors.Is(err, live.ErrNotFound) {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// whepPatch: candidates are all in the answer; there is no trickle ICE.
func (s *Server) whepPatch(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Allow", "DELETE")
	return errorf(http.StatusMethodNotAllowed, "trickle ICE is not supported: every candidate is in the answer", nil)
}

// liveEnded audits the end of a live view, whatever ended it.
func (s *Server) liveEnded(id string) {
	s.live.mu.Lock()
	v, ok := s.live.sessions[id]
	delete(s.live.sessions, id)
	s.live.mu.Unlock()
	if !ok {
		return
	}
	e := audit.Entry{
		At: s.now().UTC(), UserID: v.user.ID, Username: v.user.Username, OrganisationID: v.user.OrganisationID, Action: "live.stop",
		CameraID: v.cameraID, RemoteAddr: v.remote, Detail: fmt.Sprintf("WebRTC, %s", s.now().Sub(v.started).Round(time.Second)),
	}
	if err := s.opt.Audit.Append(context.Background(), e); err != nil {
		s.log.Error("auditing the end of a live view", "err", err)
	}
}

// Close ends every live view.
func (s *Server) Close() error { return s.whep.Close() }
