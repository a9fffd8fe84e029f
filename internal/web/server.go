// Package web is Vigil's HTTP server and its JSON API: the route table,
// the middleware (sign-in, authorisation, CSRF, deadlines), the sign-in
// flows, and the API's handlers. The console's pages are package
// web/console, whose routes join the table. Every route is listed in
// table; every handler returns an *Error instead of writing failures
// itself, and every request for footage is written to the audit trail
// before a byte of video is sent.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/footage"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/netpolicy"
	"github.com/vigil-cctv/vigil/internal/playback"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/secret"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/trading"
	"github.com/vigil-cctv/vigil/internal/web/console"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
	"github.com/vigil-cctv/vigil/internal/works"
)

// Cameras is what the server needs of the running cameras.
type Cameras interface {
	// Status is a camera's state; ok is false when it is not running.
	Status(id int64) (ingest.Status, bool)
	// Hub is a running camera's live view hub.
	Hub(id int64) (*live.Hub, bool)
	// TranscodedHub is the hub of a running H.265 camera's H.264 view,
	// for browsers that cannot play H.265, started on demand; it fails
	// with transcode.ErrDisabled or ErrNotInstalled when the server has
	// no transcoder.
	TranscodedHub(ctx context.Context, id int64) (*live.Hub, error)
	// Recording is what a running camera's recorder has written.
	Recording(id int64) (recording.Stats, bool)
	// Apply starts, restarts or stops recording to match the row.
	Apply(ctx context.Context, cam cameras.Camera) error
	// Stop stops recording a camera.
	Stop(id int64)
}

// Options configure a Server.
type Options struct {
	Store *store.Store
	Audit *audit.Trail
	// Changes commits a change and its audit record together.
	Changes       *audit.Outbox
	Cameras       Cameras
	Clips         *playback.Builder
	Eraser        *recording.Eraser // deletes footage early; nil: refused
	Secrets       *secret.Box
	Gatherer      prometheus.Gatherer
	Logger        *slog.Logger
	RetentionDays int
	// PlaybackDelay is how old footage must be before someone without
	// the right to view a camera live may play it back; 0: no delay.
	PlaybackDelay time.Duration
	// TLS says the server is reached over HTTPS: cookies are marked
	// Secure and browsers are told to use nothing else (HSTS).
	TLS bool
	// SignIn says how long sign-ins last and how failures are slowed.
	SignIn SignInOptions
	// OIDC is single sign-on through an OpenID provider; off while its
	// Issuer is empty.
	OIDC config.OIDC
	// LiveHosts are the addresses offered to browsers for WebRTC (ICE
	// host candidates); empty means every interface.
	LiveHosts []string
	// MapOutline is the path of a GeoJSON file drawn behind the camera
	// map; empty: none.
	MapOutline string
	// RightsRecheck is how often, at most, the server asks the database
	// whether rights were changed outside it (by another server on the
	// same database, or the command line); 0: rights.DefaultRecheck.
	RightsRecheck time.Duration
	// Maintenance is how faults are prioritised and assigned.
	Maintenance maintenance.Policy
	// CameraAddresses is where cameras may be: a camera URL whose host
	// it refuses is refused (nil: the built-in policy, no loopback).
	CameraAddresses *netpolicy.Policy
	// WriteTimeout is the HTTP server's write timeout: for footage
	// downloads and other long responses, the longest a client may stall
	// (deadlines.go); 0: none.
	WriteTimeout time.Duration
	// Income is the trading company's ledger, from which the statement's
	// company income line takes its actuals; nil: as entered.
	Income finance.IncomeSource
}

// Server is Vigil's HTTP handler.
type Server struct {
	opt  Options
	st   *store.Store
	log  *slog.Logger
	mux  *http.ServeMux
	now  func() time.Time
	whep *live.WHEP
	live liveViews
	ws   wsSessions
	sso  oidcClient
	// id is the service of users, sessions and tokens.
	id *identity.Service

	rights *rights.Cache
	// The capabilities' services. finance is the recharge's: the
	// statement, its figures and who may change them (finance.go); maint
	// keeps the maintenance record: faults, outages, availability.
	finance    *finance.Service
	tradingSvc *trading.Service
	worksSvc   *works.Service
	maint      *maintenance.Service
	// accessSvc and approvalSvc change who may see what, and decide
	// requests for a second person's approval (approvals.go).
	accessSvc   *access.Service
	approvalSvc *approvals.Service[*store.Store]
	// cams changes cameras, each change with its audit record; layouts
	// keeps each person's video wall layouts.
	cams    *cameras.Service
	layouts *cameras.Layouts
	// console serves the console's pages, whose routes are in table.
	console *console.Console
	// footage decides who may play back, export and delete which
	// footage, and audits it (footage.go, erasure.go).
	footage *footage.Service

	// review ends live views whose viewer's right has lapsed.
	reviewStop context.CancelFunc
	reviewDone chan struct{}
}

// New builds the server and its routes.
func New(opt Options) (*Server, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	opt.SignIn.fill()
	if opt.Secrets == nil {
		return nil, errors.New("web: no secret box to seal second-factor keys with")
	}
	var err error
	if opt.Changes, err = defaultChanges(opt); err != nil {
		return nil, err
	}
	s := &Server{opt: opt, st: opt.Store, log: opt.Logger, mux: http.NewServeMux(), now: time.Now}
	clock := func() time.Time { return s.now() }
	s.tradingSvc = trading.New(s.st, changerFor[trading.Repo](opt.Changes, s.st), clock, opt.Logger.With("component", "trading"))
	s.worksSvc = works.New(s.st, changerFor[works.Repo](opt.Changes, s.st), clock)
	s.live.sessions = map[string]liveView{}
	s.sso.flows = map[string]oidcFlow{}
	s.newIdentity()
	s.ws.ctx, s.ws.cancel = context.WithCancel(context.Background())
	s.cams = cameras.New(opt.Store, changerFor[cameras.Repo](opt.Changes, s.st), cameras.Options{
		Secrets: opt.Secrets, Addresses: opt.CameraAddresses, Running: opt.Cameras, RetentionDays: opt.RetentionDays,
		Now: func() time.Time { return s.now() }, Logger: opt.Logger, Organisations: cameraOrgs{opt.Store},
	})
	s.layouts = cameras.NewLayouts(opt.Store)
	s.rights = rights.NewCache(s.st.RightsData, s.st.RightsVersion, opt.RightsRecheck, opt.Logger.With("component", "rights"))
	s.finance = finance.New(s.st, changerFor[finance.Repo](opt.Changes, s.st), opt.Income)
	s.maint = maintenance.NewService(s.st, maintenance.Change(changerFor[maintenance.Repo](opt.Changes, s.st)), opt.Maintenance, func() time.Time { return s.now() })
	s.console, err = console.New(console.Options{
		Finance: s.finance, Trading: s.tradingSvc, Works: s.worksSvc, Maintenance: s.maint,
		Audit: opt.Audit, Store: opt.Store, Now: clock,
	})
	if err != nil {
		return nil, err
	}
	if err := s.initAccess(); err != nil {
		return nil, err
	}
	s.newFootage()
	s.whep, err = live.NewWHEP(live.WHEPOptions{HostIPs: opt.LiveHosts, OnEnd: s.liveEnded, Logger: opt.Logger.With("component", "live")})
	if err != nil {
		return nil, err
	}
	if err := s.routes(); err != nil {
		s.whep.Close()
		return nil, err
	}
	s.startReview()
	return s, nil
}

// route is one entry of the route table: who may call it is part of it.
// Every route is public, open to anyone signed in, or needs a right that
// one of the caller's roles must hold; a route that says none of these
// is refused at start-up, so no route slips through unchecked.
type route struct {
	pattern string
	public  bool          // no sign-in needed
	anyone  bool          // any signed-in user; the handler scopes what they see
	need    rights.Action // a right one of the user's roles must hold; the handler decides for the thing asked about
	page    bool          // a console page: a user without the right is sent home rather than refused
	// setup routes answer a signed-in user who still owes a setup step
	// (a forced password change, a second factor to add); every other
	// route sends them there first.
	setup bool
	// long routes outlast the server's read and write timeouts
	// (deadlines.go).
	long longLived
	h    handlerFunc
}

// Routes lists every route the server registers, for tests that must
// cover them all.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.table() {
		out = append(out, r.pattern)
	}
	return out
}

func (s *Server) table() []route {
	return append([]route{
		{pattern: "GET /healthz", public: true, h: s.healthz},
		{pattern: "GET /login", public: true, h: s.loginPage},
		{pattern: "POST /login", public: true, h: s.login},
		{pattern: "GET /login/totp", public: true, h: s.totpPage},
		{pattern: "POST /login/totp", public: true, h: s.loginTOTP},
		{pattern: "GET /login/oidc", public: true, h: s.oidcStart},
		{pattern: "GET /login/oidc/callback", public: true, h: s.oidcCallback},
		// One's own account: open to anyone signed in, whatever their
		// roles.
		{pattern: "POST /logout", anyone: true, setup: true, h: s.logout},
		{pattern: "GET /password", anyone: true, setup: true, h: s.passwordPage},
		{pattern: "POST /password", anyone: true, setup: true, h: s.changePassword},
		{pattern: "GET /account/totp", anyone: true, setup: true, h: s.totpEnrolPage},
		{pattern: "POST /account/totp", anyone: true, setup: true, h: s.totpEnrol},
		{pattern: "GET /account", anyone: true, page: true, h: s.accountPage},
		{pattern: "POST /account/revoke", anyone: true, h: s.accountRevoke},
		{pattern: "POST /account/tokens", anyone: true, h: s.accountToken},
		{pattern: "GET /api/v1/sessions", anyone: true, h: s.listSessions},
		{pattern: "DELETE /api/v1/sessions/{id}", anyone: true, h: s.deleteOwn(identity.TokenSession)},
		{pattern: "GET /api/v1/tokens", anyone: true, h: s.listTokens},
		{pattern: "POST /api/v1/tokens", anyone: true, h: s.createToken},
		{pattern: "DELETE /api/v1/tokens/{id}", anyone: true, h: s.deleteOwn(identity.TokenAPI)},
		// Another user's sessions: for those who manage that user.
		{pattern: "GET /api/v1/users/{id}/sessions", need: rights.ManageUsers, h: s.userSessions},
		{pattern: "DELETE /api/v1/users/{id}/sessions", need: rights.ManageUsers, h: s.userSessions},
		{pattern: "GET /metrics", need: rights.ManageCameras, h: s.metrics},
		{pattern: "GET /api/v1/me", anyone: true, h: s.me},
		{pattern: "GET /api/v1/roles", anyone: true, h: s.listRoles},
		{pattern: "GET /api/v1/cameras", anyone: true, h: s.listCameras},
		{pattern: "POST /api/v1/cameras", need: rights.ManageCameras, h: s.createCamera},
		{pattern: "GET /api/v1/cameras/{id}", anyone: true, h: s.getCamera},
		{pattern: "PATCH /api/v1/cameras/{id}", need: rights.ManageCameras, h: s.patchCamera},
		{pattern: "DELETE /api/v1/cameras/{id}", need: rights.ManageCameras, h: s.deleteCamera},
		{pattern: "GET /api/v1/cameras/{id}/recordings", need: rights.PlayBack, h: s.recordings},
		{pattern: "GET /api/v1/cameras/{id}/video.mp4", need: rights.PlayBack, long: flowing, h: s.video},
		// Early deletion of footage (erasure.go), under four eyes where
		// the camera's organisation asks for it.
		{pattern: "POST /api/v1/cameras/{id}/deletions", need: rights.ManageCameras, h: s.requestDeletion},
		{pattern: "POST /api/v1/cameras/{id}/whep", need: rights.ViewLive, h: s.whepOffer},
		{pattern: "PATCH /api/v1/cameras/{id}/whep/{session}", need: rights.ViewLive, h: s.whepPatch},
		// Ending one's own live view is always allowed, rights or not.
		{pattern: "DELETE /api/v1/cameras/{id}/whep/{session}", anyone: true, h: s.whepDelete},
		{pattern: "GET /api/v1/cameras/{id}/live.ws", need: rights.ViewLive, long: socket, h: s.liveWS},
		{pattern: "GET /api/v1/layouts", anyone: true, h: s.listLayouts},
		{pattern: "GET /api/v1/layouts/{name}", anyone: true, h: s.getLayout},
		{pattern: "PUT /api/v1/layouts/{name}", anyone: true, h: s.putLayout},
		{pattern: "DELETE /api/v1/layouts/{name}", anyone: true, h: s.deleteLayout},
		{pattern: "GET /api/v1/map/outline", anyone: true, h: s.mapOutline},
		{pattern: "GET /api/v1/organisations", anyone: true, h: s.listOrganisations},
		{pattern: "POST /api/v1/organisations", need: rights.ManageUsers, h: s.createOrganisation},
		{pattern: "GET /api/v1/organisations/{id}", anyone: true, h: s.getOrganisation},
		{pattern: "PATCH /api/v1/organisations/{id}", need: rights.ManageUsers, h: s.patchOrganisation},
		{pattern: "PUT /api/v1/organisations/{id}/four-eyes", need: rights.ManageUsers, h: s.putFourEyes},
		{pattern: "GET /api/v1/users", need: rights.ManageUsers, h: s.listUsers},
		{pattern: "POST /api/v1/users", need: rights.ManageUsers, h: s.createUser},
		{pattern: "GET /api/v1/users/{id}", need: rights.ManageUsers, h: s.getUser},
		{pattern: "DELETE /api/v1/users/{id}", need: rights.ManageUsers, h: s.deleteUser},
		{pattern: "PUT /api/v1/users/{id}/roles", need: rights.ManageUsers, h: s.putUserRoles},
		{pattern: "GET /api/v1/camera-groups", need: rights.ManageCameras, h: s.listGroups},
		{pattern: "POST /api/v1/camera-groups", need: rights.ManageCameras, h: s.createGroup},
		{pattern: "GET /api/v1/camera-groups/{id}", need: rights.ManageCameras, h: s.getGroup},
		{pattern: "PUT /api/v1/camera-groups/{id}", need: rights.ManageCameras, h: s.putGroup},
		{pattern: "DELETE /api/v1/camera-groups/{id}", need: rights.ManageCameras, h: s.deleteGroup},
		{pattern: "GET /api/v1/sharing-agreements", anyone: true, h: s.listAgreements},
		{pattern: "POST /api/v1/sharing-agreements", need: rights.ManageCameras, h: s.createAgreement},
		{pattern: "GET /api/v1/sharing-agreements/{id}", anyone: true, h: s.getAgreement},
		{pattern: "PATCH /api/v1/sharing-agreements/{id}", need: rights.ManageCameras, h: s.patchAgreement},
		{pattern: "POST /api/v1/sharing-agreements/{id}/incident", need: rights.ViewLive, h: s.agreementIncident},
		{pattern: "GET /api/v1/approvals", anyone: true, h: s.listApprovals},
		{pattern: "POST /api/v1/approvals", need: rights.Export, h: s.requestExport},
		{pattern: "GET /api/v1/approvals/{id}", anyone: true, h: s.getApproval},
		{pattern: "POST /api/v1/approvals/{id}/approve", anyone: true, h: s.approve},
		{pattern: "POST /api/v1/approvals/{id}/reject", anyone: true, h: s.reject},
		{pattern: "GET /api/v1/audit", need: rights.ReadAudit, long: flowing, h: s.listAudit},
		// Maintenance (maintenance.go): faults are reported by anyone who
		// sees the camera; the list, availability and the contractor's
		// report are scoped by the handlers to those who manage cameras or
		// read the figures; the contractor's progress is managing cameras.
		{pattern: "GET /api/v1/maintenance/faults", anyone: true, h: s.listFaults},
		{pattern: "POST /api/v1/maintenance/faults", anyone: true, h: s.raiseFault},
		{pattern: "GET /api/v1/maintenance/faults/{id}", anyone: true, h: s.getFault},
		{pattern: "PATCH /api/v1/maintenance/faults/{id}", need: rights.ManageCameras, h: s.patchFault},
		{pattern: "GET /api/v1/maintenance/availability", anyone: true, h: s.availability},
		{pattern: "GET /api/v1/maintenance/report", anyone: true, h: s.reportAPI},
		// The trading company: read with read finance, for the customers
		// in one's scope; changes need manage_finance at the partnership
		// itself, which the trading service decides.
		{pattern: "GET /api/v1/trading/settings", need: rights.ReadFinance, h: s.getTradingSettings},
		{pattern: "PUT /api/v1/trading/settings", need: rights.ReadFinance, h: s.putTradingSettings},
		{pattern: "PUT /api/v1/trading/customers/{id}/address", need: rights.ReadFinance, h: s.putCustomerAddress},
		{pattern: "GET /api/v1/trading/subscriptions", need: rights.ReadFinance, h: s.listSubscriptions},
		{pattern: "POST /api/v1/trading/subscriptions", need: rights.ReadFinance, h: s.createSubscription},
		{pattern: "PATCH /api/v1/trading/subscriptions/{id}", need: rights.ReadFinance, h: s.patchSubscription},
		{pattern: "POST /api/v1/trading/subscriptions/{id}/units", need: rights.ReadFinance, h: s.setSubscriptionUnits},
		{pattern: "GET /api/v1/trading/charges", need: rights.ReadFinance, h: s.listCharges},
		{pattern: "POST /api/v1/trading/charges", need: rights.ReadFinance, h: s.createCharge},
		{pattern: "GET /api/v1/trading/invoices", need: rights.ReadFinance, h: s.listInvoices},
		{pattern: "POST /api/v1/trading/invoices", need: rights.ReadFinance, h: s.issueInvoices},
		{pattern: "GET /api/v1/trading/invoices.csv", need: rights.ReadFinance, h: s.invoicesCSV},
		{pattern: "GET /api/v1/trading/invoices/{id}", need: rights.ReadFinance, h: s.getInvoice},
		{pattern: "GET /api/v1/trading/invoices/{id}/csv", need: rights.ReadFinance, h: s.invoiceCSV},
		{pattern: "POST /api/v1/trading/invoices/{id}/credit", need: rights.ReadFinance, h: s.creditInvoice},
		// Works contracts, departments' budgets and works orders
		// (works.go): read within one's scope, changed at the partnership
		// (manage_finance, which the works service decides).
		{pattern: "GET /api/v1/works/contracts", need: rights.ReadFinance, h: s.listWorksContracts},
		{pattern: "POST /api/v1/works/contracts", need: rights.ReadFinance, h: s.createWorksContract},
		{pattern: "GET /api/v1/works/contracts/{id}", need: rights.ReadFinance, h: s.getWorksContract},
		{pattern: "GET /api/v1/works/budgets", need: rights.ReadFinance, h: s.listWorksBudgets},
		{pattern: "PUT /api/v1/works/budgets", need: rights.ReadFinance, h: s.putWorksBudget},
		{pattern: "POST /api/v1/works/budgets/import", need: rights.ReadFinance, h: s.importWorksBudgets},
		{pattern: "GET /api/v1/works/orders", need: rights.ReadFinance, h: s.listWorksOrders},
		{pattern: "POST /api/v1/works/orders", need: rights.ReadFinance, h: s.raiseWorksOrder},
		{pattern: "GET /api/v1/works/orders/{id}", need: rights.ReadFinance, h: s.getWorksOrder},
		{pattern: "POST /api/v1/works/orders/{id}/quote", need: rights.ReadFinance, h: s.stepWorksOrder(works.Quoted)},
		{pattern: "POST /api/v1/works/orders/{id}/approve", need: rights.ReadFinance, h: s.stepWorksOrder(works.Approved)},
		{pattern: "POST /api/v1/works/orders/{id}/complete", need: rights.ReadFinance, h: s.stepWorksOrder(works.Completed)},
		{pattern: "POST /api/v1/works/orders/{id}/cancel", need: rights.ReadFinance, h: s.stepWorksOrder(works.Cancelled)},
		// The recharge (finance.go): read by those who read figures,
		// each seeing their own organisation's; changed only with
		// manage_finance at the partnership itself (the finance service
		// decides). Their pages and CSV downloads are the console's.
		{pattern: "GET /api/v1/finance/statement", need: rights.ReadFinance, h: s.financeStatement},
		{pattern: "GET /api/v1/finance/categories", need: rights.ReadFinance, h: s.financeCategories},
		{pattern: "PUT /api/v1/finance/categories/{name}", need: rights.ReadFinance, h: s.putFinanceCategory},
		{pattern: "GET /api/v1/finance/lines", need: rights.ReadFinance, h: s.financeLines},
		{pattern: "PUT /api/v1/finance/lines", need: rights.ReadFinance, h: s.putFinanceLines},
		{pattern: "GET /api/v1/finance/budgets", need: rights.ReadFinance, h: s.financeBudgets},
		{pattern: "PUT /api/v1/finance/budgets", need: rights.ReadFinance, h: s.putFinanceBudgets},
		{pattern: "GET /api/v1/finance/cameras/{id}/history", need: rights.ReadFinance, h: s.cameraHistory},
		{pattern: "POST /api/v1/finance/cameras/{id}/history", need: rights.ReadFinance, h: s.addCameraHistory},
		{pattern: "DELETE /api/v1/finance/cameras/{id}/history/{event}", need: rights.ReadFinance, h: s.deleteCameraHistory},
		{pattern: "POST /api/v1/finance/import/{kind}", need: rights.ReadFinance, h: s.importFinance},
	}, s.consoleRoutes()...)
}

// consoleRoutes are the console's pages and their CSV downloads
// (web/console), each with what the console says it asks of its caller;
// they join the table, so they are checked at start and authorised like
// every other route.
func (s *Server) consoleRoutes() []route {
	var out []route
	for _, r := range s.console.Routes() {
		out = append(out, route{pattern: r.Pattern, public: r.Public, anyone: r.Anyone, need: r.Need, page: r.Page, h: r.H})
	}
	return out
}

// RouteAccess is what a route asks of its caller, for tests and
// documentation: "public", "anyone" (signed in) or the right one of the
// caller's roles must hold.
func (s *Server) RouteAccess() map[string]string {
	out := map[string]string{}
	for _, r := range s.table() {
		switch {
		case r.public:
			out[r.pattern] = "public"
		case r.anyone:
			out[r.pattern] = "anyone"
		default:
			out[r.pattern] = string(r.need)
		}
	}
	return out
}

func (s *Server) routes() error {
	for _, rt := range s.table() {
		h := rt.h
		n := 0
		for _, set := range []bool{rt.public, rt.anyone, rt.need != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("web: route %q must be exactly one of public, anyone or need a right", rt.pattern)
		}
		if _, ok := rights.ParseAction(string(rt.need)); rt.need != "" && !ok {
			return fmt.Errorf("web: route %q needs the unknown right %q", rt.pattern, rt.need)
		}
		h = s.outlast(rt.long, h)
		if !rt.public {
			h = s.requireUser(s.authorise(rt, h), rt.setup)
		}
		s.mux.Handle(rt.pattern, s.wrap(h))
	}
	// Anything else: a JSON 404 for the API, rather than the mux's text.
	s.mux.Handle("/", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, "no such page or API route: "+r.Method+" "+r.URL.Path, nil)
	}))
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.opt.TLS {
		// Once a browser has seen the console over HTTPS, it never again
		// sends a password or a session cookie in the clear to it.
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

type ctxKey int

// sessionKey is the id of the console session a request came with; the
// user and the CSRF token are carried through httpx, for the console's
// pages to read too.
const sessionKey ctxKey = iota

// userFrom returns the signed-in user of a request.
func userFrom(ctx context.Context) identity.User { return httpx.User(ctx) }

const sessionCookie = "vigil_session"

// requireUser admits requests that carry a valid API token (Authorization:
// Bearer) or session cookie, and answers 401 to the rest; pages send a
// browser to the login page instead. A user who owes a setup step reaches
// only the setup routes until it is done.
func (s *Server) requireUser(h handlerFunc, setup bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		token, byCookie := "", false
		if a := r.Header.Get("Authorization"); a != "" {
			scheme, rest, _ := strings.Cut(a, " ")
			if !strings.EqualFold(scheme, "Bearer") || rest == "" {
				return errorf(http.StatusUnauthorized, "the Authorization header must be \"Bearer TOKEN\"", nil)
			}
			token = strings.TrimSpace(rest)
		} else if c, err := r.Cookie(sessionCookie); err == nil {
			token, byCookie = c.Value, true
		}
		unknown := func() error {
			if byCookie {
				s.clearSession(w)
			}
			if wantsPage(r) {
				http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
				return nil
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="Vigil", error="invalid_token"`)
			return errorf(http.StatusUnauthorized, "the token or session is not valid (unknown or expired)", nil)
		}
		if token == "" {
			if wantsPage(r) {
				http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
				return nil
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="Vigil"`)
			return errorf(http.StatusUnauthorized, "sign in or send an API token (Authorization: Bearer TOKEN)", nil)
		}
		kind := identity.TokenAPI
		if byCookie {
			kind = identity.TokenSession
		}
		tok, u, err := s.id.Authenticate(r.Context(), token, kind)
		if identity.IsUnknown(err) {
			return unknown()
		}
		if err != nil {
			return err
		}
		ctx := httpx.WithUser(r.Context(), u)
		if byCookie {
			// A script or form of the console's own pages: it must
			// prove it is one (csrf.go). API clients with a bearer
			// token are not at risk, since browsers never add it.
			if err := checkCSRF(r, token); err != nil {
				return err
			}
			ctx = httpx.WithCSRF(ctx, csrfToken(token))
			ctx = context.WithValue(ctx, sessionKey, tok.ID)
		}
		if path, msg := s.setupStep(u, byCookie); path != "" && !setup {
			if byCookie && wantsPage(r) {
				target := path
				if r.URL.Path != "/" {
					target += "?next=" + url.QueryEscape(r.URL.RequestURI())
				}
				http.Redirect(w, r, target, http.StatusSeeOther)
				return nil
			}
			return errorf(http.StatusForbidden, msg, nil)
		}
		return h(w, r.WithContext(ctx))
	}
}

// loginURL sends a browser to sign in and then back to the page it asked for.
func loginURL(r *http.Request) string {
	if r.URL.Path == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(r.URL.RequestURI())
}

func wantsPage(r *http.Request) bool {
	return r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/metrics" &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if err := s.st.Ping(r.Context()); err != nil {
		return errorf(http.StatusServiceUnavailable, "database unreachable", err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	promhttp.HandlerFor(s.opt.Gatherer, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return nil
}

// audit writes one record, by the signed-in user; a footage request that
// cannot be audited is refused, so nothing is ever seen unrecorded.
func (s *Server) audit(r *http.Request, action auditlog.Action, cameraID int64, start, end *time.Time, detail string) error {
	return s.auditEntry(r, auditlog.Entry{Action: action, CameraID: cameraID, RangeStart: start, RangeEnd: end, Detail: detail})
}

// auditEntry writes e, filling in who (the signed-in user, unless e names
// one), from where and when.
func (s *Server) auditEntry(r *http.Request, e auditlog.Entry) error {
	if e.Username == "" {
		u := userFrom(r.Context())
		e.UserID, e.Username, e.OrganisationID = u.ID, u.Username, u.OrganisationID
	}
	if e.RemoteAddr == "" {
		e.RemoteAddr = r.RemoteAddr
	}
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	if err := s.opt.Audit.Append(r.Context(), e); err != nil {
		return errorf(http.StatusServiceUnavailable, "the audit trail cannot be written, so this is refused", err)
	}
	return nil
}
