package console

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The maintenance pages: the faults with the form that reports one, the
// cameras' availability, and the contractor's printable report of a
// quarter (package maintenance decides who may read and do what).

// maintCaller is the signed-in user as the maintenance service knows
// them: who the audit records name, and their rights.
func maintCaller(r *http.Request) maintenance.Caller {
	a := accessOf(r)
	return maintenance.Caller{By: actor(r), Principal: a.P, Rights: a.Snap}
}

// report builds the contractor's report of ?quarter= (this quarter by
// default) over the cameras of the user's scope.
func (c *Console) report(r *http.Request) (maintenance.Report, maintenance.View, error) {
	q := period.Of(c.now().UTC())
	if v := r.URL.Query().Get("quarter"); v != "" {
		var err error
		if q, err = period.ParseQuarter(v); err != nil {
			return maintenance.Report{}, maintenance.View{}, httpx.BadRequest(err.Error())
		}
	}
	mc := maintCaller(r)
	v, err := c.opt.Maintenance.View(r.Context(), mc)
	if err != nil {
		return maintenance.Report{}, maintenance.View{}, err
	}
	rep, err := c.opt.Maintenance.Report(r.Context(), mc, v, q)
	return rep, v, httpx.FromProblem(err)
}

type faultRow struct {
	ID             int64
	CameraID       int64
	Camera         string
	Kind           string
	Priority       string
	State          string
	Description    string
	Automatic      bool
	OutageID       int64
	Contractor     string
	RaisedAt       time.Time
	RaisedBy       string
	ResponseDue    time.Time
	FixDue         time.Time
	AcknowledgedAt *time.Time
	AcknowledgedBy string
	FixedAt        *time.Time
	FixedBy        string
	ClosedAt       *time.Time
	ClosedBy       string
	Note           string
	Response       maintenance.Outcome
	Fix            maintenance.Outcome
}

func faultRowOf(v maintenance.View, f maintenance.Fault, now time.Time) faultRow {
	g := maintenance.Measure(f, now)
	return faultRow{
		ID: f.ID, CameraID: f.CameraID, Camera: v.CameraName(f.CameraID), Kind: f.Kind, Priority: f.Priority, State: f.State,
		Description: f.Description, Automatic: f.Automatic, OutageID: f.OutageID, Contractor: v.ContractorName(f.ContractorID),
		RaisedAt: f.RaisedAt, RaisedBy: f.RaisedBy, ResponseDue: f.ResponseDue, FixDue: f.FixDue,
		AcknowledgedAt: f.AcknowledgedAt, AcknowledgedBy: f.AcknowledgedBy, FixedAt: f.FixedAt, FixedBy: f.FixedBy,
		ClosedAt: f.ClosedAt, ClosedBy: f.ClosedBy, Note: f.Note, Response: g.Response, Fix: g.Fix,
	}
}

func faultRows(v maintenance.View, fs []maintenance.Fault, now time.Time) []faultRow {
	out := []faultRow{}
	for _, f := range fs {
		out = append(out, faultRowOf(v, f, now))
	}
	return out
}

// faultFilter reads ?open=1&camera=N&limit=N.
// maintenancePage lists faults and lets anyone who sees a camera report
// one; the list is shown to those who may read it.
func (c *Console) maintenancePage(w http.ResponseWriter, r *http.Request) error {
	a := accessOf(r)
	if !permissionsOf(a.P).Maintenance {
		// What permissions.Maintenance asks: any camera action, or
		// reading the figures.
		return c.Refused(w, r, a, append(rights.Footage.List(), rights.ManageCameras, rights.ReadFinance)...)
	}
	now := c.now()
	mc := maintCaller(r)
	opts, err := c.opt.Maintenance.Reportable(r.Context(), mc)
	if err != nil {
		return err
	}
	manage := map[int64]bool{}
	for _, o := range opts {
		manage[o.ID] = o.Manage
	}
	data := struct {
		Cameras    []maintenance.CameraChoice
		Kinds      []string
		Priorities []string
		Reads      bool
		Open, Past faultTable
		Quarter    string
		Targets    []targetRow
		// Availability over ?from=&to= (the last 30 days by default).
		From, To     string
		Availability []maintenance.Availability
		Estate       maintenance.Availability
	}{Cameras: opts, Kinds: maintenance.FaultKinds, Priorities: maintenance.Priorities, Reads: maintenance.Reads(a.P),
		Open:    faultTable{ID: "faults-open", Manage: manage, Priorities: maintenance.Priorities},
		Past:    faultTable{ID: "faults-closed", Manage: manage, Priorities: maintenance.Priorities},
		Quarter: period.Of(now).String()}
	for _, p := range maintenance.Priorities {
		t, _ := c.opt.Maintenance.Policy().Target(p)
		data.Targets = append(data.Targets, targetRow{p, maintenance.Hours(t.Response), maintenance.Hours(t.Fix)})
	}
	if data.Reads {
		v, err := c.opt.Maintenance.View(r.Context(), mc)
		if err != nil {
			return err
		}
		fs, err := c.opt.Maintenance.Faults(r.Context(), mc, v, maintenance.FaultFilter{Limit: 500})
		if err != nil {
			return httpx.FromProblem(err)
		}
		from, to, err := httpx.FromTo(r, now)
		if err != nil {
			return err
		}
		a, err := c.opt.Maintenance.Availability(r.Context(), mc, v, from, to)
		if err != nil {
			return httpx.FromProblem(err)
		}
		data.Availability, data.Estate = a.Cameras, a.Estate
		data.From, data.To = from.Format(time.DateOnly), to.Format(time.DateOnly)
		for _, f := range faultRows(v, fs, now) {
			if f.State == maintenance.FaultClosed {
				data.Past.Faults = append(data.Past.Faults, f)
			} else {
				data.Open.Faults = append(data.Open.Faults, f)
			}
		}
	}
	return c.Show(w, r, "maintenance.html", "Maintenance", "maintenance", data)
}

type targetRow struct{ Priority, Response, Fix string }

// faultTable is one table of faults on the maintenance page.
type faultTable struct {
	ID         string
	Faults     []faultRow
	Manage     map[int64]bool // cameras whose faults the user may move on
	Priorities []string
}

// maintenanceReport is the printable contractor's report of a quarter.
func (c *Console) maintenanceReport(w http.ResponseWriter, r *http.Request) error {
	a := accessOf(r)
	if !maintenance.Reads(a.P) {
		return c.Refused(w, r, a, rights.ManageCameras, rights.ReadFinance)
	}
	rep, _, err := c.report(r)
	if err != nil {
		return err
	}
	data := struct {
		maintenance.Report
		Q, Prev, Next string
		Chart         template.HTML
		Worst         []maintenance.Availability
	}{Report: rep, Q: rep.Quarter.String(), Prev: rep.Quarter.Prev().String(), Next: rep.Quarter.Next().String(), Chart: performanceChart(rep)}
	return c.Show(w, r, "maintenance_report.html", "Maintenance report "+data.Q, "maintenance", data)
}

// performanceChart draws, per priority, the share of responses and of
// fixes within target, as bars out of 100%.
func performanceChart(rep maintenance.Report) template.HTML {
	const w, h, left, bottom, top = 560, 220, 40, 30, 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="Share of responses and fixes within target, by priority" class="chart">`, w, h, w, h)
	plot := float64(h - bottom - top)
	for _, pct := range []int{0, 50, 100} {
		y := float64(top) + plot*(1-float64(pct)/100)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#888" stroke-width="0.5"/><text x="%d" y="%.1f" font-size="10" text-anchor="end" fill="currentColor">%d%%</text>`,
			left, y, w-10, y, left-4, y+3, pct)
	}
	groups := slices.Clone(rep.Priorities)
	gw := float64(w-left-10) / float64(max(len(groups), 1))
	for i, p := range groups {
		x := float64(left) + gw*float64(i)
		for j, v := range []struct {
			basis int64
			fill  string
			what  string
		}{{p.ResponseBasis(), "#4a90d9", "response"}, {p.FixBasis(), "#e0a030", "fix"}} {
			bx := x + gw*0.15 + float64(j)*gw*0.35
			if v.basis < 0 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="currentColor">n/a</text>`, bx, float64(top)+plot-2)
				continue
			}
			bh := plot * float64(v.basis) / 10000
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s within target: %d.%02d%%</title></rect>`,
				bx, float64(top)+plot-bh, gw*0.3, bh, v.fill, template.HTMLEscapeString(p.Priority), v.what, v.basis/100, v.basis%100)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="currentColor">%s (%d)</text>`,
			x+gw/2, h-bottom+14, template.HTMLEscapeString(p.Priority), p.Raised)
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="#4a90d9"/><text x="%d" y="%d" font-size="10" fill="currentColor">response</text>`, left, h-12, left+14, h-3)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="#e0a030"/><text x="%d" y="%d" font-size="10" fill="currentColor">fix</text>`, left+80, h-12, left+94, h-3)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
