package cli

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/works"
)

// TestDemoWorks: the demo's works are made once, each order in the state
// its steps lead to, and a rerun adds nothing.
func TestDemoWorks(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	top := access.Organisation{Name: "Demo Partnership", Kind: "partnership"}
	if err := st.CreateOrganisation(ctx, &top); err != nil {
		t.Fatal(err)
	}
	orgs := map[string]access.Organisation{}
	for _, c := range demoCouncils[:2] {
		o := access.Organisation{Name: c.name, Kind: "council", ParentID: top.ID}
		if err := st.CreateOrganisation(ctx, &o); err != nil {
			t.Fatal(err)
		}
		orgs[c.name] = o
	}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for run := 1; run <= 2; run++ {
		if err := setUpDemoWorks(ctx, update(st), orgs, now); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	cs, err := st.ListWorksContracts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].ValuePence != 174_200_000 {
		t.Fatalf("got %d contracts (%+v), want 2, the first worth £1,742,000", len(cs), cs)
	}
	orders, err := st.ListWorksOrders(ctx, works.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]int{}
	var committed int64
	for _, o := range orders {
		states[o.State]++
		if o.ContractID == cs[0].ID {
			committed += works.Committed(o.State, o.ApprovedPence, o.FinalPence)
		}
	}
	want := map[string]int{works.Raised: 1, works.Quoted: 1, works.Approved: 2, works.Completed: 2}
	for s, n := range want {
		if states[s] != n {
			t.Errorf("orders %s: got %d, want %d (all: %v)", s, states[s], n, states)
		}
	}
	// £39,200 + £12,000 + £87,500 committed against Lea Vale's contract.
	if committed != 13_870_000 {
		t.Errorf("Lea Vale's contract: got %d pence committed, want 13870000", committed)
	}
	bs, err := st.ListWorksBudgets(ctx, period.YearOf(now))
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 4 {
		t.Errorf("budgets for %s: got %d, want 4", period.YearLabel(period.YearOf(now)), len(bs))
	}
}
