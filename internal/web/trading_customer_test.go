package web

import (
	"fmt"
	"testing"

	"github.com/vigil-cctv/vigil/internal/web/api"
)

// TestTradingCustomerAddress: the partnership's manager records where a
// customer's invoices go, and the next invoice is addressed there, with
// the seller's name, address and VAT registration number; a council's
// officer may not change the partnership's figures, nor learn of a
// customer outside their council.
func TestTradingCustomerAddress(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newTradingEnv(t, dsn)
		path := fmt.Sprintf("/api/v1/trading/customers/%d/address", e.harbour)
		for _, tc := range []struct {
			name, token, path string
			body              any
			status            int
		}{
			// The officer reads their council's customer, but changes
			// no figures of the partnership's; another's is not found.
			{"a council's officer, their council's customer", e.officer, fmt.Sprintf("/api/v1/trading/customers/%d/address", e.carParks), map[string]any{"address": "1 Quay Street"}, 403},
			{"a council's officer, another's customer", e.officer, path, map[string]any{"address": "1 Quay Street"}, 404},
			{"no address", e.manager, path, map[string]any{}, 400},
			{"not an id", e.manager, "/api/v1/trading/customers/x/address", map[string]any{"address": "1 Quay Street"}, 400},
		} {
			e.must(tc.token, "PUT", tc.path, tc.body, tc.status, nil) // names the route and status it got
		}
		var got struct {
			ID      int64  `json:"id"`
			Address string `json:"address"`
		}
		e.must(e.manager, "PUT", path, map[string]any{"address": " Unit 4, Harbour Quay \n\nLeavale LV2 7QT"}, 200, &got)
		if got.ID != e.harbour || got.Address != "Unit 4, Harbour Quay\nLeavale LV2 7QT" {
			t.Fatalf("the manager: got %+v, want Harbour at its tidied address", got)
		}
		e.must(e.manager, "PUT", "/api/v1/trading/settings", map[string]any{"company": "Lea Vale CCTV Services Ltd", "address": "Civic Offices\nLeavale",
			"vat_number": "GB 284 6193 57"}, 200, nil)
		e.must(e.manager, "POST", "/api/v1/trading/subscriptions", map[string]any{"customer_id": e.harbour, "service": "monitored",
			"unit_price_pence": 4523, "starts_on": "2024-04-01", "units": 12}, 201, nil)
		var res struct {
			Outcomes []struct {
				Invoice *api.InvoiceJSON `json:"invoice"`
			} `json:"outcomes"`
		}
		e.must(e.manager, "POST", "/api/v1/trading/invoices", map[string]any{"period": "2024-07", "customer_id": e.harbour}, 200, &res)
		if len(res.Outcomes) != 1 || res.Outcomes[0].Invoice == nil {
			t.Fatalf("issuing: got %+v, want one invoice", res)
		}
		v := res.Outcomes[0].Invoice
		if v.CustomerAddress != got.Address || v.Seller != "Lea Vale CCTV Services Ltd" || v.SellerAddress != "Civic Offices\nLeavale" || v.SellerVATNumber != "GB 284 6193 57" {
			t.Errorf("the invoice: got buyer at %q, seller %q at %q, VAT %q; want them as set", v.CustomerAddress, v.Seller, v.SellerAddress, v.SellerVATNumber)
		}
	})
}
