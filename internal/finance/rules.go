package finance

import (
	"strings"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/problem"
)

// The rules each figure keeps on its own. What a list must keep as a
// whole (no line named twice, sums that fit) and what must exist (the
// camera, category or organisation named) the store checks in the
// transaction that writes it, all or nothing, naming the item refused.
// Each refusal here is a problem.ErrInvalid whose message says which rule.

// CheckCategory trims a category's name, gives it its name for a title
// when it has none, and refuses one that breaks a rule.
func CheckCategory(c *Category) error {
	c.Name = strings.TrimSpace(c.Name)
	switch {
	case c.Name == "" || utf8.RuneCountInString(c.Name) > 50 || strings.ContainsAny(c.Name, " ,;\t\n"):
		return problem.Invalidf("a category's name must be 1 to 50 characters without spaces or commas, such as proactive")
	case utf8.RuneCountInString(c.Title) > 200:
		return problem.Invalidf("a category's title must be at most 200 characters")
	case c.Weight < 0 || c.Weight > 1000*One:
		return problem.Invalidf("a category's weight must be from 0 to 1000")
	}
	if err := names.Check("a category's title", c.Title); err != nil {
		return problem.New(problem.ErrInvalid, err.Error(), err)
	}
	if c.Title == "" {
		c.Title = c.Name
	}
	return nil
}

// CheckLine trims a statement line's name and refuses one that breaks a
// rule: a name of 1 to 100 characters, a comment of at most 1000, and
// figures within money.Max either way.
func CheckLine(l *Line) error {
	if err := CheckLineName(l); err != nil {
		return err
	}
	if utf8.RuneCountInString(l.Comment) > 1000 {
		return problem.Invalidf("a comment must be at most 1000 characters")
	}
	for _, f := range []struct {
		what string
		v    int64
	}{{"budget", l.Budget}, {"actuals", l.Actuals}, {"estimate", l.Estimate}} {
		if !money.InRange(f.v) {
			return problem.Invalidf("its %s must be at most £%s either way", f.what, money.Whole(money.Max))
		}
	}
	return nil
}

// CheckLineName trims a statement line's name and refuses one that is
// not 1 to 100 characters: a list of lines can be checked for a name
// given twice once each name is known good.
func CheckLineName(l *Line) error {
	l.Name = strings.TrimSpace(l.Name)
	if l.Name == "" || utf8.RuneCountInString(l.Name) > 100 {
		return problem.Invalidf("a line's name must be 1 to 100 characters")
	}
	return nil
}

// MaxFixedProportion bounds a partner's proportion of the fixed element
// ("in any unit": percent, thousandths), so that the year's proportions
// always add up without overflow.
const MaxFixedProportion = 1_000_000_000_000

// CheckSettings refuses a year's rounding unit outside 1p to £100,000,
// or a fixed element past money.Max.
func CheckSettings(s Settings) error {
	if s.Unit < 1 || s.Unit > 100_000_00 {
		return problem.Invalidf("the rounding unit must be from 1p to £100,000")
	}
	if !money.InRange(s.Fixed) {
		return problem.Invalidf("the fixed element must be at most £%s", money.Whole(money.Max))
	}
	return nil
}

// CheckBudget refuses a partner's budget past money.Max either way, or a
// proportion of the fixed element that is negative or past
// MaxFixedProportion.
func CheckBudget(b Budget) error {
	switch {
	case b.Fixed < 0:
		return problem.Invalidf("a fixed proportion cannot be negative")
	case b.Fixed > MaxFixedProportion:
		return problem.Invalidf("a fixed proportion must be at most %d", int64(MaxFixedProportion))
	case !money.InRange(b.Budget):
		return problem.Invalidf("a budget must be at most £%s either way", money.Whole(money.Max))
	}
	return nil
}

// CheckNote refuses a note on a camera's history event longer than 500
// characters.
func CheckNote(note string) error {
	if utf8.RuneCountInString(note) > 500 {
		return problem.Invalidf("a note must be at most 500 characters")
	}
	return nil
}
