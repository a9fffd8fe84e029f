package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/finance"
)

// TestCameraOwnersDuring: every change of a camera's owner (a move, an
// update naming another organisation) closes one period of ownership and
// opens the next at the same instant, and a range answers every
// organisation that owned the camera at some instant of it, the present
// owner always among them.
func TestCameraOwnersDuring(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := func(name string) int64 {
			o := access.Organisation{Name: name, Kind: "council"}
			must(t, s.CreateOrganisation(ctx, &o))
			return o.ID
		}
		strict, lax, third := org("Strict"), org("Lax"), org("Third")
		cam := newCameraIn(t, s, strict, "Market")
		other := newCameraIn(t, s, lax, "Bridge")
		pause := func() { time.Sleep(2 * time.Millisecond) } // distinct microseconds on a coarse clock
		pause()
		_, err := s.MoveCamera(ctx, cam.ID, lax, time.Now(), 1)
		must(t, err)
		pause()
		// An update that names another owner is a change of owner too.
		c, err := s.Camera(ctx, cam.ID)
		must(t, err)
		c.OrganisationID = third
		must(t, s.UpdateCamera(ctx, &c))
		pause()
		_, err = s.MoveCamera(ctx, cam.ID, lax, time.Now(), 1)
		must(t, err)
		// An update that keeps the owner records nothing.
		c, err = s.Camera(ctx, cam.ID)
		must(t, err)
		c.Description = "renamed"
		must(t, s.UpdateCamera(ctx, &c))

		ps, err := s.CameraOwnerships(ctx, cam.ID)
		must(t, err)
		var owners []int64
		for _, p := range ps {
			owners = append(owners, p.OrganisationID)
		}
		if want := []int64{strict, lax, third, lax}; !slices.Equal(owners, want) {
			t.Fatalf("periods: got owners %v, want %v", owners, want)
		}
		if !ps[0].Since.Equal(cam.CreatedAt) {
			t.Errorf("first period from %v, want the camera's creation %v", ps[0].Since, cam.CreatedAt)
		}
		for i := range ps[:len(ps)-1] {
			if ps[i].Until == nil || !ps[i].Until.Equal(ps[i+1].Since) {
				t.Errorf("period %d ends %v, want at %v, where the next starts", i, ps[i].Until, ps[i+1].Since)
			}
		}
		if last := ps[len(ps)-1]; last.Until != nil {
			t.Errorf("the present period ends %v, want open", *last.Until)
		}

		us := time.Microsecond
		moved, back := ps[1].Since, ps[3].Since
		for _, tt := range []struct {
			name       string
			start, end time.Time
			want       []int64
		}{
			{"before the first move", ps[0].Since, moved, []int64{strict, lax}},
			{"the instant before the move", moved.Add(-us), moved, []int64{strict, lax}},
			{"from the move on, while lax owned it", moved, moved.Add(us), []int64{lax}},
			{"across the move", moved.Add(-us), moved.Add(us), []int64{strict, lax}},
			{"while the third owned it", ps[2].Since, ps[2].Since.Add(us), []int64{lax, third}},
			{"everything", ps[0].Since.Add(-time.Hour), time.Now().Add(time.Hour), []int64{strict, lax, third}},
			{"after it came back", back, time.Now().Add(time.Hour), []int64{lax}},
			{"before it existed", ps[0].Since.Add(-time.Hour), ps[0].Since, []int64{lax}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.CameraOwnersDuring(ctx, cam.ID, tt.start, tt.end)
				must(t, err)
				want := slices.Sorted(slices.Values(tt.want))
				if !slices.Equal(got, want) {
					t.Errorf("owners from %v to %v: got %v, want %v", tt.start, tt.end, got, want)
				}
			})
		}
		if got, err := s.CameraOwnersDuring(ctx, other.ID, other.CreatedAt.Add(-time.Hour), time.Now()); err != nil || !slices.Equal(got, []int64{lax}) {
			t.Errorf("a camera never moved: got %v, %v, want [%d]", got, err, lax)
		}
	})
}

// TestCameraOwnersBackfill: migration 9 gives the cameras there already
// are their present owner since they were made and, where their
// day-dated history names earlier owners, each of those for the whole of
// the days it held the camera.
func TestCameraOwnersBackfill(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := func(name string) int64 {
			o := access.Organisation{Name: name, Kind: "council"}
			must(t, s.CreateOrganisation(ctx, &o))
			return o.ID
		}
		a, b := org("A"), org("B")
		cam, plain := newCameraIn(t, s, a, "Market"), newCameraIn(t, s, b, "Bridge")
		day := func(m time.Month, d int) time.Time { return time.Date(2025, m, d, 0, 0, 0, 0, time.UTC) }
		must(t, s.ReplaceCameraHistory(ctx, []finance.Event{
			{Camera: cam.ID, Day: day(1, 1), Kind: finance.Installed, Category: finance.Proactive, Org: a},
			{Camera: cam.ID, Day: day(6, 1), Kind: finance.Recategorised, Category: finance.Reactive},
			{Camera: cam.ID, Day: day(6, 10), Kind: finance.OwnerChanged, Org: b},
			{Camera: cam.ID, Day: day(9, 1), Kind: finance.OwnerChanged, Org: a},
		}, 0))
		// The database as it was before migration 9.
		for _, q := range []string{`DROP TABLE camera_owners`, `ALTER TABLE users DROP COLUMN created_by`, `DELETE FROM schema_migrations WHERE version = 9`} {
			_, err := s.w.ExecContext(ctx, q)
			must(t, err)
		}
		must(t, s.migrate(ctx))

		for _, tt := range []struct {
			name       string
			camera     int64
			start, end time.Time
			want       []int64
		}{
			{"while A had it first", cam.ID, day(3, 1), day(3, 2), []int64{a}},
			{"while B had it", cam.ID, day(7, 1), day(7, 2), []int64{a, b}},
			{"the day B took it", cam.ID, day(6, 10).Add(time.Hour), day(6, 10).Add(2 * time.Hour), []int64{a, b}},
			{"the day B gave it back", cam.ID, day(9, 1).Add(23 * time.Hour), day(9, 2), []int64{a, b}},
			{"after B", cam.ID, day(9, 2), day(9, 3), []int64{a}},
			{"a camera with no history", plain.ID, day(7, 1), time.Now(), []int64{b}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.CameraOwnersDuring(ctx, tt.camera, tt.start, tt.end)
				must(t, err)
				if want := slices.Sorted(slices.Values(tt.want)); !slices.Equal(got, want) {
					t.Errorf("owners from %v to %v: got %v, want %v", tt.start, tt.end, got, want)
				}
			})
		}
		ps, err := s.CameraOwnerships(ctx, plain.ID)
		must(t, err)
		if len(ps) != 1 || ps[0].OrganisationID != b || !ps[0].Since.Equal(plain.CreatedAt) || ps[0].Until != nil {
			t.Errorf("the plain camera's periods: got %+v, want B's since it was made, open", ps)
		}
		// A move after the migration closes the open period only.
		_, err = s.MoveCamera(ctx, cam.ID, b, time.Now(), 1)
		must(t, err)
		if got, err := s.CameraOwnersDuring(ctx, cam.ID, day(3, 1), day(3, 2)); err != nil || !slices.Equal(got, []int64{a, b}) {
			t.Errorf("A's first months once moved to B: got %v, %v, want A (then) and B (now)", got, err)
		}
	})
}
