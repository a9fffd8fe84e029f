package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/vigil-cctv/vigil/internal/store"
)

// TestStatementIncomeFromTrading: the running server's statement takes
// the company income line's actuals from what the trading company
// invoiced, from the start of the financial year to the end of the
// period, net of VAT.
func TestStatementIncomeFromTrading(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{})
	admin, err := h.app.Store.UserByName(t.Context(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	must := func(method, path string, body any, want int, out any) {
		t.Helper()
		res, b := h.do(method, path, body, nil)
		if res.StatusCode != want {
			t.Fatalf("%s %s: got %d %s, want %d", method, path, res.StatusCode, b, want)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
		}
	}
	var customer struct{ ID int64 }
	must("POST", "/api/v1/organisations", map[string]any{"name": "Harbour Retail Ltd", "kind": "customer", "parent_id": admin.OrganisationID}, http.StatusCreated, &customer)
	must("POST", "/api/v1/trading/subscriptions", map[string]any{"customer_id": customer.ID, "service": "monitored",
		"unit_price_pence": 4523, "starts_on": "2024-04-01", "units": 10}, http.StatusCreated, nil)
	for _, q := range []string{"2024/25-Q1", "2024/25-Q2", "2024/25-Q3"} {
		must("POST", "/api/v1/trading/invoices", map[string]any{"period": q}, http.StatusOK, nil)
	}
	must("PUT", "/api/v1/finance/lines?period=2024/25-Q2", []map[string]any{
		{"name": "Employees", "budget": 11936000, "actuals": 2474500, "estimate": 11936000},
		{"name": "Income from Company", "budget": -25017000, "actuals": 0, "estimate": -27271000, "company": true},
	}, http.StatusOK, nil)
	var st struct {
		Lines []struct {
			Name    string
			Actuals int64
			Company bool
		}
		Balance struct{ Actuals int64 }
	}
	must("GET", "/api/v1/finance/statement?period=2024/25-Q2", nil, http.StatusOK, &st)
	// Two quarters of 10 units at £45.23 a month; Q3's invoice is after
	// the period and does not count.
	const want = -2 * 3 * 10 * 4523
	var got *int64
	for i, l := range st.Lines {
		if l.Company {
			got = &st.Lines[i].Actuals
		}
	}
	if got == nil || *got != want {
		t.Fatalf("company income actuals: got %v in %+v, want %d (six months invoiced, as income)", got, st.Lines, want)
	}
	if st.Balance.Actuals != 2474500+want {
		t.Errorf("balance actuals: got %d, want %d", st.Balance.Actuals, 2474500+want)
	}
}

// TestBusinessChangesAudited: changes to the partnership's figures, the
// trading company's and the maintenance record each leave a record in
// the audit trail, naming who and what.
func TestBusinessChangesAudited(t *testing.T) {
	t.Parallel() // see main_test.go
	h := start(t, harnessOptions{})
	cam := h.addCamera("Market Square", h.cams.URL(1), nil)
	for _, c := range []struct {
		method, path string
		body         any
		action       string
	}{
		{"PUT", "/api/v1/finance/lines?period=2024/25-Q2", []map[string]any{{"name": "Employees", "budget": 100, "actuals": 50, "estimate": 100}}, "finance.lines"},
		{"PUT", "/api/v1/finance/categories/mobile", map[string]any{"title": "Mobile", "weight": "0.25"}, "finance.category"},
		{"POST", fmt.Sprintf("/api/v1/finance/cameras/%d/history", cam), map[string]any{"day": "2019-06-01", "kind": "recategorised", "category": "reactive"}, "finance.history.add"},
		{"POST", "/api/v1/maintenance/faults", map[string]any{"camera_id": cam, "kind": "focus", "priority": "P3", "description": "soft focus"}, "fault.raise"},
	} {
		res, b := h.do(c.method, c.path, c.body, nil)
		if res.StatusCode >= 300 {
			t.Fatalf("%s %s: got %d %s", c.method, c.path, res.StatusCode, b)
		}
		es, err := h.app.Audit.Store().ListAudit(t.Context(), store.AuditFilter{Action: c.action})
		if err != nil || len(es) != 1 || es[0].Username != "admin" {
			t.Errorf("%s %s: audit records %+v (%v), want one %s by admin", c.method, c.path, es, err, c.action)
		}
	}
}
