package cli

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/trading"
)

// TestSeedDemoTrading: the demo's customers get their last full quarter
// invoiced, the increase and the late start pro rata; a rerun changes
// nothing.
func TestSeedDemoTrading(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	top, err := st.EnsureOrganisation(ctx, "Demo Partnership", "partnership")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC) // Q3 2026/27: the last full quarter is Q2
	for range 2 {
		if err := seedDemoTrading(ctx, update(st), top, now); err != nil {
			t.Fatal(err)
		}
	}
	invs, err := st.ListTradingInvoices(ctx, trading.InvoiceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) != 3 {
		t.Fatalf("got %d invoices, want 3, one per customer", len(invs))
	}
	want := map[string]int64{
		// July 12 units, 1 to 14 August 12, then 14, September 14, mileage.
		"Harbour Retail Ltd": 12*4523 + trading.ProRata(12, 4523, 14, 31) + trading.ProRata(14, 4523, 17, 31) + 14*4523 + 3780,
		// From 100 days after 1 April 2026: 10 July, 22 of July's 31 days.
		"Riverside Business Park":      trading.ProRata(8, 1800, 22, 31) + 2*8*1800,
		"Lea Vale Housing Association": 3 * 20 * 650,
	}
	for _, v := range invs {
		if !v.PeriodFrom.Equal(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) || v.Net != want[v.CustomerName] {
			t.Errorf("%s: got %s from %s net %d, want Q2 2026/27 net %d", v.CustomerName, v.Reference, v.PeriodFrom.Format(time.DateOnly), v.Net, want[v.CustomerName])
		}
	}
	// Each invoice names the trading company with its address and VAT
	// registration number, and the customer at its address.
	for _, v := range invs {
		if v.SellerName != demoCompany.name || v.SellerAddress != demoCompany.address || v.SellerVATNumber != demoCompany.vat || v.CustomerAddress == "" {
			t.Errorf("%s: got seller %q at %q, VAT %q, buyer at %q; want the demo's company and the customer's address",
				v.Reference, v.SellerName, v.SellerAddress, v.SellerVATNumber, v.CustomerAddress)
		}
	}
}
