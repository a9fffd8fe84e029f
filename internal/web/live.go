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

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/transcode"
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
	detail   string // how it is watched: "WebRTC", "WebSocket, transcoded H.264"
}

// Audit details of the ways of watching live.
const (
	viaWebRTC    = "WebRTC"
	viaWebSocket = "WebSocket"
	transcoded   = ", transcoded H.264"
)

// addLiveView remembers a live view that has started, for liveEnded.
func (s *Server) addLiveView(id string, r *http.Request, cameraID int64, detail string) {
	s.live.mu.Lock()
	s.live.sessions[id] = liveView{user: userFrom(r.Context()), cameraID: cameraID, remote: r.RemoteAddr, started: s.now(), detail: detail}
	s.live.mu.Unlock()
}

// transcodedHub returns the H.264 view of H.265 camera id, or the error
// to answer: the browser cannot play the camera, and the server cannot
// help.
func (s *Server) transcodedHub(ctx context.Context, id int64) (*live.Hub, error) {
	h, err := s.opt.Cameras.TranscodedHub(ctx, id)
	switch {
	case errors.Is(err, transcode.ErrNotInstalled):
		return nil, errorf(http.StatusNotAcceptable, fmt.Sprintf(
			"camera %d sends H.265, which this browser cannot play; install ffmpeg on the server for an H.264 live view", id), err)
	case errors.Is(err, transcode.ErrDisabled):
		return nil, errorf(http.StatusNotAcceptable, fmt.Sprintf(
			"camera %d sends H.265, which this browser cannot play, and the server's live transcoder is off (live_transcoder), so there is no H.264 live view", id), err)
	case err != nil && ctx.Err() != nil:
		return nil, errorf(http.StatusServiceUnavailable, "the request ended before the H.264 live view started", err)
	case err != nil:
		return nil, errorf(http.StatusServiceUnavailable, fmt.Sprintf(
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
	detail := viaWebRTC
	if isH265(hub) && errors.Is(live.CheckOffer(hub, offer), live.ErrCodecNotOffered) {
		// A browser without H.265 gets the camera's H.264 view.
		if hub, err = s.transcodedHub(r.Context(), c.ID); err != nil {
			return err
		}
		detail += transcoded
	}
	// Audited before a packet flows, like every other way of seeing footage.
	if err := s.audit(r, "live.start", c.ID, nil, nil, detail); err != nil {
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
	s.addLiveView(id, r, c.ID, detail)
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
	e := &store.AuditEntry{
		At: s.now().UTC(), UserID: v.user.ID, Username: v.user.Username, Action: "live.stop", CameraID: v.cameraID,
		RemoteAddr: v.remote, Detail: fmt.Sprintf("%s, %s", v.detail, s.now().Sub(v.started).Round(time.Second)),
	}
	if err := s.st.AddAudit(context.Background(), e); err != nil {
		s.log.Error("auditing the end of a live view", "err", err)
	}
}

// Close ends every live view, each audited, before it returns.
func (s *Server) Close() error {
	s.ws.close()
	return s.whep.Close()
}
