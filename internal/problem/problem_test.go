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
		{Notf("no camera %d", 7), NotFound, Forbidden, "no camera 7"},
		{Forbiddenf("not yours"), Forbidden, NotFound, "not yours"},
		{Invalidf("name %q", ""), Invalid, Conflict, `name ""`},
		{Conflictf("taken"), Conflict, Invalid, "taken"},
		{fmt.Errorf("wrapped: %w", New(Unavailable, "try later", cause)), Unavailable, NotFound, "try later"},
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
	if !errors.Is(New(Unavailable, "x", cause), cause) {
		t.Error("the cause: got errors.Is false, want true")
	}
	if got := Message(cause, "fallback"); got != "fallback" {
		t.Errorf("Message of a plain error: got %q, want the fallback", got)
	}
}
