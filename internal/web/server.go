// Package web serves Vigil's HTTP API and its console pages. Every route
// is listed in routes; every handler returns an *Error instead of writing
// failures itself, and every request for footage is written to the audit
// table before a byte of video is sent.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/playback"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/secret"
	"github.com/vigil-cctv/vigil/internal/store"
)

// Cameras is what the server needs of the running cameras.
type Cameras interface {
	// Status is a camera's state; ok is false when it is not running.
	Status(id int64) (ingest.Status, bool)
	// Hub is a running camera's live view hub.
	Hub(id int64) (*live.Hub, bool)
	// Recording is what a running camera's recorder has written.
	Recording(id int64) (recording.Stats, bool)
	// Apply starts, restarts or stops recording to match the row.
	Apply(ctx context.Context, cam store.Camera) error
	// Stop stops recording a camera.
	Stop(id int64)
}

// Options configure a Server.
type Options struct {
	Store         *store.Store
	Audit         *audit.Trail
	Cameras       Cameras
	Clips         *playback.Builder
	Secrets       *secret.Box
	Gatherer      prometheus.Gatherer
	Logger        *slog.Logger
	Organisation  string // the organisation new cameras join when none is named
	RetentionDays int
	// SecureCookies marks the session cookie Secure (behind TLS).
	SecureCookies bool
	// LiveHosts are the addresses offered to browsers for WebRTC (ICE
	// host candidates); empty means every interface.
	LiveHosts []string
	// MapOutline is the path of a GeoJSON file drawn behind the camera
	// map; empty: none.
	MapOutline string
}

// Server is Vigil's HTTP handler.
type Server struct {
	opt  Options
	st   *store.Store
	log  *slog.Logger
	mux  *http.ServeMux
	tmpl *template.Template
	now  func() time.Time
	whep *live.WHEP
	live liveViews
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New builds the server and its routes.
func New(opt Options) (*Server, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{
		"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{opt: opt, st: opt.Store, log: opt.Logger, mux: http.NewServeMux(), tmpl: tmpl, now: time.Now}
	s.live.sessions = map[string]liveView{}
	s.whep, err = live.NewWHEP(live.WHEPOptions{HostIPs: opt.LiveHosts, OnEnd: s.liveEnded, Logger: opt.Logger.With("component", "live")})
	if err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// route is one entry of the route table: who may call it is part of it.
type route struct {
	pattern string
	public  bool // no sign-in needed
	h       handlerFunc
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
	static, _ := fs.Sub(staticFS, "static")
	fileServer := http.StripPrefix("/static/", http.FileServerFS(static))
	return []route{
		{pattern: "GET /healthz", public: true, h: s.healthz},
		{pattern: "GET /login", public: true, h: s.loginPage},
		{pattern: "POST /login", public: true, h: s.login},
		{pattern: "POST /logout", h: s.logout},
		{pattern: "GET /static/", public: true, h: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Cache-Control", "public, max-age=3600")
			fileServer.ServeHTTP(w, r)
			return nil
		}},
		{pattern: "GET /{$}", h: s.wall},
		{pattern: "GET /playback", h: s.playbackPage},
		{pattern: "GET /map", h: s.mapPage},
		{pattern: "GET /metrics", h: s.metrics},
		{pattern: "GET /api/v1/cameras", h: s.listCameras},
		{pattern: "POST /api/v1/cameras", h: s.createCamera},
		{pattern: "GET /api/v1/cameras/{id}", h: s.getCamera},
		{pattern: "PATCH /api/v1/cameras/{id}", h: s.patchCamera},
		{pattern: "DELETE /api/v1/cameras/{id}", h: s.deleteCamera},
		{pattern: "GET /api/v1/cameras/{id}/recordings", h: s.recordings},
		{pattern: "GET /api/v1/cameras/{id}/video.mp4", h: s.video},
		{pattern: "POST /api/v1/cameras/{id}/whep", h: s.whepOffer},
		{pattern: "PATCH /api/v1/cameras/{id}/whep/{session}", h: s.whepPatch},
		{pattern: "DELETE /api/v1/cameras/{id}/whep/{session}", h: s.whepDelete},
		{pattern: "GET /api/v1/layouts", h: s.listLayouts},
		{pattern: "GET /api/v1/layouts/{name}", h: s.getLayout},
		{pattern: "PUT /api/v1/layouts/{name}", h: s.putLayout},
		{pattern: "DELETE /api/v1/layouts/{name}", h: s.deleteLayout},
		{pattern: "GET /api/v1/map/outline", h: s.mapOutline},
		{pattern: "GET /api/v1/audit", h: s.listAudit},
		{pattern: "GET /audit", h: s.auditPage},
	}
}

func (s *Server) routes() {
	for _, rt := range s.table() {
		h := rt.h
		if !rt.public {
			h = s.requireUser(h)
		}
		s.mux.Handle(rt.pattern, s.wrap(h))
	}
	// Anything else: a JSON 404 for the API, rather than the mux's text.
	s.mux.Handle("/", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, "no such page or API route: "+r.Method+" "+r.URL.Path, nil)
	}))
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
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

const (
	userKey ctxKey = iota
	csrfKey        // the session's CSRF token, for pages to embed
)

// userFrom returns the signed-in user of a request.
func userFrom(ctx context.Context) store.User {
	u, _ := ctx.Value(userKey).(store.User)
	return u
}

const sessionCookie = "vigil_session"

// requireUser admits requests that carry a valid API token (Authorization:
// Bearer) or session cookie, and answers 401 to the rest; pages send a
// browser to the login page instead.
func (s *Server) requireUser(h handlerFunc) handlerFunc {
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
		if token == "" {
			if wantsPage(r) {
				http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
				return nil
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="Vigil"`)
			return errorf(http.StatusUnauthorized, "sign in or send an API token (Authorization: Bearer TOKEN)", nil)
		}
		_, u, err := s.st.TokenByHash(r.Context(), auth.HashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			if wantsPage(r) {
				http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
				return nil
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="Vigil", error="invalid_token"`)
			return errorf(http.StatusUnauthorized, "the token or session is not valid (unknown or expired)", nil)
		}
		if err != nil {
			return err
		}
		ctx := context.WithValue(r.Context(), userKey, u)
		if byCookie {
			// A script or form of the console's own pages: it must
			// prove it is one (csrf.go). API clients with a bearer
			// token are not at risk, since browsers never add it.
			if err := checkCSRF(r, token); err != nil {
				return err
			}
			ctx = context.WithValue(ctx, csrfKey, csrfToken(token))
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
func (s *Server) audit(r *http.Request, action string, cameraID int64, start, end *time.Time, detail string) error {
	return s.auditEntry(r, audit.Entry{Action: action, CameraID: cameraID, RangeStart: start, RangeEnd: end, Detail: detail})
}

// auditEntry writes e, filling in who (the signed-in user, unless e names
// one), from where and when.
func (s *Server) auditEntry(r *http.Request, e audit.Entry) error {
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
