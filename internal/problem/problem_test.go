package problem

import (
	"errors"
	"fmt"
	"testing"
)

func TestKinds(t *testing.T) {
	cause := errors.New("disk on fire")
	for _, tt := range []struct {
		err     error
		kind    error
		notKind error
		msg     string
	}{
		{Notf("no camera %d", 7), ErrNotFound, ErrForbidden, "no camera 7"},
		{Forbiddenf("not yours"), ErrForbidden, ErrNotFound, "not yours"},
		{Invalidf("name %q", ""), ErrInvalid, ErrConflict, `name ""`},
		{Conflictf("taken"), ErrConflict, ErrInvalid, "taken"},
		{fmt.Errorf("wrapped: %w", New(ErrUnavailable, "try later", cause)), ErrUnavailable, ErrNotFound, "try later"},
	} {
		if !errors.Is(tt.err, tt.kind) {
			t.Errorf("%v: errors.Is(kind %v): got false, want true", tt.err, tt.kind)
		}
		if errors.Is(tt.err, tt.notKind) {
			t.Errorf("%v: errors.Is(kind %v): got true, want false", tt.err, tt.notKind)
		}
		if got := Message(tt.err, "fallback"); got != tt.msg {
			t.Errorf("Message: got %q, want %q", got, tt.msg)
		}
	}
	if !errors.Is(New(ErrUnavailable, "x", cause), cause) {
		t.Error("the cause: got errors.Is false, want true")
	}
	if got := Message(cause, "fallback"); got != "fallback" {
		t.Errorf("Message of a plain error: got %q, want the fallback", got)
	}
}
