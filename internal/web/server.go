// Package web is Vigil's HTTP server: the route table, the middleware
// (sign-in, authorisation, CSRF, deadlines), the sign-in flows and one's
// own account, and the capabilities' services it builds and hands to the
// JSON API (web/api) and the console's pages (web/console), whose routes
// join the table. Every route is listed in table with what it asks of its
// caller; every handler returns an *httpx.Error instead of writing
// failures itself, and every request for footage is written to the audit
// trail before a byte of video is sent.
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
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/footage"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/netpolicy"
	"github.com/vigil-cctv/vigil/internal/playback"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/secret"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/trading"
	"github.com/vigil-cctv/vigil/internal/web/api"
	"github.com/vigil-cctv/vigil/internal/web/console"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
	"github.com/vigil-cctv/vigil/internal/works"
)

// Cameras is what the server needs of the running cameras: what the API
// reads of them (their state, live hubs and recorders), and, for the
// camera service, starting and stopping them.
type Cameras interface {
	api.Cameras
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
	// CameraProbe dials a camera for a connection test (the add form's);
	// nil: the server makes none.
	CameraProbe cameras.Prober
	// WriteTimeout is the HTTP server's write timeout: for footage
	// downloads and other long responses, the longest a client may stall
	// (deadlines.go); 0: none.
	WriteTimeout time.Duration
	// Zone is where people read times: the console's pages and export
	// file names (localtime); nil: Europe/London.
	Zone *time.Location
	// Income is the trading company's ledger, from which the statement's
	// company income line takes its actuals; nil: as entered.
	Income finance.IncomeSource
}

// Server is Vigil's HTTP handler.
type Server struct {
	opt Options
	st  *store.Store
	log *slog.Logger
	mux *http.ServeMux
	now func() time.Time
	sso oidcClient
	// id is the service of users, sessions and tokens.
	id *identity.Service

	rights *rights.Cache
	// The capabilities' services, built here and shared by the API and
	// the console. accessSvc and approvalSvc change who may see what,
	// and decide requests for a second person's approval (services.go);
	// cams changes cameras; footage decides who may play back, export
	// and delete which footage.
	finance     *finance.Service
	tradingSvc  *trading.Service
	worksSvc    *works.Service
	maint       *maintenance.Service
	accessSvc   *access.Service
	approvalSvc *approvals.Service[*store.Store]
	cams        *cameras.Service
	layouts     *cameras.Layouts
	footage     *footage.Service

	// api serves the JSON API and console the console's pages; their
	// routes are in table.
	api     *api.API
	console *console.Console
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
	s.sso.flows = map[string]oidcFlow{}
	s.newIdentity()
	s.cams = cameras.New(opt.Store, changerFor[cameras.Repo](opt.Changes, s.st), cameras.Options{
		Secrets: opt.Secrets, Addresses: opt.CameraAddresses, Running: opt.Cameras, RetentionDays: opt.RetentionDays,
		Now: clock, Logger: opt.Logger, Organisations: cameraOrgs{opt.Store}, Probe: opt.CameraProbe,
	})
	s.layouts = cameras.NewLayouts(opt.Store)
	s.rights = rights.NewCache(s.st.RightsData, s.st.RightsVersion, opt.RightsRecheck, opt.Logger.With("component", "rights"))
	s.finance = finance.New(s.st, changerFor[finance.Repo](opt.Changes, s.st), opt.Income)
	s.maint = maintenance.NewService(s.st, maintenance.Change(changerFor[maintenance.Repo](opt.Changes, s.st)), opt.Maintenance, clock)
	s.console, err = console.New(console.Options{
		Finance: s.finance, Trading: s.tradingSvc, Works: s.worksSvc, Maintenance: s.maint,
		Audit: opt.Audit, Store: opt.Store, Now: clock, Zone: opt.Zone,
	})
	if err != nil {
		return nil, err
	}
	s.initAccess()
	s.newFootage()
	s.api, err = api.New(api.Options{
		Store: opt.Store, Audit: opt.Audit, Cameras: opt.Cameras, Rights: s.rights,
		Identity: s.id, Access: s.accessSvc, Approvals: s.approvalSvc, CameraSvc: s.cams, Layouts: s.layouts, Footage: s.footage,
		Finance: s.finance, Trading: s.tradingSvc, Works: s.worksSvc, Maintenance: s.maint,
		LiveHosts: opt.LiveHosts, MapOutline: opt.MapOutline, Logger: opt.Logger, Now: clock, Zone: opt.Zone,
	})
	if err != nil {
		return nil, err
	}
	if err := s.routes(); err != nil {
		s.api.Close()
		return nil, err
	}
	return s, nil
}

// Close ends every live view, each audited, and returns once every
// goroutine the server started has: the API's (its review loop, live
// WebSockets and WHEP sessions) and the rights cache's background check.
func (s *Server) Close() error {
	err := s.api.Close()
	s.rights.Close()
	return err
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
	page    bool          // a console page: a user without the right gets the console's refused page, not JSON
	// setup routes answer a signed-in user who still owes a setup step
	// (a forced password change, a second factor to add); every other
	// route sends them there first.
	setup bool
	// long routes outlast the server's read and write timeouts
	// (deadlines.go).
	long httpx.Lasting
	h    httpx.HandlerFunc
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
	}, s.joined()...)
}

// joined are the routes of the API (web/api) and of the console's pages
// and their CSV downloads (web/console), each with what its package says
// it asks of its caller; they join the table, so they are checked at
// start and authorised like every other route.
func (s *Server) joined() []route {
	var out []route
	for _, r := range append(s.api.Routes(), s.console.Routes()...) {
		out = append(out, route{pattern: r.Pattern, public: r.Public, anyone: r.Anyone, need: r.Need, page: r.Page, long: r.Long, h: r.H})
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
		return httpx.Errorf(http.StatusNotFound, "no such page or API route: "+r.Method+" "+r.URL.Path, nil)
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

func (s *Server) wrap(h httpx.HandlerFunc) http.Handler {
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

const sessionCookie = "vigil_session"

// requireUser admits requests that carry a valid API token (Authorization:
// Bearer) or session cookie, and answers 401 to the rest; pages send a
// browser to the login page instead. A user who owes a setup step reaches
// only the setup routes until it is done.
func (s *Server) requireUser(h httpx.HandlerFunc, setup bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		token, byCookie := "", false
		if a := r.Header.Get("Authorization"); a != "" {
			scheme, rest, _ := strings.Cut(a, " ")
			if !strings.EqualFold(scheme, "Bearer") || rest == "" {
				return httpx.Errorf(http.StatusUnauthorized, "the Authorization header must be \"Bearer TOKEN\"", nil)
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
			return httpx.Errorf(http.StatusUnauthorized, "the token or session is not valid (unknown or expired)", nil)
		}
		if token == "" {
			if wantsPage(r) {
				http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
				return nil
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="Vigil"`)
			return httpx.Errorf(http.StatusUnauthorized, "sign in or send an API token (Authorization: Bearer TOKEN)", nil)
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
			return httpx.Errorf(http.StatusForbidden, msg, nil)
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
		return httpx.Errorf(http.StatusServiceUnavailable, "database unreachable", err)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	promhttp.HandlerFor(s.opt.Gatherer, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return nil
}
