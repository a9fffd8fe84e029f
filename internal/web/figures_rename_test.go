package web

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/identity"
)

// TestRenamedPartnershipKeepsItsFigures: the partnership is known by id,
// not by the name configured for it, so after its administrator renames
// it through the API its CCTV manager still changes the recharge, the
// trading company and works, and a council's CCTV manager still may not.
func TestRenamedPartnershipKeepsItsFigures(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		f := newFinanceEnv(t, dsn)
		ctx := context.Background()
		top, err := f.st.OrganisationByName(ctx, "Partnership")
		must(t, err)
		admin := identity.User{Username: "admin", PasswordHash: "unusable", OrganisationID: top.ID, Role: "administrator"}
		must(t, f.st.CreateUser(ctx, &admin))
		f.want(200, f.apiToken(admin), "PATCH", fmt.Sprintf("/api/v1/organisations/%d", top.ID), "", map[string]any{"name": "Shared CCTV Service"})
		var o struct {
			Name string `json:"name"`
		}
		must(t, json.Unmarshal(f.want(200, f.manager, "GET", fmt.Sprintf("/api/v1/organisations/%d", top.ID), "", nil), &o))
		if o.Name != "Shared CCTV Service" {
			t.Fatalf("the partnership's name: got %q, want Shared CCTV Service", o.Name)
		}

		for _, tc := range []struct {
			what, method, path string
			body               any
			ok                 int
		}{
			{"the recharge's cost lines", "PUT", "/api/v1/finance/lines?period=2024/25-Q2", []finance.Line{{Name: "Employees", Budget: 100_00}}, 200},
			{"the partners' budgets", "PUT", "/api/v1/finance/budgets?year=2024/25", map[string]any{"budgets": []map[string]any{{"organisation_id": f.a, "budget": 100}}}, 200},
			{"the trading company's settings", "PUT", "/api/v1/trading/settings", map[string]any{"vat_basis_points": 2000}, 200},
			{"a works contract", "POST", "/api/v1/works/contracts", map[string]any{"organisation_id": f.a, "reference": "VSS-1", "supplier": "S",
				"value_pence": 100, "starts_on": "2025-10-31", "ends_on": "2027-08-01"}, 201},
		} {
			t.Run(tc.what, func(t *testing.T) {
				if code, b := f.call(f.managerA, tc.method, tc.path, "", tc.body); code != 403 {
					t.Errorf("council A's CCTV manager: got %d %s, want 403", code, b)
				}
				if code, b := f.call(f.manager, tc.method, tc.path, "", tc.body); code != tc.ok {
					t.Errorf("the partnership's CCTV manager after the rename: got %d %s, want %d", code, b, tc.ok)
				}
			})
		}
	})
}
