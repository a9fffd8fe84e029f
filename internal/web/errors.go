package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// Error is a handler's failure: the status, a message safe to show the
// client, and the internal cause, which is logged and never sent.
type Error struct {
	Code int
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(code int, msg string, cause error) *Error {
	return &Error{Code: code, Msg: msg, Err: cause}
}

func badRequest(msg string) *Error { return &Error{Code: http.StatusBadRequest, Msg: msg} }

// handlerFunc is a handler that returns its failure instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

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
