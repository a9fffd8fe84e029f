package finance

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"
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

// Build works out a statement. Partners' estimates add up exactly to the
// balance's estimate, rounded to the unit by largest remainder.
func Build(in Input) (Statement, error) {
	days := in.Period.Days()
	st := Statement{Period: in.Period, Days: days, Lines: slices.Clone(in.Lines), Unit: max(in.Unit, 1), Fixed: in.Fixed,
		Balance: Line{Name: "Balance to recover from partners"}, Warnings: []string{}}
	for _, l := range in.Lines {
		st.Balance.Budget += l.Budget
		st.Balance.Actuals += l.Actuals
		st.Balance.Estimate += l.Estimate
	}
	if len(in.Partners) == 0 {
		return st, nil
	}
	if abs(in.Fixed) > abs(st.Balance.Estimate) || in.Fixed != 0 && sign(in.Fixed) != sign(st.Balance.Estimate) {
		return st, errors.New("the fixed element is larger than the balance, or of the other sign")
	}
	weights := make([]int64, len(in.Partners))
	fixedW := make([]int64, len(in.Partners))
	var totalDays int64
	anyFixed := false
	for i, p := range in.Partners {
		weights[i] = in.CameraDays[p.Org]
		if weights[i] < 0 {
			return st, fmt.Errorf("%s: negative camera-days", p.Name)
		}
		totalDays += weights[i]
		fixedW[i] = p.Fixed
		anyFixed = anyFixed || p.Fixed != 0
	}
	if !anyFixed {
		for i := range fixedW {
			fixedW[i] = 1
		}
	}
	fixed := Allocate(in.Fixed, st.Unit, fixedW)
	variable := Allocate(st.Balance.Estimate-in.Fixed, st.Unit, weights)
	shares := Allocate(10000, 1, weights)
	for i, p := range in.Partners {
		row := PartnerRow{Partner: p, Estimate: fixed[i] + variable[i], CameraDays: weights[i],
			Cameras: Ratio{weights[i], days * int64(One)}, ShareBP: shares[i]}
		row.Variance = row.Estimate - row.Budget
		st.Partners = append(st.Partners, row)
		st.Total.Budget += row.Budget
		st.Total.Estimate += row.Estimate
		st.Total.Variance += row.Variance
		st.Total.ShareBP += row.ShareBP
	}
	st.Total.Name = "Total"
	st.Total.CameraDays = totalDays
	st.Total.Cameras = Ratio{totalDays, days * int64(One)}
	if st.Total.Budget != st.Balance.Budget {
		st.Warnings = append(st.Warnings, fmt.Sprintf("the partners' budgets add up to %s, the balance budgeted is %s",
			Pounds(st.Total.Budget), Pounds(st.Balance.Budget)))
	}
	if totalDays == 0 {
		st.Warnings = append(st.Warnings, "no partner had a camera counting in the period, so the balance is split equally")
	}
	return st, nil
}

// Allocate splits amount into len(weights) parts proportional to the
// weights, each a whole number of units except that the pence left over
// when amount is not a whole number of units go to the largest weight;
// the parts add up to amount exactly. Whole units go by largest
// remainder: each part gets the floor of its quota, and the units left
// go to the largest remainders (ties: larger weight, then earlier). All
// zero weights split equally.
func Allocate(amount, unit int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	if len(weights) == 0 {
		return out
	}
	if unit <= 0 {
		unit = 1
	}
	neg := amount < 0
	if neg {
		amount = -amount
	}
	w := slices.Clone(weights)
	var total int64
	for _, v := range w {
		total += v
	}
	if total == 0 {
		for i := range w {
			w[i] = 1
		}
		total = int64(len(w))
	}
	units, rest := amount/unit, amount%unit
	rems := make([]*big.Int, len(w))
	var given int64
	bt := big.NewInt(total)
	for i, v := range w {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(units), big.NewInt(v)), bt, new(big.Int))
		out[i] = q.Int64()
		rems[i] = r
		given += out[i]
	}
	order := make([]int, len(w))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := rems[b].Cmp(rems[a]); c != 0 {
			return c
		}
		return cmpInt(w[b], w[a])
	})
	for k := int64(0); k < units-given; k++ {
		out[order[k]]++
	}
	largest := 0
	for i, v := range w {
		if v > w[largest] {
			largest = i
		}
	}
	for i := range out {
		out[i] *= unit
	}
	out[largest] += rest
	if neg {
		for i := range out {
			out[i] = -out[i]
		}
	}
	return out
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Pounds writes pence as whole pounds with thousands separators, as the
// statement prints them: 54393000 is "543,930". Pence are rounded half
// away from zero.
func Pounds(p int64) string {
	v := Ratio{p, 100}.Round()
	return groupThousands(v)
}

// PoundsPence writes pence exactly: "543,930.00".
func PoundsPence(p int64) string {
	neg := ""
	if p < 0 {
		neg, p = "-", -p
	}
	return neg + groupThousands(p/100) + fmt.Sprintf(".%02d", p%100)
}

func groupThousands(v int64) string {
	neg := ""
	if v < 0 {
		neg, v = "-", -v
	}
	s := fmt.Sprint(v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

// Percent writes hundredths of a percent: 4801 is "48.01%".
func Percent(bp int64) string { return Ratio{bp, 100}.Decimal(2) + "%" }
