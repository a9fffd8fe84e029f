package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The recharge's statement page and its CSV downloads: the statement of
// a quarter with its charts, the cameras' history and the monitoring
// categories, each as the user may see them (the finance service
// decides). The figures are changed through the API (static/finance.js).

// financeCaller is who makes the request, as the finance service takes
// them: the actor its audit records name, and their rights.
func financeCaller(r *http.Request) finance.Caller {
	c := finance.Caller{By: actor(r)}
	if a := accessOf(r); a != nil {
		c.P, c.Rights = a.P, a.Snap
	}
	return c
}

// mayManageFinance reports whether the user may change the partnership's
// figures, for the page to show its forms: the one rule for the
// recharge's, the trading company's and works' figures
// (finance.Caller.MayManage, rights.Snapshot.CanManageFinance).
func mayManageFinance(r *http.Request) bool { return financeCaller(r).MayManage() == nil }

// statementFor loads the statement of the request's period (?period=,
// default the current quarter), as the user may see it.
func (c *Console) statementFor(r *http.Request) (finance.Statement, error) {
	p, err := httpx.Period(r, c.now())
	if err != nil {
		return finance.Statement{}, err
	}
	st, err := c.opt.Finance.Statement(r.Context(), financeCaller(r), p)
	var fe *finance.FixedError
	switch {
	case errors.As(err, &fe):
		// The figures entered contradict each other: someone must
		// correct them, and the statement says which.
		return st, httpx.Errorf(http.StatusUnprocessableEntity, fe.Error(), err)
	case errors.Is(err, money.ErrOverflow):
		return st, httpx.Errorf(http.StatusUnprocessableEntity, fmt.Sprintf("the statement of %s cannot be worked out: %v; correct the figures entered", p, err), err)
	case err != nil:
		return st, httpx.Errorf(http.StatusInternalServerError, "the statement cannot be worked out", err)
	}
	return st, nil
}

func (c *Console) financeStatementCSV(w http.ResponseWriter, r *http.Request) error {
	st, err := c.statementFor(r)
	if err != nil {
		return err
	}
	return httpx.SendCSV(w, "statement-"+strings.ReplaceAll(st.Period.String(), "/", "-")+".csv", func(b *bytes.Buffer) error { return st.WriteCSV(b) })
}

// financeHistoryCSV exports the history of every camera whose owner's
// figures the user may read, in the columns the import reads (camera by
// id, so that it imports back; its name beside it for people).
func (c *Console) financeHistoryCSV(w http.ResponseWriter, r *http.Request) error {
	rows, err := c.opt.Finance.HistoryTable(r.Context(), financeCaller(r))
	if err != nil {
		return err
	}
	return httpx.WriteCSV(w, "camera-history.csv", rows)
}

// financeCategoriesCSV exports the monitoring categories and weights.
func (c *Console) financeCategoriesCSV(w http.ResponseWriter, r *http.Request) error {
	cats, err := c.opt.Finance.Categories(r.Context())
	if err != nil {
		return err
	}
	rows := [][]string{{"name", "title", "weight"}}
	for _, c := range cats {
		rows = append(rows, []string{c.Name, c.Title, c.Weight.String()})
	}
	return httpx.WriteCSV(w, "camera-categories.csv", rows)
}

// financeView is the statement page's data, formatted for people.
type financeView struct {
	Period, Query     string
	Prev, Next        string
	Periods           []string
	Days              int64
	Lines             []financeRowView
	Balance           financeRowView
	Partners          []financeRowView
	Total             financeRowView
	Warnings          []string
	Filtered          bool
	Editor            bool
	Categories        []finance.Category
	ShareChart        template.HTML
	BudgetChart       template.HTML
	Unit, FixedAmount string
	// Partnership names whose statement it is, and Printed is today: a
	// printed copy says both.
	Partnership, Printed string
}

type financeRowView struct {
	Name, Budget, Actuals, Estimate, Variance, Cameras, Share, Comment string
	Over                                                               bool // costs more than budgeted
}

func (c *Console) financePage(w http.ResponseWriter, r *http.Request) error {
	st, err := c.statementFor(r)
	if err != nil {
		return err
	}
	cats, err := c.opt.Finance.Categories(r.Context())
	if err != nil {
		return err
	}
	p := st.Period
	prev, next := p.Prev(), p.Next()
	v := financeView{Period: p.String(), Query: p.String(), Prev: prev.String(), Next: next.String(), Days: st.Days,
		Warnings: st.Warnings, Categories: cats, Editor: mayManageFinance(r),
		Unit: poundsShort(st.Unit), FixedAmount: poundsShort(st.Fixed), Printed: longDay(c.now())}
	if v.Partnership, err = c.partnershipName(r); err != nil {
		return err
	}
	for q := range 5 {
		v.Periods = append(v.Periods, period.Period{Year: p.Year, Quarter: q}.String())
	}
	line := func(l finance.Line) financeRowView {
		return financeRowView{Name: l.Name, Budget: accounts(l.Budget), Actuals: accounts(l.Actuals),
			Estimate: accounts(l.Estimate), Variance: accounts(l.Variance()), Comment: l.Comment, Over: l.Variance() > 0}
	}
	for _, l := range st.Lines {
		v.Lines = append(v.Lines, line(l))
	}
	v.Balance = line(st.Balance)
	partner := func(p finance.PartnerRow) financeRowView {
		return financeRowView{Name: p.Name, Budget: accounts(p.Budget), Estimate: accounts(p.Estimate),
			Variance: accounts(p.Variance), Cameras: p.Cameras.Decimal(2), Share: finance.Percent(p.ShareBP), Over: p.Variance > 0}
	}
	for _, p := range st.Partners {
		v.Partners = append(v.Partners, partner(p))
	}
	v.Total = partner(st.Total)
	// Whoever may not change the figures reads them for their own part of
	// the partnership only.
	v.Filtered = !v.Editor
	v.ShareChart = shareChart(st.Partners)
	v.BudgetChart = budgetChart(st.Partners)
	return c.Show(w, r, "finance.html", "Finance", "finance", v)
}

// accounts writes a statement's figure in whole pounds, a negative in
// brackets, as councils print their accounts: "(95,000)".
func accounts(p int64) string { return money.Accounting(p, money.Whole) }

// partnershipName is the name of the partnership, the organisation at the
// top of the tree, which the statement is of.
func (c *Console) partnershipName(r *http.Request) (string, error) {
	orgs, err := c.opt.Store.ListOrganisations(r.Context())
	if err != nil {
		return "", err
	}
	for _, o := range orgs {
		if o.ParentID == 0 && o.Kind == rights.KindPartnership {
			return o.Name, nil
		}
	}
	for _, o := range orgs {
		if o.ParentID == 0 {
			return o.Name, nil
		}
	}
	return "", nil
}

// shareChart draws each partner's share as a horizontal bar, in SVG made
// here: the console loads no chart library.
func shareChart(rows []finance.PartnerRow) template.HTML {
	const width, left, barH, gap = 640, 260, 18, 8
	var b strings.Builder
	h := len(rows)*(barH+gap) + gap
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="Share of the recharge by partner" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, width, h, width, h)
	for i, p := range rows {
		y := gap + i*(barH+gap)
		w := int(p.ShareBP * int64(width-left-70) / 10000)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="currentColor">%s</text>`, left-8, y+barH-5, template.HTMLEscapeString(p.Name))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#3b82c4"><title>%s: %s</title></rect>`, left, y, max(w, 1), barH,
			template.HTMLEscapeString(p.Name), finance.Percent(p.ShareBP))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="currentColor">%s</text>`, left+max(w, 1)+6, y+barH-5, finance.Percent(p.ShareBP))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// budgetChart draws each partner's budget beside its year-end estimate.
func budgetChart(rows []finance.PartnerRow) template.HTML {
	const width, left, barH, gap = 640, 260, 10, 10
	var most int64 = 1
	for _, p := range rows {
		most = max(most, abs64(p.Budget), abs64(p.Estimate))
	}
	var b strings.Builder
	h := len(rows)*(2*barH+gap) + gap + 20
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="Budget and estimate by partner" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, width, h, width, h)
	fmt.Fprintf(&b, `<rect x="%d" y="4" width="10" height="10" fill="#9aa5b1"/><text x="%d" y="13" font-size="11" fill="currentColor">budget</text>`, left, left+14)
	fmt.Fprintf(&b, `<rect x="%d" y="4" width="10" height="10" fill="#3b82c4"/><text x="%d" y="13" font-size="11" fill="currentColor">estimate</text>`, left+80, left+94)
	for i, p := range rows {
		y := 20 + gap + i*(2*barH+gap)
		scale := func(v int64) int { return max(int(abs64(v)*int64(width-left-90)/most), 1) }
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="currentColor">%s</text>`, left-8, y+barH+4, template.HTMLEscapeString(p.Name))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#9aa5b1"><title>budget £%s</title></rect>`, left, y, scale(p.Budget), barH, money.Whole(p.Budget))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#3b82c4"><title>estimate £%s</title></rect>`, left, y+barH, scale(p.Estimate), barH, money.Whole(p.Estimate))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="currentColor">£%s</text>`, left+max(scale(p.Budget), scale(p.Estimate))+6, y+barH+4, money.Whole(p.Estimate))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// poundsShort writes whole pounds without pence: £10, not £10.00.
func poundsShort(p int64) string {
	if p%100 == 0 {
		return money.Whole(p)
	}
	return money.Format(p)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
