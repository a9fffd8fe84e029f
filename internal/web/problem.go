package web

import (
	"errors"
	"net/http"

	"github.com/vigil-cctv/vigil/internal/problem"
)

// fromProblem turns a service's refusal into the HTTP error it means; any
// other error is a 500 with cause kept for the log.
func fromProblem(err error) error {
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
		return errorf(code, "internal error", err)
	}
	return errorf(code, problem.Message(err, http.StatusText(code)), err)
}
