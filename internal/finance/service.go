package finance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Repo is what the service needs of storage; *store.Store implements it
// (store declares `var _ finance.Repo = (*Store)(nil)`). Its writes check
// what they are given against what exists and refuse a list all or
// nothing, an item by its index; inside a change they run in its
// transaction, so a refusal leaves nothing written, audit record included.
type Repo interface {
	Source
	// CameraOwner is the organisation of a camera, removed ones
	// included (their history still counts).
	CameraOwner(ctx context.Context, id int64) (int64, error)
	CameraEvents(ctx context.Context, camera int64) ([]Event, error)
	// FinanceCameras is every camera, removed ones included, by id.
	FinanceCameras(ctx context.Context) ([]Camera, error)
	PutFinanceCategory(ctx context.Context, c Category) error
	AddCameraEvent(ctx context.Context, e *Event, by int64) error
	AddCameraEvents(ctx context.Context, events []Event, by int64) error
	ReplaceCameraHistory(ctx context.Context, events []Event, by int64) error
	DeleteCameraEvent(ctx context.Context, camera, id int64) error
	PutFinanceLines(ctx context.Context, p Period, lines []Line) error
	PutFinanceYear(ctx context.Context, year int, settings *Settings, bs []Budget) error
	// Log adds an audit record to the change's transaction: it commits
	// with the change or not at all.
	Log(e auditlog.Entry) error
}

// Caller is who asks: the actor the audit records name, and their rights
// (the principal and the snapshot it is judged against). A caller without
// a snapshot may read nothing and change nothing.
type Caller struct {
	By     auditlog.Actor
	P      rights.Principal
	Rights *rights.Snapshot
}

// MayManage refuses, as problem.ErrForbidden with the reason, a caller who
// may not change the partnership's figures: the recharge's, the trading
// company's and works'. It is the one rule for all three
// (rights.Snapshot.CanManageFinance), and the partnership is known by id,
// so renaming it changes nothing.
func (c Caller) MayManage() error {
	if c.Rights == nil {
		return problem.Forbiddenf("no rights are known for you")
	}
	if d := c.Rights.CanManageFinance(c.P); !d.Allowed {
		return problem.Forbiddenf("%s", d.Reason)
	}
	return nil
}

// MayRead reports whether the caller may read the figures of org: a
// partner officer reads their own council's, the partnership's manager
// everyone's.
func (c Caller) MayRead(org int64) bool {
	return c.Rights != nil && c.Rights.CanOrg(c.P, rights.ReadFinance, org).Allowed
}

// Service reads and changes the recharge's figures (categories, camera
// history, statement lines, budgets), each change with its audit record
// in one transaction, and decides who may: reading needs read_finance for
// the organisation concerned, changing manage_finance at the partnership
// itself.
type Service struct {
	repo   Repo
	change func(ctx context.Context, fn func(tx Repo) error) error
	income IncomeSource
}

// New is the service over repo; change runs a function in one
// transaction whose audit records commit with it (audit.Changer); income,
// when not nil, gives the trading company's line its actuals.
func New(repo Repo, change func(ctx context.Context, fn func(tx Repo) error) error, income IncomeSource) *Service {
	return &Service{repo: repo, change: change, income: income}
}

// Statement works out the statement for p as the caller may see it: a
// partner officer's holds their own council's row alone. Its errors are
// Load's: a *FixedError or money.ErrOverflow say the figures entered
// contradict each other.
func (s *Service) Statement(ctx context.Context, c Caller, p Period) (Statement, error) {
	st, err := Load(ctx, s.repo, p, s.income)
	if err != nil {
		return st, err
	}
	return st.Filter(c.MayRead), nil
}

// Categories lists the monitoring categories by name; anyone who may
// read the figures may read them.
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	return s.repo.FinanceCategories(ctx)
}

// PutCategory adds a category or changes its title and weight, written
// as a decimal ("0.25").
func (s *Service) PutCategory(ctx context.Context, c Caller, name, title, weight string) error {
	if err := c.MayManage(); err != nil {
		return err
	}
	w, err := ParseWeight(weight)
	if err != nil {
		return problem.New(problem.ErrInvalid, err.Error(), err)
	}
	cat := Category{Name: name, Title: title, Weight: w}
	return s.change(ctx, func(tx Repo) error {
		if err := tx.PutFinanceCategory(ctx, cat); err != nil {
			return err
		}
		return tx.Log(c.By.Entry(auditlog.FinanceCategory, fmt.Sprintf("category %s (%s): weight %s", cat.Name, cat.Title, weight)))
	})
}

// Camera refuses a camera the caller may not read the figures of, or
// that does not exist, alike: "no camera N" (problem.ErrNotFound), so that
// scope does not leak. Removed cameras count: their history still does.
func (s *Service) Camera(ctx context.Context, c Caller, id int64) error {
	owner, err := s.repo.CameraOwner(ctx, id)
	if errors.Is(err, problem.ErrNotFound) || err == nil && !c.MayRead(owner) {
		return problem.Notf("no camera %d", id)
	}
	return err
}

// History is one camera's history, oldest first.
func (s *Service) History(ctx context.Context, c Caller, camera int64) ([]Event, error) {
	if err := s.Camera(ctx, c, camera); err != nil {
		return nil, err
	}
	return s.repo.CameraEvents(ctx, camera)
}

// AddEvent enters a dated event in e.Camera's history, past ones
// included, for history kept elsewhere until now; e is given its id.
func (s *Service) AddEvent(ctx context.Context, c Caller, e *Event) error {
	if err := s.Camera(ctx, c, e.Camera); err != nil {
		return err
	}
	if err := c.MayManage(); err != nil {
		return err
	}
	return s.change(ctx, func(tx Repo) error {
		if err := tx.AddCameraEvent(ctx, e, c.By.UserID); err != nil {
			return err
		}
		r := c.By.Entry(auditlog.FinanceHistoryAdd, fmt.Sprintf("event %d: %s on %s, category %q, organisation %d",
			e.ID, e.Kind, e.Day.Format(time.DateOnly), e.Category, e.Org))
		r.CameraID = e.Camera
		return tx.Log(r)
	})
}

// DeleteEvent removes an event entered in error.
func (s *Service) DeleteEvent(ctx context.Context, c Caller, camera, event int64) error {
	if err := s.Camera(ctx, c, camera); err != nil {
		return err
	}
	if err := c.MayManage(); err != nil {
		return err
	}
	return s.change(ctx, func(tx Repo) error {
		if err := tx.DeleteCameraEvent(ctx, camera, event); errors.Is(err, problem.ErrNotFound) {
			return problem.New(problem.ErrNotFound, fmt.Sprintf("camera %d has no event %d", camera, event), err)
		} else if err != nil {
			return err
		}
		r := c.By.Entry(auditlog.FinanceHistoryDelete, fmt.Sprintf("event %d", event))
		r.CameraID = camera
		return tx.Log(r)
	})
}

// Lines is a statement's lines for p, in their order: the partnership's,
// which every partner funds and is reported to.
func (s *Service) Lines(ctx context.Context, p Period) ([]Line, error) {
	return s.repo.FinanceLines(ctx, p)
}

// PutLines replaces a statement's lines for p, all or nothing.
func (s *Service) PutLines(ctx context.Context, c Caller, p Period, lines []Line) error {
	if err := c.MayManage(); err != nil {
		return err
	}
	return s.change(ctx, func(tx Repo) error {
		if err := tx.PutFinanceLines(ctx, p, lines); err != nil {
			return err
		}
		return tx.Log(c.By.Entry(auditlog.FinanceLines, fmt.Sprintf("%s: %d lines", p, len(lines))))
	})
}

// Year is a financial year's settings and the budgets of the partners
// whose figures the caller may read; y is the year as a Period.
func (s *Service) Year(ctx context.Context, c Caller, y Period) (Settings, []Budget, error) {
	set, err := s.repo.FinanceSettings(ctx, y.Year)
	if err != nil {
		return set, nil, err
	}
	bs, err := s.repo.FinanceBudgets(ctx, y.Year)
	if err != nil {
		return set, nil, err
	}
	out := []Budget{}
	for _, b := range bs {
		if c.MayRead(b.Org) {
			out = append(out, b)
		}
	}
	return set, out, nil
}

// PutYear sets a financial year's rounding unit and fixed element and
// the budgets of the partners bs names, as one change: a refusal of
// either leaves both as they were.
func (s *Service) PutYear(ctx context.Context, c Caller, y Period, set Settings, bs []Budget) error {
	if err := c.MayManage(); err != nil {
		return err
	}
	return s.change(ctx, func(tx Repo) error {
		if err := tx.PutFinanceYear(ctx, y.Year, &set, bs); err != nil {
			return err
		}
		return tx.Log(c.By.Entry(auditlog.FinanceBudgets, fmt.Sprintf("%s: unit %d, fixed %d, %d budgets", y, set.Unit, set.Fixed, len(bs))))
	})
}

// Import is what a spreadsheet holds, read into the figures it sets: a
// period's lines, a year's budgets or camera history, by Kind.
type Import struct {
	Kind    string // "lines", "budgets" or "history"
	Period  Period // the lines' period, or the budgets' year
	Lines   []Line
	Budgets []Budget
	Events  []Event
	// Replace: the history replaces the whole history of every camera
	// it names, instead of adding to it.
	Replace bool
	// Asked is how the import was asked for (the request's query), for
	// the audit record.
	Asked string
}

// The kinds of import.
const (
	ImportLines   = "lines"
	ImportBudgets = "budgets"
	ImportHistory = "history"
)

// ErrImportKind refuses an import of something that cannot be imported.
var ErrImportKind = problem.Notf("import lines, budgets or history")

// Import writes what a spreadsheet held, all or nothing with its audit
// record, and says how many rows it wrote. A refused row is the
// repository's refusal of the item at its index (store.ItemError), for
// the caller to name the row as its user knows it.
func (s *Service) Import(ctx context.Context, c Caller, in Import) (int, error) {
	if err := c.MayManage(); err != nil {
		return 0, err
	}
	var write func(tx Repo) error
	n := 0
	switch in.Kind {
	case ImportLines:
		write, n = func(tx Repo) error { return tx.PutFinanceLines(ctx, in.Period, in.Lines) }, len(in.Lines)
	case ImportBudgets:
		write, n = func(tx Repo) error { return tx.PutFinanceYear(ctx, in.Period.Year, nil, in.Budgets) }, len(in.Budgets)
	case ImportHistory:
		write, n = func(tx Repo) error {
			if in.Replace {
				return tx.ReplaceCameraHistory(ctx, in.Events, c.By.UserID)
			}
			return tx.AddCameraEvents(ctx, in.Events, c.By.UserID)
		}, len(in.Events)
	default:
		return 0, ErrImportKind
	}
	err := s.change(ctx, func(tx Repo) error {
		if err := write(tx); err != nil {
			return err
		}
		return tx.Log(c.By.Entry(auditlog.FinanceImport, fmt.Sprintf("%s: %d rows (%s)", in.Kind, n, in.Asked)))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
