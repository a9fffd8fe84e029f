package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The live WebSocket, GET /api/v1/cameras/{id}/live.ws, carries a camera's
// live video as fragmented MP4 for Media Source Extensions, where WebRTC
// cannot connect. Messages, server to client:
//
//   - text {"type":"init","mime":"video/mp4; codecs=\"avc1.4d401e\"",
//     "codec":"H264","width":640,"height":360,"transcoded":false}, then
//     a binary message holding the init segment (ftyp and moov): for
//     MediaSource.addSourceBuffer(mime) and its first appendBuffer;
//   - a binary message per frame: one fragment (moof and mdat);
//   - on a change of the camera's parameters, another init pair;
//   - on an error, text {"type":"error","message":"..."} and a close.
//
// What the client sends is ignored, except a close. An H.265 camera is
// sent as its H.264 view ("transcoded": true) unless the query has
// h265=1, which a client that can play H.265 adds.
//
// Browsers send the session cookie with a WebSocket whatever page opens
// it, so requests from other sites' pages (by their Origin) are refused.

// wsWriteTimeout ends a connection that takes no data for this long.
const wsWriteTimeout = 10 * time.Second

// wsInit and wsError are the protocol's text messages.
type wsInit struct {
	Type       string `json:"type"`
	MIME       string `json:"mime"`
	Codec      string `json:"codec"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	Transcoded bool   `json:"transcoded"`
}

type wsError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// wsSessions tracks the live WebSockets, which http.Server.Shutdown
// neither waits for nor ends, so that Close can end them, each audited.
type wsSessions struct {
	ctx    context.Context // ended by close
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func (w *wsSessions) add() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	w.wg.Add(1)
	return true
}

func (w *wsSessions) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cancel()
	w.wg.Wait()
}

// liveWS serves the live WebSocket.
func (s *API) liveWS(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cameraFor(r, rights.ViewLive)
	if err != nil {
		return err
	}
	if !isWebSocket(r) {
		w.Header().Set("Upgrade", "websocket")
		return httpx.Errorf(http.StatusUpgradeRequired, "this is a WebSocket: open it with new WebSocket(url)", nil)
	}
	if !sameOrigin(r) {
		return httpx.Errorf(http.StatusForbidden, "live video goes only to this server's own pages, and this request comes from another site's", nil)
	}
	if !s.ws.add() {
		return httpx.Errorf(http.StatusServiceUnavailable, "the server is stopping", nil)
	}
	defer s.ws.wg.Done()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		s.log.Debug("live WebSocket not accepted", "err", err)
		return nil // Accept has answered
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.ws.ctx, cancel)()
	ls := &liveSocket{s: s, conn: conn, r: r, camera: c, cancel: cancel}
	ls.serve(ctx)
	return nil
}

// liveSocket is one live WebSocket.
type liveSocket struct {
	s       *API
	conn    *websocket.Conn
	r       *http.Request
	camera  cameras.Camera
	cancel  context.CancelFunc
	revoked atomic.Bool // the viewer's right lapsed
}

func (l *liveSocket) serve(ctx context.Context) {
	s, c := l.s, l.camera
	// Reading answers pings and notices the client's close. Not under
	// ctx: a read whose context ends closes the connection, and the
	// error message is still to be sent then.
	l.conn.SetReadLimit(-1)
	readCtx, stopReading := context.WithCancel(context.Background())
	readDone := make(chan struct{})
	// The session returns only once its reader has: ending readCtx
	// closes the connection, which ends the read.
	defer func() {
		stopReading()
		<-readDone
	}()
	go func() {
		defer close(readDone)
		defer l.cancel()
		for {
			_, rd, err := l.conn.Reader(readCtx)
			if err != nil {
				return
			}
			if _, err := io.Copy(io.Discard, rd); err != nil {
				return
			}
		}
	}()

	hub, ok := s.opt.Cameras.Hub(c.ID)
	if !ok || hub == nil {
		l.fail(websocket.StatusTryAgainLater, fmt.Sprintf("camera %d is not connected; try again when its state is recording", c.ID))
		return
	}
	detail := viaWebSocket
	if isH265(hub) && l.r.URL.Query().Get("h265") != "1" {
		th, err := s.transcodedHub(ctx, c.ID)
		if err != nil {
			var we *httpx.Error
			errors.As(err, &we)
			code := websocket.StatusUnsupportedData // this browser cannot be shown the camera
			if we.Code >= 500 {
				s.log.Error("live WebSocket", "camera", c.ID, "err", err)
				code = websocket.StatusTryAgainLater
			}
			l.fail(code, we.Msg)
			return
		}
		hub, detail = th, detail+transcoded
	}
	// Audited before a frame flows, like every other way of seeing footage.
	if err := s.audit(l.r, auditlog.LiveStart, c.ID, nil, nil, detail); err != nil {
		s.log.Error("live WebSocket", "camera", c.ID, "err", err)
		l.fail(websocket.StatusInternalError, "the audit trail cannot be written, so footage is withheld")
		return
	}
	var idb [8]byte
	rand.Read(idb[:])
	id := "ws-" + hex.EncodeToString(idb[:])
	s.addLiveView(id, l.r, c, detail, func() {
		l.revoked.Store(true)
		l.cancel()
	})
	defer s.liveEnded(id)

	sub, err := hub.Frames(0)
	if err != nil {
		l.fail(websocket.StatusTryAgainLater, fmt.Sprintf("the live video of camera %d has ended; reconnect to watch it again", c.ID))
		return
	}
	defer sub.Close()
	mux := live.NewFMP4()
	for {
		f, err := sub.Next(ctx)
		switch {
		case errors.Is(err, live.ErrClosed):
			// The camera stopped or went offline, or its H.264 view
			// ended.
			l.fail(websocket.StatusTryAgainLater, fmt.Sprintf("the live video of camera %d has ended; reconnect to watch it again", c.ID))
			return
		case err != nil && s.ws.ctx.Err() != nil:
			l.fail(websocket.StatusGoingAway, "the server is stopping")
			return
		case err != nil && l.revoked.Load():
			l.fail(websocket.StatusPolicyViolation, fmt.Sprintf("your right to view camera %d live has ended", c.ID))
			return
		case err != nil:
			l.conn.CloseNow() // the client has gone
			return
		}
		init, frag, err := mux.Write(f)
		if err != nil {
			s.log.Error("live WebSocket: muxing", "camera", c.ID, "err", err)
			l.fail(websocket.StatusInternalError, fmt.Sprintf("the video of camera %d cannot be sent as MP4", c.ID))
			return
		}
		if init != nil {
			msg, _ := json.Marshal(wsInit{Type: "init", MIME: init.MIME, Codec: init.Codec, Width: init.Width, Height: init.Height,
				Transcoded: detail != viaWebSocket})
			if l.write(ctx, websocket.MessageText, msg) != nil || l.write(ctx, websocket.MessageBinary, init.Data) != nil {
				return
			}
		}
		if l.write(ctx, websocket.MessageBinary, frag) != nil {
			return
		}
	}
}

// write sends one message; a client that takes none for wsWriteTimeout
// is dropped.
func (l *liveSocket) write(ctx context.Context, typ websocket.MessageType, b []byte) error {
	ctx, cancel := context.WithTimeout(ctx, wsWriteTimeout)
	defer cancel()
	err := l.conn.Write(ctx, typ, b)
	if err != nil {
		l.conn.CloseNow()
	}
	return err
}

// fail sends an error message and closes.
func (l *liveSocket) fail(code websocket.StatusCode, msg string) {
	b, _ := json.Marshal(wsError{Type: "error", Message: msg})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.conn.Write(ctx, websocket.MessageText, b); err != nil {
		l.conn.CloseNow()
		return
	}
	// The close reason is limited to 123 bytes; the message said it all.
	l.conn.Close(code, "")
}

// isWebSocket reports whether r asks to be upgraded to a WebSocket.
func isWebSocket(r *http.Request) bool {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	for _, v := range r.Header.Values("Connection") {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), "upgrade") {
				return true
			}
		}
	}
	return false
}

// sameOrigin reports whether a request comes from a page of this server,
// or from no page at all (no Origin: not a browser).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}
