package cameras

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/problem"
)

// Layout is one user's saved arrangement of the video wall.
type Layout struct {
	ID, UserID int64
	Name       string
	// Grid is the wall's side: Grid x Grid tiles, 1 to MaxLayoutGrid.
	Grid int
	// Tiles are the camera ids shown, row by row; nil is an empty tile.
	Tiles     []*int64
	UpdatedAt time.Time
}

// Limits of a layout.
const (
	MaxLayoutName = 60
	MaxLayoutGrid = 5

	// MaxLayoutsPerUser bounds one user's saved layouts. A layout is
	// picked by name from a menu on the wall, so a hundred is more than
	// any control room keeps, and it stops one account from filling the
	// database (thousands were saved in seconds) or making its own list
	// slow to read.
	MaxLayoutsPerUser = 100
)

// Limits of a page of layouts.
const (
	DefaultLayoutPage = MaxLayoutsPerUser
	MaxLayoutPage     = MaxLayoutsPerUser
)

// ErrTooManyLayouts is returned, wrapped, when saving a new layout would
// give its user more than MaxLayoutsPerUser. Replacing one of the same
// name is always allowed.
var ErrTooManyLayouts = fmt.Errorf("a user may keep at most %d layouts", MaxLayoutsPerUser)

// Validate reports, in words fit for the person who chose the values, why
// the layout cannot be saved.
func (l *Layout) Validate() error {
	n := utf8.RuneCountInString(l.Name)
	switch {
	case !utf8.ValidString(l.Name) || n < 1 || n > MaxLayoutName:
		return fmt.Errorf("layout name must be 1 to %d characters", MaxLayoutName)
	case strings.TrimSpace(l.Name) != l.Name:
		return errors.New("layout name must not start or end with a space")
	case names.Check("a layout's name", l.Name) != nil:
		return names.Check("a layout's name", l.Name)
	case strings.IndexFunc(l.Name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return errors.New("layout name must hold only printable characters")
	case l.Grid < 1 || l.Grid > MaxLayoutGrid:
		return fmt.Errorf("layout grid must be 1 to %d (1, 4, 9, 16 or 25 tiles)", MaxLayoutGrid)
	case len(l.Tiles) != l.Grid*l.Grid:
		return fmt.Errorf("a layout of grid %d has %d tiles, not %d", l.Grid, l.Grid*l.Grid, len(l.Tiles))
	}
	for i, id := range l.Tiles {
		if id != nil && *id <= 0 {
			return fmt.Errorf("tile %d: camera id %d is not a positive whole number", i+1, *id)
		}
	}
	return nil
}

// LayoutRepo is what layouts need of storage; *store.Store implements it.
type LayoutRepo interface {
	SaveLayout(ctx context.Context, l *Layout) error
	LayoutPage(ctx context.Context, userID int64, after string, limit int) ([]Layout, bool, error)
	Layout(ctx context.Context, userID int64, name string) (Layout, error)
	DeleteLayout(ctx context.Context, userID int64, name string) error
}

// Layouts keeps each person's saved layouts of the video wall: their own
// only, never anyone else's. A layout is a person's preference, not a
// change anyone audits, so it is not recorded in the trail.
type Layouts struct {
	repo LayoutRepo
}

// NewLayouts returns the layouts kept in repo.
func NewLayouts(repo LayoutRepo) *Layouts { return &Layouts{repo: repo} }

// Page returns up to limit of the user's layouts (0: DefaultLayoutPage)
// after the one called after, and whether more follow.
func (l *Layouts) Page(ctx context.Context, user int64, after string, limit int) ([]Layout, bool, error) {
	if limit < 0 || limit > MaxLayoutPage {
		return nil, false, problem.Invalidf("limit %d is not a number from 1 to %d", limit, MaxLayoutPage)
	}
	return l.repo.LayoutPage(ctx, user, after, limit)
}

// Get returns the user's layout called name.
func (l *Layouts) Get(ctx context.Context, user int64, name string) (Layout, error) {
	out, err := l.repo.Layout(ctx, user, name)
	return out, noLayout(err, name)
}

// Save saves the user's layout of that name, replacing any earlier one.
// Each camera on it must be one the user may view live now (mayView).
func (l *Layouts) Save(ctx context.Context, user int64, name string, grid int, tiles []*int64, mayView func(camera int64) bool) (Layout, error) {
	if tiles == nil {
		return Layout{}, problem.Invalidf(`tiles is required: an array of grid*grid camera ids or nulls, e.g. {"grid": 2, "tiles": [1, 2, null, 4]}`)
	}
	out := Layout{UserID: user, Name: name, Grid: grid, Tiles: tiles}
	if err := out.Validate(); err != nil {
		return Layout{}, problem.New(problem.ErrInvalid, err.Error(), err)
	}
	for i, id := range out.Tiles {
		if id != nil && !mayView(*id) {
			return Layout{}, problem.Invalidf("tile %d: there is no camera %d you may view live", i+1, *id)
		}
	}
	err := l.repo.SaveLayout(ctx, &out)
	if errors.Is(err, ErrTooManyLayouts) {
		return Layout{}, problem.New(problem.ErrConflict, fmt.Sprintf("you have %d saved layouts, the most one person may keep: delete one, or save over one of the same name", MaxLayoutsPerUser), err)
	}
	return out, err
}

// Delete removes the user's layout called name.
func (l *Layouts) Delete(ctx context.Context, user int64, name string) error {
	return noLayout(l.repo.DeleteLayout(ctx, user, name), name)
}

func noLayout(err error, name string) error {
	if errors.Is(err, problem.ErrNotFound) {
		return problem.New(problem.ErrNotFound, fmt.Sprintf("you have no layout named %q", name), err)
	}
	return err
}
