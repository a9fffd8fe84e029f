package finance_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// The benchmark's partnership: 50 councils, 5,000 cameras with ten years
// of history (installations from April 2015, recategorisations, changes
// of owner, decommissioning), and a statement for Q2 2024/25.
const (
	benchPartners = 50
	benchCameras  = 5000
)

var benchQ = finance.Period{Year: 2024, Quarter: 2}

type benchData struct {
	st     *store.Store
	events []finance.Event
}

// benchStore builds the partnership in the database at dsn. A benchmark
// with sub-benchmarks runs its own body once, so this happens once a run.
func benchStore(b *testing.B, dsn string) benchData {
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := buildBench(ctx, st); err != nil {
		b.Fatal(err)
	}
	events, err := st.CameraHistory(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return benchData{st: st, events: events}
}

func buildBench(ctx context.Context, st *store.Store) error {
	top, err := st.EnsureOrganisation(ctx, "Bench Partnership", "partnership")
	if err != nil {
		return err
	}
	var orgs []int64
	var budgets []finance.Budget
	for i := range benchPartners {
		o := access.Organisation{Name: fmt.Sprintf("Council %02d", i), Kind: "council", ParentID: top.ID}
		if err := st.CreateOrganisation(ctx, &o); err != nil {
			return err
		}
		orgs = append(orgs, o.ID)
		budgets = append(budgets, finance.Budget{Org: o.ID, Budget: 20_000_00})
	}
	if err := st.PutFinanceBudgets(ctx, benchQ.Year, budgets); err != nil {
		return err
	}
	lines := []finance.Line{{Name: "Employees", Budget: 600_000_00, Actuals: 300_000_00, Estimate: 610_000_00},
		{Name: "Supplies and Services", Budget: 500_000_00, Actuals: 200_000_00, Estimate: 480_000_00},
		{Name: "Income from Company", Budget: -100_000_00, Actuals: -40_000_00, Estimate: -90_000_00, Company: true}}
	if err := st.PutFinanceLines(ctx, benchQ, lines); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(2015, 2025))
	cats := []string{finance.Proactive, finance.Reactive}
	start := time.Date(2015, 4, 1, 0, 0, 0, 0, time.UTC)
	for i := range benchCameras {
		owner := orgs[r.IntN(len(orgs))]
		c := cameras.Camera{OrganisationID: owner, Name: fmt.Sprintf("Camera %04d", i), URL: "rtsp://192.0.2.1/stream"}
		if err := st.CreateCamera(ctx, &c); err != nil {
			return err
		}
		d := start.AddDate(0, 0, r.IntN(3650))
		es := []finance.Event{{Day: d, Kind: finance.Installed, Category: cats[r.IntN(2)], Org: owner}}
		for range r.IntN(4) {
			d = d.AddDate(0, 0, 1+r.IntN(1200))
			switch k := r.IntN(10); {
			case k < 5:
				es = append(es, finance.Event{Day: d, Kind: finance.Recategorised, Category: cats[r.IntN(2)]})
			case k < 8:
				es = append(es, finance.Event{Day: d, Kind: finance.OwnerChanged, Org: orgs[r.IntN(len(orgs))]})
			default:
				es = append(es, finance.Event{Day: d, Kind: finance.Decommissioned})
			}
		}
		for _, e := range es {
			e.Camera = c.ID
			if err := st.AddCameraEvent(ctx, &e, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// BenchmarkStatement: a statement for 5,000 cameras with ten years of
// history and 50 partners. "load+compute" is the whole of it, reading
// everything from SQLite; "compute" the arithmetic alone, from history
// already in memory; "naive-per-day" is the peer, the same figures
// counted the obvious way, every camera on every day of the quarter.
func BenchmarkStatement(b *testing.B) {
	d := benchStore(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := context.Background()
	cats, _ := d.st.FinanceCategories(ctx)
	weights := map[string]finance.Weight{}
	for _, c := range cats {
		weights[c.Name] = c.Weight
	}
	orgs, _ := d.st.FinanceOrgs(ctx)
	budgets, _ := d.st.FinanceBudgets(ctx, benchQ.Year)
	lines, _ := d.st.FinanceLines(ctx, benchQ)
	partners, partnerOf := finance.Partners(orgs, budgets)
	of := func(org int64) int64 { return partnerOf[org] }
	b.Logf("%d cameras, %d history events, %d partners", benchCameras, len(d.events), len(partners))

	b.Run("load+compute/sqlite", func(b *testing.B) {
		for b.Loop() {
			if _, err := finance.Load(ctx, d.st, benchQ, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	if pg := testkit.PostgresURL(); pg != "" {
		pd := benchStore(b, testkit.PostgresSchema(b, pg))
		b.Run("load+compute/postgres", func(b *testing.B) {
			for b.Loop() {
				if _, err := finance.Load(ctx, pd.st, benchQ, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("compute", func(b *testing.B) {
		for b.Loop() {
			days, err := finance.CameraDays(d.events, weights, of, benchQ)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := finance.Build(finance.Input{Period: benchQ, Lines: lines, Partners: partners, CameraDays: days, Unit: 1000}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("naive-per-day", func(b *testing.B) {
		for b.Loop() {
			days := finance.NaiveCameraDays(d.events, weights, of, benchQ)
			if _, err := finance.Build(finance.Input{Period: benchQ, Lines: lines, Partners: partners, CameraDays: days, Unit: 1000}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestBenchStatementAgrees: the benchmark's peer computes the same
// figures, so the comparison is of like with like.
func TestBenchStatementAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 5,000 cameras")
	}
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "v.db"), nil)
	must(t, err)
	defer st.Close()
	must(t, buildBench(t.Context(), st))
	events, err := st.CameraHistory(t.Context())
	must(t, err)
	cats, _ := st.FinanceCategories(t.Context())
	weights := map[string]finance.Weight{}
	for _, c := range cats {
		weights[c.Name] = c.Weight
	}
	orgs, _ := st.FinanceOrgs(t.Context())
	_, partnerOf := finance.Partners(orgs, nil)
	of := func(org int64) int64 { return partnerOf[org] }
	got, err := finance.CameraDays(events, weights, of, benchQ)
	must(t, err)
	want := finance.NaiveCameraDays(events, weights, of, benchQ)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want (day by day) %v", got, want)
	}
	if len(got) != benchPartners {
		t.Errorf("partners with cameras: got %d, want %d", len(got), benchPartners)
	}
}
