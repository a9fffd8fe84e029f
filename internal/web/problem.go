package web

import (
	"errors"
	"net/http"

	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/store"
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

// refusal is the HTTP error of a service's refusal as the API has always
// answered it: a broken rule is a 400 with its message, a name that looks
// like one taken a 409, the rest as fromProblem says.
func refusal(err error) error {
	var he *Error
	if err == nil || errors.As(err, &he) {
		return err
	}
	var ie *store.InvalidError
	var ce *names.ConfusableError
	switch {
	case errors.As(err, &ie):
		return errorf(http.StatusBadRequest, ie.Msg, err)
	case errors.As(err, &ce):
		return errorf(http.StatusConflict, ce.Error(), err)
	case errors.Is(err, problem.ErrInvalid):
		return errorf(http.StatusBadRequest, problem.Message(err, "the request breaks a rule"), err)
	}
	return fromProblem(err)
}
