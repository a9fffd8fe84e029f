package web

import (
	"net/http"
	"time"

	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// outlast lifts the server's deadlines of a long-lived route, once the
// request is authorised, as the route's kind says.
func (s *Server) outlast(kind httpx.Lasting, h httpx.HandlerFunc) httpx.HandlerFunc {
	if kind == httpx.Bounded {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		rc := http.NewResponseController(w)
		// A read deadline passing while the handler runs would end the
		// request's context (net/http reads on in the background), so
		// it goes, but only once there is no body left to read: a body
		// must still come within the read timeout.
		if r.Body == nil || r.Body == http.NoBody {
			rc.SetReadDeadline(time.Time{})
		}
		switch {
		case kind == httpx.Socket || s.opt.WriteTimeout <= 0:
			rc.SetWriteDeadline(time.Time{})
		default:
			w = &flowingWriter{ResponseWriter: w, rc: rc, stall: s.opt.WriteTimeout}
		}
		return h(w, r)
	}
}

// flowingWriter moves the connection's write deadline on before each
// write: a response lasts while its client reads. The kernel wakes a
// blocked writer only once half its socket buffer has drained (at most
// 2 MB on Linux), so a client must read that much within the stall time.
type flowingWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
}

func (f *flowingWriter) Write(p []byte) (int, error) {
	f.rc.SetWriteDeadline(time.Now().Add(f.stall))
	return f.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (f *flowingWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }
