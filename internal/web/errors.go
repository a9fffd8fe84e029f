package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// writeError renders err as JSON with its status, logging the cause of
// server-side failures.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var he *httpx.Error
	if !errors.As(err, &he) {
		he = &httpx.Error{Code: http.StatusInternalServerError, Msg: "internal error", Err: err}
	}
	if he.Code >= 500 {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", he.Error())
	} else {
		log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "code", he.Code, "err", he.Error())
	}
	httpx.WriteJSON(w, he.Code, map[string]string{"error": he.Msg})
}
