package finance

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/problem"
)

// TestRules: each figure's own rules refuse as problem.ErrInvalid, saying
// which rule, and pass what keeps them (normalised).
func TestRules(t *testing.T) {
	c := Category{Name: "  mobile ", Weight: One / 4}
	if err := CheckCategory(&c); err != nil || c.Name != "mobile" || c.Title != "mobile" {
		t.Errorf("a good category: got %+v, %v, want it trimmed and titled by its name", c, err)
	}
	l := Line{Name: " Employees ", Budget: money.Max, Estimate: -money.Max}
	if err := CheckLine(&l); err != nil || l.Name != "Employees" {
		t.Errorf("a good line: got %+v, %v, want it trimmed", l, err)
	}
	for _, tc := range []struct {
		what string
		err  error
		want string
	}{
		{"category with a space", CheckCategory(&Category{Name: "static reactive"}), "without spaces or commas"},
		{"category weighing more than 1000", CheckCategory(&Category{Name: "x", Weight: 1000*One + 1}), "from 0 to 1000"},
		{"category title with a tab", CheckCategory(&Category{Name: "x", Title: "Pro\tactive"}), ""},
		{"line without a name", CheckLine(&Line{Name: "  "}), "1 to 100 characters"},
		{"line with a long comment", CheckLine(&Line{Name: "x", Comment: strings.Repeat("c", 1001)}), "at most 1000 characters"},
		{"line past the bound", CheckLine(&Line{Name: "x", Actuals: money.Max + 1}), "its actuals must be at most"},
		{"unit of nothing", CheckSettings(Settings{Unit: 0}), "from 1p to £100,000"},
		{"fixed past the bound", CheckSettings(Settings{Unit: 1, Fixed: -money.Max - 1}), "fixed element must be at most"},
		{"negative proportion", CheckBudget(Budget{Fixed: -1}), "cannot be negative"},
		{"proportion past the bound", CheckBudget(Budget{Fixed: MaxFixedProportion + 1}), "must be at most"},
		{"budget past the bound", CheckBudget(Budget{Budget: money.Max + 1}), "a budget must be at most"},
		{"long note", CheckNote(strings.Repeat("n", 501)), "at most 500 characters"},
	} {
		if !errors.Is(tc.err, problem.ErrInvalid) || !strings.Contains(problem.Message(tc.err, ""), tc.want) {
			t.Errorf("%s: got %v, want invalid saying %q", tc.what, tc.err, tc.want)
		}
	}
	if err := CheckCategory(&Category{Name: "x", Title: "Pro\tactive"}); !errors.Is(err, names.ErrInvalid) {
		t.Errorf("a title with a tab: got %v, want the names rule's refusal beneath", err)
	}
	if CheckBudget(Budget{Budget: -money.Max, Fixed: MaxFixedProportion}) != nil || CheckNote(strings.Repeat("n", 500)) != nil {
		t.Error("figures at the bounds: got refused, want kept")
	}
}

// TestShares: partners' shares as the statement prints them, rounded to
// the hundredth of a percent and adding up to 100% (2 of 3 is 66.67%).
func TestShares(t *testing.T) {
	for _, tc := range []struct {
		name    string
		weights []int64
		want    []string
	}{
		{"2 of 3", []int64{2, 1}, []string{"66.67%", "33.33%"}},
		{"thirds add up to 100%", []int64{1, 1, 1}, []string{"33.34%", "33.33%", "33.33%"}},
		{"an eighth", []int64{1, 7}, []string{"12.50%", "87.50%"}},
		{"all", []int64{5}, []string{"100.00%"}},
	} {
		var got []string
		for _, bp := range Allocate(10000, 1, tc.weights) {
			got = append(got, Percent(bp))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		r    Ratio
		want string
	}{
		{Ratio{2, 3}, "0.67"}, {Ratio{-2, 3}, "-0.67"}, {Ratio{1, 200}, "0.01"}, {Ratio{5, 2}, "2.50"},
	} {
		if got := tc.r.Decimal(2); got != tc.want {
			t.Errorf("Ratio{%d, %d}.Decimal(2): got %s, want %s", tc.r.Num, tc.r.Den, got, tc.want)
		}
	}
}
