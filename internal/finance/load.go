package finance

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Org is an organisation as the recharge sees it: its place in the tree.
type Org struct {
	ID, Parent int64
	Name, Kind string
}

// Settings are a financial year's rounding unit and fixed element, pence.
type Settings struct {
	Unit  int64 `json:"unit"`
	Fixed int64 `json:"fixed"`
}

// Budget is a partner's budget for a financial year, with its proportion
// of any fixed element.
type Budget struct {
	Org    int64 `json:"organisation_id"`
	Budget int64 `json:"budget"`
	Fixed  int64 `json:"fixed_proportion"`
}

// Source is what a statement is loaded from: the store.
type Source interface {
	FinanceCategories(ctx context.Context) ([]Category, error)
	CameraHistory(ctx context.Context) ([]Event, error)
	FinanceOrgs(ctx context.Context) ([]Org, error)
	FinanceSettings(ctx context.Context, year int) (Settings, error)
	FinanceLines(ctx context.Context, p Period) ([]Line, error)
	FinanceBudgets(ctx context.Context, year int) ([]Budget, error)
}

// Partners are the councils directly below a partnership, plus any other
// organisation given a budget for the year, by name; partnerOf maps every
// organisation to the partner it counts for (itself or the partner above
// it), or 0 for one outside the recharge.
func Partners(orgs []Org, budgets []Budget) (partners []Partner, partnerOf map[int64]int64) {
	byID := map[int64]Org{}
	for _, o := range orgs {
		byID[o.ID] = o
	}
	budget := map[int64]Budget{}
	for _, b := range budgets {
		budget[b.Org] = b
	}
	isPartner := map[int64]bool{}
	for _, o := range orgs {
		_, budgeted := budget[o.ID]
		if budgeted || o.Kind == "council" && o.Parent != 0 && byID[o.Parent].Kind == "partnership" {
			isPartner[o.ID] = true
			partners = append(partners, Partner{Org: o.ID, Name: o.Name, Budget: budget[o.ID].Budget, Fixed: budget[o.ID].Fixed})
		}
	}
	sort.SliceStable(partners, func(i, j int) bool { return strings.ToLower(partners[i].Name) < strings.ToLower(partners[j].Name) })
	partnerOf = map[int64]int64{}
	for _, o := range orgs {
		// Walk up to the nearest partner; the tree is checked acyclic
		// when it is changed, and the walk is bounded regardless.
		for id, n := o.ID, 0; id != 0 && n < 64; id, n = byID[id].Parent, n+1 {
			if isPartner[id] {
				partnerOf[o.ID] = id
				break
			}
		}
	}
	return partners, partnerOf
}

// Load works out the statement for period p from src. income, when not
// nil, gives the actuals to date of a line marked as the trading
// company's: what it invoiced from the start of the year to the end of p,
// as income (negative).
func Load(ctx context.Context, src Source, p Period, income IncomeSource) (Statement, error) {
	cats, err := src.FinanceCategories(ctx)
	if err != nil {
		return Statement{}, err
	}
	weights := make(map[string]Weight, len(cats))
	for _, c := range cats {
		weights[c.Name] = c.Weight
	}
	orgs, err := src.FinanceOrgs(ctx)
	if err != nil {
		return Statement{}, err
	}
	budgets, err := src.FinanceBudgets(ctx, p.Year)
	if err != nil {
		return Statement{}, err
	}
	settings, err := src.FinanceSettings(ctx, p.Year)
	if err != nil {
		return Statement{}, err
	}
	lines, err := src.FinanceLines(ctx, p)
	if err != nil {
		return Statement{}, err
	}
	if income != nil {
		for i := range lines {
			if lines[i].Company {
				v, err := income.Invoiced(ctx, p.FinancialYear().From(), p.To())
				if err != nil {
					return Statement{}, fmt.Errorf("the trading company's income: %w", err)
				}
				lines[i].Actuals = -v
			}
		}
	}
	events, err := src.CameraHistory(ctx)
	if err != nil {
		return Statement{}, err
	}
	partners, partnerOf := Partners(orgs, budgets)
	days, err := CameraDays(events, weights, func(org int64) int64 { return partnerOf[org] }, p)
	if err != nil {
		return Statement{}, err
	}
	return Build(Input{Period: p, Lines: lines, Partners: partners, CameraDays: days, Unit: settings.Unit, Fixed: settings.Fixed})
}
