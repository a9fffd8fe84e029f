package console

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/period"
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

// worksBook reads the works as the request's user may see them: the rows
// the API answers with (works.Book).
func (c *Console) worksBook(r *http.Request) (*works.Book, error) {
	b, err := c.opt.Works.Book(r.Context(), worksCaller(r))
	if errors.Is(err, money.ErrOverflow) {
		return nil, httpx.Errorf(http.StatusUnprocessableEntity, fmt.Sprintf("the works figures cannot be added up (%v): correct the amounts entered", err), err)
	}
	return b, err
}

func dateOnly(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// worksYear is the request's ?year= (2025/26), else the current one.
func (c *Console) worksYear(r *http.Request) (int, error) {
	return httpx.Year(r, c.now())
}

type worksPage struct {
	Manage    bool // may change things: the forms show
	Year      string
	PrevYear  string
	NextYear  string
	Contracts []works.ContractRow
	Budgets   []works.BudgetRow
	Orders    []works.OrderRow
	Chart     template.HTML
	Lines     []template.HTML
	Kinds     []string
	Fundings  []string
	Depts     []works.BudgetRow // departments the forms offer
	Today     string
}

func (c *Console) worksPageData(r *http.Request) (*works.Book, worksPage, error) {
	b, err := c.worksBook(r)
	if err != nil {
		return nil, worksPage{}, err
	}
	return b, worksPage{Manage: c.opt.Works.MayChange(worksCaller(r)) == nil, Kinds: works.Kinds, Fundings: works.Fundings, Today: dateOnly(b.Now())}, nil
}

func (c *Console) worksContractsPage(w http.ResponseWriter, r *http.Request) error {
	b, p, err := c.worksPageData(r)
	if err != nil {
		return err
	}
	p.Contracts = b.Contracts()
	p.Chart = contractBars(p.Contracts)
	for _, c := range p.Contracts {
		p.Lines = append(p.Lines, contractLine(c, c.Commitments(), b.Now()))
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
	p.Budgets = b.Budgets(year)
	p.Chart = budgetBars(p.Budgets)
	return c.Show(w, r, "works_budgets.html", "Departments' budgets", "works", p)
}

func (c *Console) worksOrdersPage(w http.ResponseWriter, r *http.Request) error {
	b, p, err := c.worksPageData(r)
	if err != nil {
		return err
	}
	p.Orders = b.Orders()
	p.Contracts = b.Contracts()
	p.Depts = b.Budgets(period.YearOf(b.Now()))
	return c.Show(w, r, "works_orders.html", "Works orders", "works", p)
}

// ---- CSV ----

// writeTable sends a table with its header row as a CSV download.
func writeTable(w http.ResponseWriter, name string, head []string, rows [][]string) error {
	return httpx.WriteCSV(w, name, append([][]string{head}, rows...))
}

var plain = money.Plain

func (c *Console) worksContractsCSV(w http.ResponseWriter, r *http.Request) error {
	b, err := c.worksBook(r)
	if err != nil {
		return err
	}
	var rows [][]string
	for _, c := range b.Contracts() {
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
	b, err := c.worksBook(r)
	if err != nil {
		return err
	}
	var rows [][]string
	for _, c := range b.Contracts() {
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
	b, err := c.worksBook(r)
	if err != nil {
		return err
	}
	var rows [][]string
	for _, x := range b.Budgets(year) {
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
	b, err := c.worksBook(r)
	if err != nil {
		return err
	}
	var rows [][]string
	for _, o := range b.Orders() {
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
func contractBars(cs []works.ContractRow) template.HTML {
	var bars []bar
	for _, c := range cs {
		bars = append(bars, bar{c.Reference, c.ValuePence, c.SpentPence, c.CommittedPence})
	}
	return barChart(bars, "Each contract's value: spent, committed and remaining")
}

// budgetBars draws one bar per department with a budget.
func budgetBars(bs []works.BudgetRow) template.HTML {
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
func contractLine(c works.ContractRow, commitments []works.Commitment, now time.Time) template.HTML {
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
	cs := slices.Clone(commitments)
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
