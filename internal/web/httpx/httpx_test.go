package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/vigil-cctv/vigil/internal/problem"
)

// TestFromProblem: each kind of refusal is its status with its message;
// a handler's own error passes through; anything else is a 500 that
// shows nothing of its cause.
func TestFromProblem(t *testing.T) {
	own := Errorf(http.StatusTeapot, "short and stout", nil)
	for _, tc := range []struct {
		name     string
		err      error
		wantCode int
		wantMsg  string
	}{
		{"not found", problem.Notf("no camera %d", 7), http.StatusNotFound, "no camera 7"},
		{"forbidden", problem.Forbiddenf("not yours"), http.StatusForbidden, "not yours"},
		{"invalid", problem.Invalidf("too long"), http.StatusUnprocessableEntity, "too long"},
		{"conflict", problem.Conflictf("taken"), http.StatusConflict, "taken"},
		{"unavailable", problem.New(problem.ErrUnavailable, "try later", nil), http.StatusServiceUnavailable, "try later"},
		{"wrapped", fmt.Errorf("saving: %w", problem.Notf("no order 3")), http.StatusNotFound, "no order 3"},
		{"a handler's own", own, http.StatusTeapot, "short and stout"},
		{"anything else", errors.New("disk on fire"), http.StatusInternalServerError, "internal error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var he *Error
			if !errors.As(FromProblem(tc.err), &he) {
				t.Fatalf("got %v, want an *Error", FromProblem(tc.err))
			}
			if he.Code != tc.wantCode || he.Msg != tc.wantMsg {
				t.Errorf("got %d %q, want %d %q", he.Code, he.Msg, tc.wantCode, tc.wantMsg)
			}
		})
	}
	if got := FromProblem(nil); got != nil {
		t.Errorf("nil: got %v, want nil", got)
	}
}
