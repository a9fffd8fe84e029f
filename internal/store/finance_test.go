package store

import (
	"errors"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/finance"
)

// TestFinanceStore: the recharge's data on both engines, and what the
// store refuses.
func TestFinanceStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		org, err := s.EnsureOrganisation(ctx, "Council", "council")
		must(t, err)
		c := cameras.Camera{OrganisationID: org.ID, Name: "Cam", URL: "rtsp://192.0.2.1/x"}
		must(t, s.CreateCamera(ctx, &c))

		cats, err := s.FinanceCategories(ctx)
		must(t, err)
		if len(cats) != 2 || cats[0].Name != "proactive" || cats[0].Weight != finance.One || cats[1].Weight != finance.One/2 {
			t.Fatalf("the schema's categories: got %+v, want proactive 1 and reactive 0.5", cats)
		}
		must(t, s.PutFinanceCategory(ctx, finance.Category{Name: "reactive", Title: "Reactive", Weight: 400_000}))
		cats, _ = s.FinanceCategories(ctx)
		if cats[1].Weight != 400_000 || cats[1].Title != "Reactive" {
			t.Errorf("a changed category: got %+v, want weight 0.4", cats[1])
		}

		for _, tc := range []struct {
			name string
			e    finance.Event
			want func(error) bool
		}{
			{"no such camera", finance.Event{Camera: 999, Day: t0, Kind: finance.Decommissioned}, func(err error) bool { return errors.Is(err, ErrNotFound) }},
			{"no such category", finance.Event{Camera: c.ID, Day: t0, Kind: finance.Installed, Category: "x", Org: org.ID}, isInvalid},
			{"no such organisation", finance.Event{Camera: c.ID, Day: t0, Kind: finance.OwnerChanged, Org: 999}, isInvalid},
			{"no category", finance.Event{Camera: c.ID, Day: t0, Kind: finance.Installed, Org: org.ID}, isInvalid},
		} {
			if err := s.AddCameraEvent(ctx, &tc.e, 0); !tc.want(err) {
				t.Errorf("%s: got %v", tc.name, err)
			}
		}
		if n, err := s.BackfillCameraHistory(ctx, "proactive"); err != nil || n != 1 {
			t.Fatalf("backfill: got %d, %v, want 1 camera", n, err)
		}
		later := finance.Event{Camera: c.ID, Day: c.CreatedAt.Add(48 * time.Hour), Kind: finance.Recategorised, Category: "reactive", Org: org.ID}
		must(t, s.AddCameraEvent(ctx, &later, 0))
		if n, _ := s.BackfillCameraHistory(ctx, "proactive"); n != 0 {
			t.Errorf("a second backfill started %d histories, want 0", n)
		}
		es, err := s.CameraHistory(ctx)
		must(t, err)
		if len(es) != 2 || es[0].Kind != finance.Installed || es[0].Day != finance.Day(c.CreatedAt) ||
			es[1].Org != 0 || !es[1].Day.Equal(finance.Day(c.CreatedAt.Add(48*time.Hour))) {
			t.Errorf("history: got %+v, want the backfilled installation and the recategorisation (day only, no owner)", es)
		}
		must(t, s.DeleteCameraEvent(ctx, c.ID, es[1].ID))
		if err := s.DeleteCameraEvent(ctx, c.ID, es[1].ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleting it again: got %v, want ErrNotFound", err)
		}

		q := finance.Period{Year: 2024, Quarter: 2}
		must(t, s.PutFinanceLines(ctx, q, []finance.Line{{Name: "B", Budget: 2, Estimate: 500}, {Name: "A", Budget: 1, Company: true, Comment: "c"}}))
		if err := s.PutFinanceLines(ctx, q, []finance.Line{{Name: "A"}, {Name: "a"}}); !isInvalid(err) {
			t.Errorf("a line named twice: got %v, want refused", err)
		}
		lines, err := s.FinanceLines(ctx, q)
		must(t, err)
		if len(lines) != 2 || lines[0].Name != "B" || !lines[1].Company || lines[1].Comment != "c" {
			t.Errorf("lines: got %+v, want B then A, in the order given", lines)
		}
		set, err := s.FinanceSettings(ctx, 2024)
		must(t, err)
		if set.Unit != 1000 || set.Fixed != 0 {
			t.Errorf("a year never set: got %+v, want £10 and no fixed element", set)
		}
		must(t, s.PutFinanceSettings(ctx, 2024, finance.Settings{Unit: 1, Fixed: 500}))
		must(t, s.PutFinanceBudgets(ctx, 2024, []finance.Budget{{Org: org.ID, Budget: 7}}))
		must(t, s.PutFinanceBudgets(ctx, 2024, []finance.Budget{{Org: org.ID, Budget: 9, Fixed: 2}}))
		if err := s.PutFinanceBudgets(ctx, 2024, []finance.Budget{{Org: 999, Budget: 9}}); !isInvalid(err) {
			t.Errorf("a budget of no organisation: got %v, want refused", err)
		}
		bs, _ := s.FinanceBudgets(ctx, 2024)
		set, _ = s.FinanceSettings(ctx, 2024)
		if len(bs) != 1 || bs[0].Budget != 9 || bs[0].Fixed != 2 || set.Unit != 1 || set.Fixed != 500 {
			t.Errorf("budgets %+v and settings %+v, want the second budget and 1p, £5", bs, set)
		}
	})
}

func isInvalid(err error) bool {
	var ie *InvalidError
	return errors.As(err, &ie)
}

// TestFinanceMigrationStartsHistory: cameras there before the recharge's
// migration start their history as proactive, on the day they were
// added; removed ones do not.
func TestFinanceMigrationStartsHistory(t *testing.T) {
	path := t.TempDir() + "/vigil.db"
	s := openSQLite(t, path)
	ctx := t.Context()
	org, err := s.EnsureOrganisation(ctx, "Council", "council")
	must(t, err)
	live := cameras.Camera{OrganisationID: org.ID, Name: "Live", URL: "rtsp://192.0.2.1/x"}
	gone := cameras.Camera{OrganisationID: org.ID, Name: "Gone", URL: "rtsp://192.0.2.1/y"}
	must(t, s.CreateCamera(ctx, &live))
	must(t, s.CreateCamera(ctx, &gone))
	must(t, s.DeleteCamera(ctx, gone.ID))
	// Back to the schema before migration 5, cameras and all.
	for _, q := range []string{`DROP TABLE camera_events`, `DROP TABLE finance_categories`, `DROP TABLE finance_years`,
		`DROP TABLE finance_lines`, `DROP TABLE finance_budgets`, `DELETE FROM schema_migrations WHERE version = 5`} {
		_, err := s.w.ExecContext(ctx, q)
		must(t, err)
	}
	s.Close()
	s = openSQLite(t, path)
	es, err := s.CameraHistory(ctx)
	must(t, err)
	if len(es) != 1 || es[0].Camera != live.ID || es[0].Kind != finance.Installed || es[0].Category != "proactive" ||
		es[0].Org != org.ID || !es[0].Day.Equal(finance.Day(live.CreatedAt)) {
		t.Errorf("history after the migration: got %+v, want the live camera installed, proactive, on the day it was added", es)
	}
}
