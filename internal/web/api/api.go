// Package api is Vigil's JSON API: the handlers of the routes under
// /api/v1/ (the live views' WHEP and WebSocket endpoints among them),
// each of which decodes a request, calls a capability's service and
// encodes its answer. The server (package web) builds the services,
// authorises every request before it reaches a handler here, and lists
// Routes in its one table with what each asks of its caller.
package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/footage"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/trading"
	"github.com/vigil-cctv/vigil/internal/works"
)

// Cameras is what the API needs of the running cameras.
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
}

// Options are what the API is built from: the capabilities' services,
// which the server makes and shares with the console, and what the
// handlers still read directly.
type Options struct {
	// Store is read where no service answers yet: the audit listing's
	// names, the people's and organisations' views.
	Store *store.Store
	// Audit is the trail the live views and the audit listing write to
	// and read.
	Audit   *audit.Trail
	Cameras Cameras
	Rights  *rights.Cache

	Identity    *identity.Service
	Access      *access.Service
	Approvals   *approvals.Service[*store.Store]
	CameraSvc   *cameras.Service
	Layouts     *cameras.Layouts
	Footage     *footage.Service
	Finance     *finance.Service
	Trading     *trading.Service
	Works       *works.Service
	Maintenance *maintenance.Service

	// LiveHosts are the addresses offered to browsers for WebRTC (ICE
	// host candidates); empty means every interface.
	LiveHosts []string
	// MapOutline is the path of a GeoJSON file drawn behind the camera
	// map; empty: none.
	MapOutline string
	Logger     *slog.Logger
	// Now is the server's clock.
	Now func() time.Time
	// Zone is where people read times: export file names carry it, with
	// the offset; nil: Europe/London.
	Zone *time.Location
}

// API is the JSON API's handlers over the services.
type API struct {
	opt Options
	st  *store.Store
	log *slog.Logger
	// now is the server's clock, which its tests move.
	now func() time.Time
	id  *identity.Service

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
	// footage decides who may play back, export and delete which
	// footage, and audits it (footage.go, erasure.go).
	footage *footage.Service

	whep *live.WHEP
	live liveViews
	ws   wsSessions
	// review ends live views whose viewer's right has lapsed.
	reviewStop context.CancelFunc
	reviewDone chan struct{}
}

// New builds the API and starts the review of its live views; Close
// ends them.
func New(opt Options) (*API, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &API{opt: opt, st: opt.Store, log: opt.Logger, now: opt.Now, id: opt.Identity, rights: opt.Rights,
		finance: opt.Finance, tradingSvc: opt.Trading, worksSvc: opt.Works, maint: opt.Maintenance,
		accessSvc: opt.Access, approvalSvc: opt.Approvals, cams: opt.CameraSvc, layouts: opt.Layouts, footage: opt.Footage}
	s.live.sessions = map[string]liveView{}
	s.ws.ctx, s.ws.cancel = context.WithCancel(context.Background())
	var err error
	s.whep, err = live.NewWHEP(live.WHEPOptions{HostIPs: opt.LiveHosts, OnEnd: s.liveEnded, Logger: opt.Logger.With("component", "live")})
	if err != nil {
		return nil, err
	}
	s.startReview()
	return s, nil
}
