package web

import (
	"strings"
	"testing"
)

// TestWorksBudgetImportNamesRows: a budgets import is checked in full
// before anything is written, and a refusal names the row as a
// spreadsheet shows it (blank lines count, quoted newlines do not),
// including refusals only the store can make (an organisation that is
// not a department) and a department's year given twice.
func TestWorksBudgetImportNamesRows(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newWorksEnv(t, dsn)
		for _, tc := range []struct {
			name, file, want string
		}{
			{"a council, not a department", "department,year,amount,note\nFacilities,2025/26,100,\"two\nlines\"\n\nHarrow,2025/26,5,\n", "row 4:"},
			{"a year twice", "department,year,amount\nFacilities,2025/26,100\nHousing,2025/26,1\nfacilities,2025-26,7\n", "row 4:"},
			{"an amount past the bound", "department,year,amount\nFacilities,2025/26,100\nHousing,2025/26,\"99,999,999,999,999\"\n", "row 3:"},
		} {
			code, b := e.call(e.manager, "POST", "/api/v1/works/budgets/import", tc.file)
			if code != 400 || !strings.Contains(string(b), tc.want) {
				t.Errorf("%s: got %d %s, want 400 naming %s", tc.name, code, b, tc.want)
			}
			var got []struct {
				Department string `json:"department"`
				HasBudget  bool   `json:"has_budget"`
			}
			e.want(200, e.manager, "GET", "/api/v1/works/budgets?year=2025/26", nil, &got)
			for _, x := range got {
				if x.HasBudget {
					t.Errorf("%s: %s has a budget after the refusal, want nothing written", tc.name, x.Department)
				}
			}
		}
	})
}
