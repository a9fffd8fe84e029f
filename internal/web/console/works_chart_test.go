package console

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/works"
)

// TestWorksCharts compares the SVG charts with golden files in testdata/
// (VIGIL_UPDATE_GOLDEN=1 rewrites them; look at them in a browser before
// committing).
func TestWorksCharts(t *testing.T) {
	runOut := "2026-12-01"
	later := "2029-09-28"
	commitments := []works.Commitment{
		{Day: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Amount: 20_000_000},
		{Day: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), Amount: 50_000_000},
	}
	harrow := works.ContractRow{Reference: "VSS-2025 <Harrow>", ValuePence: 174_200_000, SpentPence: 20_000_000, CommittedPence: 70_000_000,
		StartsOn: "2025-10-31", EndsOn: "2027-08-01", Forecast: works.ForecastRow{RunOut: &runOut, BeforeEnd: true}}
	slow := harrow
	slow.Forecast.RunOut, slow.Forecast.BeforeEnd = &later, false
	over := works.ContractRow{Reference: "Over", ValuePence: 10_000_000, SpentPence: 12_000_000, CommittedPence: 15_000_000, StartsOn: "2025-04-01", EndsOn: "2026-03-31"}
	now := time.Date(2026, 4, 1, 15, 0, 0, 0, time.UTC)
	for name, got := range map[string]string{
		"works_bars.svg":        string(contractBars([]works.ContractRow{harrow, over})),
		"works_budget_bars.svg": string(budgetBars([]works.BudgetRow{{Department: "Housing", HasBudget: true, BudgetPence: 5_000_000, SpentPence: 4_700_000, CommittedPence: 5_700_000}, {Department: "No budget"}})),
		"works_line.svg":        string(contractLine(harrow, commitments, now)),
		"works_line_late.svg":   string(contractLine(slow, commitments, now)),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name)
			if os.Getenv("VIGIL_UPDATE_GOLDEN") == "1" {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (VIGIL_UPDATE_GOLDEN=1 writes it)", err)
			}
			if got != string(want) {
				t.Errorf("got\n%s\nwant (%s)\n%s", got, path, want)
			}
		})
	}
	if got := contractBars(nil); got != "" {
		t.Errorf("no contracts: got %q, want no chart", got)
	}
}
