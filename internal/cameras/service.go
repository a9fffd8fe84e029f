package cameras

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/netpolicy"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Repo is what the service needs of storage; *store.Store implements it.
// In a change every method runs in the change's transaction.
type Repo interface {
	Camera(ctx context.Context, id int64) (Camera, error)
	ListCameras(ctx context.Context) ([]Camera, error)
	CreateCamera(ctx context.Context, c *Camera) error
	UpdateCamera(ctx context.Context, c *Camera) error
	DeleteCamera(ctx context.Context, id int64) error
	// The camera's dated history, which the recharge counts it by.
	CameraEvents(ctx context.Context, camera int64) ([]finance.Event, error)
	AddCameraEvent(ctx context.Context, e *finance.Event, by int64) error
	FinanceCategories(ctx context.Context) ([]finance.Category, error)
	// Log adds an audit record to the change: it commits with it.
	Log(e auditlog.Entry) error
}

// Runner is what runs the cameras: it is told after a change commits, so
// a camera records as its row says.
type Runner interface {
	// Apply starts, restarts or stops recording to match the row.
	Apply(ctx context.Context, c Camera) error
	// Stop stops recording a camera.
	Stop(id int64)
}

// Options configure a Service.
type Options struct {
	// Secrets seals camera credentials; required.
	Secrets Sealer
	// Addresses is where cameras may be (nil: the built-in policy).
	Addresses *netpolicy.Policy
	// Running is told of each change; nil: nothing runs cameras.
	Running Runner
	// Organisations finds the organisation a new camera joins (Owner).
	Organisations Organisations
	// Probe dials a camera for a connection test; nil: none are made.
	Probe Prober
	// RetentionDays is a new camera's retention when none is given.
	RetentionDays int
	Now           func() time.Time // nil: time.Now
	Logger        *slog.Logger     // nil: discard
}

// Service changes cameras, each change with its audit record and its
// dated event in the camera's finance history, all in one transaction.
type Service struct {
	repo   Repo
	change func(ctx context.Context, fn func(tx Repo) error) error
	opt    Options
	log    *slog.Logger
}

// New returns the service over repo; change runs a function in one
// transaction of repo's database (audit.Changer[Repo]).
func New(repo Repo, change func(ctx context.Context, fn func(tx Repo) error) error, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{repo: repo, change: change, opt: opt, log: opt.Logger}
}

// Camera returns a live camera; none is a problem.ErrNotFound "no camera N".
func (s *Service) Camera(ctx context.Context, id int64) (Camera, error) {
	c, err := s.repo.Camera(ctx, id)
	if errors.Is(err, problem.ErrNotFound) {
		return c, problem.New(problem.ErrNotFound, fmt.Sprintf("no camera %d", id), err)
	}
	return c, err
}

// Get returns the live camera id if by may do act to it now: one they
// may not see at all is "no camera N", like one that does not exist.
func (s *Service) Get(ctx context.Context, by Caller, id int64, act rights.Action) (Camera, error) {
	c, err := s.Camera(ctx, id)
	if err != nil {
		return c, err
	}
	return c, s.mayDo(by, act, c)
}

// List returns every live camera by id; who may see which is the
// caller's to decide.
func (s *Service) List(ctx context.Context) ([]Camera, error) {
	return s.repo.ListCameras(ctx)
}

// Create adds a camera of organisation org, which by must manage cameras
// in, and dates its installation in its history (in in.Category, proactive by
// default), then starts it.
func (s *Service) Create(ctx context.Context, by Caller, org int64, in Input) (Camera, error) {
	c, err := s.prepare(ctx, by, org, in)
	if err != nil {
		return Camera{}, err
	}
	err = s.change(ctx, func(tx Repo) error { return s.insert(ctx, tx, by, &c, in.Category) })
	if err != nil {
		return Camera{}, err
	}
	s.start(ctx, c)
	return c, nil
}

// prepare checks a new camera of organisation org, which by must manage
// cameras in, as in describes it: the camera to insert.
func (s *Service) prepare(ctx context.Context, by Caller, org int64, in Input) (Camera, error) {
	if in.Name == nil || in.URL == nil {
		return Camera{}, problem.Invalidf("name and url are required")
	}
	if err := s.mayManageIn(by, org); err != nil {
		return Camera{}, err
	}
	c := Camera{Transport: "tcp", RetentionDays: s.opt.RetentionDays, Enabled: true}
	if err := s.apply(ctx, &c, in); err != nil {
		return Camera{}, err
	}
	if err := s.checkCategory(ctx, in.Category); err != nil {
		return Camera{}, err
	}
	c.OrganisationID = org
	return c, nil
}

// insert adds prepared camera c in change tx, with its audit record and
// its installation dated in its history.
func (s *Service) insert(ctx context.Context, tx Repo, by Caller, c *Camera, category *string) error {
	if err := tx.CreateCamera(ctx, c); err != nil {
		return nameTaken(err, c.Name)
	}
	e := by.Actor.Entry(auditlog.CameraCreate, c.Name)
	e.CameraID = c.ID
	if err := tx.Log(e); err != nil {
		return err
	}
	return s.dated(ctx, tx, by.Actor, *c, finance.Installed, category)
}

// start starts a camera once its row is committed.
func (s *Service) start(ctx context.Context, c Camera) {
	if s.opt.Running != nil {
		if err := s.opt.Running.Apply(ctx, c); err != nil {
			s.log.Error("starting camera", "camera", c.ID, "err", err)
		}
	}
}

// Update changes camera c (as the caller read it), which by must manage,
// as in asks, dates a new category in its history, then
// restarts it with its new settings. A change of owner is a move
// (store's MoveCamera, through an approval), never an update.
func (s *Service) Update(ctx context.Context, by Caller, c Camera, in Input) (Camera, error) {
	if err := s.mayDo(by, rights.ManageCameras, c); err != nil {
		return Camera{}, err
	}
	if err := s.apply(ctx, &c, in); err != nil {
		return Camera{}, err
	}
	if err := s.checkCategory(ctx, in.Category); err != nil {
		return Camera{}, err
	}
	err := s.change(ctx, func(tx Repo) error {
		if err := tx.UpdateCamera(ctx, &c); err != nil {
			return nameTaken(err, c.Name)
		}
		e := by.Actor.Entry(auditlog.CameraUpdate, "")
		e.CameraID = c.ID
		if err := tx.Log(e); err != nil {
			return err
		}
		return s.dated(ctx, tx, by.Actor, c, finance.Recategorised, in.Category)
	})
	if err != nil {
		return Camera{}, err
	}
	if s.opt.Running != nil {
		if err := s.opt.Running.Apply(ctx, c); err != nil {
			s.log.Error("restarting camera", "camera", c.ID, "err", err)
		}
	}
	return c, nil
}

// Delete stops camera c, which by must manage, and removes it, dating its decommissioning. Its
// footage stays, to age out under the retention it had. It is stopped
// first so that nothing is recorded for a camera already gone.
func (s *Service) Delete(ctx context.Context, by Caller, c Camera) error {
	if err := s.mayDo(by, rights.ManageCameras, c); err != nil {
		return err
	}
	if s.opt.Running != nil {
		s.opt.Running.Stop(c.ID)
	}
	return s.change(ctx, func(tx Repo) error {
		if err := tx.DeleteCamera(ctx, c.ID); err != nil {
			if errors.Is(err, problem.ErrNotFound) {
				return problem.New(problem.ErrNotFound, fmt.Sprintf("no camera %d", c.ID), err)
			}
			return err
		}
		e := by.Actor.Entry(auditlog.CameraDelete, c.Name)
		e.CameraID = c.ID
		if err := tx.Log(e); err != nil {
			return err
		}
		return s.dated(ctx, tx, by.Actor, c, finance.Decommissioned, nil)
	})
}

// nameTaken says which name a conflict is over.
func nameTaken(err error, name string) error {
	if errors.Is(err, problem.ErrConflict) {
		return problem.New(problem.ErrConflict, fmt.Sprintf("a camera named %q already exists", name), err)
	}
	return err
}

// checkCategory refuses, before anything is changed, a category that
// does not exist.
func (s *Service) checkCategory(ctx context.Context, category *string) error {
	if category == nil {
		return nil
	}
	cats, err := s.repo.FinanceCategories(ctx)
	if err != nil {
		return err
	}
	var names []string
	for _, c := range cats {
		if c.Name == *category {
			return nil
		}
		names = append(names, c.Name)
	}
	return problem.Invalidf("category must be one of %s", strings.Join(names, ", "))
}

// dated adds to c's history, in the change's transaction, the event kind
// that a change made through the camera API is: an installation when it is
// added, a new category (only when category names one it does not have
// already), a decommissioning when it is removed. category is what was
// asked for (nil: not given).
func (s *Service) dated(ctx context.Context, tx Repo, by auditlog.Actor, c Camera, kind finance.EventKind, category *string) error {
	e := finance.Event{Camera: c.ID, Day: s.opt.Now(), Kind: kind, Org: c.OrganisationID, Note: "through the console"}
	switch kind {
	case finance.Installed:
		e.Category = finance.Proactive
		if category != nil && *category != "" {
			e.Category = *category
		}
	case finance.Recategorised:
		if category == nil {
			return nil
		}
		es, err := tx.CameraEvents(ctx, c.ID)
		if err != nil {
			return err
		}
		current := ""
		for _, old := range es {
			if old.Kind == finance.Installed || old.Kind == finance.Recategorised {
				current = old.Category
			}
		}
		if current == *category {
			return nil
		}
		e.Category = *category
	}
	err := tx.AddCameraEvent(ctx, &e, by.UserID)
	var p *problem.Problem
	if errors.Is(err, problem.ErrInvalid) && !errors.As(err, &p) {
		// The store's refusal says what is wrong in words for the
		// person who asked.
		return problem.New(problem.ErrInvalid, err.Error(), err)
	}
	return err
}
