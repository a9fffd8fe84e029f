package e2e

import (
	"encoding/csv"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auth"
)

// TestConsoleWorks: the works pages of `vigil demo` in a real Chromium
// (works.mjs). The partnership's manager raises an order that takes a
// department past its budget and is refused approval until a reason is
// given, which the CSV then carries; Mimram's partner officer sees
// Mimram's department, order and contract alone, and no forms.
func TestConsoleWorks(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser through two people's sessions")
	}
	d := startDemo(t, 4, 0)
	res := browserScript(t, "works.mjs", map[string]any{
		"base": d.base, "accounts": d.accounts, "newPassword": auth.RandomPassword(), "shots": os.Getenv("VIGIL_E2E_SHOTS"),
	})
	t.Run("manager", func(t *testing.T) {
		m := field[struct {
			Nav               []string `json:"nav"`
			Contracts         []string `json:"contracts"`
			Charts            int      `json:"charts"`
			RunOut            []string `json:"runOut"`
			Raised            string   `json:"raised"`
			Quoted            string   `json:"quoted"`
			Warnings          []string `json:"warnings"`
			Refused           string   `json:"refused"`
			StateAfterRefusal string   `json:"stateAfterRefusal"`
			Approved          string   `json:"approved"`
			State             string   `json:"state"`
			CSV               string   `json:"csv"`
		}](t, res, "manager")
		if !slices.Contains(m.Nav, "Works") {
			t.Errorf("the manager's navigation %v has no Works", m.Nav)
		}
		if !slices.Equal(m.Contracts, []string{"LV-VSS-2025", "MDC-CCTV-2026"}) || m.Charts != 3 {
			t.Errorf("contracts page: got %v with %d charts, want both demo contracts, a bar chart and a line chart each", m.Contracts, m.Charts)
		}
		for _, s := range m.RunOut {
			if !strings.Contains(s, "-") {
				t.Errorf("a contract's run-out reads %q, want a date (the demo's orders give a rate)", s)
			}
		}
		if !strings.Contains(m.Raised, "raised") || !strings.Contains(m.Raised, "Lea Vale Parking Services's") || !strings.Contains(m.Raised, "budget would be committed to £5,000.00 of £4,000.00") {
			t.Errorf("raising: the page said %q, want the order raised with the budget warning", m.Raised)
		}
		if len(m.Warnings) == 0 || !strings.Contains(m.Warnings[0], "£5,000.50") {
			t.Errorf("the quoted order's warnings: %v, want the budget warning at the £5,000.50 quote", m.Warnings)
		}
		if !strings.Contains(m.Refused, "override_reason") || m.StateAfterRefusal != "quoted" {
			t.Errorf("approving without a reason: the page said %q and the order is %q, want refused and still quoted", m.Refused, m.StateAfterRefusal)
		}
		if !strings.Contains(m.Approved, "approved") || m.State != "approved" {
			t.Errorf("approving with a reason: the page said %q and the order is %q, want approved", m.Approved, m.State)
		}
		recs, err := csv.NewReader(strings.NewReader(m.CSV)).ReadAll()
		if err != nil || len(recs) != 8 || recs[0][0] != "id" {
			t.Fatalf("the orders CSV: %d lines (%v), want a header and 7 orders:\n%s", len(recs), err, m.CSV)
		}
		row := recs[1] // newest first
		if row[5] != "Browser test: move the bus station camera" || row[11] != "5000.50" || row[20] != "Agreed by the head of parking: the old pole is unsafe" || row[19] != "manager" {
			t.Errorf("the CSV's newest order: %v, want the browser's, approved for 5000.50 by manager with its reason", row)
		}
	})
	t.Run("partner officer", func(t *testing.T) {
		o := field[struct {
			Nav         []string `json:"nav"`
			Departments []string `json:"departments"`
			BudgetForms int      `json:"budgetForms"`
			CSV         string   `json:"csv"`
			Orders      []string `json:"orders"`
			OrderForms  int      `json:"orderForms"`
			Contracts   []string `json:"contracts"`
		}](t, res, "officer")
		if !slices.Contains(o.Nav, "Works") {
			t.Errorf("the officer's navigation %v has no Works", o.Nav)
		}
		if !slices.Equal(o.Departments, []string{"Mimram Community Safety"}) || !slices.Equal(o.Orders, []string{"Hollins End Green play area camera"}) ||
			!slices.Equal(o.Contracts, []string{"MDC-CCTV-2026"}) {
			t.Errorf("Mimram's officer sees departments %v, orders %v, contracts %v; want Mimram's alone", o.Departments, o.Orders, o.Contracts)
		}
		if o.BudgetForms != 0 || o.OrderForms != 0 {
			t.Errorf("Mimram's officer has %d budget and %d order forms, want none (changes are the partnership's)", o.BudgetForms, o.OrderForms)
		}
		recs, err := csv.NewReader(strings.NewReader(o.CSV)).ReadAll()
		if err != nil || len(recs) != 2 || recs[1][0] != "Mimram Community Safety" {
			t.Errorf("Mimram's officer's budgets CSV: %v (%v), want Mimram's department alone", recs, err)
		}
	})
}
