package trading

import (
	"errors"
	"math"
	"testing"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/store"
)

// TestVATExact: net × rate was worked out in int64 and wrapped for an
// invoice of a few subscriptions at the largest units and price at a
// 100% rate; VAT is now exact for any net.
func TestVATExact(t *testing.T) {
	for _, tc := range []struct {
		net, bp, want int64
	}{
		{960_000_000_000_000, 10000, 960_000_000_000_000},
		{960_000_000_000_000, 2000, 192_000_000_000_000},
		{math.MaxInt64, 10000, math.MaxInt64},
		{-math.MaxInt64, 5000, -(math.MaxInt64/2 + 1)},
		{5, 1000, 1}, // 0.5 rounds half up
		{-5, 1000, -1},
	} {
		if got := VAT(tc.net, tc.bp); got != tc.want {
			t.Errorf("VAT(%d, %d): got %d, want %d", tc.net, tc.bp, got, tc.want)
		}
	}
}

// TestDraftRefusesWhatDoesNotFit: eight subscriptions at the store's
// largest units and price for a year at 100% VAT draft exactly (VAT
// equal to net); a line past money.Max, or totals that do not fit, are
// money.ErrOverflow.
func TestDraftRefusesWhatDoesNotFit(t *testing.T) {
	cust := access.Organisation{ID: 1, Name: "Harbour Retail Ltd", Kind: "customer"}
	var subs []store.TradingSubscription
	for i := range 8 {
		subs = append(subs, sub(int64(i+1), store.ServiceMonitored, store.MaxTradingUnitPrice, "2024-04-01", "", "2024-04-01", store.MaxTradingUnits))
	}
	inv, err := Draft(cust, subs, nil, d("2024-04-01"), d("2025-04-01"), 10000)
	want := int64(8 * 12 * store.MaxTradingUnits * store.MaxTradingUnitPrice)
	if err != nil || inv.Net != want || inv.VAT != want || inv.Gross != 2*want {
		t.Errorf("eight subscriptions at the bounds, 100%% VAT: got net %d, VAT %d, gross %d, %v; want %d, %d, %d",
			inv.Net, inv.VAT, inv.Gross, err, want, want, 2*want)
	}
	huge := []store.TradingSubscription{sub(1, store.ServiceMonitored, math.MaxInt64/2, "2024-04-01", "", "2024-04-01", 3)}
	if _, err := Draft(cust, huge, nil, d("2024-04-01"), d("2024-07-01"), 2000); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("a price whose line does not fit: got %v, want money.ErrOverflow", err)
	}
	if got := ProRata(3, math.MaxInt64/2, 30, 31); got != math.MaxInt64 {
		t.Errorf("ProRata past int64: got %d, want it saturated to MaxInt64", got)
	}
	var charges []store.TradingCharge
	for i := range 10_000 {
		charges = append(charges, store.TradingCharge{ID: int64(i + 1), CustomerID: 1, On: d("2024-05-01"), Description: "c", Amount: money.Max})
	}
	if _, err := Draft(cust, nil, charges, d("2024-04-01"), d("2024-07-01"), 2000); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("charges whose total does not fit: got %v, want money.ErrOverflow", err)
	}
}
