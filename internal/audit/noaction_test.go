package audit

import (
	"errors"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auditlog"
)

// TestAppendRefusesNoAction checks an entry whose action a writer failed
// to find (the zero Action) is refused, by Append and AppendBatch alike,
// and nothing is written.
func TestAppendRefusesNoAction(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		if err := e.trail.Append(t.Context(), Entry{Username: "u"}); !errors.Is(err, ErrNoAction) {
			t.Errorf("Append: got %v, want ErrNoAction", err)
		}
		if err := e.trail.AppendBatch(t.Context(), []Entry{{Username: "u", Action: auditlog.SignIn}, {Username: "u"}}); !errors.Is(err, ErrNoAction) {
			t.Errorf("AppendBatch: got %v, want ErrNoAction", err)
		}
		if _, last, err := e.trail.st.AuditBounds(t.Context()); err != nil || last != 0 {
			t.Errorf("after refusals: got last record %d, %v, want an empty trail", last, err)
		}
	})
}
