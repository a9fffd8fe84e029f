// Package httpx is what Vigil's HTTP handlers share: the handler's error
// (a status, a message safe to show, the cause kept for the log) and the
// status of a service's refusal, the handler that returns it, the route
// with what it asks of its caller, the signed-in user and their rights
// carried in a request's context (and the actor and audit entry made of
// them), JSON bodies and answers, what a request's path and query ask for
// (ids, date ranges, financial periods), and the CSV downloads. The
// server (package web), the JSON API (web/api) and the console's pages
// (web/console) build on it; it knows none of them.
package httpx

import (
	"errors"
	"net/http"

	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
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

// Errorf is a failure with its status, message and cause.
func Errorf(code int, msg string, cause error) *Error {
	return &Error{Code: code, Msg: msg, Err: cause}
}

// BadRequest is a 400 saying what is wrong with the request.
func BadRequest(msg string) *Error { return &Error{Code: http.StatusBadRequest, Msg: msg} }

// FromProblem turns a service's refusal into the HTTP error it means; any
// other error is a 500 with its cause kept for the log.
func FromProblem(err error) error {
	if err == nil {
		return nil
	}
	var he *Error
	if errors.As(err, &he) {
		return he
	}
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, problem.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, problem.ErrForbidden):
		code = http.StatusForbidden
	case errors.Is(err, problem.ErrInvalid):
		code = http.StatusUnprocessableEntity
	case errors.Is(err, problem.ErrConflict):
		code = http.StatusConflict
	case errors.Is(err, problem.ErrUnavailable):
		code = http.StatusServiceUnavailable
	}
	if code == http.StatusInternalServerError {
		return Errorf(code, "internal error", err)
	}
	return Errorf(code, problem.Message(err, http.StatusText(code)), err)
}

// Refusal is the HTTP error of a service's refusal as the API has always
// answered it: a broken rule is a 400 with its message, a username that
// looks like one taken a 409, the rest as FromProblem says.
func Refusal(err error) error {
	var he *Error
	if err == nil || errors.As(err, &he) {
		return err
	}
	var ce *names.ConfusableError
	switch {
	case errors.As(err, &ce):
		return Errorf(http.StatusConflict, ce.Error(), err)
	case errors.Is(err, problem.ErrInvalid):
		return Errorf(http.StatusBadRequest, invalidMessage(err), err)
	}
	return FromProblem(err)
}

// invalidMessage is what a broken rule says: the message of the first
// error in err's chain that is a refusal of a value of its own kind (the
// store's, which says what is wrong with the value), else the
// refusal's safe message.
func invalidMessage(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if _, ok := e.(*problem.Problem); ok {
			break
		}
		if v, ok := e.(interface{ Is(error) bool }); ok && v.Is(problem.ErrInvalid) {
			return e.Error()
		}
	}
	return problem.Message(err, "the request breaks a rule")
}

// HandlerFunc is a handler that returns its failure instead of writing
// it; the server writes it, as JSON or a page.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one route and what it asks of its caller: it is public, open
// to anyone signed in, or needs a right one of the caller's roles must
// hold; the server refuses at start a route that says none or more than
// one of these.
type Route struct {
	Pattern string
	Public  bool          // no sign-in needed
	Anyone  bool          // any signed-in user; the handler scopes what they see
	Need    rights.Action // a right one of the user's roles must hold
	// Page is a console page: a user without the right is shown the
	// console's refused page (a 403 saying what it needs) rather than
	// JSON.
	Page bool
	// Long routes outlast the server's read and write timeouts.
	Long Lasting
	H    HandlerFunc
}

// Lasting says how a route outlasts the HTTP server's read and write
// timeouts, which bound every other request.
type Lasting int

const (
	// Bounded: the server's timeouts apply as they are.
	Bounded Lasting = iota
	// Flowing responses (an hour of footage as MP4, a large CSV) may
	// take as long as they take while the client keeps reading: each
	// write moves the write deadline on, so a client that stops reading
	// is still cut off.
	Flowing
	// Socket routes are upgraded to a WebSocket, which keeps its own
	// time: every message written has its own timeout.
	Socket
)
