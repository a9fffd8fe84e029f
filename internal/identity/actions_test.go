package identity

import (
	"testing"

	"github.com/vigil-cctv/vigil/internal/auditlog"
)

// TestRevokeActions: each kind of token a user may end has its action,
// named as before the registry ("KIND.revoke"), so the trail goes on as
// it was.
func TestRevokeActions(t *testing.T) {
	kinds := []string{TokenAPI, TokenSession}
	if len(revokeAction) != len(kinds) {
		t.Errorf("got %d actions %v, want one for each of %q", len(revokeAction), revokeAction, kinds)
	}
	for _, k := range kinds {
		a, ok := revokeAction[k]
		if !ok {
			t.Errorf("kind %q: got no action", k)
			continue
		}
		if want := k + ".revoke"; a.String() != want {
			t.Errorf("kind %q: got action %s, want %s", k, a, want)
		}
		if _, ok := auditlog.Lookup(a.String()); !ok {
			t.Errorf("kind %q: got action %s, which is not registered", k, a)
		}
	}
}
