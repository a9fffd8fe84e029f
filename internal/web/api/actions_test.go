package api

import (
	"testing"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/works"
)

// TestActionsOfKinds checks every kind this package names by a string of
// its own has its audit action, and that the action's name is the one
// written before the registry (the name made from the kind), so the trail
// goes on as it was.
func TestActionsOfKinds(t *testing.T) {
	tests := []struct {
		table map[string]auditlog.Action
		kinds []string
		name  func(kind string) string
	}{
		{works.StepAction, []string{works.Quoted, works.Approved, works.Completed, works.Cancelled},
			func(k string) string {
				return "works.order." + map[string]string{works.Quoted: "quote", works.Approved: "approve", works.Completed: "complete", works.Cancelled: "cancel"}[k]
			}},
	}
	for _, tt := range tests {
		if len(tt.table) != len(tt.kinds) {
			t.Errorf("got %d actions %v, want one for each of %q", len(tt.table), tt.table, tt.kinds)
		}
		for _, k := range tt.kinds {
			a, ok := tt.table[k]
			if !ok {
				t.Errorf("kind %q: got no action", k)
				continue
			}
			if a.String() != tt.name(k) {
				t.Errorf("kind %q: got action %s, want %s", k, a, tt.name(k))
			}
			if _, ok := auditlog.Lookup(a.String()); !ok {
				t.Errorf("kind %q: got action %s, which is not registered", k, a)
			}
		}
	}
}
