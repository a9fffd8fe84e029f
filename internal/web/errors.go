package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The bridge to httpx, where the handler's error and handler type now
// live for the console's pages too: these names let web's files stay as
// they are. Remove it when the JSON API moves to a package of its own.

// Error is a handler's failure (httpx.Error).
type Error = httpx.Error

func errorf(code int, msg string, cause error) *Error { return httpx.Errorf(code, msg, cause) }

func badRequest(msg string) *Error { return httpx.BadRequest(msg) }

// handlerFunc is a handler that returns its failure instead of writing it.
type handlerFunc = httpx.HandlerFunc

// writeError renders err as JSON with its status, logging the cause of
// server-side failures.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var he *Error
	if !errors.As(err, &he) {
		he = &Error{Code: http.StatusInternalServerError, Msg: "internal error", Err: err}
	}
	if he.Code >= 500 {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", he.Error())
	} else {
		log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "code", he.Code, "err", he.Error())
	}
	writeJSON(w, he.Code, map[string]string{"error": he.Msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
