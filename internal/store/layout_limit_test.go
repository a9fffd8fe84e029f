package store

import (
	"context"
	"errors"
	"fmt"
	"github.com/vigil-cctv/vigil/internal/identity"
	"slices"
	"sync"
	"testing"

	"github.com/vigil-cctv/vigil/internal/cameras"
)

// TestLayoutLimit: a user's layouts stop at cameras.MaxLayoutsPerUser, even when
// saved at once; replacing one still works; another user is not held up.
func TestLayoutLimit(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, err := s.EnsureOrganisation(ctx, "Org", "council")
		must(t, err)
		alice := identity.User{Username: "alice", PasswordHash: "h", OrganisationID: org.ID, Role: "operator"}
		bob := identity.User{Username: "bob", PasswordHash: "h", OrganisationID: org.ID, Role: "operator"}
		must(t, s.CreateUser(ctx, &alice))
		must(t, s.CreateUser(ctx, &bob))
		save := func(user int64, name string) error {
			return s.SaveLayout(ctx, &cameras.Layout{UserID: user, Name: name, Grid: 1, Tiles: []*int64{nil}})
		}
		// The last ten at once: the count must hold against a race.
		for i := range cameras.MaxLayoutsPerUser - 10 {
			must(t, save(alice.ID, fmt.Sprintf("L%03d", i)))
		}
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Go(func() { errs[i] = save(alice.ID, fmt.Sprintf("race %02d", i)) })
		}
		wg.Wait()
		refused := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, cameras.ErrTooManyLayouts):
				refused++
			case err != nil:
				t.Errorf("a save at once: got %v, want nil or cameras.ErrTooManyLayouts", err)
			}
		}
		if refused != 10 {
			t.Errorf("saves at once refused: got %d, want 10", refused)
		}
		ls, err := s.Layouts(ctx, alice.ID)
		must(t, err)
		if len(ls) != cameras.MaxLayoutsPerUser {
			t.Errorf("layouts kept: got %d, want %d", len(ls), cameras.MaxLayoutsPerUser)
		}
		if err := save(alice.ID, "one more"); !errors.Is(err, cameras.ErrTooManyLayouts) {
			t.Errorf("a new layout past the limit: got %v, want cameras.ErrTooManyLayouts", err)
		}
		if err := s.SaveLayout(ctx, &cameras.Layout{UserID: alice.ID, Name: "L007", Grid: 2, Tiles: make([]*int64, 4)}); err != nil {
			t.Errorf("replacing a layout at the limit: got %v, want nil", err)
		}
		if l, err := s.Layout(ctx, alice.ID, "L007"); err != nil || l.Grid != 2 {
			t.Errorf("the replaced layout: got %+v, %v, want grid 2", l, err)
		}
		must(t, s.DeleteLayout(ctx, alice.ID, "L000"))
		if err := save(alice.ID, "one more"); err != nil {
			t.Errorf("a new layout after deleting one: got %v, want nil", err)
		}
		if err := save(bob.ID, "mine"); err != nil {
			t.Errorf("another user's layout: got %v, want nil", err)
		}
	})
}

// TestLayoutPage: pages run in the order of Layouts, each after the last
// name of the one before, and say whether more follow.
func TestLayoutPage(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, err := s.EnsureOrganisation(ctx, "Org", "council")
		must(t, err)
		u := identity.User{Username: "alice", PasswordHash: "h", OrganisationID: org.ID, Role: "operator"}
		must(t, s.CreateUser(ctx, &u))
		for _, n := range []string{"b", "A", "a", "C", "d", "Été"} {
			must(t, s.SaveLayout(ctx, &cameras.Layout{UserID: u.ID, Name: n, Grid: 1, Tiles: []*int64{nil}}))
		}
		all, err := s.Layouts(ctx, u.ID)
		must(t, err)
		want := layoutNames(all)
		tests := []struct {
			name  string
			after string
			limit int
			names []string
			more  bool
		}{
			{"first page", "", 2, want[:2], true},
			{"second page", want[1], 2, want[2:4], true},
			{"last page", want[3], 2, want[4:], false},
			{"past the end", want[5], 2, nil, false},
			{"after a name no longer there", "Bz", 10, []string{"C", "d", "Été"}, false},
			{"default", "", 0, want, false},
			{"too many asked", "", cameras.MaxLayoutPage + 1, want, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, more, err := s.LayoutPage(ctx, u.ID, tt.after, tt.limit)
				must(t, err)
				if !slices.Equal(layoutNames(got), tt.names) || more != tt.more {
					t.Errorf("got %q more %v, want %q more %v", layoutNames(got), more, tt.names, tt.more)
				}
			})
		}
	})
}
