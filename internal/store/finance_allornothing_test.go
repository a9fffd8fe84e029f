package store

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/finance"

	"github.com/vigil-cctv/vigil/internal/works"
)

// TestFinanceYearAllOrNothing: a year's settings and budgets are written
// together or not at all; a refused budget is an *ItemError carrying
// its index, a fixed element larger than a period's balance a
// *finance.FixedError naming the period, and neither changes anything.
func TestFinanceYearAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		a, err := s.EnsureOrganisation(ctx, "Council A", "council")
		must(t, err)
		must(t, s.PutFinanceYear(ctx, 2024, &finance.Settings{Unit: 1000}, []finance.Budget{{Org: a.ID, Budget: 100}}))
		must(t, s.PutFinanceLines(ctx, finance.Period{Year: 2024, Quarter: 2}, []finance.Line{{Name: "Employees", Estimate: 100_00}}))

		for _, tc := range []struct {
			name     string
			set      finance.Settings
			bs       []finance.Budget
			index    int // of the item refused; -1: not an item's refusal
			fixedErr bool
		}{
			{"no such organisation", finance.Settings{Unit: 1}, []finance.Budget{{Org: a.ID, Budget: 5}, {Org: 9999}}, 1, false},
			{"negative proportion", finance.Settings{Unit: 1}, []finance.Budget{{Org: a.ID, Budget: 5, Fixed: -1}}, 0, false},
			{"organisation twice", finance.Settings{Unit: 1}, []finance.Budget{{Org: a.ID}, {Org: a.ID}}, 1, false},
			{"budget past the bound", finance.Settings{Unit: 1}, []finance.Budget{{Org: a.ID, Budget: math.MinInt64}}, 0, false},
			{"fixed larger than Q2's balance", finance.Settings{Unit: 1, Fixed: 100_01}, []finance.Budget{{Org: a.ID, Budget: 5}}, -1, true},
			{"fixed of the other sign", finance.Settings{Unit: 1, Fixed: -1}, []finance.Budget{{Org: a.ID, Budget: 5}}, -1, true},
			{"unit", finance.Settings{Unit: 0}, []finance.Budget{{Org: a.ID, Budget: 5}}, -1, false},
		} {
			err := s.PutFinanceYear(ctx, 2024, &tc.set, tc.bs)
			var ie *ItemError
			var fe *finance.FixedError
			switch {
			case err == nil:
				t.Errorf("%s: accepted, want refused", tc.name)
			case tc.index >= 0 && (!errors.As(err, &ie) || ie.Index != tc.index || !isInvalid(err)):
				t.Errorf("%s: got %v, want an invalid ItemError at %d", tc.name, err, tc.index)
			case tc.fixedErr && (!errors.As(err, &fe) || fe.Period != finance.Period{Year: 2024, Quarter: 2} || fe.Balance != 100_00):
				t.Errorf("%s: got %v, want a FixedError naming 2024/25-Q2 and its balance", tc.name, err)
			}
			set, _ := s.FinanceSettings(ctx, 2024)
			bs, _ := s.FinanceBudgets(ctx, 2024)
			if set.Unit != 1000 || set.Fixed != 0 || len(bs) != 1 || bs[0].Budget != 100 || bs[0].Fixed != 0 {
				t.Errorf("%s: after the refusal got %+v and %+v, want £10, no fixed element and a budget of 100", tc.name, set, bs)
			}
		}
		must(t, s.PutFinanceYear(ctx, 2024, &finance.Settings{Unit: 1, Fixed: 100_00}, nil))
	})
}

// TestCameraEventsAllOrNothing: a list of camera events is checked in
// full before any is written, added or replacing; the one refused is an
// *ItemError carrying its index.
func TestCameraEventsAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		org, err := s.EnsureOrganisation(ctx, "Council", "council")
		must(t, err)
		var cams []int64
		for _, name := range []string{"A", "B", "C"} {
			c := cameras.Camera{OrganisationID: org.ID, Name: name, URL: "rtsp://192.0.2.1/x"}
			must(t, s.CreateCamera(ctx, &c))
			cams = append(cams, c.ID)
		}
		old := finance.Event{Camera: cams[0], Day: t0, Kind: finance.Installed, Category: "reactive", Org: org.ID}
		must(t, s.AddCameraEvent(ctx, &old, 0))
		for _, bad := range []finance.Event{
			{Camera: cams[2], Day: t0, Kind: finance.Installed, Category: "proactive", Org: org.ID, Note: strings.Repeat("n", 501)},
			{Camera: cams[2], Day: t0, Kind: finance.Installed, Category: "none", Org: org.ID},
			{Camera: 9999, Day: t0, Kind: finance.Decommissioned},
		} {
			events := []finance.Event{
				{Camera: cams[0], Day: t0, Kind: finance.Installed, Category: "proactive", Org: org.ID},
				{Camera: cams[1], Day: t0, Kind: finance.Installed, Category: "proactive", Org: org.ID},
				bad,
			}
			for name, write := range map[string]func() error{
				"add":     func() error { return s.AddCameraEvents(ctx, events, 0) },
				"replace": func() error { return s.ReplaceCameraHistory(ctx, events, 0) },
			} {
				err := write()
				var ie *ItemError
				if !errors.As(err, &ie) || ie.Index != 2 {
					t.Errorf("%s with a bad third event: got %v, want an ItemError at 2", name, err)
				}
				es, _ := s.CameraHistory(ctx)
				if len(es) != 1 || es[0].ID != old.ID {
					t.Errorf("%s: history after the refusal: got %+v, want the first event alone", name, es)
				}
			}
		}
	})
}

// TestFinanceLinesRefusals: a line named twice names both items; figures
// past money.Max, or whose sums do not fit, are refused naming the line,
// and nothing is written.
func TestFinanceLinesRefusals(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		q := finance.Period{Year: 2024, Quarter: 2}
		must(t, s.PutFinanceLines(ctx, q, []finance.Line{{Name: "Kept", Estimate: 1}}))
		for _, tc := range []struct {
			name  string
			lines []finance.Line
			index int
		}{
			{"named twice", []finance.Line{{Name: "A"}, {Name: "B"}, {Name: " a "}}, 2},
			{"past the bound", []finance.Line{{Name: "A", Budget: math.MaxInt64}}, 0},
			{"near MinInt64", []finance.Line{{Name: "A"}, {Name: "B", Actuals: math.MinInt64 + 1}}, 1},
		} {
			err := s.PutFinanceLines(ctx, q, tc.lines)
			var ie *ItemError
			if !errors.As(err, &ie) || ie.Index != tc.index || !isInvalid(err) {
				t.Errorf("%s: got %v, want an invalid ItemError at %d", tc.name, err, tc.index)
			}
			if lines, _ := s.FinanceLines(ctx, q); len(lines) != 1 || lines[0].Name != "Kept" {
				t.Errorf("%s: lines after the refusal: got %+v, want Kept alone", tc.name, lines)
			}
		}
		var de *DuplicateError
		if err := s.PutFinanceLines(ctx, q, []finance.Line{{Name: "A"}, {Name: "B"}, {Name: "a"}}); !errors.As(err, &de) || de.First != 0 {
			t.Errorf("a line named twice: got %v, want a DuplicateError naming item 0 first", err)
		}
	})
}

// TestWorksBudgetsAllOrNothing: budgets are checked in full before any
// is written; the one refused is an *ItemError carrying its index.
func TestWorksBudgetsAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		tr := newWorksTree(t, s)
		for _, tc := range []struct {
			name string
			bad  works.Budget
		}{
			{"not a department", works.Budget{DepartmentID: tr.council, Year: 2025, AmountPence: 1}},
			{"negative", works.Budget{DepartmentID: tr.housing, Year: 2025, AmountPence: -1}},
			{"past the bound", works.Budget{DepartmentID: tr.housing, Year: 2025, AmountPence: math.MaxInt64}},
		} {
			err := s.SetWorksBudgets(ctx, []works.Budget{{DepartmentID: tr.housing, Year: 2024, AmountPence: 5}, tc.bad}, "test")
			var ie *ItemError
			if !errors.As(err, &ie) || ie.Index != 1 || !isInvalid(err) {
				t.Errorf("%s: got %v, want an invalid ItemError at 1", tc.name, err)
			}
			if bs, _ := s.ListWorksBudgets(ctx, 0); len(bs) != 0 {
				t.Errorf("%s: budgets after the refusal: got %+v, want none", tc.name, bs)
			}
		}
	})
}
