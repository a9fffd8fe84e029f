package web

import (
	"encoding/json"
	"fmt"
	"math"
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

// TestWorksAmountsThatWouldWrap: two quotes of just over half of
// MaxInt64 committed against one contract wrapped its committed total
// into a negative number, so approving the second raised no warning at
// all. Every amount is now refused past money.Max when entered.
func TestWorksAmountsThatWouldWrap(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newWorksEnv(t, dsn)
		var c struct {
			ID int64 `json:"id"`
		}
		e.want(201, e.manager, "POST", "/api/v1/works/contracts", map[string]any{"organisation_id": e.harrow, "reference": "VSS-2025",
			"supplier": "DSSL Ltd", "value_pence": 174_200_000, "starts_on": "2025-10-31", "ends_on": "2027-08-01"}, &c)
		if code, b := e.call(e.manager, "POST", "/api/v1/works/contracts", map[string]any{"organisation_id": e.harrow, "reference": "HUGE",
			"supplier": "S", "value_pence": int64(math.MaxInt64), "starts_on": "2025-10-31", "ends_on": "2027-08-01"}); code != 400 {
			t.Errorf("a contract worth MaxInt64 pence: got %d %s, want 400", code, b)
		}
		raise := func(estimate int64) (int, orderAnswerT) {
			var o orderAnswerT
			code, b := e.call(e.manager, "POST", "/api/v1/works/orders", map[string]any{"contract_id": c.ID, "department_id": e.housing,
				"kind": "repair", "funding": "ad_hoc", "title": "t", "estimate_pence": estimate})
			json.Unmarshal(b, &o)
			return code, o
		}
		if code, _ := raise(math.MaxInt64); code != 400 {
			t.Errorf("an estimate of MaxInt64 pence: got %d, want 400", code)
		}
		half := int64(math.MaxInt64/2 + 1)
		for range 2 {
			code, o := raise(1)
			if code != 201 {
				t.Fatalf("raising an order: got %d", code)
			}
			if code, b := e.call(e.manager, "POST", fmt.Sprintf("/api/v1/works/orders/%d/quote", o.Order.ID), map[string]any{"amount_pence": half}); code != 400 {
				t.Errorf("a quote of half MaxInt64: got %d %s, want 400", code, b)
			}
		}
	})
}
