package store

import (
	"context"
	"errors"
	"github.com/vigil-cctv/vigil/internal/identity"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/cameras"
)

func ip(v int64) *int64 { return &v }

func sameLayout(a, b cameras.Layout) bool {
	if a.ID != b.ID || a.UserID != b.UserID || a.Name != b.Name || a.Grid != b.Grid || a.UpdatedAt != b.UpdatedAt || len(a.Tiles) != len(b.Tiles) {
		return false
	}
	for i := range a.Tiles {
		x, y := a.Tiles[i], b.Tiles[i]
		if (x == nil) != (y == nil) || x != nil && *x != *y {
			return false
		}
	}
	return true
}

func layoutNames(ls []cameras.Layout) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}

func TestLayouts(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, err := s.EnsureOrganisation(ctx, "Org", "council")
		must(t, err)
		alice := identity.User{Username: "alice", PasswordHash: "h", OrganisationID: org.ID, Role: "operator"}
		bob := identity.User{Username: "bob", PasswordHash: "h", OrganisationID: org.ID, Role: "operator"}
		must(t, s.CreateUser(ctx, &alice))
		must(t, s.CreateUser(ctx, &bob))

		quad := cameras.Layout{UserID: alice.ID, Name: "Town centre", Grid: 2, Tiles: []*int64{ip(1), nil, ip(3), ip(1)}}
		must(t, s.SaveLayout(ctx, &quad))
		if quad.ID == 0 || quad.UpdatedAt.IsZero() {
			t.Fatalf("SaveLayout: got ID %d UpdatedAt %v, want both set", quad.ID, quad.UpdatedAt)
		}
		got, err := s.Layout(ctx, alice.ID, "Town centre")
		must(t, err)
		if !sameLayout(got, quad) {
			t.Errorf("Layout: got %+v, want %+v", got, quad)
		}

		// Saving under the same name replaces, keeping the row.
		replaced := cameras.Layout{UserID: alice.ID, Name: "Town centre", Grid: 3, Tiles: make([]*int64, 9)}
		replaced.Tiles[4] = ip(7)
		must(t, s.SaveLayout(ctx, &replaced))
		if replaced.ID != quad.ID {
			t.Errorf("replace: got id %d, want the same row %d", replaced.ID, quad.ID)
		}
		got, err = s.Layout(ctx, alice.ID, "Town centre")
		must(t, err)
		if !sameLayout(got, replaced) {
			t.Errorf("after replace: got %+v, want %+v", got, replaced)
		}

		// The same name for another user is another layout.
		bobs := cameras.Layout{UserID: bob.ID, Name: "Town centre", Grid: 1, Tiles: []*int64{ip(2)}}
		must(t, s.SaveLayout(ctx, &bobs))
		if bobs.ID == quad.ID {
			t.Errorf("bob's layout: got alice's row %d, want its own", bobs.ID)
		}
		for _, name := range []string{"night shift", "Álvaro's wall", "Car parks", "car parks"} {
			l := cameras.Layout{UserID: alice.ID, Name: name, Grid: 1, Tiles: []*int64{nil}}
			must(t, s.SaveLayout(ctx, &l))
		}
		list, err := s.Layouts(ctx, alice.ID)
		must(t, err)
		want := []string{"Car parks", "car parks", "night shift", "Town centre", "Álvaro's wall"}
		if got := layoutNames(list); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("Layouts(alice): got %q, want %q", got, want)
		}
		list, err = s.Layouts(ctx, bob.ID)
		must(t, err)
		if len(list) != 1 || !sameLayout(list[0], bobs) {
			t.Errorf("Layouts(bob): got %+v, want only %+v", list, bobs)
		}

		must(t, s.DeleteLayout(ctx, alice.ID, "Town centre"))
		if _, err := s.Layout(ctx, alice.ID, "Town centre"); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted layout: got %v, want ErrNotFound", err)
		}
		if _, err := s.Layout(ctx, bob.ID, "Town centre"); err != nil {
			t.Errorf("bob's layout after alice deleted hers: got %v, want nil", err)
		}
		missing := []struct {
			name   string
			user   int64
			layout string
		}{
			{"deleted twice", alice.ID, "Town centre"},
			{"never saved", alice.ID, "nothing"},
			{"another user's", alice.ID + bob.ID + 1, "Town centre"},
		}
		for _, tt := range missing {
			t.Run(tt.name, func(t *testing.T) {
				if err := s.DeleteLayout(ctx, tt.user, tt.layout); !errors.Is(err, ErrNotFound) {
					t.Errorf("DeleteLayout: got %v, want ErrNotFound", err)
				}
			})
		}

		invalid := []struct {
			name, want string
			l          cameras.Layout
		}{
			{"empty name", "1 to 60", cameras.Layout{Grid: 1, Tiles: []*int64{nil}}},
			{"long name", "1 to 60", cameras.Layout{Name: strings.Repeat("x", 61), Grid: 1, Tiles: []*int64{nil}}},
			{"control character", "control", cameras.Layout{Name: "a\tb", Grid: 1, Tiles: []*int64{nil}}},
			{"line break", "control", cameras.Layout{Name: "a\nb", Grid: 1, Tiles: []*int64{nil}}},
			{"invalid UTF-8", "1 to 60", cameras.Layout{Name: "a\xffb", Grid: 1, Tiles: []*int64{nil}}},
			{"leading space", "space", cameras.Layout{Name: " a", Grid: 1, Tiles: []*int64{nil}}},
			{"grid 0", "grid", cameras.Layout{Name: "a", Grid: 0, Tiles: nil}},
			{"grid 6", "grid", cameras.Layout{Name: "a", Grid: 6, Tiles: make([]*int64, 36)}},
			{"too few tiles", "tiles", cameras.Layout{Name: "a", Grid: 2, Tiles: make([]*int64, 3)}},
			{"too many tiles", "tiles", cameras.Layout{Name: "a", Grid: 1, Tiles: make([]*int64, 2)}},
			{"zero camera", "positive", cameras.Layout{Name: "a", Grid: 1, Tiles: []*int64{ip(0)}}},
		}
		for _, tt := range invalid {
			t.Run(tt.name, func(t *testing.T) {
				l := tt.l
				l.UserID = alice.ID
				if err := s.SaveLayout(ctx, &l); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("SaveLayout: got %v, want an error mentioning %q", err, tt.want)
				}
			})
		}
		// Sixty characters of two bytes each is within the limit.
		long := cameras.Layout{UserID: alice.ID, Name: strings.Repeat("é", cameras.MaxLayoutName), Grid: cameras.MaxLayoutGrid, Tiles: make([]*int64, 25)}
		if err := s.SaveLayout(ctx, &long); err != nil {
			t.Errorf("SaveLayout of %d two-byte characters: got %v, want nil", cameras.MaxLayoutName, err)
		}
		if err := s.SaveLayout(ctx, &cameras.Layout{UserID: 424242, Name: "a", Grid: 1, Tiles: []*int64{nil}}); err == nil {
			t.Errorf("layout of a missing user: got nil error, want a foreign key error")
		}
	})
}

func TestLayoutsGoWithTheirUser(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, err := s.EnsureOrganisation(ctx, "Org", "council")
		must(t, err)
		u := identity.User{Username: "leaver", PasswordHash: "h", OrganisationID: org.ID, Role: "operator"}
		must(t, s.CreateUser(ctx, &u))
		must(t, s.SaveLayout(ctx, &cameras.Layout{UserID: u.ID, Name: "mine", Grid: 1, Tiles: []*int64{nil}}))
		// There is no DeleteUser yet; the cascade is the schema's promise.
		_, err = s.w.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, u.ID)
		must(t, err)
		var n int
		must(t, s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM layouts`).Scan(&n))
		if n != 0 {
			t.Errorf("layouts after their user was deleted: got %d, want 0", n)
		}
	})
}
