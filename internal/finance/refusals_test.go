package finance

import (
	"errors"
	"math"
	"testing"

	"github.com/vigil-cctv/vigil/internal/money"
)

// TestParseWeightStrict: a weight is digits, at most one point and six
// decimals; a sign, spaces inside, exponents or other forms are refused
// rather than read as something else (-0.5 was read as 0.5).
func TestParseWeightStrict(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Weight
		bad  bool
	}{
		{in: "-0.5", bad: true}, {in: "-0", bad: true}, {in: "+1", bad: true}, {in: "+0.5", bad: true},
		{in: "1e3", bad: true}, {in: "0x10", bad: true}, {in: "1.", bad: true}, {in: ".", bad: true},
		{in: "", bad: true}, {in: "1.2.3", bad: true}, {in: "1 000", bad: true}, {in: "0.-5", bad: true},
		{in: "1000.000001", bad: true}, {in: "99999999999999999999", bad: true}, {in: "١", bad: true},
		{in: "0", want: 0}, {in: "0.0", want: 0}, {in: " 0.25 ", want: 250_000}, {in: "1000", want: 1000 * One},
		{in: "007.5", want: 7_500_000},
	} {
		got, err := ParseWeight(tc.in)
		if tc.bad != (err != nil) || got != tc.want {
			t.Errorf("ParseWeight(%q): got %d, %v, want %d (error %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

// TestBuildRoundsEachPartnerOnce: with a fixed element split equally and
// the rest by camera numbers, A's exact part is 0.5 + 0.98 = 1.48 units
// and B's 0.5 + 1.02 = 1.52. Rounding the fixed part and the rest
// separately gave A the tie of the fixed part and the larger remainder
// of the rest (A 2 units, B 1), though B's whole part has the larger
// remainder; rounding each partner's exact total once gives B the unit.
func TestBuildRoundsEachPartnerOnce(t *testing.T) {
	st, err := Build(Input{Period: Period{Year: 2024}, Unit: 1000, Fixed: 1000,
		Lines:      []Line{{Name: "Employees", Budget: 3000, Estimate: 3000}},
		Partners:   []Partner{{Org: 1, Name: "A", Budget: 1500}, {Org: 2, Name: "B", Budget: 1500}},
		CameraDays: map[int64]int64{1: 49, 2: 51}})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := st.Partners[0].Estimate, st.Partners[1].Estimate; a != 1000 || b != 2000 {
		t.Errorf("A and B: got %d and %d, want 1000 and 2000 (B's exact 1.52 units has the larger remainder)", a, b)
	}
}

// TestSplitExactTotals: each partner's part is within a unit of its
// exact total (fixed share plus proportional share), the parts add up to
// the balance, and they are whole units but for the odd pence.
func TestSplitExactTotals(t *testing.T) {
	for _, tc := range []struct {
		name            string
		balance, fixed  int64
		unit            int64
		fixedW, weights []int64
		want            []int64
	}{
		{"no fixed element", 100_00, 0, 1000, []int64{1, 1, 1}, []int64{1, 1, 1}, []int64{40_00, 30_00, 30_00}},
		{"equal fixed, thirds", 90_00, 30_00, 1000, []int64{1, 1, 1}, []int64{0, 0, 3}, []int64{10_00, 10_00, 70_00}},
		{"negative balance", -3000, -1000, 1000, []int64{1, 1}, []int64{49, 51}, []int64{-1000, -2000}},
		{"odd pence to the largest", 30_05, 10_00, 1000, []int64{1, 1}, []int64{49, 51}, []int64{10_00, 20_05}},
		{"all of it fixed", 60_00, 60_00, 100, []int64{1, 2}, []int64{5, 0}, []int64{20_00, 40_00}},
		{"zero balance", 0, 0, 1000, []int64{1, 1}, []int64{1, 3}, []int64{0, 0}},
	} {
		got := split(tc.balance, tc.fixed, tc.unit, tc.fixedW, tc.weights)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: got %v, want %v", tc.name, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
}

// TestBuildRefusesWhatDoesNotFit: amounts whose sums do not fit in int64
// pence are refused with money.ErrOverflow, not wrapped into a negative
// balance; so is one figure past money.Max.
func TestBuildRefusesWhatDoesNotFit(t *testing.T) {
	partners := []Partner{{Org: 1, Name: "A"}, {Org: 2, Name: "B"}}
	for _, tc := range []struct {
		name  string
		lines []Line
		parts []Partner
	}{
		{"estimates", []Line{{Name: "a", Estimate: math.MaxInt64 - 10}, {Name: "b", Estimate: 20}}, partners},
		{"budgets", []Line{{Name: "a", Budget: math.MinInt64 + 1}, {Name: "b", Budget: -5}}, partners},
		{"one figure too large", []Line{{Name: "a", Actuals: money.Max + 1}}, partners},
		{"partner budgets", []Line{{Name: "a", Estimate: 100}}, []Partner{{Org: 1, Name: "A", Budget: math.MaxInt64}, {Org: 2, Name: "B", Budget: math.MaxInt64}}},
		{"fixed proportions", []Line{{Name: "a", Estimate: 100}}, []Partner{{Org: 1, Name: "A", Fixed: math.MaxInt64}, {Org: 2, Name: "B", Fixed: math.MaxInt64}}},
	} {
		st, err := Build(Input{Period: Period{Year: 2024}, Unit: 1, Lines: tc.lines, Partners: tc.parts, CameraDays: map[int64]int64{1: 1, 2: 1}})
		if !errors.Is(err, money.ErrOverflow) {
			t.Errorf("%s: got balance %d, %v; want money.ErrOverflow", tc.name, st.Balance.Estimate, err)
		}
	}
}

// TestBuildFixedLargerThanBalance: a fixed element larger than the
// balance (or of the other sign) is a *FixedError naming both; with no
// lines entered for the period yet it is not applied, with a warning.
func TestBuildFixedLargerThanBalance(t *testing.T) {
	partners := []Partner{{Org: 1, Name: "A"}, {Org: 2, Name: "B"}}
	_, err := Build(Input{Period: Period{Year: 2024}, Unit: 1000, Fixed: 200_00,
		Lines: []Line{{Name: "a", Estimate: 100_00}}, Partners: partners})
	var fe *FixedError
	if !errors.As(err, &fe) || fe.Fixed != 200_00 || fe.Balance != 100_00 {
		t.Errorf("fixed £200, balance £100: got %v, want a FixedError naming both", err)
	}
	st, err := Build(Input{Period: Period{Year: 2024, Quarter: 3}, Unit: 1000, Fixed: 200_00, Partners: partners})
	if err != nil || st.Fixed != 0 || len(st.Warnings) == 0 || st.Partners[0].Estimate != 0 {
		t.Errorf("no lines yet: got %+v, %v; want the fixed element not applied, with a warning", st, err)
	}
}
