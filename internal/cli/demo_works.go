package cli

import (
	"context"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/works"
)

// setUpDemoWorks gives the demo's councils departments, a works contract
// each, budgets for last, this and next financial year, and orders at every
// step, dated in the weeks before now so that the forecast has a rate to
// run on. Lea Vale's contract has the figures of a real council's: £1.742m
// from 31 October 2025 to 1 August 2027, £100,000 a year of it for ad hoc
// works. A data folder that already has a contract is left alone. It
// commits with its records through change.
func setUpDemoWorks(ctx context.Context, change changer, orgs map[string]access.Organisation, now time.Time) error {
	return change(ctx, func(st *store.Store) error { return seedWorks(ctx, st, orgs, now) })
}

// seedWorks is setUpDemoWorks's change, in the transaction st.
func seedWorks(ctx context.Context, st *store.Store, orgs map[string]access.Organisation, now time.Time) error {
	if cs, err := st.ListWorksContracts(ctx); err != nil || len(cs) > 0 {
		return err
	}
	now = now.UTC()
	dept := func(council, name string) (int64, error) {
		o := access.Organisation{Name: name, Kind: "department", ParentID: orgs[council].ID}
		err := createSeedOrganisation(ctx, st, &o)
		return o.ID, err
	}
	leaVale, mimram := demoCouncils[0].name, demoCouncils[1].name
	var housing, facilities, parking, safety int64
	for _, d := range []struct {
		id            *int64
		council, name string
	}{
		{&housing, leaVale, "Lea Vale Housing"},
		{&facilities, leaVale, "Lea Vale Facilities Management"},
		{&parking, leaVale, "Lea Vale Parking Services"},
		{&safety, mimram, "Mimram Community Safety"},
	} {
		id, err := dept(d.council, d.name)
		if err != nil {
			return err
		}
		*d.id = id
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	lv := works.Contract{OrganisationID: orgs[leaVale].ID, Reference: "LV-VSS-2025", Supplier: "Vale Surveillance Services Ltd",
		ValuePence: 174_200_000, StartsOn: day(2025, 10, 31), EndsOn: day(2027, 8, 1), Allowances: []works.Allowance{
			{Year: 1, Funding: works.Planned, AmountPence: 70_000_000}, {Year: 1, Funding: works.AdHoc, AmountPence: 10_000_000},
			{Year: 2, Funding: works.Planned, AmountPence: 50_000_000}, {Year: 2, Funding: works.AdHoc, AmountPence: 10_000_000}}}
	md := works.Contract{OrganisationID: orgs[mimram].ID, Reference: "MDC-CCTV-2026", Supplier: "Mimram Electrical Contractors",
		ValuePence: 25_000_000, StartsOn: day(2026, 4, 1), EndsOn: day(2028, 3, 31), Allowances: []works.Allowance{
			{Year: 1, Funding: works.AdHoc, AmountPence: 5_000_000}, {Year: 2, Funding: works.AdHoc, AmountPence: 5_000_000}}}
	for _, c := range []*works.Contract{&lv, &md} {
		if err := st.CreateWorksContract(ctx, c); err != nil {
			return err
		}
		if err := seedLog(st, auditlog.WorksContractCreate, 0, "contract %d %q with %s, %s from %s to %s", c.ID, c.Reference, c.Supplier,
			money.Pounds(c.ValuePence), c.StartsOn.Format(time.DateOnly), c.EndsOn.Format(time.DateOnly)); err != nil {
			return err
		}
	}
	fy := period.YearOf(now)
	var budgets []works.Budget
	for _, b := range []struct {
		dept   int64
		amount int64
	}{{housing, 6_000_000}, {facilities, 2_500_000}, {parking, 400_000}, {safety, 2_000_000}} {
		// Last year's too: orders raised in the weeks before now may
		// fall in it.
		for y := fy - 1; y <= fy+1; y++ {
			budgets = append(budgets, works.Budget{DepartmentID: b.dept, Year: y, AmountPence: b.amount})
		}
	}
	if err := st.SetWorksBudgets(ctx, budgets, "demo"); err != nil {
		return err
	}
	for _, b := range budgets {
		if err := seedLog(st, auditlog.WorksBudgetSet, 0, "department %d, %s: %s", b.DepartmentID, period.YearLabel(b.Year), money.Pounds(b.AmountPence)); err != nil {
			return err
		}
	}
	ago := func(days int) time.Time { return now.AddDate(0, 0, -days) }
	type step struct {
		to     string
		amount int64
		days   int // before now
	}
	for _, o := range []struct {
		c                    *works.Contract
		dept                 int64
		kind, funding, title string
		estimate             int64
		raised               int
		steps                []step
	}{
		{&lv, housing, works.NewInstallation, works.AdHoc, "Cameras for the Watermead estate car park", 3_500_000, 80,
			[]step{{works.Quoted, 3_850_000, 70}, {works.Approved, 3_850_000, 60}, {works.Completed, 3_920_000, 20}}},
		{&lv, facilities, works.Enhancement, works.AdHoc, "Civic Centre reception cameras to 4K", 0, 45,
			[]step{{works.Quoted, 1_200_000, 38}, {works.Approved, 1_200_000, 30}}},
		{&lv, facilities, works.Repair, works.Planned, "Planned maintenance, this quarter", 0, 76,
			[]step{{works.Quoted, 8_750_000, 76}, {works.Approved, 8_750_000, 75}, {works.Completed, 8_750_000, 5}}},
		{&lv, parking, works.Relocation, works.AdHoc, "Move the Riverside Car Park camera to the new barrier", 300_000, 12,
			[]step{{works.Quoted, 480_000, 4}}},
		{&lv, housing, works.Repair, works.AdHoc, "Replace the failed camera at Sele Walk", 250_000, 2, nil},
		{&md, safety, works.NewInstallation, works.AdHoc, "Hollins End Green play area camera", 900_000, 50,
			[]step{{works.Quoted, 950_000, 41}, {works.Approved, 950_000, 33}}},
	} {
		wo := works.Order{ContractID: o.c.ID, DepartmentID: o.dept, Kind: o.kind, Funding: o.funding, Title: o.title,
			EstimatePence: o.estimate, RaisedAt: ago(o.raised), RaisedBy: "manager",
			BudgetYear: period.YearOf(ago(o.raised)), ContractYear: max(1, works.ContractYear(o.c.StartsOn, ago(o.raised)))}
		if err := st.CreateWorksOrder(ctx, &wo); err != nil {
			return err
		}
		if err := seedLog(st, auditlog.WorksOrderRaise, 0, "order %d for department %d on contract %d: %s %q, estimate %s, raised by %s",
			wo.ID, wo.DepartmentID, wo.ContractID, wo.Kind, wo.Title, money.Pounds(wo.EstimatePence), wo.RaisedBy); err != nil {
			return err
		}
		for _, s := range o.steps {
			by := "manager"
			if s.to == works.Quoted {
				by = "contractor"
			}
			if _, err := st.StepWorksOrder(ctx, wo.ID, works.Step{To: s.to, Amount: s.amount, At: ago(s.days), By: by}); err != nil {
				return err
			}
			if err := seedLog(st, stepActions[s.to], 0, "order %d %s at %s by %s", wo.ID, s.to, money.Pounds(s.amount), by); err != nil {
				return err
			}
		}
	}
	return nil
}

// stepActions are the records of a works order's steps.
var stepActions = map[string]auditlog.Action{
	works.Quoted: auditlog.WorksOrderQuote, works.Approved: auditlog.WorksOrderApprove,
	works.Completed: auditlog.WorksOrderComplete, works.Cancelled: auditlog.WorksOrderCancel,
}
