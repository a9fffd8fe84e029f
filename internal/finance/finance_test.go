package finance

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseWeight(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Weight
		bad  bool
	}{
		{in: "1", want: One}, {in: "0.5", want: 500_000}, {in: ".25", want: 250_000},
		{in: "0.333333", want: 333_333}, {in: "2.000001", want: 2_000_001},
		{in: "0.3333333", bad: true}, {in: "-1", bad: true}, {in: "x", bad: true},
	} {
		got, err := ParseWeight(tc.in)
		if tc.bad != (err != nil) || got != tc.want {
			t.Errorf("ParseWeight(%q): got %d, %v, want %d (error %v)", tc.in, got, err, tc.want, tc.bad)
		}
		if !tc.bad {
			if back, _ := ParseWeight(got.String()); back != got {
				t.Errorf("ParseWeight(%q).String() = %q does not read back", tc.in, got.String())
			}
		}
	}
}

var weights = map[string]Weight{Proactive: One, Reactive: One / 2, "mobile": One / 4}

func partnerSelf(org int64) int64 { return org }

// TestCameraDays: the cases the issue names, each counted by hand.
func TestCameraDays(t *testing.T) {
	q2 := Period{Year: 2024, Quarter: 2} // 92 days from 1 July
	ev := func(cam int64, d string, k EventKind, cat string, org int64) Event {
		return Event{Camera: cam, Day: day(d), Kind: k, Category: cat, Org: org}
	}
	for _, tc := range []struct {
		name   string
		events []Event
		want   map[int64]int64
	}{
		{"whole quarter", []Event{ev(1, "2020-01-01", Installed, Proactive, 7)}, map[int64]int64{7: 92 * int64(One)}},
		{"added mid-quarter counts for the days it existed", []Event{ev(1, "2024-09-20", Installed, Proactive, 7)},
			map[int64]int64{7: 11 * int64(One)}},
		{"recategorised counts at each weight for its days", []Event{
			ev(1, "2020-01-01", Installed, Reactive, 7), ev(1, "2024-08-01", Recategorised, Proactive, 0)},
			map[int64]int64{7: 31*int64(One/2) + 61*int64(One)}},
		{"owner changed splits the days", []Event{
			ev(1, "2020-01-01", Installed, Proactive, 7), ev(1, "2024-07-11", OwnerChanged, "", 8)},
			map[int64]int64{7: 10 * int64(One), 8: 82 * int64(One)}},
		{"decommissioned stops counting", []Event{
			ev(1, "2020-01-01", Installed, Proactive, 7), ev(1, "2024-07-02", Decommissioned, "", 0)},
			map[int64]int64{7: int64(One)}},
		{"installed after the period", []Event{ev(1, "2024-10-01", Installed, Proactive, 7)}, map[int64]int64{}},
		{"decommissioned before the period", []Event{
			ev(1, "2020-01-01", Installed, Proactive, 7), ev(1, "2024-06-30", Decommissioned, "", 0)}, map[int64]int64{}},
		{"reinstalled", []Event{
			ev(1, "2020-01-01", Installed, Proactive, 7), ev(1, "2024-07-01", Decommissioned, "", 0),
			ev(1, "2024-09-30", Installed, Reactive, 7)}, map[int64]int64{7: int64(One / 2)}},
		{"outside the recharge", []Event{ev(1, "2020-01-01", Installed, Proactive, 99)}, map[int64]int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			partnerOf := func(org int64) int64 {
				if org == 99 {
					return 0
				}
				return org
			}
			got, err := CameraDays(tc.events, weights, partnerOf, q2)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// randomHistory is a plausible history of n cameras over orgs partners
// from 2015, with every kind of change.
func randomHistory(r *rand.Rand, n, orgs int) []Event {
	cats := []string{Proactive, Reactive, "mobile"}
	start := day("2015-04-01")
	var out []Event
	id := int64(0)
	for cam := int64(1); cam <= int64(n); cam++ {
		d := start.AddDate(0, 0, r.IntN(3650))
		next := func() Event {
			id++
			return Event{ID: id, Camera: cam, Day: d}
		}
		e := next()
		e.Kind, e.Category, e.Org = Installed, cats[r.IntN(3)], int64(1+r.IntN(orgs))
		out = append(out, e)
		for range r.IntN(4) {
			d = d.AddDate(0, 0, r.IntN(900))
			e := next()
			switch r.IntN(4) {
			case 0:
				e.Kind, e.Category = Recategorised, cats[r.IntN(3)]
			case 1:
				e.Kind, e.Org = OwnerChanged, int64(1+r.IntN(orgs))
			case 2:
				e.Kind = Decommissioned
			default:
				e.Kind, e.Category, e.Org = Installed, cats[r.IntN(3)], int64(1+r.IntN(orgs))
			}
			out = append(out, e)
		}
	}
	return out
}

// TestCameraDaysMatchesDayByDay: over random histories, the interval
// arithmetic agrees with counting every camera on every day.
func TestCameraDaysMatchesDayByDay(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 5))
		events := randomHistory(r, 1+r.IntN(60), 1+r.IntN(6))
		SortEvents(events)
		p := Period{Year: 2015 + r.IntN(11), Quarter: r.IntN(5)}
		got, err := CameraDays(events, weights, partnerSelf, p)
		if err != nil {
			t.Fatal(err)
		}
		want := naiveCameraDays(events, weights, partnerSelf, p)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("seed %d, %s: got %v, want (day by day) %v", seed, p, got, want)
		}
	}
}

// TestAllocateProperties: shares always add to 100% and amounts to the
// balance exactly, whatever the weights, unit and sign; each part is
// within one unit of its exact quota.
func TestAllocateProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		n := 1 + r.IntN(50)
		ws := make([]int64, n)
		var total int64
		for j := range ws {
			if r.IntN(5) > 0 {
				ws[j] = r.Int64N(400 * 366 * int64(One))
			}
			total += ws[j]
		}
		amount := r.Int64N(2_000_000_000) - 500_000_000
		unit := []int64{1, 100, 1000, 7}[r.IntN(4)]
		got := Allocate(amount, unit, ws)
		var sum int64
		for _, v := range got {
			sum += v
		}
		if sum != amount {
			t.Fatalf("case %d: parts add up to %d, want the amount %d", i, sum, amount)
		}
		if bp := Allocate(10000, 1, ws); sumOf(bp) != 10000 {
			t.Fatalf("case %d: shares add up to %d bp, want 10000", i, sumOf(bp))
		}
		if total == 0 {
			continue
		}
		largest := slices.Index(ws, slices.Max(ws))
		for j, v := range got {
			exact := float64(amount) * float64(ws[j]) / float64(total) // only to bound the test, never in the code
			slack := float64(unit)
			if j == largest {
				slack += float64(unit)
			}
			if d := float64(v) - exact; d > slack || d < -slack {
				t.Fatalf("case %d: part %d is %d, its quota %.2f: more than a unit away", i, j, v, exact)
			}
			if j != largest && v%unit != 0 {
				t.Fatalf("case %d: part %d is %d, not a whole number of %dp units", i, j, v, unit)
			}
		}
	}
}

func sumOf(vs []int64) int64 {
	var s int64
	for _, v := range vs {
		s += v
	}
	return s
}

// TestBuildFixedElement: a fixed element split equally, or by set
// proportions, before the camera-weighted part.
func TestBuildFixedElement(t *testing.T) {
	lines := []Line{{Name: "Employees", Budget: 100_000_00, Estimate: 100_000_00}}
	days := map[int64]int64{1: 3, 2: 1}
	for _, tc := range []struct {
		name     string
		fixed    int64
		props    [2]int64
		want     [2]int64
		wantWarn bool
	}{
		{name: "none", want: [2]int64{75_000_00, 25_000_00}},
		{name: "equal", fixed: 20_000_00, want: [2]int64{10_000_00 + 60_000_00, 10_000_00 + 20_000_00}},
		{name: "proportions", fixed: 20_000_00, props: [2]int64{1, 3}, want: [2]int64{5_000_00 + 60_000_00, 15_000_00 + 20_000_00}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := Build(Input{Period: Period{Year: 2024}, Lines: lines, Unit: 1000, Fixed: tc.fixed, CameraDays: days,
				Partners: []Partner{{Org: 1, Name: "A", Budget: 50_000_00, Fixed: tc.props[0]}, {Org: 2, Name: "B", Budget: 50_000_00, Fixed: tc.props[1]}}})
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range st.Partners {
				if p.Estimate != tc.want[i] {
					t.Errorf("%s: got %d, want %d", p.Name, p.Estimate, tc.want[i])
				}
			}
			if st.Partners[0].ShareBP != 7500 || st.Partners[1].ShareBP != 2500 {
				t.Errorf("shares: got %d and %d bp, want 7500 and 2500", st.Partners[0].ShareBP, st.Partners[1].ShareBP)
			}
		})
	}
}

// TestFilter: a partner officer's statement holds their own row, a total
// of it alone (so no other partner's figure can be had by subtraction)
// and the partnership's lines; nothing is lost for one who sees all.
func TestFilter(t *testing.T) {
	st, err := Build(Input{Period: Period{Year: 2024, Quarter: 2}, Unit: 1000,
		Lines:      []Line{{Name: "Employees", Budget: 300_000_00, Estimate: 300_000_00}},
		Partners:   []Partner{{Org: 1, Name: "A", Budget: 100_000_00}, {Org: 2, Name: "B", Budget: 100_000_00}},
		CameraDays: map[int64]int64{1: 1, 2: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Warnings) != 1 {
		t.Fatalf("warnings: got %q, want the budgets' mismatch", st.Warnings)
	}
	own := st.Filter(func(org int64) bool { return org == 2 })
	if len(own.Partners) != 1 || own.Partners[0].Name != "B" || own.Total.Estimate != 200_000_00 || own.Total.ShareBP != 6667 ||
		own.Total.Budget != 100_000_00 || len(own.Lines) != 1 || own.Balance.Estimate != 300_000_00 || own.Warnings != nil {
		t.Errorf("B's statement: got %+v", own)
	}
	if all := st.Filter(func(int64) bool { return true }); fmt.Sprint(all) != fmt.Sprint(st) {
		t.Errorf("the whole statement filtered: got %+v, want it unchanged", all)
	}
}
