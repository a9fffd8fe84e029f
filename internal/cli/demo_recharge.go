package cli

import (
	"context"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/store"
)

// demoLines are the demo partnership's costs and income for the current
// quarter's statement, in pence: invented, in the proportions of a real
// shared control room's.
var demoLines = []finance.Line{
	{Name: "Employees", Budget: 412_500_00, Actuals: 198_240_00, Estimate: 405_000_00, Comment: "One operator post vacant since the summer"},
	{Name: "Premises", Budget: 38_400_00, Actuals: 19_950_00, Estimate: 39_900_00},
	{Name: "Transport", Budget: 1_200_00, Actuals: 880_00, Estimate: 1_600_00, Comment: "Mileage for maintenance visits"},
	{Name: "Supplies and Services", Budget: 296_000_00, Actuals: 151_320_00, Estimate: 296_000_00},
	{Name: "Recharges", Budget: 14_800_00, Actuals: 7_400_00, Estimate: 14_800_00},
	{Name: "Income from Company", Budget: -95_000_00, Actuals: -51_700_00, Estimate: -103_400_00, Company: true,
		Comment: "Two retail parks joined the monitoring contract"},
}

// demoBudgets are the councils' budgets for the year, in the order of
// demoCouncils; they add up to the lines' balance budgeted.
var demoBudgets = []int64{290_170_00, 165_520_00, 126_310_00, 85_900_00}

// setUpDemoRecharge gives the demo a statement to look at: a history for
// every camera without one (installed at the start of last financial
// year; every third camera static reactive), the current quarter's lines
// and the year's budgets. What is there already is left alone. It commits
// with its records through change.
func setUpDemoRecharge(ctx context.Context, change changer, now time.Time) error {
	return change(ctx, func(st *store.Store) error { return seedRecharge(ctx, st, now) })
}

// seedRecharge is setUpDemoRecharge's change, in the transaction st.
func seedRecharge(ctx context.Context, st *store.Store, now time.Time) error {
	q := period.Of(now)
	history, err := st.CameraHistory(ctx)
	if err != nil {
		return err
	}
	has := map[int64]bool{}
	for _, e := range history {
		has[e.Camera] = true
	}
	cams, err := st.ListCameras(ctx)
	if err != nil {
		return err
	}
	since := period.Year(q.Year - 1).From()
	for i, c := range cams {
		if has[c.ID] {
			continue
		}
		cat := finance.Proactive
		if i%3 == 2 {
			cat = finance.Reactive
		}
		e := finance.Event{Camera: c.ID, Day: since, Kind: finance.Installed, Category: cat, Org: c.OrganisationID, Note: "demo"}
		if err := st.AddCameraEvent(ctx, &e, 0); err != nil {
			return err
		}
		if err := seedLog(st, auditlog.FinanceHistoryAdd, c.ID, "event %d: %s on %s, category %q, organisation %d",
			e.ID, e.Kind, e.Day.Format(time.DateOnly), e.Category, e.Org); err != nil {
			return err
		}
	}
	lines, err := st.FinanceLines(ctx, q)
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		if err := st.PutFinanceLines(ctx, q, append([]finance.Line(nil), demoLines...)); err != nil {
			return err
		}
		if err := seedLog(st, auditlog.FinanceLines, 0, "%s: %d lines", q, len(demoLines)); err != nil {
			return err
		}
	}
	budgets, err := st.FinanceBudgets(ctx, q.Year)
	if err != nil || len(budgets) > 0 {
		return err
	}
	var bs []finance.Budget
	for i, c := range demoCouncils {
		o, err := st.OrganisationByName(ctx, c.name)
		if err != nil {
			return err
		}
		bs = append(bs, finance.Budget{Org: o.ID, Budget: demoBudgets[i]})
	}
	if err := st.PutFinanceBudgets(ctx, q.Year, bs); err != nil {
		return err
	}
	return seedLog(st, auditlog.FinanceBudgets, 0, "%s: %d budgets", period.YearLabel(q.Year), len(bs))
}
