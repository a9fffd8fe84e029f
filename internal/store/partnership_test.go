package store

import (
	"context"
	"errors"
	"testing"

	"github.com/vigil-cctv/vigil/internal/access"
)

// TestPartnershipSurvivesRename: the partnership is found by its place at
// the top of the tree, so a server configured with its old name neither
// loses it nor makes a second one (it did, by name, until issue 11).
func TestPartnershipSurvivesRename(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.Partnership(ctx); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Partnership of an empty database: got %v, want ErrNotFound", err)
		}
		top, err := s.EnsurePartnership(ctx, "Herts CCTV Partnership")
		if err != nil {
			t.Fatal(err)
		}
		council := access.Organisation{Name: "Council", Kind: "council", ParentID: top.ID}
		must(t, s.CreateOrganisation(ctx, &council))
		renamed := top
		renamed.Name = "Hertfordshire CCTV Partnership"
		must(t, s.UpdateOrganisation(ctx, &renamed))

		got, err := s.EnsurePartnership(ctx, "Herts CCTV Partnership")
		if err != nil || got.ID != top.ID || got.Name != renamed.Name {
			t.Errorf("EnsurePartnership by the old name after a rename: got %+v, %v, want organisation %d named %q", got, err, top.ID, renamed.Name)
		}
		orgs, err := s.ListOrganisations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(orgs) != 2 {
			t.Errorf("organisations after EnsurePartnership: got %d (%+v), want the partnership and the council", len(orgs), orgs)
		}
	})
}
