package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/names"

	"github.com/vigil-cctv/vigil/internal/works"
)

// TestNamesRefused: every name the store keeps for people to read is held
// to names.Check, whoever calls (the command line as well as the API),
// with an *InvalidError that is also a names.ErrInvalid.
func TestNamesRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, err := s.EnsureOrganisation(ctx, "Org", "council")
		must(t, err)
		u := identity.User{Username: "ada", PasswordHash: "h", OrganisationID: org.ID, Role: "operator"}
		must(t, s.CreateUser(ctx, &u))
		cam := cameras.Camera{OrganisationID: org.ID, Name: "Gate", URL: "rtsp://192.0.2.1/a"}
		must(t, s.CreateCamera(ctx, &cam))
		tests := []struct {
			name string
			do   func() error
		}{
			{"username with NUL", func() error {
				return s.CreateUser(ctx, &identity.User{Username: "ad\x00min", PasswordHash: "h", OrganisationID: org.ID, Role: "operator"})
			}},
			{"username with a right-to-left override", func() error {
				return s.CreateUser(ctx, &identity.User{Username: "nimda\u202E", PasswordHash: "h", OrganisationID: org.ID, Role: "operator"})
			}},
			{"username with a zero-width space", func() error {
				return s.CreateUser(ctx, &identity.User{Username: "ad\u200Bmin", PasswordHash: "h", OrganisationID: org.ID, Role: "operator"})
			}},
			{"camera name with NUL", func() error {
				return s.CreateCamera(ctx, &cameras.Camera{OrganisationID: org.ID, Name: "Gate\x00", URL: "rtsp://192.0.2.1/b"})
			}},
			{"camera renamed with a bidi isolate", func() error {
				c := cam
				c.Name = "\u2067Gate"
				return s.UpdateCamera(ctx, &c)
			}},
			{"camera area with a newline", func() error {
				return s.CreateCamera(ctx, &cameras.Camera{OrganisationID: org.ID, Name: "Yard", Area: "North\nSouth", URL: "rtsp://192.0.2.1/c"})
			}},
			{"camera site with a byte order mark", func() error {
				return s.CreateCamera(ctx, &cameras.Camera{OrganisationID: org.ID, Name: "Yard", Site: "\uFEFFPark", URL: "rtsp://192.0.2.1/c"})
			}},
			{"organisation with a right-to-left override", func() error {
				return s.CreateOrganisation(ctx, &access.Organisation{Name: "Shire \u202ECouncil", Kind: "council", ParentID: org.ParentID})
			}},
			{"department with a left-to-right mark", func() error {
				return s.CreateOrganisation(ctx, &access.Organisation{Name: "Parks\u200E", Kind: "department", ParentID: org.ID})
			}},
			{"organisation renamed with NUL", func() error {
				o := org
				o.Name = "Org\x00"
				return s.UpdateOrganisation(ctx, &o)
			}},
			{"camera group with an escape", func() error {
				return s.CreateCameraGroup(ctx, &access.CameraGroup{OrganisationID: org.ID, Name: "\x1b[2JCentre"})
			}},
			{"layout with a zero-width joiner", func() error {
				return s.SaveLayout(ctx, &cameras.Layout{UserID: u.ID, Name: "Wall\u200D", Grid: 1, Tiles: []*int64{nil}})
			}},
			{"contractor with a line separator", func() error {
				_, err := s.EnsureContractor(ctx, "Fixit\u2028Ltd", "")
				return err
			}},
			{"works supplier with a pop directional formatting", func() error {
				return s.CreateWorksContract(ctx, &works.Contract{OrganisationID: org.ID, Reference: "R-1", Supplier: "DSSL\u202C", ValuePence: 100,
					StartsOn: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)})
			}},
			{"API token with a right-to-left override", func() error {
				return s.CreateToken(ctx, &identity.Token{UserID: u.ID, Name: "ci\u202ebot", Hash: []byte("0123456789abcdef")})
			}},
			{"finance category title with a tab", func() error {
				return s.PutFinanceCategory(ctx, finance.Category{Name: "proactive", Title: "Pro\tactive", Weight: finance.One})
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.do()
				if !errors.Is(err, names.ErrInvalid) {
					t.Fatalf("got %v, want an error matching names.ErrInvalid", err)
				}
				// Layouts answer their own validation error; the rest an
				// *InvalidError, which the API shows as a 400.
				var ie *InvalidError
				if tt.name[:6] != "layout" && !errors.As(err, &ie) {
					t.Errorf("got %T %v, want an *InvalidError", err, err)
				}
			})
		}
	})
}

// TestConfusableUsernames: a new username that looks like an existing one
// is refused with a *names.ConfusableError naming it, even when both are
// made at once; the same name is a plain conflict.
func TestConfusableUsernames(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, err := s.EnsureOrganisation(ctx, "Org", "council")
		must(t, err)
		create := func(name string) error {
			return s.CreateUser(ctx, &identity.User{Username: name, PasswordHash: "h", OrganisationID: org.ID, Role: "operator"})
		}
		must(t, create("admin"))
		for _, name := range []string{"аdmin", "ADMIN", "Admin", "ａｄｍｉｎ", "adrnin"} {
			err := create(name)
			var ce *names.ConfusableError
			if !errors.As(err, &ce) || ce.Existing != "admin" || ce.Name != name {
				t.Errorf("create %q: got %v, want a ConfusableError naming admin", name, err)
			}
		}
		if err := create("admin"); !errors.Is(err, ErrConflict) || errors.Is(err, names.ErrConfusable) {
			t.Errorf("create admin again: got %v, want ErrConflict", err)
		}
		for _, name := range []string{"admins", "adam", "jö"} {
			if err := create(name); err != nil {
				t.Errorf("create %q: got %v, want nil", name, err)
			}
		}

		// Look-alikes at once: one is made.
		variants := []string{"olive", "оlive", "οlive", "OLIVE", "o1ive", "0live", "ｏｌｉｖｅ", "Olive"}
		errs := make([]error, len(variants))
		var wg sync.WaitGroup
		for i, v := range variants {
			wg.Go(func() { errs[i] = create(v) })
		}
		wg.Wait()
		made := 0
		for i, err := range errs {
			switch {
			case err == nil:
				made++
			case !errors.Is(err, names.ErrConfusable) && !errors.Is(err, ErrConflict):
				t.Errorf("create %q at once: got %v, want nil, ErrConfusable or ErrConflict", variants[i], err)
			}
		}
		if made != 1 {
			t.Errorf("look-alikes made at once: got %d, want 1", made)
		}
	})
}

// TestSkeletonBackfill: users from before migration 12 get their
// skeleton when the store opens; of a look-alike pair already there the
// first keeps it, and both still refuse a third.
func TestSkeletonBackfill(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, err := s.EnsureOrganisation(ctx, "Org", "council")
		must(t, err)
		create := func(name string) error {
			return s.CreateUser(ctx, &identity.User{Username: name, PasswordHash: "h", OrganisationID: org.ID, Role: "operator"})
		}
		clear := func() {
			t.Helper()
			if _, err := s.w.ExecContext(ctx, `UPDATE users SET username_skeleton = NULL`); err != nil {
				t.Fatal(err)
			}
		}
		must(t, create("admin"))
		must(t, create("bob"))
		clear() // as before the migration: then a look-alike could be made
		must(t, create("аdmin"))
		clear()
		must(t, s.fillSkeletons(ctx))
		got := map[string]*string{}
		rows, err := s.w.QueryContext(ctx, `SELECT username, username_skeleton FROM users`)
		must(t, err)
		for rows.Next() {
			var n string
			var sk *string
			must(t, rows.Scan(&n, &sk))
			got[n] = sk
		}
		rows.Close()
		for name, want := range map[string]string{"admin": names.Skeleton("admin"), "bob": names.Skeleton("bob")} {
			if got[name] == nil || *got[name] != want {
				t.Errorf("skeleton of %s after the backfill: got %v, want %q", name, got[name], want)
			}
		}
		if got["аdmin"] != nil {
			t.Errorf("skeleton of the later look-alike: got %q, want none", *got["аdmin"])
		}
		if err := create("ADMIN"); !errors.Is(err, names.ErrConfusable) {
			t.Errorf("a third look-alike after the backfill: got %v, want ErrConfusable", err)
		}
	})
}
