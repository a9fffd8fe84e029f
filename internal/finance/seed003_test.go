package finance_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// forEachStore runs fn on a fresh SQLite database and, when
// VIGIL_TEST_POSTGRES is set, on a fresh PostgreSQL schema.
func forEachStore(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) {
			st, err := store.Open(t.Context(), testkit.PostgresSchema(t, pg), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			fn(t, st)
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// Seed 003 is the Hertfordshire CCTV Partnership's Quarter 2 2024/25
// finance summary to its Joint Executive. Its figures are whole pounds;
// here they are pence.
var seed003Lines = []finance.Line{
	{Name: "Employees", Budget: 119_360_00, Actuals: 24_745_00, Estimate: 119_360_00,
		Comment: "Saving for vacant post to be quantified once arrangements confirmed"},
	{Name: "Premises Related", Budget: 42_690_00, Actuals: 17_770_00, Estimate: 42_690_00},
	{Name: "Transport Related", Budget: 900_00, Actuals: 908_00, Estimate: 2_000_00,
		Comment: "Additional mileage cost - to be split between Partnership/Company accordingly"},
	{Name: "Supplies and Services", Budget: 615_110_00, Actuals: 307_846_00, Estimate: 615_110_00},
	{Name: "Recharges", Budget: 16_040_00, Actuals: 6_406_00, Estimate: 16_040_00},
	{Name: "Income from Company", Budget: -250_170_00, Actuals: -63_817_00, Estimate: -272_710_00, Company: true,
		Comment: "Increase in camera units during the first 2 quarters, plus mileage charge"},
}

// seed003Partner is a council of the partnership, its 2024/25 budget (set
// when the year's budget was agreed, from that time's expected shares, so
// it does not follow this statement's percentages) and its cameras in Q2.
type seed003Partner struct {
	name   string
	budget int64
	// proactive and reactive cameras counting all quarter.
	proactive, reactive int
}

// The report prints each partner's "Average Camera No." as a whole number
// (123, 47, 37, 49), which add up to 256, and the total as 257. Both are
// right: the averages are time-weighted (each day of the quarter, each
// camera counted by its category's weight, divided by the 92 days), so
// they are fractional, and each is rounded on its own. The histories
// below give
//
//	Stevenage   11,354 weighted camera-days / 92 = 123.41 -> 123
//	East Herts   4,360 / 92 =  47.39 ->  47
//	Hertsmere    3,410 / 92 =  37.07 ->  37
//	North Herts  4,527 / 92 =  49.21 ->  49
//	total       23,651 / 92 = 257.08 -> 257
//
// Every partner's fraction is below a half, so each rounds down, while
// the fractions together (1.08) push the total up by one. These are not
// the partnership's own histories, which the report does not give; they
// are the simplest ones (whole cameras, proactive counted once, reactive
// half) whose averages reproduce every printed figure: the four
// percentages (48.01, 18.43, 14.42, 19.14, adding to 100), the 257, and
// the estimate of £522,490 split to the nearest £10 (250,830, 96,320,
// 75,330 and 100,010). The changes during the quarter are each of the
// kinds a history holds:
//
//   - Stevenage: 109 proactive and 26 reactive cameras; one proactive
//     camera installed for Hertsmere in 2019 moved to Stevenage on 1 July
//     (so all of Q2 is Stevenage's); one proactive camera installed on 24
//     August (38 days).
//   - East Herts: 40 proactive, 14 reactive; one proactive installed on
//     26 August (36 days).
//   - Hertsmere: 30 proactive, 13 reactive; one reactive camera
//     recategorised as proactive on 19 September (80 days at a half, 12
//     at one: 52 camera-days, 6 more than a reactive one).
//   - North Herts: 45 proactive (one of them its parking department's),
//     8 reactive; one proactive decommissioned on 20 July (19 days).
//
// A trading company customer's camera, watched by the control room but
// outside the recharge, counts for no partner.
var seed003Partners = []seed003Partner{
	{"Stevenage Borough Council", 251_930_00, 109, 26},
	{"East Hertfordshire District Council", 103_530_00, 40, 14},
	{"Hertsmere Borough Council", 80_970_00, 30, 13},
	{"North Hertfordshire District Council", 107_500_00, 45, 8},
}

// loadSeed003 enters the statement's inputs in st as the console and
// its CSV imports would.
func loadSeed003(t testing.TB, st *store.Store) {
	ctx := context.Background()
	top, err := st.EnsureOrganisation(ctx, "Hertfordshire CCTV Partnership", "partnership")
	must(t, err)
	orgs := map[string]int64{}
	for _, p := range seed003Partners {
		o := access.Organisation{Name: p.name, Kind: "council", ParentID: top.ID}
		must(t, st.CreateOrganisation(ctx, &o))
		orgs[p.name] = o.ID
	}
	parking := access.Organisation{Name: "North Herts Parking", Kind: "department", ParentID: orgs["North Hertfordshire District Council"]}
	must(t, st.CreateOrganisation(ctx, &parking))
	customer := access.Organisation{Name: "Retail Park Ltd", Kind: "customer", ParentID: top.ID}
	must(t, st.CreateOrganisation(ctx, &customer))

	n := 0
	camera := func(owner int64, events ...finance.Event) {
		n++
		c := cameras.Camera{OrganisationID: owner, Name: fmt.Sprintf("Camera %03d", n), URL: "rtsp://192.0.2.1/stream"}
		must(t, st.CreateCamera(ctx, &c))
		for _, e := range events {
			e.Camera = c.ID
			must(t, st.AddCameraEvent(ctx, &e, 0))
		}
	}
	installed := func(d string, cat string, org int64) finance.Event {
		return finance.Event{Day: date(d), Kind: finance.Installed, Category: cat, Org: org}
	}
	for _, p := range seed003Partners {
		org := orgs[p.name]
		for i := range p.proactive {
			owner := org
			if i == 0 && p.name == "North Hertfordshire District Council" {
				owner = parking.ID
			}
			camera(owner, installed("2023-04-01", finance.Proactive, owner))
		}
		for range p.reactive {
			camera(org, installed("2023-04-01", finance.Reactive, org))
		}
	}
	sbc, ehdc := orgs["Stevenage Borough Council"], orgs["East Hertfordshire District Council"]
	hbc, nhdc := orgs["Hertsmere Borough Council"], orgs["North Hertfordshire District Council"]
	camera(hbc, installed("2019-06-01", finance.Proactive, hbc),
		finance.Event{Day: date("2024-07-01"), Kind: finance.OwnerChanged, Org: sbc})
	camera(sbc, installed("2024-08-24", finance.Proactive, sbc))
	camera(ehdc, installed("2024-08-26", finance.Proactive, ehdc))
	camera(hbc, installed("2023-04-01", finance.Reactive, hbc),
		finance.Event{Day: date("2024-09-19"), Kind: finance.Recategorised, Category: finance.Proactive})
	camera(nhdc, installed("2023-04-01", finance.Proactive, nhdc),
		finance.Event{Day: date("2024-07-20"), Kind: finance.Decommissioned})
	camera(customer.ID, installed("2023-04-01", finance.Proactive, customer.ID))

	q2 := finance.Period{Year: 2024, Quarter: 2}
	must(t, st.PutFinanceLines(ctx, q2, append([]finance.Line(nil), seed003Lines...)))
	var budgets []finance.Budget
	for _, p := range seed003Partners {
		budgets = append(budgets, finance.Budget{Org: orgs[p.name], Budget: p.budget})
	}
	must(t, st.PutFinanceBudgets(ctx, 2024, budgets))
	must(t, st.PutFinanceSettings(ctx, 2024, finance.Settings{Unit: 10_00}))
}

// TestSeed003Statement reproduces every figure of the Q2 2024/25
// statement in seed 003 from its inputs, entered in the store.
func TestSeed003Statement(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		loadSeed003(t, st)
		s, err := finance.Load(t.Context(), st, finance.Period{Year: 2024, Quarter: 2}, nil)
		must(t, err)

		// The figures as the report prints them.
		type row struct{ budget, actuals, estimate, variance string }
		wantLines := map[string]row{
			"Employees":                        {"119,360", "24,745", "119,360", "0"},
			"Premises Related":                 {"42,690", "17,770", "42,690", "0"},
			"Transport Related":                {"900", "908", "2,000", "1,100"},
			"Supplies and Services":            {"615,110", "307,846", "615,110", "0"},
			"Recharges":                        {"16,040", "6,406", "16,040", "0"},
			"Income from Company":              {"-250,170", "-63,817", "-272,710", "-22,540"},
			"Balance to recover from partners": {"543,930", "293,858", "522,490", "-21,440"},
		}
		for _, l := range append(s.Lines, s.Balance) {
			got := row{money.Whole(l.Budget), money.Whole(l.Actuals), money.Whole(l.Estimate), money.Whole(l.Variance())}
			if got != wantLines[l.Name] {
				t.Errorf("%s: got %v, want %v", l.Name, got, wantLines[l.Name])
			}
			delete(wantLines, l.Name)
		}
		if len(wantLines) != 0 {
			t.Errorf("lines missing from the statement: %v", wantLines)
		}
		type prow struct{ budget, estimate, variance, cameras, share string }
		wantPartners := map[string]prow{
			"Stevenage Borough Council":            {"251,930", "250,830", "-1,100", "123", "48.01%"},
			"East Hertfordshire District Council":  {"103,530", "96,320", "-7,210", "47", "18.43%"},
			"Hertsmere Borough Council":            {"80,970", "75,330", "-5,640", "37", "14.42%"},
			"North Hertfordshire District Council": {"107,500", "100,010", "-7,490", "49", "19.14%"},
			"Total":                                {"543,930", "522,490", "-21,440", "257", "100.00%"},
		}
		for _, p := range append(s.Partners, s.Total) {
			got := prow{money.Whole(p.Budget), money.Whole(p.Estimate), money.Whole(p.Variance), p.Cameras.Decimal(0), finance.Percent(p.ShareBP)}
			if got != wantPartners[p.Name] {
				t.Errorf("%s: got %v, want %v", p.Name, got, wantPartners[p.Name])
			}
			delete(wantPartners, p.Name)
		}
		if len(wantPartners) != 0 {
			t.Errorf("partners missing from the statement: %v", wantPartners)
		}
		// The exact amounts, not only as printed: whole £10s adding up to
		// the balance to the penny.
		var sum int64
		for _, p := range s.Partners {
			if p.Estimate%10_00 != 0 {
				t.Errorf("%s: estimate %d pence is not a whole number of £10", p.Name, p.Estimate)
			}
			sum += p.Estimate
		}
		if sum != s.Balance.Estimate {
			t.Errorf("partners' estimates add up to %d pence, the balance is %d", sum, s.Balance.Estimate)
		}
		if len(s.Warnings) != 0 {
			t.Errorf("warnings: got %q, want none", s.Warnings)
		}

		var text, csv bytes.Buffer
		must(t, s.WriteText(&text))
		must(t, s.WriteCSV(&csv))
		golden(t, "seed003_q2.txt", text.Bytes())
		golden(t, "seed003_q2.csv", csv.Bytes())
	})
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		must(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got\n%s\nwant\n%s\n(go test ./internal/finance -run Seed003 -update rewrites it)", path, got, want)
	}
}

// TestIncomeFromCompany: a line marked as the trading company's takes its
// actuals to date from the company's ledger, from the start of the year
// to the end of the period.
func TestIncomeFromCompany(t *testing.T) {
	forEachStore(t, func(t *testing.T, st *store.Store) {
		loadSeed003(t, st)
		led := &ledger{pence: 70_000_00}
		q2 := finance.Period{Year: 2024, Quarter: 2}
		s, err := finance.Load(t.Context(), st, q2, led)
		must(t, err)
		var got int64
		for _, l := range s.Lines {
			if l.Company {
				got = l.Actuals
			}
		}
		if got != -70_000_00 {
			t.Errorf("company actuals: got %d, want -7000000 (from the ledger, as income)", got)
		}
		if !led.from.Equal(date("2024-04-01")) || !led.to.Equal(date("2024-10-01")) {
			t.Errorf("ledger asked for [%v, %v), want [2024-04-01, 2024-10-01)", led.from, led.to)
		}
	})
}

type ledger struct {
	pence    int64
	from, to time.Time
}

func (l *ledger) Invoiced(_ context.Context, from, to time.Time) (int64, error) {
	l.from, l.to = from, to
	return l.pence, nil
}
