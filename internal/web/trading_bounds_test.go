package web

import (
	"testing"

	"github.com/vigil-cctv/vigil/internal/trading"
	"github.com/vigil-cctv/vigil/internal/web/api"
)

// TestTradingInvoiceNearTheBounds: eight subscriptions at the largest
// units and price the store takes, invoiced for a year at a 100% VAT
// rate: net × rate is past int64, and the VAT once wrapped into a
// nonsense figure. The invoice's VAT now equals its net, exactly.
func TestTradingInvoiceNearTheBounds(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newTradingEnv(t, dsn)
		e.must(e.manager, "PUT", "/api/v1/trading/settings", map[string]any{"vat_basis_points": 10000}, 200, nil)
		for range 8 {
			e.must(e.manager, "POST", "/api/v1/trading/subscriptions", map[string]any{"customer_id": e.harbour, "service": "monitored",
				"unit_price_pence": trading.MaxUnitPrice, "starts_on": "2024-04-01", "units": trading.MaxUnits}, 201, nil)
		}
		var res struct {
			Outcomes []struct {
				Status  string           `json:"status"`
				Invoice *api.InvoiceJSON `json:"invoice"`
			} `json:"outcomes"`
		}
		e.must(e.manager, "POST", "/api/v1/trading/invoices", map[string]any{"period": "2024/25", "customer_id": e.harbour}, 200, &res)
		want := int64(8 * 12 * trading.MaxUnits * trading.MaxUnitPrice)
		if len(res.Outcomes) != 1 || res.Outcomes[0].Invoice == nil {
			t.Fatalf("issuing: got %+v, want one invoice", res)
		}
		if v := res.Outcomes[0].Invoice; v.Net != want || v.VAT != want || v.Gross != 2*want {
			t.Errorf("the invoice: got net %d, VAT %d, gross %d; want %d, %d, %d", v.Net, v.VAT, v.Gross, want, want, 2*want)
		}
	})
}
