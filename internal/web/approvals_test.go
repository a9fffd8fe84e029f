package web

import (
	"testing"

	"github.com/vigil-cctv/vigil/internal/approvals"
)

// TestAppliersCoverChangeKinds: every kind of change of rights a request
// may hold has its applier, so no approved change fails for want of one.
func TestAppliersCoverChangeKinds(t *testing.T) {
	got := (&Server{}).appliers()
	for _, k := range approvals.ChangeKinds {
		if got[k] == nil {
			t.Errorf("kind %q: got no applier, want one", k)
		}
	}
	if len(got) != len(approvals.ChangeKinds) {
		t.Errorf("got %d appliers, want one for each of %q", len(got), approvals.ChangeKinds)
	}
}
