package e2e

import (
	"encoding/csv"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/money"
)

// statementView is what finance.mjs reports of the statement page.
type statementView struct {
	Path        string     `json:"path"`
	Nav         []string   `json:"nav"`
	Title       string     `json:"title"`
	Lines       []string   `json:"lines"`
	Balance     []string   `json:"balance"`
	Partners    [][]string `json:"partners"`
	Total       []string   `json:"total"`
	Charts      int        `json:"charts"`
	ImportForms int        `json:"importForms"`
	CSVName     string     `json:"csvName"`
	CSV         string     `json:"csv"`
	// The partnership the statement is of; the print date, shown on
	// paper only.
	Partnership     string `json:"partnership"`
	PrintedOnScreen bool   `json:"printedOnScreen"`
	PrintedOnPaper  bool   `json:"printedOnPaper"`
}

// TestConsoleFinance: the statement page and its CSV download in a real
// Chromium (finance.mjs), against vigil demo. Mimram's partner officer
// sees Mimram's figures alone, on the page and in the file; the CCTV
// manager sees every council's, and they agree with the API.
func TestConsoleFinance(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser through two people's sessions")
	}
	d := startDemo(t, 4, 0)
	var api struct {
		Period  string `json:"period"`
		Balance struct {
			Estimate int64 `json:"estimate"`
		} `json:"balance"`
		Partners []struct {
			Name         string `json:"name"`
			Estimate     int64  `json:"estimate"`
			SharePercent string `json:"share_percent"`
		} `json:"partners"`
	}
	d.getJSON(t, "/api/v1/finance/statement", &api)
	if len(api.Partners) != 4 {
		t.Fatalf("the demo's statement through the API: %+v, want four councils", api)
	}
	councils := []string{}
	for _, p := range api.Partners {
		councils = append(councils, p.Name)
	}
	res := browserScript(t, "finance.mjs", map[string]any{"base": d.base, "accounts": d.accounts, "newPassword": auth.RandomPassword(),
		"screenshots": os.Getenv("VIGIL_SCREENSHOTS")})
	officer, manager := field[statementView](t, res, "officer"), field[statementView](t, res, "manager")

	for who, v := range map[string]statementView{"officer": officer, "manager": manager} {
		if v.Path != "/finance" || !slices.Contains(v.Nav, "Finance") {
			t.Errorf("%s: reached %q with navigation %v, want /finance through its Finance link", who, v.Path, v.Nav)
		}
		if !strings.HasPrefix(v.Title, api.Period) || len(v.Lines) != 6 || len(v.Balance) < 4 {
			t.Errorf("%s: the page shows %q with lines %v and balance %v, want %s's six lines", who, v.Title, v.Lines, v.Balance, api.Period)
		}
		if v.Partnership != "Demo Partnership" || v.PrintedOnScreen || !v.PrintedOnPaper {
			t.Errorf("%s: the statement names %q, print date on screen %v, on paper %v; want Demo Partnership, the date on paper only",
				who, v.Partnership, v.PrintedOnScreen, v.PrintedOnPaper)
		}
		if want := "statement-" + strings.ReplaceAll(api.Period, "/", "-") + ".csv"; v.CSVName != want {
			t.Errorf("%s: downloaded %q, want %q", who, v.CSVName, want)
		}
	}

	t.Run("partner officer", func(t *testing.T) {
		names := rowNames(officer.Partners)
		if !slices.Equal(names, []string{"Mimram District Council"}) || len(officer.Total) != 0 {
			t.Errorf("Mimram's officer's partners table: %v, total row %v; want Mimram's row alone and no total", names, officer.Total)
		}
		got := csvPartners(t, officer.CSV)
		if !slices.Equal(got, []string{"Mimram District Council"}) {
			t.Errorf("Mimram's officer's CSV holds partners %v, want Mimram alone", got)
		}
		for _, other := range councils {
			if other != "Mimram District Council" && strings.Contains(officer.CSV, other) {
				t.Errorf("Mimram's officer's CSV names %s:\n%s", other, officer.CSV)
			}
		}
		if officer.ImportForms != 0 {
			t.Errorf("Mimram's officer is offered %d import forms, want none", officer.ImportForms)
		}
	})
	t.Run("CCTV manager", func(t *testing.T) {
		if names := rowNames(manager.Partners); !slices.Equal(names, councils) || len(manager.Total) == 0 {
			t.Errorf("the manager's partners table: %v, total %v; want %v and the total", names, manager.Total, councils)
		}
		got := csvPartners(t, manager.CSV)
		if !slices.Equal(got, councils) {
			t.Errorf("the manager's CSV holds partners %v, want %v", got, councils)
		}
		// The page shows what the API works out: each estimate in pounds,
		// and shares that add up to 100%.
		for i, p := range api.Partners {
			if i < len(manager.Partners) && manager.Partners[i][2] != money.Whole(p.Estimate) {
				t.Errorf("%s's estimate on the page: %q, want %q", p.Name, manager.Partners[i][2], money.Whole(p.Estimate))
			}
		}
		if len(manager.Total) < 5 || manager.Total[1] != money.Whole(api.Balance.Estimate) || manager.Total[4] != "100.00%" {
			t.Errorf("the total row %v: want the balance £%s and 100.00%%", manager.Total, money.Whole(api.Balance.Estimate))
		}
		if manager.Charts < 4 || manager.ImportForms != 3 {
			t.Errorf("the manager's page: %d chart bars and %d import forms, want the charts and 3 forms", manager.Charts, manager.ImportForms)
		}
	})
}

func rowNames(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r[0])
	}
	return out
}

// csvPartners names the partner rows of a statement CSV.
func csvPartners(t *testing.T, text string) []string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("the downloaded CSV: %v\n%s", err, text)
	}
	var out []string
	for _, r := range recs {
		if r[0] == "partner" {
			out = append(out, r[1])
		}
	}
	return out
}
