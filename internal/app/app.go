// Package app wires Vigil's parts into one server and owns its lifetime:
// the store, the recorder and retention, the cameras, and the HTTP server.
// It is the only package that depends on all the others.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/localtime"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/netpolicy"
	"github.com/vigil-cctv/vigil/internal/playback"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/secret"
	"github.com/vigil-cctv/vigil/internal/segstore"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/tlscert"
	"github.com/vigil-cctv/vigil/internal/trading"
	"github.com/vigil-cctv/vigil/internal/transcode"
	"github.com/vigil-cctv/vigil/internal/web"
)

// App is one running Vigil server.
type App struct {
	cfg   config.Config
	log   *slog.Logger
	Store *store.Store
	Audit *audit.Trail
	// Changes commits each change with its audit record (the outbox)
	// and takes the records into the trail.
	Changes *audit.Outbox
	box     *secret.Box
	rec     *recording.Recorder
	ret     *recording.Retention
	cams    *cameraSet
	maint   *maintenance.Watcher
	web     *web.Server
	ln      net.Listener
	tls     bool
	Metrics *ingest.Metrics
	// cameraNet is where cameras may be, checked when one is saved and
	// at every connection to one.
	cameraNet *netpolicy.Policy

	tuneIngest func(*ingest.Options)
}

// New opens the store, reconciles recordings left by an unclean stop,
// makes the first account if there is none (printing its password to out
// once, unless VIGIL_ADMIN_PASSWORD gave it), and binds the HTTP listener.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer) (*App, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	for _, s := range cfg.Storage {
		if err := os.MkdirAll(s.Path, 0o750); err != nil {
			return nil, fmt.Errorf("storage %q: %w", s.Name, err)
		}
	}
	st, err := store.Open(ctx, cfg.DSN(), log)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, Store: st}
	ok := false
	defer func() {
		if !ok {
			st.Close()
		}
	}()
	a.box, err = secret.LoadOrCreate(filepath.Join(cfg.DataDir, "credentials.key"), os.Getenv("VIGIL_SECRET_KEY"))
	if err != nil {
		return nil, err
	}
	if a.Audit, err = OpenAudit(ctx, cfg, log.With("component", "audit")); err != nil {
		return nil, err
	}
	defer func() {
		if !ok {
			a.Audit.Close()
		}
	}()
	// The trail is checked (and its guards restored) before anything is
	// written to it, and a checkpoint signed over it; damage raises an
	// alarm but the server starts, since not starting would stop the
	// record of who sees footage.
	if err := a.Audit.Start(ctx); err != nil {
		log.Error("audit trail: the start-up check failed", "err", err)
	}
	if n, err := a.Audit.ImportLegacy(ctx, st); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("audit records moved from the main database into the audit trail", "records", n)
	}
	if a.Changes, err = audit.NewOutbox(ctx, st, a.Audit, audit.OutboxOptions{Logger: log.With("component", "audit-outbox")}); err != nil {
		return nil, err
	}
	// Records a stopped server or a command line left in the outbox go
	// into the trail before anything new.
	if err := a.Changes.Drain(ctx); err != nil {
		log.Error("audit outbox: records wait for the trail", "err", err)
	}
	if err := Bootstrap(ctx, a.Changes.Change, cfg, out); err != nil {
		return nil, err
	}
	// Every storage folder takes new segments (segstore.Local's rule
	// says which), and footage in any of them plays back.
	var storages []segstore.Folder
	var folders []recording.Folder
	for _, s := range cfg.Storage {
		storages = append(storages, segstore.Folder{Name: s.Name, Path: s.Path})
		folders = append(folders, recording.Folder{Name: s.Name, QuotaBytes: s.QuotaBytes, MinFreeBytes: s.MinFreeBytes})
	}
	segs, err := segstore.NewLocal(storages, segstore.LocalOptions{})
	if err != nil {
		return nil, err
	}
	rep, err := recording.Reconcile(ctx, st, segs, log)
	if err != nil {
		return nil, fmt.Errorf("reconcile recordings: %w", err)
	}
	if rep != (recording.ReconcileReport{}) {
		log.Warn("recordings reconciled after an unclean stop", "recovered", rep.Recovered, "truncated_bytes", rep.TruncatedBytes, "empty_removed", rep.EmptyRemoved, "orphans_removed", rep.OrphansRemoved)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		audit.AlarmCollector(a.Audit), audit.OutboxCollector(a.Changes))
	a.Metrics = ingest.NewMetrics(reg)
	a.rec = recording.New(st, recording.Options{
		Storage:         segs,
		SegmentDuration: cfg.Recording.SegmentDuration.Duration, Logger: log.With("component", "recorder"),
		Metrics: a.Metrics,
	})
	a.ret = recording.NewRetention(st, deletionTx(st), a.Changes, segs, folders, cfg.Recording.RetentionInterval.Duration, log.With("component", "retention"))
	if a.cameraNet, err = cfg.CameraNetwork.Policy(); err != nil {
		return nil, err
	}
	a.cams = newCameraSet(a)
	pol := maintenancePolicy(cfg.Maintenance)
	a.maint = maintenance.New(maintenance.Options{Repo: st, Change: audit.Changer[maintenance.Repo](a.Changes), Source: a.cams, Policy: pol,
		Interval: cfg.Maintenance.CheckInterval.Duration, Logger: log.With("component", "maintenance")})
	zone, err := localtime.Load(cfg.TimeZone)
	if err != nil {
		return nil, err
	}
	a.web, err = web.New(web.Options{
		Store: st, Audit: a.Audit, Changes: a.Changes, Cameras: a.cams, Clips: playback.NewBuilder(st, segs), Secrets: a.box,
		Eraser:   recording.NewEraser(st, deletionTx(st), segs, a.Changes, log.With("component", "erasure")),
		Gatherer: reg, Logger: log.With("component", "web"),
		RetentionDays: cfg.Recording.RetentionDays, PlaybackDelay: cfg.Recording.PlaybackDelay.Duration, LiveHosts: cfg.LiveHosts, MapOutline: cfg.MapOutline,
		TLS: cfg.TLSOn(), SignIn: signInOptions(cfg.SignIn), OIDC: cfg.OIDC, Maintenance: pol,
		WriteTimeout: cfg.HTTPTimeouts.Write.Duration, CameraAddresses: a.cameraNet, CameraProbe: a.cams, Zone: zone,
		// The statement's company income is what the trading company
		// invoiced.
		Income: trading.NewLedger(st, log.With("component", "trading")),
	})
	if err != nil {
		return nil, err
	}
	if cmd, err := transcode.Command(cfg.LiveTranscoder); err != nil {
		log.Warn("no live transcoder: browsers that cannot play H.265 get no live view of H.265 cameras", "live_transcoder", cfg.LiveTranscoder, "err", err)
	} else {
		log.Info("live transcoder for H.265 cameras' H.264 views, run only while watched", "command", cmd)
	}
	a.ln, err = net.Listen("tcp", cfg.HTTP)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	if cfg.TLSOn() {
		cert, err := serverCertificate(cfg, log)
		if err != nil {
			a.ln.Close()
			return nil, err
		}
		a.ln = tls.NewListener(a.ln, tlscert.Config(cert))
		a.tls = true
	}
	if cfg.OIDC.Enabled() {
		log.Info("single sign-on", "issuer", cfg.OIDC.Issuer, "client_id", cfg.OIDC.ClientID, "redirect_url", cfg.OIDC.RedirectURL)
	}
	ok = true
	return a, nil
}

// serverCertificate is the certificate the configuration names, or the
// self-signed one kept in the data folder (made at first start).
func serverCertificate(cfg config.Config, log *slog.Logger) (tls.Certificate, error) {
	if cfg.TLS != "self-signed" {
		c, err := tlscert.Load(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return c, err
		}
		log.Info("TLS", "certificate", cfg.TLSCert, "subject", c.Leaf.Subject.String(), "not_after", c.Leaf.NotAfter, "sha256", tlscert.Fingerprint(c.Leaf))
		return c, nil
	}
	host, _, _ := net.SplitHostPort(cfg.HTTP)
	hosts := []string{host}
	if h, err := os.Hostname(); err == nil {
		hosts = append(hosts, h)
	}
	c, made, err := tlscert.SelfSigned(cfg.DataDir, hosts, time.Now())
	if err != nil {
		return c, fmt.Errorf("tls: self-signed certificate: %w", err)
	}
	msg := "TLS with the self-signed certificate kept in the data folder: check this fingerprint when a browser first asks"
	if made {
		msg = "TLS with a self-signed certificate made now and kept in the data folder: check this fingerprint when a browser first asks"
	}
	log.Warn(msg, "file", filepath.Join(cfg.DataDir, tlscert.CertFile), "names", append(c.Leaf.DNSNames, ipStrings(c.Leaf.IPAddresses)...), "not_after", c.Leaf.NotAfter, "sha256", tlscert.Fingerprint(c.Leaf))
	return c, nil
}

func ipStrings(ips []net.IP) []string {
	var out []string
	for _, ip := range ips {
		out = append(out, ip.String())
	}
	return out
}

// signInOptions carries the configuration's sign-in settings to the web
// server.
func signInOptions(c config.SignIn) web.SignInOptions {
	return web.SignInOptions{
		SessionIdle: c.SessionIdleTimeout.Duration, SessionLifetime: c.SessionLifetime.Duration,
		TokenMaxLifetime: c.TokenMaxLifetime.Duration,
		Account:          auth.Lockout{Threshold: c.LockoutThreshold, Base: c.LockoutBase.Duration, Max: c.LockoutMax.Duration},
		Address:          auth.Lockout{Threshold: c.AddressLockoutThreshold, Base: c.LockoutBase.Duration, Max: c.LockoutMax.Duration},
	}
}

// OpenAudit opens the audit trail cfg names, with its signing key
// (VIGIL_AUDIT_KEY, or audit.key in the data folder, made on first use)
// and its witness file (audit.checkpoint in the data folder).
func OpenAudit(ctx context.Context, cfg config.Config, log *slog.Logger) (*audit.Trail, error) {
	key, err := audit.LoadOrCreateKey(filepath.Join(cfg.DataDir, "audit.key"), os.Getenv("VIGIL_AUDIT_KEY"))
	if err != nil {
		return nil, err
	}
	o, err := AuditOptions(cfg)
	if err != nil {
		return nil, err
	}
	o.Key, o.Retention, o.Logger = key, cfg.AuditRetention(), log
	return audit.Open(ctx, o)
}

// AuditOptions are where cfg keeps the trail and its witnesses: the
// witness file (audit.checkpoint in the data folder) and those off the
// machine (audit_witness).
func AuditOptions(cfg config.Config) (audit.Options, error) {
	o := audit.Options{DSN: cfg.AuditDSN(), Witness: filepath.Join(cfg.DataDir, "audit.checkpoint"), WitnessDB: cfg.AuditWitness.Database}
	network, addr, ok, err := cfg.AuditWitness.SyslogTarget()
	if err != nil {
		return o, err
	}
	if ok {
		o.Syslog = &audit.SyslogOptions{Network: network, Address: addr}
	}
	return o, nil
}

// maintenancePolicy carries the configuration's maintenance settings to
// the watcher and the web server.
func maintenancePolicy(c config.Maintenance) maintenance.Policy {
	p := maintenance.Policy{OfflineAfter: c.OfflineAfter.Duration, FaultAfter: c.OfflineFaultAfter.Duration,
		OfflinePriority: c.OfflinePriority, Contractor: c.Contractor, Targets: map[string]maintenance.Target{}}
	for pri, t := range c.Targets {
		p.Targets[pri] = maintenance.Target{Response: t.Response.Duration, Fix: t.Fix.Duration}
	}
	return p
}

// Bootstrap makes the account "admin", an administrator of the server's
// organisation, when there is no account at all. An administrator manages
// people and cameras but sees no footage: the first thing to do is make
// the people who will. No password is built in: it is
// VIGIL_ADMIN_PASSWORD, which must be strong, or a random one printed here
// once.
//
// The partnership and the account are made in one change with their audit
// records, by Vigil itself (FirstStart says so in their detail): change is
// the server's outbox (audit.Outbox.Change), so the trail's first records
// say where its first organisation and user came from.
func Bootstrap(ctx context.Context, change func(ctx context.Context, fn func(tx *store.Store) error) error, cfg config.Config, out io.Writer) error {
	pass, printed := cfg.AdminPassword, false
	if pass == "" {
		pass, printed = auth.RandomPassword(), true
	}
	made := false
	err := change(ctx, func(tx *store.Store) error {
		n, err := tx.CountUsers(ctx)
		if err != nil || n > 0 {
			return err
		}
		if !printed {
			if err := auth.CheckPasswordStrength(pass); err != nil {
				return fmt.Errorf("VIGIL_ADMIN_PASSWORD: %w", err)
			}
		}
		// The server's own organisation heads the tree: the partnership,
		// whose people the others' cameras are shared with by being below
		// it.
		org, err := tx.Partnership(ctx)
		if errors.Is(err, store.ErrNotFound) {
			org, err = tx.OrganisationByName(ctx, cfg.Organisation)
		}
		if errors.Is(err, store.ErrNotFound) {
			if org, err = tx.EnsurePartnership(ctx, cfg.Organisation); err == nil {
				err = tx.Log(auditlog.System.Entry(auditlog.OrganisationCreate,
					fmt.Sprintf("%s: organisation %s (%d), kind %s", FirstStart, org.Name, org.ID, org.Kind)))
			}
		}
		if err != nil {
			return err
		}
		hash, err := auth.HashPassword(pass)
		if err != nil {
			return err
		}
		u := &identity.User{Username: "admin", PasswordHash: hash, OrganisationID: org.ID, Role: "administrator", MustChangePassword: printed}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		made = true
		return tx.Log(auditlog.System.Entry(auditlog.UserCreate,
			fmt.Sprintf("%s: user %s (%d), organisation %s, role administrator", FirstStart, u.Username, u.ID, org.Name)))
	})
	if err != nil || !made {
		return err
	}
	if printed {
		fmt.Fprintf(out, "\nCreated the account \"admin\" with the password\n\n    %s\n\nIt is shown only this once: keep it safe.\n\n", pass)
	}
	return nil
}

// FirstStart begins the detail of the records of what Bootstrap makes.
const FirstStart = "first start"

// TuneIngest has fn adjust the ingest options of every camera started
// from now on: for benchmarks, which trace live latency. Call it before
// Run.
func (a *App) TuneIngest(fn func(*ingest.Options)) { a.tuneIngest = fn }

// Addr is the HTTP listener's address.
func (a *App) Addr() string { return a.ln.Addr().String() }

// URL is the server's base URL: https when it serves TLS.
func (a *App) URL() string {
	if a.tls {
		return "https://" + a.Addr()
	}
	return "http://" + a.Addr()
}

// ErrShutdownTimeout is Run's error when stopping took longer than the
// configured shutdown_timeout: the error names what did not finish.
// Footage already on disk is recovered by Reconcile at the next start.
var ErrShutdownTimeout = errors.New("shutdown did not finish in time")

// Run serves until ctx ends, or the HTTP server fails (its error is then
// Run's), then stops everything in order within the configured
// shutdown_timeout: cameras first, so their last fragments reach the
// index writer, then the HTTP server, live views, the maintenance watcher,
// the background tasks and the audit trail, and last the index writer's
// final write, the one step a database that does not answer can hold up.
func (a *App) Run(ctx context.Context) error {
	defer a.Store.Close()
	bgCtx, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBg()
	// The index writer outlives the other tasks: it is stopped last, by
	// Stop with the shutdown's deadline.
	recCtx, stopRec := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRec()
	var bg, recWG sync.WaitGroup
	recWG.Go(func() { a.rec.Run(recCtx) })
	bg.Go(func() { a.ret.Run(bgCtx) })
	bg.Go(func() { a.Audit.Run(bgCtx) })
	bg.Go(func() { a.Changes.Run(bgCtx) })
	bg.Go(func() { a.maint.Run(bgCtx) })

	// Every request is bounded, its body included, so that slow clients
	// cannot hold connections open; the web server lifts the bounds of
	// footage downloads and live video itself, per request.
	t := a.cfg.HTTPTimeouts
	srv := &http.Server{Handler: a.web, ReadHeaderTimeout: t.ReadHeader.Duration, ReadTimeout: t.Read.Duration,
		WriteTimeout: t.Write.Duration, IdleTimeout: t.Idle.Duration}
	runCtx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	var serveErr error
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(a.ln); !errors.Is(err, http.ErrServerClosed) {
			// Not serving is not running: the process stops with the
			// error rather than record on with no way in.
			serveErr = fmt.Errorf("http server: %w", err)
			a.log.Error("the HTTP server failed; stopping", "err", err)
			fail(serveErr)
		}
	}()
	camsDone := make(chan struct{})
	go func() {
		defer close(camsDone)
		a.cams.run(runCtx) // returns once runCtx ends and every camera stopped
	}()
	<-runCtx.Done()

	timeout := a.cfg.ShutdownTimeout.Duration
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	shut, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	sd := shutdown{ctx: shut, log: a.log}
	sd.await("the cameras", camsDone)
	sd.step("the HTTP server", func() error {
		// Open requests get at most 5 s; live video, which Shutdown
		// does not end, the web server's Close ends next.
		hctx, cancel := context.WithTimeout(shut, 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(hctx); err != nil {
			srv.Close()
		}
		<-served
		return nil
	})
	sd.step("live views", a.web.Close) // ends live views, which are audited
	sd.step("the maintenance watcher", a.maint.Close)
	stopBg()
	sd.step("retention, the audit checkpoints and the maintenance checks", func() error { bg.Wait(); return nil })
	sd.step("the audit outbox", func() error { return a.Changes.Close(5 * time.Second) })
	sd.step("the audit trail", a.Audit.Close)
	// Called even past the deadline: Stop gives up at the deadline by
	// itself, at once if it has passed.
	if err := a.rec.Stop(shut); err != nil {
		sd.late = append(sd.late, "the recording index")
		sd.failures = append(sd.failures, err)
	}
	stopRec()
	recWG.Wait()
	select {
	case <-served:
	default:
		serveErr = nil // still stopping, so it did not fail by itself
	}
	return errors.Join(serveErr, sd.err(timeout))
}

// shutdown runs Run's stopping steps in order against one deadline. A
// step still running at the deadline is left behind (the process is
// ending) and named in the error, with the steps never begun.
type shutdown struct {
	ctx      context.Context
	log      *slog.Logger
	late     []string // steps that did not finish in time, or never began
	failures []error
}

// step runs fn unless the deadline has passed, waiting for it at most
// until then; fn's error is logged and kept.
func (s *shutdown) step(name string, fn func() error) {
	if s.ctx.Err() != nil {
		s.late = append(s.late, name+" (not begun)")
		return
	}
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = fn()
	}()
	if s.await(name, done) && err != nil {
		s.log.Error("stopping "+name, "err", err)
		s.failures = append(s.failures, fmt.Errorf("%s: %w", name, err))
	}
}

// await waits for done until the deadline, reporting whether it came.
func (s *shutdown) await(name string, done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	case <-s.ctx.Done():
	}
	select {
	case <-done: // both at once: it finished
		return true
	default:
	}
	s.late = append(s.late, name)
	return false
}

// err is nil when every step finished in time (a step's own failure is
// logged only, as it always was); otherwise ErrShutdownTimeout naming the
// steps that did not finish, with the failures seen.
func (s *shutdown) err(timeout time.Duration) error {
	if len(s.late) == 0 {
		return nil
	}
	s.log.Error("shutdown gave up: these did not finish in time", "after", timeout, "unfinished", s.late,
		"note", "footage already on disk is recovered by the reconciliation at the next start")
	err := fmt.Errorf("%w: gave up after %s on %s; footage already on disk is recovered at the next start",
		ErrShutdownTimeout, timeout, strings.Join(s.late, ", "))
	return errors.Join(append([]error{err}, s.failures...)...)
}

// Flush waits until every fragment written so far is in the index.
func (a *App) Flush(ctx context.Context) error { return a.rec.Flush(ctx) }

// CameraStatus returns a running camera's state.
func (a *App) CameraStatus(id int64) (ingest.Status, bool) { return a.cams.Status(id) }

// AddCamera registers and starts a camera without credentials (the API is
// the way to add cameras with them), as Vigil itself: the camera, and the
// partnership when there is none yet, are made with their audit records.
func (a *App) AddCamera(ctx context.Context, c *cameras.Camera) error {
	if c.RetentionDays == 0 {
		c.RetentionDays = a.cfg.Recording.RetentionDays
	}
	if c.Transport == "" {
		c.Transport = "tcp"
	}
	err := a.Changes.Change(ctx, func(tx *store.Store) error {
		if c.OrganisationID == 0 {
			org, err := tx.Partnership(ctx)
			if errors.Is(err, store.ErrNotFound) {
				if org, err = tx.EnsurePartnership(ctx, a.cfg.Organisation); err == nil {
					err = tx.Log(auditlog.System.Entry(auditlog.OrganisationCreate,
						fmt.Sprintf("organisation %s (%d), kind %s, for a camera added on the server", org.Name, org.ID, org.Kind)))
				}
			}
			if err != nil {
				return err
			}
			c.OrganisationID = org.ID
		}
		if err := tx.CreateCamera(ctx, c); err != nil {
			return err
		}
		e := auditlog.System.Entry(auditlog.CameraCreate, fmt.Sprintf("camera %s (%d), added on the server", c.Name, c.ID))
		e.CameraID = c.ID
		return tx.Log(e)
	})
	if err != nil {
		return err
	}
	return a.cams.Apply(ctx, *c)
}

// StartCamera starts, restarts or stops camera c as its saved row says:
// for cameras saved outside the API (the demo's, with their records).
func (a *App) StartCamera(ctx context.Context, c cameras.Camera) error {
	return a.cams.Apply(ctx, c)
}

// RetentionDays is how long a camera keeps footage unless it says.
func (a *App) RetentionDays() int { return a.cfg.Recording.RetentionDays }
