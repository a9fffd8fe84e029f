package finance

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/internal/money"
)

// IncomeSource is the trading company's ledger: what it invoiced, in
// pence, for service in [from, to). A statement line linked to the
// company takes its actuals to date from it when one is set.
type IncomeSource interface {
	Invoiced(ctx context.Context, from, to time.Time) (int64, error)
}

// Line is one cost (positive) or income (negative) line of a statement,
// in pence: its budget for the year, its actuals to date and its
// estimate for the year end.
type Line struct {
	Name     string `json:"name"`
	Budget   int64  `json:"budget"`
	Actuals  int64  `json:"actuals"`
	Estimate int64  `json:"estimate"`
	// Company: the line is the trading company's income, whose actuals
	// come from its ledger when the statement has one.
	Company bool   `json:"company,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// Variance is the estimate against the budget: positive costs more.
func (l Line) Variance() int64 { return l.Estimate - l.Budget }

// DefaultLines are the cost lines of a partnership's statement, in the
// order the Hertfordshire report gives them, before any are entered.
var DefaultLines = []string{"Employees", "Premises", "Transport", "Supplies and Services", "Recharges", "Income from Company"}

// Partner is a council the partnership recharges, with its budget for
// the year: set when the year's budget is agreed, so it follows that
// year's expected shares, not the ones the statement finds.
type Partner struct {
	Org    int64  `json:"organisation_id"`
	Name   string `json:"name"`
	Budget int64  `json:"budget"`
	// Fixed is the partner's proportion of a fixed element, in any
	// unit; all zero splits it equally.
	Fixed int64 `json:"fixed_proportion,omitempty"`
}

// Input is everything a statement is worked out from.
type Input struct {
	Period   Period
	Lines    []Line
	Partners []Partner
	// CameraDays is each partner's weighted camera-days (CameraDays).
	CameraDays map[int64]int64
	// Unit is what partners' amounts are rounded to, in pence (1000:
	// £10); 0 means 1p.
	Unit int64
	// Fixed is how much of the estimate, in pence, is split as a fixed
	// element (equally, or by the partners' Fixed proportions) before
	// the rest is split by camera numbers.
	Fixed int64
}

// PartnerRow is one partner's part of a statement.
type PartnerRow struct {
	Partner
	Estimate int64 `json:"estimate"`
	Variance int64 `json:"variance"`
	// CameraDays over Days·One is the average camera number.
	CameraDays int64 `json:"camera_days_ppm"`
	Cameras    Ratio `json:"-"`
	// ShareBP is the partner's share in hundredths of a percent, rounded
	// so that the shares add up to exactly 100%.
	ShareBP int64 `json:"share_bp"`
}

// Statement is the quarterly (or yearly) statement: the lines, the
// balance to recover from partners and each partner's part of it.
type Statement struct {
	Period   Period       `json:"-"`
	Days     int64        `json:"days"`
	Lines    []Line       `json:"lines"`
	Balance  Line         `json:"balance"`
	Partners []PartnerRow `json:"partners"`
	Total    PartnerRow   `json:"total"`
	Unit     int64        `json:"unit"`
	Fixed    int64        `json:"fixed"`
	// Warnings are inconsistencies worth a person's attention, such as
	// partner budgets that do not add up to the balance budgeted.
	Warnings []string `json:"warnings"`
}

// FixedError is a fixed element that cannot be taken out of the balance
// to recover: larger than it, or of the other sign (a fixed charge out of
// a surplus to pay back). Period is the statement's, when known.
type FixedError struct {
	Period  Period
	Fixed   int64
	Balance int64
}

func (e *FixedError) Error() string {
	in := ""
	if e.Period != (Period{}) {
		in = " of " + e.Period.String()
	}
	return fmt.Sprintf("the fixed element of £%s is larger than the balance to recover%s, £%s, or of the other sign: lower the fixed element or correct the lines",
		money.Format(e.Fixed), in, money.Format(e.Balance))
}

// CheckFixed refuses a fixed element that cannot come out of balance.
func CheckFixed(fixed, balance int64) error {
	if fixed != 0 && (abs(fixed) > abs(balance) || sign(fixed) != sign(balance)) {
		return &FixedError{Fixed: fixed, Balance: balance}
	}
	return nil
}

// Balance adds up lines into the balance to recover, refusing a figure
// past money.Max and a sum that does not fit (money.ErrOverflow).
func Balance(lines []Line) (Line, error) {
	b := Line{Name: "Balance to recover from partners"}
	for _, l := range lines {
		for _, f := range []struct {
			what string
			sum  *int64
			v    int64
		}{{"budget", &b.Budget, l.Budget}, {"actuals", &b.Actuals, l.Actuals}, {"estimate", &b.Estimate, l.Estimate}} {
			if !money.InRange(f.v) {
				return b, fmt.Errorf("line %q: its %s is past £%s: %w", l.Name, f.what, money.Whole(money.Max), money.ErrOverflow)
			}
			var err error
			if *f.sum, err = money.Add(*f.sum, f.v); err != nil {
				return b, fmt.Errorf("the lines' %s: %w", f.what, err)
			}
		}
	}
	return b, nil
}

// Build works out a statement. Partners' estimates add up exactly to the
// balance's estimate, rounded to the unit by largest remainder (split).
// Figures that cannot be added up are money.ErrOverflow, and a fixed
// element that cannot come out of the balance a *FixedError.
func Build(in Input) (Statement, error) {
	days := in.Period.Days()
	st := Statement{Period: in.Period, Days: days, Lines: slices.Clone(in.Lines), Unit: max(in.Unit, 1), Fixed: in.Fixed, Warnings: []string{}}
	var err error
	if st.Balance, err = Balance(in.Lines); err != nil {
		return st, err
	}
	if _, err := money.Sub(st.Balance.Estimate, st.Balance.Budget); err != nil {
		return st, fmt.Errorf("the balance's variance: %w", err)
	}
	if len(in.Partners) == 0 {
		return st, nil
	}
	if len(in.Lines) == 0 && in.Fixed != 0 {
		// A period whose lines are not entered yet has nothing to
		// recover, so nothing of the year's fixed element either.
		st.Fixed = 0
		st.Warnings = append(st.Warnings, fmt.Sprintf("no lines are entered for %s yet, so the fixed element of £%s is not applied", in.Period, money.Whole(in.Fixed)))
	}
	if err := CheckFixed(st.Fixed, st.Balance.Estimate); err != nil {
		err.(*FixedError).Period = in.Period
		return st, err
	}
	weights := make([]int64, len(in.Partners))
	fixedW := make([]int64, len(in.Partners))
	var totalDays, totalFixed int64
	for i, p := range in.Partners {
		weights[i] = in.CameraDays[p.Org]
		if weights[i] < 0 {
			return st, fmt.Errorf("%s: negative camera-days", p.Name)
		}
		if p.Fixed < 0 {
			return st, fmt.Errorf("%s: negative fixed proportion", p.Name)
		}
		if !money.InRange(p.Budget) {
			return st, fmt.Errorf("%s: its budget is past £%s: %w", p.Name, money.Whole(money.Max), money.ErrOverflow)
		}
		if totalDays, err = money.Add(totalDays, weights[i]); err != nil {
			return st, fmt.Errorf("the partners' camera-days: %w", err)
		}
		if totalFixed, err = money.Add(totalFixed, p.Fixed); err != nil {
			return st, fmt.Errorf("the partners' fixed proportions: %w", err)
		}
		fixedW[i] = p.Fixed
	}
	parts := split(st.Balance.Estimate, st.Fixed, st.Unit, fixedW, weights)
	shares := Allocate(10000, 1, weights)
	for i, p := range in.Partners {
		row := PartnerRow{Partner: p, Estimate: parts[i], CameraDays: weights[i],
			Cameras: Ratio{weights[i], days * int64(One)}, ShareBP: shares[i]}
		if row.Variance, err = money.Sub(row.Estimate, row.Budget); err != nil {
			return st, fmt.Errorf("%s's variance: %w", p.Name, err)
		}
		if st.Total.Budget, err = money.Add(st.Total.Budget, row.Budget); err != nil {
			return st, fmt.Errorf("the partners' budgets: %w", err)
		}
		if st.Total.Variance, err = money.Add(st.Total.Variance, row.Variance); err != nil {
			return st, fmt.Errorf("the partners' variance: %w", err)
		}
		st.Total.Estimate += row.Estimate // the parts add up to the balance's estimate, which fits
		st.Total.ShareBP += row.ShareBP
		st.Partners = append(st.Partners, row)
	}
	st.Total.Name = "Total"
	st.Total.CameraDays = totalDays
	st.Total.Cameras = Ratio{totalDays, days * int64(One)}
	if st.Total.Budget != st.Balance.Budget {
		st.Warnings = append(st.Warnings, fmt.Sprintf("the partners' budgets add up to %s, the balance budgeted is %s",
			money.Whole(st.Total.Budget), money.Whole(st.Balance.Budget)))
	}
	if totalDays == 0 {
		st.Warnings = append(st.Warnings, "no partner had a camera counting in the period, so the balance is split equally")
	}
	return st, nil
}

// split divides balance among partners: fixed of it by the fixed
// proportions fixedW (all zero: equally), the rest by weights (all zero:
// equally). Each partner's exact part, its share of the fixed element
// plus its share of the rest, is worked out as one fraction over the
// common denominator ΣfixedW·Σweights, and only that is rounded: whole
// units by largest remainder, so the parts add up to balance exactly and
// the largest exact remainders get the units left. Rounding the fixed
// part and the rest separately could round down the partner whose whole
// part has the larger remainder. fixed must be of balance's sign and no
// larger (CheckFixed).
func split(balance, fixed, unit int64, fixedW, weights []int64) []int64 {
	fw, fsum := evenIfZero(fixedW)
	w, wsum := evenIfZero(weights)
	b, f := new(big.Int).Abs(big.NewInt(balance)), new(big.Int).Abs(big.NewInt(fixed))
	rest := new(big.Int).Sub(b, f)
	nums := make([]*big.Int, len(weights))
	for i := range nums {
		// (f·fw/Σfw + rest·w/Σw) · Σfw·Σw
		x := new(big.Int).Mul(f, fw[i])
		x.Mul(x, wsum)
		y := new(big.Int).Mul(rest, w[i])
		y.Mul(y, fsum)
		nums[i] = x.Add(x, y)
	}
	return allocate(balance, unit, nums)
}

// evenIfZero is ws as big integers and their sum; all zero weights are
// all one, so that they split equally.
func evenIfZero(ws []int64) ([]*big.Int, *big.Int) {
	out := make([]*big.Int, len(ws))
	sum := new(big.Int)
	for i, v := range ws {
		out[i] = big.NewInt(v)
		sum.Add(sum, out[i])
	}
	if sum.Sign() == 0 {
		for i := range out {
			out[i] = big.NewInt(1)
		}
		sum.SetInt64(int64(len(ws)))
	}
	return out, sum
}

// Allocate splits amount into len(weights) parts proportional to the
// weights, each a whole number of units except that the pence left over
// when amount is not a whole number of units go to the largest weight;
// the parts add up to amount exactly. Whole units go by largest
// remainder: each part gets the floor of its quota, and the units left
// go to the largest remainders (ties: larger weight, then earlier). All
// zero weights split equally.
func Allocate(amount, unit int64, weights []int64) []int64 {
	nums, _ := evenIfZero(weights)
	return allocate(amount, unit, nums)
}

// allocate splits amount in proportion to nums (not negative; all zero
// splits equally), as Allocate describes.
func allocate(amount, unit int64, nums []*big.Int) []int64 {
	out := make([]int64, len(nums))
	if len(nums) == 0 {
		return out
	}
	if unit <= 0 {
		unit = 1
	}
	total := new(big.Int)
	for _, v := range nums {
		total.Add(total, v)
	}
	if total.Sign() == 0 { // a zero balance split: nothing to share
		nums, total = make([]*big.Int, len(nums)), big.NewInt(int64(len(nums)))
		for i := range nums {
			nums[i] = big.NewInt(1)
		}
	}
	a := new(big.Int).Abs(big.NewInt(amount))
	units, rest := new(big.Int).QuoRem(a, big.NewInt(unit), new(big.Int))
	parts := make([]*big.Int, len(nums))
	rems := make([]*big.Int, len(nums))
	given := new(big.Int)
	for i, v := range nums {
		parts[i], rems[i] = new(big.Int).QuoRem(new(big.Int).Mul(units, v), total, new(big.Int))
		given.Add(given, parts[i])
	}
	order := make([]int, len(nums))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		if c := rems[y].Cmp(rems[x]); c != 0 {
			return c
		}
		return nums[y].Cmp(nums[x])
	})
	left := new(big.Int).Sub(units, given).Int64() // fewer than len(nums)
	for k := int64(0); k < left; k++ {
		parts[order[k]].Add(parts[order[k]], big.NewInt(1))
	}
	largest := 0
	for i, v := range nums {
		if v.Cmp(nums[largest]) > 0 {
			largest = i
		}
	}
	for i, p := range parts {
		p.Mul(p, big.NewInt(unit))
		if i == largest {
			p.Add(p, rest)
		}
		if amount < 0 {
			p.Neg(p)
		}
		out[i] = p.Int64() // |p| ≤ |amount|, so it fits
	}
	return out
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Percent writes hundredths of a percent: 4801 is "48.01%".
func Percent(bp int64) string { return Ratio{bp, 100}.Decimal(2) + "%" }
