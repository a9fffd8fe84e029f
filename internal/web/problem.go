package web

import (
	"errors"
	"net/http"

	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// fromProblem turns a service's refusal into the HTTP error it means
// (httpx.FromProblem, shared with the console's pages).
func fromProblem(err error) error { return httpx.FromProblem(err) }

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
