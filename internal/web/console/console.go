// Package console serves the console's server-rendered pages: the
// templates, the static files (scripts, styles), the page handlers with
// their view models and charts, the CSV downloads beside the pages
// (/finance, /works, /trading), and the administration pages (/admin).
// It reads through the capabilities' services; the scripts change things through the JSON API (package web,
// which also runs the server: it lists the console's routes in its one
// table, signs users in and authorises each request before a page runs).
package console

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/localtime"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/trading"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
	"github.com/vigil-cctv/vigil/internal/works"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// staticVersion names this build's static files in their URLs.
var staticVersion = func() string {
	h := sha256.New()
	fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := staticFS.ReadFile(p)
			fmt.Fprintf(h, "%s %d\n", p, len(b))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

// Store is what the pages read from the store directly: the names of
// organisations and cameras (the audit page's filter) and the invoices a
// credit note and its original name.
type Store interface {
	ListOrganisations(ctx context.Context) ([]access.Organisation, error)
	ListCameras(ctx context.Context) ([]cameras.Camera, error)
	TradingInvoice(ctx context.Context, id int64) (trading.Invoice, error)
	// CameraStorage is the bytes each camera's footage takes.
	CameraStorage(ctx context.Context) (map[int64]int64, error)
	// The administration pages' groups and sharing agreements.
	ListCameraGroups(ctx context.Context) ([]access.CameraGroup, error)
	ListSharingAgreements(ctx context.Context) ([]access.SharingAgreement, error)
}

// Options are the services the pages read through.
type Options struct {
	Finance     *finance.Service
	Trading     *trading.Service
	Works       *works.Service
	Maintenance *maintenance.Service
	// Audit is the trail: its alarms, shown to those who may read it,
	// and the audit page's records.
	Audit *audit.Trail
	Store Store
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Zone is where people read times (localtime); nil: Europe/London.
	Zone *time.Location
}

// Console is the console's pages.
type Console struct {
	opt  Options
	tmpl *template.Template
	now  func() time.Time
}

// New parses the templates and builds the pages.
func New(opt Options) (*Console, error) {
	if opt.Finance == nil || opt.Trading == nil || opt.Works == nil || opt.Maintenance == nil || opt.Store == nil {
		return nil, errors.New("console: a service the pages read is missing")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Zone == nil {
		opt.Zone = localtime.London()
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{
		"static": func(name string) string { return "/static/" + staticVersion + "/" + name },
		// when is a time as a person reads it: local (GMT or BST), in a
		// <time> element with the UTC instant, which shows on hover.
		"when": func(v any) template.HTML {
			switch t := v.(type) {
			case time.Time:
				if !t.IsZero() {
					return localtime.HTML(t, opt.Zone)
				}
			case *time.Time:
				if t != nil && !t.IsZero() {
					return localtime.HTML(*t, opt.Zone)
				}
			}
			return "—"
		},
		// zone is the display zone's name, for the page's scripts.
		"zone":  func() string { return opt.Zone.String() },
		"bytes": bytesText,
	}).Funcs(worksFuncs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &Console{opt: opt, tmpl: tmpl, now: opt.Now}, nil
}

// Routes are the console's routes, each with what it asks of its caller;
// the server lists them in its one table, where they are checked and
// authorised as every other route is.
func (c *Console) Routes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "GET /static/", Public: true, H: c.static()},
		{Pattern: "GET /{$}", Anyone: true, Page: true, H: c.wall},
		{Pattern: "GET /playback", Need: rights.PlayBack, Page: true, H: c.playbackPage},
		{Pattern: "GET /map", Anyone: true, Page: true, H: c.mapPage},
		{Pattern: "GET /approvals", Anyone: true, Page: true, H: c.approvalsPage},
		{Pattern: "GET /audit", Need: rights.ReadAudit, Page: true, H: c.auditPage},
		// Maintenance: the page shows the fault form to anyone who sees
		// a camera, and the list and the report to those who may read
		// them (the handlers show the rest the refused page).
		{Pattern: "GET /maintenance", Anyone: true, Page: true, H: c.maintenancePage},
		{Pattern: "GET /maintenance/report", Anyone: true, Page: true, H: c.maintenanceReport},
		// The trading company, works and the recharge: read with
		// read_finance, each page scoped to what the user may see.
		{Pattern: "GET /trading", Need: rights.ReadFinance, Page: true, H: c.tradingPage},
		{Pattern: "GET /trading/invoices/{id}", Need: rights.ReadFinance, Page: true, H: c.invoicePage},
		{Pattern: "GET /works", Need: rights.ReadFinance, Page: true, H: c.worksContractsPage},
		{Pattern: "GET /works/budgets", Need: rights.ReadFinance, Page: true, H: c.worksBudgetsPage},
		{Pattern: "GET /works/orders", Need: rights.ReadFinance, Page: true, H: c.worksOrdersPage},
		{Pattern: "GET /works/contracts.csv", Need: rights.ReadFinance, H: c.worksContractsCSV},
		{Pattern: "GET /works/allowances.csv", Need: rights.ReadFinance, H: c.worksAllowancesCSV},
		{Pattern: "GET /works/budgets.csv", Need: rights.ReadFinance, H: c.worksBudgetsCSV},
		{Pattern: "GET /works/orders.csv", Need: rights.ReadFinance, H: c.worksOrdersCSV},
		{Pattern: "GET /finance", Need: rights.ReadFinance, Page: true, H: c.financePage},
		{Pattern: "GET /finance/statement.csv", Need: rights.ReadFinance, H: c.financeStatementCSV},
		{Pattern: "GET /finance/history.csv", Need: rights.ReadFinance, H: c.financeHistoryCSV},
		{Pattern: "GET /finance/categories.csv", Need: rights.ReadFinance, H: c.financeCategoriesCSV},
		// Administration, cameras (admincams): for those who manage
		// cameras, each row one they manage.
		{Pattern: "GET /admin/cameras", Need: rights.ManageCameras, Page: true, H: c.adminCamerasPage},
		// Administration: camera groups, sharing agreements and four-eyes
		// policies (admin_share.go).
		{Pattern: "GET /admin/groups", Need: rights.ManageCameras, Page: true, H: c.adminGroupsPage},
		{Pattern: "GET /admin/sharing", Need: rights.ManageCameras, Page: true, H: c.adminSharingPage},
		{Pattern: "GET /admin/four-eyes", Need: rights.ManageUsers, Page: true, H: c.adminFourEyesPage},
		// Administration: people and organisations (admin_people.go),
		// for those who manage users.
		{Pattern: "GET /admin/people", Need: rights.ManageUsers, Page: true, H: c.adminPeoplePage},
		{Pattern: "GET /admin/organisations", Need: rights.ManageUsers, Page: true, H: c.adminOrganisationsPage},
	}
}

// static serves /static/VERSION/file: the version is a hash of every
// static file, so a page of this build loads this build's scripts (and
// their relative imports) and a browser may keep them for good; any other
// version is looked up afresh.
func (c *Console) static() httpx.HandlerFunc {
	sub, _ := fs.Sub(staticFS, "static")
	fileServer := http.FileServerFS(sub)
	return func(w http.ResponseWriter, r *http.Request) error {
		rest := strings.TrimPrefix(r.URL.Path, "/static/")
		ver, file, ok := strings.Cut(rest, "/")
		if !ok {
			file = rest
		}
		if ok && ver == staticVersion {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + file
		fileServer.ServeHTTP(w, r2)
		return nil
	}
}

// accessOf is the request's signed-in user and rights, which the server
// put in its context before the page ran.
func accessOf(r *http.Request) *httpx.Access { return httpx.AccessOf(r.Context()) }

// actor is the signed-in user of r as the trail names them.
func actor(r *http.Request) auditlog.Actor { return httpx.Actor(r) }
