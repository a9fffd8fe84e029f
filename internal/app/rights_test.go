package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// The permission matrix: every route the server registers, called by a
// user of each built-in role in Council A, on something of Council A's
// (own) and of Council B's (other), against what this file says the
// answer must be. A route the matrix does not know fails the test, so no
// route is added without deciding who may call it.
//
// The partnership of the test:
//
//	Partnership (the harness's; its administrator, who is also CCTV manager, sets up)
//	├── Council A: camera A, group "G A", agreement A (to the police), a user per role, requester reqA
//	├── Council B: camera B, group "G B", agreement B (to the police), requester reqB
//	└── Police
//
// Both councils require four eyes for exports.

// access is what a route asks of its caller, as this test expects it:
// "public", "anyone" (signed in) or the right one of the caller's roles
// must hold. It is written out here, not read from the server, so that a
// route's access changing must be reflected here too.
var routeAccess = map[string]string{
	"GET /healthz":                                  "public",
	"GET /login":                                    "public",
	"POST /login":                                   "public",
	"GET /login/totp":                               "public",
	"POST /login/totp":                              "public",
	"GET /login/oidc":                               "public",
	"GET /login/oidc/callback":                      "public",
	"POST /logout":                                  "anyone",
	"GET /password":                                 "anyone",
	"POST /password":                                "anyone",
	"GET /account/totp":                             "anyone",
	"POST /account/totp":                            "anyone",
	"GET /account":                                  "anyone",
	"POST /account/revoke":                          "anyone",
	"POST /account/tokens":                          "anyone",
	"GET /api/v1/sessions":                          "anyone",
	"DELETE /api/v1/sessions/{id}":                  "anyone",
	"GET /api/v1/tokens":                            "anyone",
	"POST /api/v1/tokens":                           "anyone",
	"DELETE /api/v1/tokens/{id}":                    "anyone",
	"GET /api/v1/users/{id}/sessions":               "manage_users",
	"DELETE /api/v1/users/{id}/sessions":            "manage_users",
	"GET /static/":                                  "public",
	"GET /{$}":                                      "anyone",
	"GET /playback":                                 "play_back",
	"GET /map":                                      "anyone",
	"GET /approvals":                                "anyone",
	"GET /metrics":                                  "manage_cameras",
	"GET /api/v1/me":                                "anyone",
	"GET /api/v1/roles":                             "anyone",
	"GET /api/v1/cameras":                           "anyone",
	"POST /api/v1/cameras":                          "manage_cameras",
	"POST /api/v1/cameras/test":                     "manage_cameras",
	"POST /api/v1/cameras/import":                   "manage_cameras",
	"GET /api/v1/cameras/{id}":                      "anyone",
	"PATCH /api/v1/cameras/{id}":                    "manage_cameras",
	"DELETE /api/v1/cameras/{id}":                   "manage_cameras",
	"GET /api/v1/cameras/{id}/recordings":           "play_back",
	"GET /api/v1/cameras/{id}/video.mp4":            "play_back",
	"POST /api/v1/cameras/{id}/deletions":           "manage_cameras",
	"POST /api/v1/cameras/{id}/whep":                "view_live",
	"PATCH /api/v1/cameras/{id}/whep/{session}":     "view_live",
	"DELETE /api/v1/cameras/{id}/whep/{session}":    "anyone",
	"GET /api/v1/cameras/{id}/live.ws":              "view_live",
	"GET /api/v1/layouts":                           "anyone",
	"GET /api/v1/layouts/{name}":                    "anyone",
	"PUT /api/v1/layouts/{name}":                    "anyone",
	"DELETE /api/v1/layouts/{name}":                 "anyone",
	"GET /api/v1/map/outline":                       "anyone",
	"GET /api/v1/organisations":                     "anyone",
	"POST /api/v1/organisations":                    "manage_users",
	"GET /api/v1/organisations/{id}":                "anyone",
	"PATCH /api/v1/organisations/{id}":              "manage_users",
	"PUT /api/v1/organisations/{id}/four-eyes":      "manage_users",
	"GET /api/v1/users":                             "manage_users",
	"POST /api/v1/users":                            "manage_users",
	"GET /api/v1/users/{id}":                        "manage_users",
	"DELETE /api/v1/users/{id}":                     "manage_users",
	"PUT /api/v1/users/{id}/roles":                  "manage_users",
	"GET /api/v1/camera-groups":                     "manage_cameras",
	"POST /api/v1/camera-groups":                    "manage_cameras",
	"GET /api/v1/camera-groups/{id}":                "manage_cameras",
	"PUT /api/v1/camera-groups/{id}":                "manage_cameras",
	"DELETE /api/v1/camera-groups/{id}":             "manage_cameras",
	"GET /api/v1/sharing-agreements":                "anyone",
	"POST /api/v1/sharing-agreements":               "manage_cameras",
	"GET /api/v1/sharing-agreements/{id}":           "anyone",
	"PATCH /api/v1/sharing-agreements/{id}":         "manage_cameras",
	"POST /api/v1/sharing-agreements/{id}/incident": "view_live",
	"GET /api/v1/approvals":                         "anyone",
	"GET /api/v1/audit":                             "read_audit",
	"GET /audit":                                    "read_audit",
	// Administration: camera groups, sharing, four eyes.
	"GET /admin/groups":                             "manage_cameras",
	"GET /admin/sharing":                            "manage_cameras",
	"GET /admin/four-eyes":                          "manage_users",
	"POST /api/v1/approvals":                        "export",
	"GET /api/v1/approvals/{id}":                    "anyone",
	"POST /api/v1/approvals/{id}/approve":           "anyone",
	"POST /api/v1/approvals/{id}/reject":            "anyone",
	"GET /maintenance":                              "anyone",
	"GET /admin/cameras":                            "manage_cameras",
	"GET /maintenance/report":                       "anyone",
	"GET /api/v1/maintenance/faults":                "anyone",
	"POST /api/v1/maintenance/faults":               "anyone",
	"GET /api/v1/maintenance/faults/{id}":           "anyone",
	"PATCH /api/v1/maintenance/faults/{id}":         "manage_cameras",
	"GET /api/v1/maintenance/availability":          "anyone",
	"GET /api/v1/maintenance/report":                "anyone",
	"GET /trading":                                  "read_finance",
	"GET /trading/invoices/{id}":                    "read_finance",
	"GET /api/v1/trading/settings":                  "read_finance",
	"PUT /api/v1/trading/settings":                  "read_finance",
	"GET /api/v1/trading/subscriptions":             "read_finance",
	"POST /api/v1/trading/subscriptions":            "read_finance",
	"PATCH /api/v1/trading/subscriptions/{id}":      "read_finance",
	"POST /api/v1/trading/subscriptions/{id}/units": "read_finance",
	"PUT /api/v1/trading/customers/{id}/address":    "read_finance",
	"GET /api/v1/trading/charges":                   "read_finance",
	"POST /api/v1/trading/charges":                  "read_finance",
	"GET /api/v1/trading/invoices":                  "read_finance",
	"POST /api/v1/trading/invoices":                 "read_finance",
	"GET /api/v1/trading/invoices.csv":              "read_finance",
	"GET /api/v1/trading/invoices/{id}":             "read_finance",
	"GET /api/v1/trading/invoices/{id}/csv":         "read_finance",
	"POST /api/v1/trading/invoices/{id}/credit":     "read_finance",
	// Works (works_rights_test.go has their probes).
	"GET /works":                              "read_finance",
	"GET /works/budgets":                      "read_finance",
	"GET /works/orders":                       "read_finance",
	"GET /works/contracts.csv":                "read_finance",
	"GET /works/allowances.csv":               "read_finance",
	"GET /works/budgets.csv":                  "read_finance",
	"GET /works/orders.csv":                   "read_finance",
	"GET /api/v1/works/contracts":             "read_finance",
	"POST /api/v1/works/contracts":            "read_finance",
	"GET /api/v1/works/contracts/{id}":        "read_finance",
	"GET /api/v1/works/budgets":               "read_finance",
	"PUT /api/v1/works/budgets":               "read_finance",
	"POST /api/v1/works/budgets/import":       "read_finance",
	"GET /api/v1/works/orders":                "read_finance",
	"POST /api/v1/works/orders":               "read_finance",
	"GET /api/v1/works/orders/{id}":           "read_finance",
	"POST /api/v1/works/orders/{id}/quote":    "read_finance",
	"POST /api/v1/works/orders/{id}/approve":  "read_finance",
	"POST /api/v1/works/orders/{id}/complete": "read_finance",
	"POST /api/v1/works/orders/{id}/cancel":   "read_finance",
	// The recharge (finance.go).
	"GET /finance":                                        "read_finance",
	"GET /finance/statement.csv":                          "read_finance",
	"GET /finance/history.csv":                            "read_finance",
	"GET /finance/categories.csv":                         "read_finance",
	"GET /api/v1/finance/statement":                       "read_finance",
	"GET /api/v1/finance/categories":                      "read_finance",
	"PUT /api/v1/finance/categories/{name}":               "read_finance",
	"GET /api/v1/finance/lines":                           "read_finance",
	"PUT /api/v1/finance/lines":                           "read_finance",
	"GET /api/v1/finance/budgets":                         "read_finance",
	"PUT /api/v1/finance/budgets":                         "read_finance",
	"GET /api/v1/finance/cameras/{id}/history":            "read_finance",
	"POST /api/v1/finance/cameras/{id}/history":           "read_finance",
	"DELETE /api/v1/finance/cameras/{id}/history/{event}": "read_finance",
	"POST /api/v1/finance/import/{kind}":                  "read_finance",
}

type roleUser struct {
	role  rights.Role
	id    int64
	token string
}

// rightsFixture is the partnership above, running.
type rightsFixture struct {
	t                      *testing.T
	h                      *harness
	st                     *store.Store
	trail                  *store.Trail // the audit trail
	partnership            int64
	orgA, orgB, police     int64
	camA, camB             int64
	groupA, groupB         int64
	agreementA, agreementB int64
	custA, custB           int64       // customers of the trading company, filed below each council
	users                  []*roleUser // in A, one per role
	reqA, reqB             int64       // supervisors who ask for exports
	tokenB                 string      // reqB's
	from, to               time.Time   // a recorded range of both cameras
	seq                    atomic.Int64
}

func (f *rightsFixture) n() int64 { return f.seq.Add(1) }

// tokenFor makes an API token of a user.
func tokenFor(t *testing.T, st *store.Store, id int64) string {
	t.Helper()
	tok, hash := auth.NewToken()
	if err := st.CreateToken(t.Context(), &identity.Token{UserID: id, Name: "test", Hash: hash}); err != nil {
		t.Fatal(err)
	}
	return tok
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newRightsFixture builds the partnership in the store before the server
// answers anything, so that its first snapshot of rights holds it all.
func newRightsFixture(t *testing.T) *rightsFixture { return newRightsFixtureOn(t, false) }

// newRightsFixtureOn is newRightsFixture, on PostgreSQL when postgres.
func newRightsFixtureOn(t *testing.T, postgres bool) *rightsFixture {
	outline := filepath.Join(t.TempDir(), "outline.geojson")
	mustDo(t, os.WriteFile(outline, []byte(`{"type":"FeatureCollection","features":[]}`), 0o600))
	h := start(t, harnessOptions{cameras: 2, mapOutline: outline, postgres: postgres})
	ctx := t.Context()
	st := h.app.Store
	f := &rightsFixture{t: t, h: h, st: st, trail: h.app.Audit.Store()}
	top, err := st.OrganisationByName(ctx, "Partnership")
	mustDo(t, err)
	f.partnership = top.ID
	org := func(name, kind string) int64 {
		o := access.Organisation{Name: name, Kind: kind, ParentID: top.ID}
		mustDo(t, st.CreateOrganisation(ctx, &o))
		return o.ID
	}
	f.orgA, f.orgB, f.police = org("Council A", "council"), org("Council B", "council"), org("Police", "police")
	f.custA, f.custB = f.tradingCustomer(f.orgA, "Customer A"), f.tradingCustomer(f.orgB, "Customer B")
	// Cameras added before the server's camera set runs, and after it
	// listed the store's, would never start.
	for deadline := time.Now().Add(10 * time.Second); ; {
		h.app.cams.mu.Lock()
		running := h.app.cams.base != nil
		h.app.cams.mu.Unlock()
		if running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server's cameras did not start running within 10 s")
		}
		time.Sleep(10 * time.Millisecond) // the camera set announces nothing
	}
	cam := func(org int64, name string, i int) int64 {
		c := cameras.Camera{OrganisationID: org, Name: name, URL: h.cams.URL(i), Enabled: true}
		mustDo(t, h.app.AddCamera(ctx, &c))
		return c.ID
	}
	f.camA, f.camB = cam(f.orgA, "Camera A", 1), cam(f.orgB, "Camera B", 2)
	group := func(org int64, name string, cam int64) int64 {
		g := access.CameraGroup{OrganisationID: org, Name: name, Cameras: []int64{cam}}
		mustDo(t, st.CreateCameraGroup(ctx, &g))
		return g.ID
	}
	f.groupA, f.groupB = group(f.orgA, "G A", f.camA), group(f.orgB, "G B", f.camB)
	agreement := func(org int64, ref string) int64 {
		a := access.SharingAgreement{GrantorID: org, GranteeID: f.police, Reference: ref, Rights: []string{"view_live"}, AllCameras: true,
			StartsAt: time.Now().Add(-time.Hour), Condition: rights.WhileIncidentOpen}
		mustDo(t, st.CreateSharingAgreement(ctx, &a))
		return a.ID
	}
	f.agreementA, f.agreementB = agreement(f.orgA, "DSA A"), agreement(f.orgB, "DSA B")
	mustDo(t, st.SetFourEyes(ctx, f.orgA, []string{"export"}))
	mustDo(t, st.SetFourEyes(ctx, f.orgB, []string{"export"}))
	for _, ri := range rights.Roles {
		u := identity.User{Username: "a-" + string(ri.Role), PasswordHash: "unusable", OrganisationID: f.orgA, Role: string(ri.Role)}
		mustDo(t, st.CreateUser(ctx, &u))
		f.users = append(f.users, &roleUser{role: ri.Role, id: u.ID, token: tokenFor(t, st, u.ID)})
	}
	f.reqA, f.reqB = f.newUser(f.orgA, "supervisor"), f.newUser(f.orgB, "supervisor")
	f.tokenB = tokenFor(t, st, f.reqB)

	// Footage of both cameras, for playback and exports.
	ra := h.awaitFootage(f.camA, 4*time.Second, 40*time.Second)
	h.awaitFootage(f.camB, 4*time.Second, 40*time.Second)
	span := ra.Spans[len(ra.Spans)-1]
	f.from, f.to = span.Start.Add(500*time.Millisecond), span.Start.Add(3*time.Second)
	return f
}

// newUser makes a user of org holding role.
func (f *rightsFixture) newUser(org int64, role string) int64 {
	u := identity.User{Username: fmt.Sprintf("u%d", f.n()), PasswordHash: "unusable", OrganisationID: org, Role: role}
	mustDo(f.t, f.st.CreateUser(f.t.Context(), &u))
	return u.ID
}

func (f *rightsFixture) pick(own bool, a, b int64) int64 {
	if own {
		return a
	}
	return b
}

// exportRequest makes a pending export request of the council's camera
// by its requester.
func (f *rightsFixture) exportRequest(own bool) int64 {
	from, to := f.from, f.to
	ap := approvals.Approval{OrganisationID: f.pick(own, f.orgA, f.orgB), Action: "export", Kind: "export", Summary: "test export",
		Reason: "matrix", CameraID: f.pick(own, f.camA, f.camB), RangeStart: &from, RangeEnd: &to,
		RequestedBy: f.pick(own, f.reqA, f.reqB), ExpiresAt: time.Now().Add(time.Hour)}
	mustDo(f.t, f.st.CreateApproval(f.t.Context(), &ap))
	return ap.ID
}

// spareCamera makes a camera, not recording, to delete.
func (f *rightsFixture) spareCamera(own bool) int64 {
	c := cameras.Camera{OrganisationID: f.pick(own, f.orgA, f.orgB), Name: fmt.Sprintf("Spare %d", f.n()), URL: "rtsp://127.0.0.1:1/x", Enabled: false}
	mustDo(f.t, f.h.app.AddCamera(f.t.Context(), &c))
	return c.ID
}

// call is one request of the matrix, as a route's probe builds it.
type call struct {
	method, path string
	body         any
	ctype        string // of a body given as []byte
	ws           bool   // a WebSocket handshake
}

// routeProbe says how to call a route and what it answers when allowed.
type routeProbe struct {
	build func(f *rightsFixture, u *roleUser, own bool) call
	// ok is the answer when allowed (okFor, when set, per role).
	ok    int
	okFor func(r rights.Role) int
	// scoped: the target belongs to a council, and the other council's
	// is refused with other (404 unless set), as if it did not exist.
	scoped bool
	other  int
	// sees, when set, says whether a role (holding the route's right)
	// may see its own council's target at all; if not, 404.
	sees func(r rights.Role) bool
	// never, for a list, names what no user of Council A may find in it.
	never func(f *rightsFixture) []int64
	// page: a console page, which a user without its right is refused
	// with the console's page saying why (403, HTML), not JSON.
	page bool
}

func holds(a rights.Action) func(rights.Role) bool {
	return func(r rights.Role) bool { return r.Can().Has(a) }
}

func seesCameras(r rights.Role) bool {
	return r.Can()&(rights.Footage|rights.SetOf(rights.ManageCameras)) != 0
}

func get(path string) func(*rightsFixture, *roleUser, bool) call {
	return func(*rightsFixture, *roleUser, bool) call { return call{method: "GET", path: path} }
}

// formPost is an empty form posted to path.
func formPost(path string) func(*rightsFixture, *roleUser, bool) call {
	return func(*rightsFixture, *roleUser, bool) call {
		return call{method: "POST", path: path, body: []byte(""), ctype: "application/x-www-form-urlencoded"}
	}
}

func probes() map[string]routeProbe {
	cam := func(f *rightsFixture, own bool) int64 { return f.pick(own, f.camA, f.camB) }
	rng := func(f *rightsFixture) string {
		return "start=" + f.from.Format(time.RFC3339Nano) + "&end=" + f.to.Format(time.RFC3339Nano)
	}
	return map[string]routeProbe{
		"GET /healthz": {build: get("/healthz"), ok: 200},
		"GET /login":   {build: get("/login"), ok: 200},
		// No sign-in form token: refused whoever asks.
		"POST /login":  {build: func(*rightsFixture, *roleUser, bool) call { return call{method: "POST", path: "/login"} }, ok: 403},
		"POST /logout": {build: func(*rightsFixture, *roleUser, bool) call { return call{method: "POST", path: "/logout"} }, ok: 303},
		// Sign-in's second step, with no sign-in under way: back to the
		// start, whoever asks.
		"GET /login/totp":  {build: get("/login/totp"), ok: 303},
		"POST /login/totp": {build: func(*rightsFixture, *roleUser, bool) call { return call{method: "POST", path: "/login/totp"} }, ok: 401},
		// Single sign-on is not set up on the test's server.
		"GET /login/oidc":          {build: get("/login/oidc"), ok: 404},
		"GET /login/oidc/callback": {build: get("/login/oidc/callback"), ok: 404},
		// One's own account, whatever one's roles. Forms sent empty are
		// refused for what they lack, never for who sends them.
		"GET /password":        {build: get("/password"), ok: 200},
		"POST /password":       {build: formPost("/password"), ok: 401}, // the current password is wrong
		"GET /account/totp":    {build: get("/account/totp"), ok: 200},
		"POST /account/totp":   {build: formPost("/account/totp"), ok: 400},
		"GET /account":         {build: get("/account"), ok: 200, page: true},
		"POST /account/revoke": {build: formPost("/account/revoke"), ok: 400},
		"POST /account/tokens": {build: formPost("/account/tokens"), ok: 400},
		"GET /api/v1/sessions": {build: get("/api/v1/sessions"), ok: 200},
		"DELETE /api/v1/sessions/{id}": {build: func(*rightsFixture, *roleUser, bool) call {
			return call{method: "DELETE", path: "/api/v1/sessions/999999"}
		}, ok: 404},
		"GET /api/v1/tokens": {build: get("/api/v1/tokens"), ok: 200},
		// Tokens are made from a console session, never with a token.
		"POST /api/v1/tokens": {build: func(*rightsFixture, *roleUser, bool) call {
			return call{method: "POST", path: "/api/v1/tokens", body: map[string]any{"name": "matrix"}}
		}, ok: 403},
		"DELETE /api/v1/tokens/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			tok := identity.Token{UserID: u.id, Name: "spare", Hash: []byte(fmt.Sprintf("spare token %d", f.n())), Kind: identity.TokenAPI}
			mustDo(f.t, f.st.CreateToken(f.t.Context(), &tok))
			return call{method: "DELETE", path: fmt.Sprintf("/api/v1/tokens/%d", tok.ID)}
		}, ok: 204},
		// Another user's sessions: for those who manage that user.
		"GET /api/v1/users/{id}/sessions": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/users/%d/sessions", f.pick(own, f.reqA, f.reqB))}
		}, ok: 200, scoped: true},
		"DELETE /api/v1/users/{id}/sessions": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "DELETE", path: fmt.Sprintf("/api/v1/users/%d/sessions", f.pick(own, f.reqA, f.reqB))}
		}, ok: 200, scoped: true},
		"GET /static/": {build: get("/static/api.js"), ok: 200},
		"GET /{$}": {build: get("/"), page: true, okFor: func(r rights.Role) int {
			if r.Can().Has(rights.ViewLive) {
				return 200
			}
			return 303 // to the first page they may use
		}},
		"GET /playback":      {build: get("/playback"), ok: 200, page: true},
		"GET /map":           {build: get("/map"), ok: 200, page: true},
		"GET /approvals":     {build: get("/approvals"), ok: 200, page: true},
		"GET /audit":         {build: get("/audit"), ok: 200, page: true},
		"GET /admin/cameras": {build: get("/admin/cameras"), ok: 200, page: true},
		// Nothing listens at port 1: the test answers what it found, and
		// changes nothing.
		"POST /api/v1/cameras/test": {build: func(*rightsFixture, *roleUser, bool) call {
			return call{method: "POST", path: "/api/v1/cameras/test", body: map[string]any{"url": "rtsp://127.0.0.1:1/test"}}
		}, ok: 200},
		// One camera of one's own council, or of another's, which the
		// file's row is refused for as a single create would be.
		"POST /api/v1/cameras/import": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			org := map[bool]string{true: "Council A", false: "Council B"}[own]
			csv := fmt.Sprintf("name,url,organisation\nImported %d,rtsp://127.0.0.1:1/imported,%s\n", f.n(), org)
			return call{method: "POST", path: "/api/v1/cameras/import", body: []byte(csv), ctype: "text/csv"}
		}, ok: 201, scoped: true, other: 400},
		// The administration pages list what the user may manage.
		"GET /admin/groups":    {build: get("/admin/groups"), ok: 200, page: true},
		"GET /admin/sharing":   {build: get("/admin/sharing"), ok: 200, page: true},
		"GET /admin/four-eyes": {build: get("/admin/four-eyes"), ok: 200, page: true},
		// The trail of one's own organisation; another council's is not
		// there to ask about.
		"GET /api/v1/audit": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/audit?organisation=%d", f.pick(own, f.orgA, f.orgB))}
		}, ok: 200, scoped: true},
		"GET /metrics":        {build: get("/metrics"), ok: 200},
		"GET /api/v1/me":      {build: get("/api/v1/me"), ok: 200},
		"GET /api/v1/roles":   {build: get("/api/v1/roles"), ok: 200},
		"GET /api/v1/cameras": {build: get("/api/v1/cameras"), ok: 200, never: func(f *rightsFixture) []int64 { return []int64{f.camB} }},
		"POST /api/v1/cameras": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: "/api/v1/cameras", body: map[string]any{"name": fmt.Sprintf("New %d", f.n()),
				"url": "rtsp://127.0.0.1:1/new", "enabled": false, "organisation_id": f.pick(own, f.orgA, f.orgB)}}
		}, ok: 201, scoped: true, other: 400},
		"GET /api/v1/cameras/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/cameras/%d", cam(f, own))}
		}, ok: 200, scoped: true, sees: seesCameras},
		"PATCH /api/v1/cameras/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "PATCH", path: fmt.Sprintf("/api/v1/cameras/%d", cam(f, own)), body: map[string]any{"description": "patched"}}
		}, ok: 200, scoped: true},
		"DELETE /api/v1/cameras/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "DELETE", path: fmt.Sprintf("/api/v1/cameras/%d", f.spareCamera(own))}
		}, ok: 204, scoped: true},
		"GET /api/v1/cameras/{id}/recordings": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/cameras/%d/recordings", cam(f, own))}
		}, ok: 200, scoped: true},
		"GET /api/v1/cameras/{id}/video.mp4": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/cameras/%d/video.mp4?%s", cam(f, own), rng(f))}
		}, ok: 200, scoped: true},
		// A day-old hour with no footage: allowed, and refused for
		// having nothing to delete, so the matrix deletes nothing.
		"POST /api/v1/cameras/{id}/deletions": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			end := time.Now().Add(-24 * time.Hour)
			return call{method: "POST", path: fmt.Sprintf("/api/v1/cameras/%d/deletions", cam(f, own)),
				body: map[string]any{"start": end.Add(-time.Hour), "end": end, "reason": "matrix"}}
		}, ok: 409, scoped: true},
		"POST /api/v1/cameras/{id}/whep": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			pc := testkit.WebRTCPeer(f.t, func(me *webrtc.MediaEngine) error { return me.RegisterDefaultCodecs() }, webrtc.RTPCodecTypeVideo)
			return call{method: "POST", path: fmt.Sprintf("/api/v1/cameras/%d/whep", cam(f, own)), body: testkit.WebRTCOffer(f.t, pc), ctype: "application/sdp"}
		}, ok: 201, scoped: true},
		// There is no trickle ICE, whoever asks; those who may not view
		// live are refused first.
		"PATCH /api/v1/cameras/{id}/whep/{session}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "PATCH", path: fmt.Sprintf("/api/v1/cameras/%d/whep/x", cam(f, own)), body: []byte("a=candidate"), ctype: "application/trickle-ice-sdpfrag"}
		}, ok: 405},
		// A live view is ended only by whoever started it: one's own
		// (own camera, for those who may watch) is ended, anyone
		// else's refused.
		"DELETE /api/v1/cameras/{id}/whep/{session}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			owner := f.users[slices.IndexFunc(f.users, func(x *roleUser) bool { return x.role == rights.CCTVManager })]
			if !own {
				owner = &roleUser{role: rights.Supervisor, id: f.reqB, token: f.tokenB}
			} else if u.role.Can().Has(rights.ViewLive) {
				owner = u
			}
			loc := f.startLive(owner, cam(f, own))
			return call{method: "DELETE", path: loc}
		}, okFor: func(r rights.Role) int {
			if r.Can().Has(rights.ViewLive) {
				return 200
			}
			return 403
		}, scoped: true, other: 403},
		"GET /api/v1/cameras/{id}/live.ws": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/cameras/%d/live.ws", cam(f, own)), ws: true}
		}, ok: 101, scoped: true},
		"GET /api/v1/layouts": {build: get("/api/v1/layouts"), ok: 200},
		"GET /api/v1/layouts/{name}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			mustDo(f.t, f.st.SaveLayout(f.t.Context(), &cameras.Layout{UserID: u.id, Name: "mine", Grid: 1, Tiles: []*int64{nil}}))
			return call{method: "GET", path: "/api/v1/layouts/mine"}
		}, ok: 200},
		// A tile may show only a camera the user may view live.
		"PUT /api/v1/layouts/{name}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "PUT", path: "/api/v1/layouts/wall", body: map[string]any{"grid": 1, "tiles": []int64{cam(f, own)}}}
		}, okFor: func(r rights.Role) int {
			if r.Can().Has(rights.ViewLive) {
				return 200
			}
			return 400
		}, scoped: true, other: 400},
		"DELETE /api/v1/layouts/{name}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			mustDo(f.t, f.st.SaveLayout(f.t.Context(), &cameras.Layout{UserID: u.id, Name: "gone", Grid: 1, Tiles: []*int64{nil}}))
			return call{method: "DELETE", path: "/api/v1/layouts/gone"}
		}, ok: 204},
		"GET /api/v1/map/outline": {build: get("/api/v1/map/outline"), ok: 200},
		"GET /api/v1/organisations": {build: get("/api/v1/organisations"), ok: 200, never: func(f *rightsFixture) []int64 {
			return []int64{f.orgB, f.partnership, f.police}
		}},
		"POST /api/v1/organisations": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: "/api/v1/organisations", body: map[string]any{"name": fmt.Sprintf("Dept %d", f.n()),
				"kind": "department", "parent_id": f.pick(own, f.orgA, f.orgB)}}
		}, ok: 201, scoped: true},
		"GET /api/v1/organisations/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/organisations/%d", f.pick(own, f.orgA, f.orgB))}
		}, ok: 200, scoped: true},
		"PATCH /api/v1/organisations/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "PATCH", path: fmt.Sprintf("/api/v1/organisations/%d", f.pick(own, f.orgA, f.orgB)), body: map[string]any{"kind": "council"}}
		}, ok: 200, scoped: true},
		"PUT /api/v1/organisations/{id}/four-eyes": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "PUT", path: fmt.Sprintf("/api/v1/organisations/%d/four-eyes", f.pick(own, f.orgA, f.orgB)), body: map[string]any{"actions": []string{"export"}}}
		}, ok: 200, scoped: true},
		"GET /api/v1/users": {build: get("/api/v1/users"), ok: 200, never: func(f *rightsFixture) []int64 { return []int64{f.reqB} }},
		"POST /api/v1/users": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: "/api/v1/users", body: map[string]any{"username": fmt.Sprintf("new%d", f.n()),
				"organisation_id": f.pick(own, f.orgA, f.orgB), "roles": []string{"operator"}}}
		}, ok: 201, scoped: true},
		"GET /api/v1/users/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/users/%d", f.pick(own, f.reqA, f.reqB))}
		}, ok: 200, scoped: true},
		"DELETE /api/v1/users/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "DELETE", path: fmt.Sprintf("/api/v1/users/%d", f.newUser(f.pick(own, f.orgA, f.orgB), "operator"))}
		}, ok: 204, scoped: true},
		"PUT /api/v1/users/{id}/roles": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			// A role that sees no footage: one that does waits for a
			// second person (TestFootageGrantsNeedSecondPerson).
			return call{method: "PUT", path: fmt.Sprintf("/api/v1/users/%d/roles", f.newUser(f.pick(own, f.orgA, f.orgB), "operator")),
				body: map[string]any{"roles": []string{"operator", "auditor"}}}
		}, ok: 200, scoped: true},
		"GET /api/v1/camera-groups": {build: get("/api/v1/camera-groups"), ok: 200, never: func(f *rightsFixture) []int64 { return []int64{f.groupB} }},
		"POST /api/v1/camera-groups": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: "/api/v1/camera-groups", body: map[string]any{"name": fmt.Sprintf("Group %d", f.n()),
				"organisation_id": f.pick(own, f.orgA, f.orgB), "cameras": []int64{}}}
		}, ok: 201, scoped: true},
		"GET /api/v1/camera-groups/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/camera-groups/%d", f.pick(own, f.groupA, f.groupB))}
		}, ok: 200, scoped: true},
		"PUT /api/v1/camera-groups/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "PUT", path: fmt.Sprintf("/api/v1/camera-groups/%d", f.pick(own, f.groupA, f.groupB)),
				body: map[string]any{"name": f.pickName(own, "G A", "G B"), "cameras": []int64{cam(f, own)}}}
		}, ok: 200, scoped: true},
		"DELETE /api/v1/camera-groups/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			g := access.CameraGroup{OrganisationID: f.pick(own, f.orgA, f.orgB), Name: fmt.Sprintf("Spare %d", f.n())}
			mustDo(f.t, f.st.CreateCameraGroup(f.t.Context(), &g))
			return call{method: "DELETE", path: fmt.Sprintf("/api/v1/camera-groups/%d", g.ID)}
		}, ok: 204, scoped: true},
		"GET /api/v1/sharing-agreements": {build: get("/api/v1/sharing-agreements"), ok: 200, never: func(f *rightsFixture) []int64 { return []int64{f.agreementB} }},
		"POST /api/v1/sharing-agreements": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: "/api/v1/sharing-agreements", body: map[string]any{"grantor_id": f.pick(own, f.orgA, f.orgB),
				"grantee_id": f.police, "reference": fmt.Sprintf("DSA %d", f.n()), "rights": []string{"play_back"}, "cameras": []int64{cam(f, own)},
				"ends_at": time.Now().Add(time.Minute)}}
		}, ok: 201, scoped: true},
		// Seen by those who manage the sharing council's cameras (and
		// by the police, who are not in this matrix).
		"GET /api/v1/sharing-agreements/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/sharing-agreements/%d", f.pick(own, f.agreementA, f.agreementB))}
		}, ok: 200, scoped: true, sees: holds(rights.ManageCameras)},
		"PATCH /api/v1/sharing-agreements/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "PATCH", path: fmt.Sprintf("/api/v1/sharing-agreements/%d", f.pick(own, f.agreementA, f.agreementB)),
				body: map[string]any{"reference": f.pickName(own, "DSA A", "DSA B")}}
		}, ok: 200, scoped: true},
		"POST /api/v1/sharing-agreements/{id}/incident": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: fmt.Sprintf("/api/v1/sharing-agreements/%d/incident", f.pick(own, f.agreementA, f.agreementB)),
				body: map[string]any{"open": false}}
		}, ok: 200, scoped: true, sees: holds(rights.ManageCameras)},
		"GET /api/v1/approvals": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			f.exportRequest(false)
			return call{method: "GET", path: "/api/v1/approvals"}
		}, ok: 200, never: func(f *rightsFixture) []int64 {
			list, _ := f.st.ListApprovals(f.t.Context(), "", 1000)
			var out []int64
			for _, a := range list {
				if a.CameraID == f.camB {
					out = append(out, a.ID)
				}
			}
			return out
		}},
		"POST /api/v1/approvals": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: "/api/v1/approvals", body: map[string]any{"camera_id": cam(f, own), "start": f.from, "end": f.to, "reason": "matrix"}}
		}, ok: 202, scoped: true},
		// Seen, and decided, by those who may export the camera.
		"GET /api/v1/approvals/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/approvals/%d", f.exportRequest(own))}
		}, ok: 200, scoped: true, sees: holds(rights.Export)},
		"POST /api/v1/approvals/{id}/approve": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: fmt.Sprintf("/api/v1/approvals/%d/approve", f.exportRequest(own))}
		}, ok: 200, scoped: true, sees: holds(rights.Export)},
		"POST /api/v1/approvals/{id}/reject": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: fmt.Sprintf("/api/v1/approvals/%d/reject", f.exportRequest(own))}
		}, ok: 200, scoped: true, sees: holds(rights.Export)},
		// Maintenance: anyone who sees a camera reports a fault on it; the
		// record is read by those who manage cameras or read the figures,
		// of their own council's cameras only.
		"GET /maintenance": {build: get("/maintenance"), page: true, okFor: func(r rights.Role) int {
			if seesCameras(r) || readsMaintenance(r) {
				return 200
			}
			return 403 // the page saying what it needs
		}},
		"GET /maintenance/report": {build: get("/maintenance/report?quarter=2026/27-Q3"), page: true, okFor: func(r rights.Role) int {
			if readsMaintenance(r) {
				return 200
			}
			return 403
		}},
		"GET /api/v1/maintenance/faults": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			f.fault(false)
			return call{method: "GET", path: "/api/v1/maintenance/faults"}
		}, okFor: readOrRefuse, never: func(f *rightsFixture) []int64 {
			list, _ := f.st.ListFaults(f.t.Context(), maintenance.FaultFilter{CameraID: f.camB, Limit: 1000})
			var out []int64
			for _, x := range list {
				out = append(out, x.ID)
			}
			return out
		}},
		"POST /api/v1/maintenance/faults": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: "/api/v1/maintenance/faults", body: map[string]any{"camera_id": cam(f, own), "kind": "obstruction",
				"description": "a banner hangs across the view"}}
		}, ok: 201, scoped: true, sees: seesCameras},
		"GET /api/v1/maintenance/faults/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/maintenance/faults/%d", f.fault(own))}
		}, ok: 200, scoped: true, sees: readsMaintenance},
		"PATCH /api/v1/maintenance/faults/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "PATCH", path: fmt.Sprintf("/api/v1/maintenance/faults/%d", f.fault(own)), body: map[string]any{"state": "acknowledged"}}
		}, ok: 200, scoped: true},
		"GET /api/v1/maintenance/availability": {build: get("/api/v1/maintenance/availability"), okFor: readOrRefuse},
		"GET /api/v1/maintenance/report":       {build: get("/api/v1/maintenance/report?quarter=2026/27-Q3"), okFor: readOrRefuse},
		// The trading company: those who read finance see their own
		// council's customer's figures; changing anything needs that
		// right over the whole partnership, which no one of Council A
		// has (403 on their own council's customer, 404 on the other's).
		"GET /trading": {build: get("/trading"), ok: 200, page: true},
		"GET /trading/invoices/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return get(fmt.Sprintf("/trading/invoices/%d", f.tradingInvoice(own)))(f, u, own)
		}, ok: 200, scoped: true, page: true},
		"GET /api/v1/trading/settings": {build: get("/api/v1/trading/settings"), ok: 200},
		"PUT /api/v1/trading/settings": {build: func(*rightsFixture, *roleUser, bool) call {
			return call{method: "PUT", path: "/api/v1/trading/settings", body: map[string]any{"vat_basis_points": 2000}}
		}, ok: 403},
		"GET /api/v1/trading/subscriptions": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			f.tradingSubscription(false)
			return get("/api/v1/trading/subscriptions")(f, u, own)
		}, ok: 200, never: func(f *rightsFixture) []int64 { return []int64{f.tradingSubscription(false)} }},
		"POST /api/v1/trading/subscriptions": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: "/api/v1/trading/subscriptions", body: map[string]any{"customer_id": f.pick(own, f.custA, f.custB),
				"service": "monitored", "unit_price_pence": 4000, "starts_on": "2025-04-01", "units": 3}}
		}, ok: 403, scoped: true},
		"PATCH /api/v1/trading/subscriptions/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "PATCH", path: fmt.Sprintf("/api/v1/trading/subscriptions/%d", f.tradingSubscription(own)), body: map[string]any{"reference": "PO 1"}}
		}, ok: 403, scoped: true},
		"POST /api/v1/trading/subscriptions/{id}/units": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: fmt.Sprintf("/api/v1/trading/subscriptions/%d/units", f.tradingSubscription(own)), body: map[string]any{"from": "2025-05-01", "units": 4}}
		}, ok: 403, scoped: true},
		"PUT /api/v1/trading/customers/{id}/address": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "PUT", path: fmt.Sprintf("/api/v1/trading/customers/%d/address", f.pick(own, f.custA, f.custB)), body: map[string]any{"address": "1 Quay Street"}}
		}, ok: 403, scoped: true},
		"GET /api/v1/trading/charges": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			f.tradingCharge(false)
			return get("/api/v1/trading/charges")(f, u, own)
		}, ok: 200, never: func(f *rightsFixture) []int64 { return []int64{f.tradingCharge(false)} }},
		"POST /api/v1/trading/charges": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: "/api/v1/trading/charges", body: map[string]any{"customer_id": f.pick(own, f.custA, f.custB),
				"on": "2025-05-01", "description": "Mileage", "amount_pence": 450}}
		}, ok: 403, scoped: true},
		"GET /api/v1/trading/invoices": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			f.tradingInvoice(false)
			return get("/api/v1/trading/invoices")(f, u, own)
		}, ok: 200, never: func(f *rightsFixture) []int64 { return []int64{f.tradingInvoice(false)} }},
		"POST /api/v1/trading/invoices": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: "/api/v1/trading/invoices", body: map[string]any{"period": "2025/26-Q1", "customer_id": f.pick(own, f.custA, f.custB)}}
		}, ok: 403, scoped: true},
		"GET /api/v1/trading/invoices.csv": {build: get("/api/v1/trading/invoices.csv"), ok: 200},
		"GET /api/v1/trading/invoices/{id}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return get(fmt.Sprintf("/api/v1/trading/invoices/%d", f.tradingInvoice(own)))(f, u, own)
		}, ok: 200, scoped: true},
		"GET /api/v1/trading/invoices/{id}/csv": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return get(fmt.Sprintf("/api/v1/trading/invoices/%d/csv", f.tradingInvoice(own)))(f, u, own)
		}, ok: 200, scoped: true},
		"POST /api/v1/trading/invoices/{id}/credit": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: fmt.Sprintf("/api/v1/trading/invoices/%d/credit", f.tradingInvoice(own)), body: map[string]any{"reason": "matrix"}}
		}, ok: 403, scoped: true},
		// The recharge: read by those who read figures, each for their
		// own organisation (the statement filters its partners' rows);
		// changed only by those who read the whole partnership's, which
		// nobody of Council A does.
		"GET /finance":                   {build: get("/finance?period=2024/25-Q2"), ok: 200, page: true},
		"GET /finance/statement.csv":     {build: get("/finance/statement.csv?period=2024/25-Q2"), ok: 200},
		"GET /finance/history.csv":       {build: get("/finance/history.csv"), ok: 200},
		"GET /finance/categories.csv":    {build: get("/finance/categories.csv"), ok: 200},
		"GET /api/v1/finance/statement":  {build: get("/api/v1/finance/statement?period=2024/25-Q2"), ok: 200},
		"GET /api/v1/finance/categories": {build: get("/api/v1/finance/categories"), ok: 200},
		"PUT /api/v1/finance/categories/{name}": {build: func(*rightsFixture, *roleUser, bool) call {
			return call{method: "PUT", path: "/api/v1/finance/categories/mobile", body: map[string]any{"weight": "0.25"}}
		}, ok: 403},
		"GET /api/v1/finance/lines": {build: get("/api/v1/finance/lines?period=2024/25-Q2"), ok: 200},
		"PUT /api/v1/finance/lines": {build: func(*rightsFixture, *roleUser, bool) call {
			return call{method: "PUT", path: "/api/v1/finance/lines?period=2024/25-Q2", body: []map[string]any{{"name": "Employees", "budget": 100}}}
		}, ok: 403},
		"GET /api/v1/finance/budgets": {build: get("/api/v1/finance/budgets?year=2024/25"), ok: 200},
		"PUT /api/v1/finance/budgets": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "PUT", path: "/api/v1/finance/budgets?year=2024/25", body: map[string]any{"budgets": []map[string]any{{"organisation_id": f.orgA, "budget": 100}}}}
		}, ok: 403},
		"GET /api/v1/finance/cameras/{id}/history": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "GET", path: fmt.Sprintf("/api/v1/finance/cameras/%d/history", cam(f, own))}
		}, ok: 200, scoped: true},
		"POST /api/v1/finance/cameras/{id}/history": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "POST", path: fmt.Sprintf("/api/v1/finance/cameras/%d/history", cam(f, own)),
				body: map[string]any{"day": "2020-01-01", "kind": "recategorised", "category": "reactive"}}
		}, ok: 403, scoped: true},
		"DELETE /api/v1/finance/cameras/{id}/history/{event}": {build: func(f *rightsFixture, u *roleUser, own bool) call {
			return call{method: "DELETE", path: fmt.Sprintf("/api/v1/finance/cameras/%d/history/1", cam(f, own))}
		}, ok: 403, scoped: true},
		"POST /api/v1/finance/import/{kind}": {build: func(*rightsFixture, *roleUser, bool) call {
			return call{method: "POST", path: "/api/v1/finance/import/budgets?year=2024/25", body: []byte("organisation,budget\n"), ctype: "text/csv"}
		}, ok: 403},
	}
}

// readsMaintenance: the role reads faults, availability and the
// contractor's report (of its scope).
func readsMaintenance(r rights.Role) bool {
	return r.Can().Has(rights.ManageCameras) || r.Can().Has(rights.ReadFinance)
}

func readOrRefuse(r rights.Role) int {
	if readsMaintenance(r) {
		return 200
	}
	return 403
}

// fault raises a fault on the council's camera.
func (f *rightsFixture) fault(own bool) int64 {
	now := time.Now()
	x := maintenance.Fault{CameraID: f.pick(own, f.camA, f.camB), Kind: maintenance.FaultFocus, Priority: "P3", Description: "matrix",
		RaisedAt: now, RaisedBy: "matrix", ResponseDue: now.Add(time.Hour), FixDue: now.Add(2 * time.Hour)}
	mustDo(f.t, f.st.RaiseFault(f.t.Context(), &x))
	return x.ID
}

func (f *rightsFixture) pickName(own bool, a, b string) string {
	if own {
		return a
	}
	return b
}

// startLive starts a live view of camera id as u and returns its URL.
func (f *rightsFixture) startLive(u *roleUser, id int64) string {
	pc := testkit.WebRTCPeer(f.t, func(me *webrtc.MediaEngine) error { return me.RegisterDefaultCodecs() }, webrtc.RTPCodecTypeVideo)
	res, b := f.send(u.token, call{method: "POST", path: fmt.Sprintf("/api/v1/cameras/%d/whep", id), body: testkit.WebRTCOffer(f.t, pc), ctype: "application/sdp"})
	if res.StatusCode != http.StatusCreated {
		f.t.Fatalf("starting a live view as %s: got %d %s, want 201", u.role, res.StatusCode, b)
	}
	return res.Header.Get("Location")
}

// noRedirect is a client that shows redirects rather than following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// send makes one call as the holder of token.
func (f *rightsFixture) send(token string, c call) (*http.Response, []byte) {
	f.t.Helper()
	if c.ws {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, res, err := websocket.Dial(ctx, "ws://"+f.h.app.Addr()+c.path, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
		if err != nil {
			if res == nil {
				f.t.Fatalf("WebSocket %s: %v", c.path, err)
			}
			b, _ := io.ReadAll(res.Body)
			return res, b
		}
		defer conn.CloseNow()
		// The first message (the init) has come once video flows.
		_, msg, err := conn.Read(ctx)
		if err != nil {
			f.t.Fatalf("WebSocket %s: reading the first message: %v", c.path, err)
		}
		return res, msg
	}
	var rd io.Reader
	ctype := c.ctype
	switch b := c.body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(c.method, f.h.base+c.path, rd)
	mustDo(f.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := noRedirect.Do(req)
	mustDo(f.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusCreated && strings.HasPrefix(res.Header.Get("Content-Type"), "application/sdp") {
		// A live view started by the matrix ends with it.
		loc := res.Header.Get("Location")
		f.t.Cleanup(func() { f.send(token, call{method: "DELETE", path: loc}) })
	}
	return res, b
}

// expected is what the matrix says a role gets from a route, on its own
// council's target or the other's.
func expected(access string, p routeProbe, r rights.Role, own bool) int {
	if access != "public" && access != "anyone" {
		if act, _ := rights.ParseAction(access); !r.Can().Has(act) {
			return http.StatusForbidden
		}
	}
	if p.scoped && !own {
		if p.other != 0 {
			return p.other
		}
		return http.StatusNotFound
	}
	if p.scoped && p.sees != nil && !p.sees(r) {
		return http.StatusNotFound
	}
	if p.okFor != nil {
		return p.okFor(r)
	}
	return p.ok
}

// servesFootage reports whether an answer carries or starts video.
func servesFootage(res *http.Response) bool {
	ct := res.Header.Get("Content-Type")
	return res.StatusCode == http.StatusSwitchingProtocols ||
		res.StatusCode < 300 && (strings.HasPrefix(ct, "video/") || strings.HasPrefix(ct, "application/sdp"))
}

// footageAudits counts the audit records of a user seeing a camera's
// footage.
func footageAudits(t *testing.T, trail *store.Trail, user, camera int64) int {
	n := 0
	for _, act := range []string{"footage.play", "footage.export", "live.start"} {
		es, err := trail.ListAudit(t.Context(), store.AuditFilter{UserID: user, CameraID: camera, Action: act, Limit: 10000})
		mustDo(t, err)
		n += len(es)
	}
	return n
}

// TestPermissionMatrix: every route × every role × own and other
// council; and every answer that carried footage was audited before it.
func TestPermissionMatrix(t *testing.T) {
	t.Parallel() // see main_test.go
	f := newRightsFixture(t)
	routes := f.h.app.web.Routes()
	got := f.h.app.web.RouteAccess()
	ps := probes()
	maps.Copy(ps, worksProbes())
	maps.Copy(ps, peopleProbes()) // people_rights_test.go
	for _, r := range routes {
		if _, ok := routeAccess[r]; !ok {
			t.Errorf("route %q is not in the permission matrix: say who may call it (routeAccess) and how to call it (probes)", r)
		}
		if _, ok := ps[r]; !ok {
			t.Errorf("route %q has no probe in the permission matrix", r)
		}
		if got[r] != routeAccess[r] {
			t.Errorf("route %q: the server asks %q of its callers, the matrix expects %q", r, got[r], routeAccess[r])
		}
	}
	for r := range routeAccess {
		if !slices.Contains(routes, r) {
			t.Errorf("the matrix knows route %q, which the server does not register", r)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	footage := map[string]int{} // route -> answers that carried footage
	for _, route := range routes {
		p, access := ps[route], routeAccess[route]
		for _, u := range f.users {
			for _, own := range []bool{true, false} {
				side := map[bool]string{true: "own", false: "other"}[own]
				t.Run(fmt.Sprintf("%s/%s/%s", route, u.role, side), func(t *testing.T) {
					parent := f.t
					f.t = t // for what build makes and cleans up
					defer func() { f.t = parent }()
					c := p.build(f, u, own)
					camera := cameraOf(c.path)
					before := footageAudits(t, f.trail, u.id, camera)
					res, body := f.send(u.token, c)
					want := expected(access, p, u.role, own)
					if res.StatusCode != want {
						t.Fatalf("%s %s: got %d %s, want %d", c.method, c.path, res.StatusCode, body, want)
					}
					switch {
					case res.StatusCode != http.StatusForbidden:
					case p.page:
						// A page refused says, as a page, what it needs.
						if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("This page needs the right to")) || res.Header.Get("Location") != "" {
							t.Errorf("a page refused without the page saying why: %s %.300s", res.Header.Get("Content-Type"), body)
						}
					case !bytes.Contains(body, []byte(`"error"`)):
						t.Errorf("a refusal without a reason: %s", body)
					}
					if servesFootage(res) {
						footage[route]++
						if after := footageAudits(t, f.trail, u.id, camera); after <= before {
							t.Errorf("%s %s served footage of camera %d with no audit record (%d before, %d after)", c.method, c.path, camera, before, after)
						}
					}
					if p.never != nil && res.StatusCode == 200 {
						var items []struct {
							ID int64 `json:"id"`
						}
						mustDo(t, json.Unmarshal(body, &items))
						for _, it := range items {
							if slices.Contains(p.never(f), it.ID) {
								t.Errorf("the list holds %d, which is Council B's or above Council A", it.ID)
							}
						}
					}
				})
			}
		}
	}
	// The footage audit is checked on what the routes answered, not on a
	// list of footage routes: this only makes sure it was exercised.
	t.Run("footage audited", func(t *testing.T) {
		if len(footage) < 3 {
			t.Errorf("routes that served footage: got %v, want at least playback, WHEP and the WebSocket", footage)
		}
		t.Logf("routes that served footage, each audited: %v", footage)
	})
}

// cameraOf reads the camera id of a camera route's path, 0 otherwise.
func cameraOf(path string) int64 {
	var id int64
	if _, err := fmt.Sscanf(path, "/api/v1/cameras/%d", &id); err != nil {
		return 0
	}
	return id
}
