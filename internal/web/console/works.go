package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/spreadsheet"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
	"github.com/vigil-cctv/vigil/internal/works"
)

// The works console: contracts with their chart, departments' budgets,
// and orders with the forms that move them on (static/works.js). The
// tables are drawn here, charts included, so a page prints as it shows;
// every table has a CSV twin for the spreadsheets councils keep.

// worksCaller is the request's user as the works service knows them.
func worksCaller(r *http.Request) works.Caller {
	a := accessOf(r)
	return works.Caller{Actor: actor(r), P: a.P, Snap: a.Snap}
}

// worksBook is every figure a works page needs, read at once, with the
// views below: the console's own copy of the API's (web/works.go), as the
// page's tables show the API's answers. Were the figures to change shape,
// both change; the copy goes when works.Service answers with these views.
type worksBook struct {
	a         *httpx.Access
	now       time.Time
	contracts []works.Contract
	budgets   map[[2]int64]works.Budget // by department, year
	orders    []works.Order
	ledger    *works.Ledger
	orgs      []access.Organisation
}

func (c *Console) worksBook(ctx context.Context) (*worksBook, error) {
	a := httpx.AccessOf(ctx)
	b := &worksBook{a: a, now: c.now().UTC(), budgets: map[[2]int64]works.Budget{}}
	f, err := c.opt.Works.Figures(ctx)
	if err == nil {
		b.contracts, b.orders, b.ledger = f.Contracts, f.Orders, f.Ledger
		for _, x := range f.Budgets {
			b.budgets[[2]int64{x.DepartmentID, int64(x.Year)}] = x
		}
		b.orgs, err = c.opt.Store.ListOrganisations(ctx)
	}
	if errors.Is(err, money.ErrOverflow) {
		return nil, httpx.Errorf(http.StatusUnprocessableEntity, fmt.Sprintf("the works figures cannot be added up (%v): correct the amounts entered", err), err)
	} else if err != nil {
		return nil, err
	}
	return b, nil
}

// sees reports whether the user may read the figures of organisation org.
func (b *worksBook) sees(org int64) bool {
	return b.a.Snap.CanOrg(b.a.P, rights.ReadFinance, org).Allowed
}

func (b *worksBook) orgName(id int64) string {
	if o, ok := b.a.Snap.Org(id); ok {
		return o.Name
	}
	return fmt.Sprintf("organisation %d", id)
}

// council is the council a department belongs to: the nearest council
// above it.
func (b *worksBook) council(dept int64) string {
	for _, id := range b.a.Snap.Ancestors(dept) {
		if o, ok := b.a.Snap.Org(id); ok && o.Kind == rights.KindCouncil {
			return o.Name
		}
	}
	return ""
}

func (b *worksBook) contract(id int64) (works.Contract, bool) {
	i := slices.IndexFunc(b.contracts, func(c works.Contract) bool { return c.ID == id })
	if i < 0 {
		return works.Contract{}, false
	}
	return b.contracts[i], true
}

type allowanceView struct {
	Year           int
	Funding        string
	AmountPence    int64
	CommittedPence int64
}

type forecastView struct {
	WindowDays       int
	WindowSpendPence int64
	RunOut           *string // a date, or null: no rate
	BeforeEnd        bool
}

type contractView struct {
	ID             int64
	OrganisationID int64
	Organisation   string
	Reference      string
	Supplier       string
	ValuePence     int64
	StartsOn       string
	EndsOn         string
	Allowances     []allowanceView
	SpentPence     int64
	CommittedPence int64
	RemainingPence int64
	Forecast       forecastView
	commitments    []works.Commitment
}

func dateOnly(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func (b *worksBook) contractView(c works.Contract) contractView {
	t := b.ledger.Contract(c.ID, 0)
	cs := b.ledger.Commitments(c.ID)
	f := works.RunOut(c.ValuePence, c.StartsOn, c.EndsOn, cs, b.now)
	out := contractView{ID: c.ID, OrganisationID: c.OrganisationID, Organisation: b.orgName(c.OrganisationID), Reference: c.Reference,
		Supplier: c.Supplier, ValuePence: c.ValuePence, StartsOn: dateOnly(c.StartsOn), EndsOn: dateOnly(c.EndsOn),
		Allowances: []allowanceView{}, SpentPence: t.Spent, CommittedPence: t.Committed, RemainingPence: c.ValuePence - t.Committed,
		Forecast: forecastView{WindowDays: f.WindowDays, WindowSpendPence: f.WindowSpend, BeforeEnd: f.BeforeEnd}, commitments: cs}
	if f.RunOut != nil {
		d := dateOnly(*f.RunOut)
		out.Forecast.RunOut = &d
	}
	for _, a := range c.Allowances {
		out.Allowances = append(out.Allowances, allowanceView{a.Year, a.Funding, a.AmountPence, b.ledger.Allowance(c.ID, a.Year, a.Funding, 0).Committed})
	}
	return out
}

// visibleContracts are the contracts held within the user's scope.
func (b *worksBook) visibleContracts() []contractView {
	out := []contractView{}
	for _, c := range b.contracts {
		if b.sees(c.OrganisationID) {
			out = append(out, b.contractView(c))
		}
	}
	return out
}

type budgetView struct {
	DepartmentID   int64
	Department     string
	Council        string
	Year           string
	HasBudget      bool
	BudgetPence    int64
	SpentPence     int64
	CommittedPence int64
	RemainingPence int64
}

// visibleBudgets is every department in the user's scope, with its budget
// and figures for financial year year, whether a budget is set or not.
func (b *worksBook) visibleBudgets(year int) []budgetView {
	out := []budgetView{}
	for _, id := range b.departments() {
		bu, ok := b.budgets[[2]int64{id, int64(year)}]
		t := b.ledger.Department(id, year, 0)
		out = append(out, budgetView{DepartmentID: id, Department: b.orgName(id), Council: b.council(id), Year: period.YearLabel(year),
			HasBudget: ok, BudgetPence: bu.AmountPence, SpentPence: t.Spent, CommittedPence: t.Committed, RemainingPence: bu.AmountPence - t.Committed})
	}
	slices.SortStableFunc(out, func(x, y budgetView) int {
		return strings.Compare(x.Council+"\x00"+x.Department, y.Council+"\x00"+y.Department)
	})
	return out
}

// departments are the department organisations the user may read.
func (b *worksBook) departments() []int64 {
	var out []int64
	for _, o := range b.orgs {
		if o.Kind == rights.KindDepartment && b.sees(o.ID) {
			out = append(out, o.ID)
		}
	}
	return out
}

type orderView struct {
	ID             int64
	ContractID     int64
	Contract       string
	DepartmentID   int64
	Department     string
	Kind           string
	Funding        string
	Title          string
	State          string
	BudgetYear     string
	ContractYear   int
	EstimatePence  int64
	QuotePence     int64
	ApprovedPence  int64
	FinalPence     int64
	CommittedPence int64
	RaisedAt       time.Time
	RaisedBy       string
	QuotedAt       *time.Time
	QuotedBy       string
	ApprovedAt     *time.Time
	ApprovedBy     string
	OverrideReason string
	CompletedAt    *time.Time
	CompletedBy    string
	CancelledAt    *time.Time
	CancelledBy    string
	Warnings       []works.Warning
}

// position is where order o stands against its budget, contract and
// allowance, leaving out its own commitment.
func (b *worksBook) position(o works.Order) works.Position {
	c, _ := b.contract(o.ContractID)
	bu, ok := b.budgets[[2]int64{o.DepartmentID, int64(o.BudgetYear)}]
	allowance, hasAllowance := c.Allowance(o.ContractYear, o.Funding)
	return works.Position{
		Department: b.orgName(o.DepartmentID), Year: o.BudgetYear, HasBudget: ok, Budget: bu.AmountPence,
		DeptCommitted: b.ledger.Department(o.DepartmentID, o.BudgetYear, o.ID).Committed,
		Contract:      c.Reference, Value: c.ValuePence, ContractCommitted: b.ledger.Contract(c.ID, o.ID).Committed,
		Starts: c.StartsOn, Ends: c.EndsOn,
		Funding: o.Funding, ContractYear: o.ContractYear, HasAllowance: hasAllowance, Allowance: allowance,
		AllowanceCommitted: b.ledger.Allowance(c.ID, o.ContractYear, o.Funding, o.ID).Committed,
		Day:                o.RaisedAt,
	}
}

// pendingAmount is the amount an order still to be decided would commit:
// its quote, else the department's estimate.
func pendingAmount(o works.Order) int64 {
	if o.QuotePence > 0 {
		return o.QuotePence
	}
	return o.EstimatePence
}

func (b *worksBook) orderView(o works.Order) orderView {
	c, _ := b.contract(o.ContractID)
	out := orderView{ID: o.ID, ContractID: o.ContractID, Contract: c.Reference, DepartmentID: o.DepartmentID, Department: b.orgName(o.DepartmentID),
		Kind: o.Kind, Funding: o.Funding, Title: o.Title, State: o.State, BudgetYear: period.YearLabel(o.BudgetYear), ContractYear: o.ContractYear,
		EstimatePence: o.EstimatePence, QuotePence: o.QuotePence, ApprovedPence: o.ApprovedPence, FinalPence: o.FinalPence,
		CommittedPence: works.Committed(o.State, o.ApprovedPence, o.FinalPence),
		RaisedAt:       o.RaisedAt, RaisedBy: o.RaisedBy, QuotedAt: o.QuotedAt, QuotedBy: o.QuotedBy, ApprovedAt: o.ApprovedAt,
		ApprovedBy: o.ApprovedBy, OverrideReason: o.OverrideReason, CompletedAt: o.CompletedAt, CompletedBy: o.CompletedBy,
		CancelledAt: o.CancelledAt, CancelledBy: o.CancelledBy, Warnings: []works.Warning{}}
	// An order still to be decided shows what approving it at its quote
	// (or estimate) would set off, so no one approves blind.
	if o.State == works.Raised || o.State == works.Quoted {
		if ws := works.Check(b.position(o), pendingAmount(o)); ws != nil {
			out.Warnings = ws
		}
	}
	return out
}

func (b *worksBook) visibleOrders() []orderView {
	out := []orderView{}
	for _, o := range b.orders {
		if b.sees(o.DepartmentID) {
			out = append(out, b.orderView(o))
		}
	}
	return out
}

// worksYear is the request's ?year= (2025/26), else the current one.
func (c *Console) worksYear(r *http.Request) (int, error) {
	if v := r.URL.Query().Get("year"); v != "" {
		y, err := period.ParseYear(v)
		if err != nil {
			return 0, httpx.BadRequest(err.Error())
		}
		return y, nil
	}
	return period.YearOf(c.now()), nil
}

type worksPage struct {
	Manage    bool // may change things: the forms show
	Year      string
	PrevYear  string
	NextYear  string
	Contracts []contractView
	Budgets   []budgetView
	Orders    []orderView
	Chart     template.HTML
	Lines     []template.HTML
	Kinds     []string
	Fundings  []string
	Depts     []budgetView // departments the forms offer
	Today     string
}

func (c *Console) worksPageData(r *http.Request) (*worksBook, worksPage, error) {
	b, err := c.worksBook(r.Context())
	if err != nil {
		return nil, worksPage{}, err
	}
	return b, worksPage{Manage: c.opt.Works.MayChange(worksCaller(r)) == nil, Kinds: works.Kinds, Fundings: works.Fundings, Today: dateOnly(b.now)}, nil
}

func (c *Console) worksContractsPage(w http.ResponseWriter, r *http.Request) error {
	b, p, err := c.worksPageData(r)
	if err != nil {
		return err
	}
	p.Contracts = b.visibleContracts()
	p.Chart = contractBars(p.Contracts)
	for _, c := range p.Contracts {
		p.Lines = append(p.Lines, contractLine(c, b.now))
	}
	return c.Show(w, r, "works.html", "Works contracts", "works", p)
}

func (c *Console) worksBudgetsPage(w http.ResponseWriter, r *http.Request) error {
	year, err := c.worksYear(r)
	if err != nil {
		return err
	}
	b, p, err := c.worksPageData(r)
	if err != nil {
		return err
	}
	p.Year, p.PrevYear, p.NextYear = period.YearLabel(year), period.YearLabel(year-1), period.YearLabel(year+1)
	p.Budgets = b.visibleBudgets(year)
	p.Chart = budgetBars(p.Budgets)
	return c.Show(w, r, "works_budgets.html", "Departments' budgets", "works", p)
}

func (c *Console) worksOrdersPage(w http.ResponseWriter, r *http.Request) error {
	b, p, err := c.worksPageData(r)
	if err != nil {
		return err
	}
	p.Orders = b.visibleOrders()
	p.Contracts = b.visibleContracts()
	p.Depts = b.visibleBudgets(period.YearOf(b.now))
	return c.Show(w, r, "works_orders.html", "Works orders", "works", p)
}

// ---- CSV ----

// writeTable sends a table with its header row as a CSV download.
func writeTable(w http.ResponseWriter, name string, head []string, rows [][]string) error {
	return httpx.WriteCSV(w, name, append([][]string{head}, rows...))
}

var plain = money.Plain

func (c *Console) worksContractsCSV(w http.ResponseWriter, r *http.Request) error {
	b, err := c.worksBook(r.Context())
	if err != nil {
		return err
	}
	var rows [][]string
	for _, c := range b.visibleContracts() {
		runOut := ""
		if c.Forecast.RunOut != nil {
			runOut = *c.Forecast.RunOut
		}
		rows = append(rows, []string{spreadsheet.Text(c.Reference), spreadsheet.Text(c.Supplier), spreadsheet.Text(c.Organisation), plain(c.ValuePence), c.StartsOn, c.EndsOn,
			plain(c.SpentPence), plain(c.CommittedPence), plain(c.RemainingPence), strconv.Itoa(c.Forecast.WindowDays),
			plain(c.Forecast.WindowSpendPence), runOut, strconv.FormatBool(c.Forecast.BeforeEnd)})
	}
	return writeTable(w, "works-contracts.csv", []string{"reference", "supplier", "organisation", "value", "starts_on", "ends_on",
		"spent", "committed", "remaining", "rate_window_days", "rate_window_committed", "run_out", "runs_out_before_end"}, rows)
}

// worksAllowancesCSV is every visible contract's allowances, a row per
// contract year and funding.
func (c *Console) worksAllowancesCSV(w http.ResponseWriter, r *http.Request) error {
	b, err := c.worksBook(r.Context())
	if err != nil {
		return err
	}
	var rows [][]string
	for _, c := range b.visibleContracts() {
		for _, a := range c.Allowances {
			rows = append(rows, []string{spreadsheet.Text(c.Reference), strconv.Itoa(a.Year), a.Funding, plain(a.AmountPence), plain(a.CommittedPence),
				plain(a.AmountPence - a.CommittedPence)})
		}
	}
	return writeTable(w, "works-allowances.csv", []string{"contract", "contract_year", "funding", "amount", "committed", "remaining"}, rows)
}

func (c *Console) worksBudgetsCSV(w http.ResponseWriter, r *http.Request) error {
	year, err := c.worksYear(r)
	if err != nil {
		return err
	}
	b, err := c.worksBook(r.Context())
	if err != nil {
		return err
	}
	var rows [][]string
	for _, x := range b.visibleBudgets(year) {
		budget := ""
		if x.HasBudget {
			budget = plain(x.BudgetPence)
		}
		rows = append(rows, []string{spreadsheet.Text(x.Department), spreadsheet.Text(x.Council), x.Year, budget, plain(x.SpentPence), plain(x.CommittedPence), plain(x.RemainingPence)})
	}
	// The first three columns are what the budget import reads.
	return writeTable(w, "works-budgets-"+strings.ReplaceAll(period.YearLabel(year), "/", "-")+".csv",
		[]string{"department", "council", "year", "amount", "spent", "committed", "remaining"}, rows)
}

func (c *Console) worksOrdersCSV(w http.ResponseWriter, r *http.Request) error {
	b, err := c.worksBook(r.Context())
	if err != nil {
		return err
	}
	var rows [][]string
	for _, o := range b.visibleOrders() {
		var warn []string
		for _, x := range o.Warnings {
			warn = append(warn, x.Code)
		}
		raised := o.RaisedAt
		rows = append(rows, []string{strconv.FormatInt(o.ID, 10), spreadsheet.Text(o.Contract), spreadsheet.Text(o.Department), o.Kind, o.Funding, spreadsheet.Text(o.Title), o.State,
			o.BudgetYear, strconv.Itoa(o.ContractYear), plain(o.EstimatePence), plain(o.QuotePence), plain(o.ApprovedPence), plain(o.FinalPence),
			plain(o.CommittedPence), httpx.CSVTime(&raised), spreadsheet.Text(o.RaisedBy), httpx.CSVTime(o.QuotedAt), spreadsheet.Text(o.QuotedBy), httpx.CSVTime(o.ApprovedAt),
			spreadsheet.Text(o.ApprovedBy), spreadsheet.Text(o.OverrideReason), httpx.CSVTime(o.CompletedAt), spreadsheet.Text(o.CompletedBy), httpx.CSVTime(o.CancelledAt),
			spreadsheet.Text(o.CancelledBy), strings.Join(warn, " ")})
	}
	return writeTable(w, "works-orders.csv", []string{"id", "contract", "department", "kind", "funding", "title", "state", "budget_year",
		"contract_year", "estimate", "quote", "approved", "final_cost", "committed", "raised_at", "raised_by", "quoted_at", "quoted_by",
		"approved_at", "approved_by", "override_reason", "completed_at", "completed_by", "cancelled_at", "cancelled_by", "warnings"}, rows)
}

// ---- Charts, drawn here as SVG ----

const (
	colSpent     = "#4a86c2"
	colCommitted = "#8fb8e0"
	colRemaining = "#2c3136"
	colOver      = "#d0563f"
	colText      = "#c9d1d9"
	colGrid      = "#3b4047"
)

// bar is one row of a bar chart: a total (a contract's value, a
// department's budget) and what is spent and committed of it.
type bar struct {
	Label                   string
	Total, Spent, Committed int64
}

// contractBars draws one bar per contract, as long as its value.
func contractBars(cs []contractView) template.HTML {
	var bars []bar
	for _, c := range cs {
		bars = append(bars, bar{c.Reference, c.ValuePence, c.SpentPence, c.CommittedPence})
	}
	return barChart(bars, "Each contract's value: spent, committed and remaining")
}

// budgetBars draws one bar per department with a budget.
func budgetBars(bs []budgetView) template.HTML {
	var bars []bar
	for _, b := range bs {
		if b.HasBudget {
			bars = append(bars, bar{b.Department, b.BudgetPence, b.SpentPence, b.CommittedPence})
		}
	}
	return barChart(bars, "Each department's budget: spent, committed and remaining")
}

// barChart draws bars to one scale: spent, then committed but not yet
// spent, then what remains of the total; commitment beyond the total runs
// on past its end, in red.
func barChart(bars []bar, title string) template.HTML {
	if len(bars) == 0 {
		return ""
	}
	const labelW, barW, rowH, pad = 220.0, 520.0, 38.0, 8.0
	var most int64 = 1
	for _, b := range bars {
		most = max(most, b.Total, b.Committed)
	}
	scale := func(p int64) float64 { return float64(p) / float64(most) * barW }
	h := float64(len(bars))*rowH + 30
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="works-chart" role="img" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" xmlns="http://www.w3.org/2000/svg">`,
		labelW+barW+pad*2, h, labelW+barW+pad*2, h)
	fmt.Fprintf(&sb, `<title>%s</title>`, template.HTMLEscapeString(title))
	for i, b := range bars {
		y := float64(i)*rowH + pad
		fmt.Fprintf(&sb, `<text x="0" y="%.1f" fill="%s" font-size="12">%s</text>`, y+15, colText, template.HTMLEscapeString(b.Label))
		x := labelW
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="20" fill="%s"><title>%s</title></rect>`, x, y, scale(b.Total), colRemaining, money.Pounds(b.Total))
		inTotal := min(b.Spent, b.Total)
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="20" fill="%s"><title>spent %s</title></rect>`, x, y, scale(inTotal), colSpent, money.Pounds(b.Spent))
		if open := min(b.Committed, b.Total) - inTotal; open > 0 {
			fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="20" fill="%s"><title>committed, not yet spent %s</title></rect>`,
				x+scale(inTotal), y, scale(open), colCommitted, money.Pounds(b.Committed-b.Spent))
		}
		if b.Committed > b.Total {
			fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="20" fill="%s"><title>over by %s</title></rect>`,
				x+scale(b.Total), y, scale(b.Committed-b.Total), colOver, money.Pounds(b.Committed-b.Total))
		}
		pct := "no total"
		if b.Total > 0 {
			pct = fmt.Sprintf("%d%% committed", b.Committed*100/b.Total)
		}
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" fill="%s" font-size="11">%s of %s</text>`, x+4, y+33, colText, pct, money.Pounds(b.Total))
	}
	ly := h - 8
	for i, l := range []struct{ col, text string }{{colSpent, "spent"}, {colCommitted, "committed"}, {colRemaining, "remaining"}, {colOver, "over"}} {
		x := labelW + float64(i)*110
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f" fill="%s" font-size="11">%s</text>`, x, ly-9, l.col, x+14, ly, colText, l.text)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// contractLine draws a contract's cumulative commitment over its term
// against its value, and the forecast from today to the run-out date as
// a dashed line.
func contractLine(c contractView, now time.Time) template.HTML {
	const w, h, left, bottom, top = 700.0, 220.0, 70.0, 24.0, 10.0
	start, _ := time.Parse(time.DateOnly, c.StartsOn)
	end, _ := time.Parse(time.DateOnly, c.EndsOn)
	last := end.AddDate(0, 0, 1)
	var runOut time.Time
	if c.Forecast.RunOut != nil {
		runOut, _ = time.Parse(time.DateOnly, *c.Forecast.RunOut)
		// Show a run-out up to a year past the end; later ones are off
		// the chart's right edge.
		shown := runOut
		if cap := end.AddDate(1, 0, 0); shown.After(cap) {
			shown = cap
		}
		if shown.After(last) {
			last = shown
		}
	}
	top2 := max(c.ValuePence, c.CommittedPence) * 11 / 10
	if top2 == 0 {
		top2 = 1
	}
	span := last.Sub(start).Hours()
	if span <= 0 {
		span = 24
	}
	xOf := func(t time.Time) float64 {
		f := t.Sub(start).Hours() / span
		return left + min(max(f, 0), 1)*(w-left-10)
	}
	yOf := func(p int64) float64 { return h - bottom - float64(p)/float64(top2)*(h-bottom-top) }
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="works-chart" role="img" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" xmlns="http://www.w3.org/2000/svg">`, w, h, w, h)
	fmt.Fprintf(&sb, `<title>%s: committed over the term against its value</title>`, template.HTMLEscapeString(c.Reference))
	// Axes and the value line.
	fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, left, h-bottom, w-10, h-bottom, colGrid)
	fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.5"/>`, left, yOf(c.ValuePence), w-10, yOf(c.ValuePence), colOver)
	fmt.Fprintf(&sb, `<text x="2" y="%.1f" fill="%s" font-size="11">%s</text>`, yOf(c.ValuePence)+4, colText, template.HTMLEscapeString(shortPounds(c.ValuePence)))
	fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" fill="%s" font-size="11">%s</text>`, left, h-6, colText, c.StartsOn)
	fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" fill="%s" font-size="11" text-anchor="end">%s</text>`, xOf(end), h-6, colText, "ends "+c.EndsOn)
	fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="2 3"/>`, xOf(end), top, xOf(end), h-bottom, colGrid)
	// The cumulative step line of commitments, by approval day.
	cs := slices.Clone(c.commitments)
	slices.SortFunc(cs, func(a, b works.Commitment) int { return a.Day.Compare(b.Day) })
	var sum int64
	pts := []string{fmt.Sprintf("%.1f,%.1f", xOf(start), yOf(0))}
	for _, x := range cs {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(x.Day), yOf(sum)))
		sum += x.Amount
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(x.Day), yOf(sum)))
	}
	today := works.Date(now)
	pts = append(pts, fmt.Sprintf("%.1f,%.1f", xOf(today), yOf(sum)))
	fmt.Fprintf(&sb, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), colSpent)
	if !runOut.IsZero() && sum < c.ValuePence {
		// The forecast runs straight from today's total to the value on
		// the run-out day; past the chart's edge it is cut there, at
		// the height it has reached.
		x2, y2, label := xOf(runOut), yOf(c.ValuePence), "runs out "+runOut.Format(time.DateOnly)
		if runOut.After(last) && runOut.After(today) {
			f := last.Sub(today).Hours() / runOut.Sub(today).Hours()
			x2, y2 = xOf(last), yOf(sum)-f*(yOf(sum)-yOf(c.ValuePence))
			label += " →"
		}
		fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.5" stroke-dasharray="6 4"><title>at the current rate the value runs out on %s</title></line>`,
			xOf(today), yOf(sum), x2, y2, colCommitted, runOut.Format(time.DateOnly))
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" fill="%s" font-size="11" text-anchor="end">%s</text>`, x2, y2-6, colText, label)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// shortPounds is an axis label: £1.74m, £95k, £500.
func shortPounds(p int64) string {
	switch pounds := p / 100; {
	case pounds >= 1_000_000:
		return fmt.Sprintf("£%d.%02dm", pounds/1_000_000, pounds%1_000_000/10_000)
	case pounds >= 1_000:
		return fmt.Sprintf("£%dk", pounds/1_000)
	default:
		return fmt.Sprintf("£%d", pounds)
	}
}

// Template helpers for the works pages.
var worksFuncs = template.FuncMap{
	"pounds":       money.Pounds,
	"kindTitle":    works.KindTitle,
	"fundingTitle": works.FundingTitle,
	"sub":          func(a, b int64) int64 { return a - b },
	"penceInput": func(p int64) string {
		if p == 0 {
			return ""
		}
		return money.Plain(p)
	},
}
