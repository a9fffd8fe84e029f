package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/money"
)

// The recharge's data: categories, camera history, and each year's and
// period's figures. The store keeps them; package finance works with them.

// FinanceCategories lists the monitoring categories by name.
func (s *Store) FinanceCategories(ctx context.Context) ([]finance.Category, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, title, weight_ppm FROM finance_categories ORDER BY name`)
	if err != nil {
		return nil, wrap("finance categories", err)
	}
	defer rows.Close()
	out := []finance.Category{}
	for rows.Next() {
		var c finance.Category
		if err := rows.Scan(&c.Name, &c.Title, &c.Weight); err != nil {
			return nil, wrap("finance categories", err)
		}
		out = append(out, c)
	}
	return out, wrap("finance categories", rows.Err())
}

// PutFinanceCategory adds a category or changes its title and weight. A
// changed weight changes every statement worked out afterwards, past ones
// included: the weight is the partnership's policy, not a dated event.
func (s *Store) PutFinanceCategory(ctx context.Context, c finance.Category) error {
	c.Name = strings.TrimSpace(c.Name)
	switch {
	case c.Name == "" || utf8.RuneCountInString(c.Name) > 50 || strings.ContainsAny(c.Name, " ,;\t\n"):
		return &InvalidError{Msg: "a category's name must be 1 to 50 characters without spaces or commas, such as proactive"}
	case utf8.RuneCountInString(c.Title) > 200:
		return &InvalidError{Msg: "a category's title must be at most 200 characters"}
	case c.Weight < 0 || c.Weight > 1000*finance.One:
		return &InvalidError{Msg: "a category's weight must be from 0 to 1000"}
	}
	if err := checkName("a category's title", c.Title); err != nil {
		return err
	}
	if c.Title == "" {
		c.Title = c.Name
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO finance_categories (name, title, weight_ppm, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET title = excluded.title, weight_ppm = excluded.weight_ppm`,
		c.Name, c.Title, int64(c.Weight), micros(now()))
	return wrap("put finance category", err)
}

const cameraEventCols = `id, camera_id, day, kind, category, organisation_id, note`

func scanCameraEvent(sc scanner) (finance.Event, error) {
	var e finance.Event
	var day int64
	var org sql.NullInt64
	var kind string
	if err := sc.Scan(&e.ID, &e.Camera, &day, &kind, &e.Category, &org, &e.Note); err != nil {
		return e, err
	}
	e.Day, e.Kind, e.Org = fromMicros(day), finance.EventKind(kind), org.Int64
	return e, nil
}

// ItemError is the refusal of a list written all or nothing (an
// import, a request of several parts) because of one of its items:
// Index counts from 0 in the list given, so that whoever passed it can
// name the item as its user knows it (a spreadsheet's row).
type ItemError struct {
	Index int
	Err   error
}

func (e *ItemError) Error() string { return fmt.Sprintf("item %d: %v", e.Index+1, e.Err) }

func (e *ItemError) Unwrap() error { return e.Err }

// AddCameraEvent records a dated change in a camera's history, which may
// be in the past (for history kept elsewhere until now). The camera, its
// category and its owner must exist; by is the user who entered it (0:
// Vigil itself).
func (s *Store) AddCameraEvent(ctx context.Context, e *finance.Event, by int64) error {
	es := []finance.Event{*e}
	err := s.AddCameraEvents(ctx, es, by)
	*e = es[0]
	var ie *ItemError
	if errors.As(err, &ie) {
		return ie.Err
	}
	return err
}

// AddCameraEvents records dated changes in cameras' histories, all or
// none: every event is checked, then all are written in one transaction.
// An event that cannot be entered is an *ItemError carrying its index,
// around an *InvalidError or ErrNotFound (no such camera). The events
// are given their ids.
func (s *Store) AddCameraEvents(ctx context.Context, events []finance.Event, by int64) error {
	t := micros(now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i := range events {
			if err := checkCameraEvent(ctx, tx, &events[i]); err != nil {
				return &ItemError{Index: i, Err: err}
			}
		}
		for i := range events {
			if err := insertCameraEvent(ctx, tx, &events[i], by, t); err != nil {
				return err
			}
		}
		return nil
	})
	return wrapItem("add camera events", err)
}

// wrapItem passes on a refusal of the store's own (an *ItemError, an
// *InvalidError, a *finance.FixedError) as it is, and wraps any other.
func wrapItem(op string, err error) error {
	var ie *ItemError
	var inv *InvalidError
	var fe *finance.FixedError
	if errors.As(err, &ie) || errors.As(err, &inv) || errors.As(err, &fe) {
		return err
	}
	return wrap(op, err)
}

// checkCameraEvent normalises an event and checks it against what
// exists: its camera, category and owner.
func checkCameraEvent(ctx context.Context, tx *sql.Tx, e *finance.Event) error {
	e.Day = finance.Day(e.Day)
	if utf8.RuneCountInString(e.Note) > 500 {
		return &InvalidError{Msg: "a note must be at most 500 characters"}
	}
	if err := e.Validate(); err != nil {
		return &InvalidError{Msg: err.Error()}
	}
	if e.Kind == finance.Decommissioned || e.Kind == finance.OwnerChanged {
		e.Category = ""
	}
	if e.Kind != finance.Installed && e.Kind != finance.OwnerChanged {
		e.Org = 0
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cameras WHERE id = $1`, e.Camera).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return notFound("camera %d", e.Camera)
	}
	if e.Category != "" {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM finance_categories WHERE name = $1`, e.Category).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return &InvalidError{Msg: fmt.Sprintf("there is no category %q", e.Category)}
		}
	}
	if e.Org != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM organisations WHERE id = $1`, e.Org).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return &InvalidError{Msg: fmt.Sprintf("there is no organisation %d", e.Org)}
		}
	}
	return nil
}

func insertCameraEvent(ctx context.Context, tx *sql.Tx, e *finance.Event, by, at int64) error {
	return tx.QueryRowContext(ctx, `INSERT INTO camera_events (camera_id, day, kind, category, organisation_id, note, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		e.Camera, micros(e.Day), string(e.Kind), e.Category, nullID(e.Org), e.Note, by, at).Scan(&e.ID)
}

// ReplaceCameraHistory replaces, in one transaction, the whole history of
// every camera that events name with those events: how history kept in a
// spreadsheet until now takes the place of what Vigil recorded when the
// cameras were added to it. Every event is checked before anything is
// deleted or written; one that cannot be entered is an *ItemError.
func (s *Store) ReplaceCameraHistory(ctx context.Context, events []finance.Event, by int64) error {
	t := micros(now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i := range events {
			if err := checkCameraEvent(ctx, tx, &events[i]); err != nil {
				return &ItemError{Index: i, Err: err}
			}
		}
		done := map[int64]bool{}
		for _, e := range events {
			if done[e.Camera] {
				continue
			}
			done[e.Camera] = true
			if _, err := tx.ExecContext(ctx, `DELETE FROM camera_events WHERE camera_id = $1`, e.Camera); err != nil {
				return err
			}
		}
		for i := range events {
			if err := insertCameraEvent(ctx, tx, &events[i], by, t); err != nil {
				return err
			}
		}
		return nil
	})
	return wrapItem("replace camera history", err)
}

// CameraEvents is one camera's history, oldest first.
func (s *Store) CameraEvents(ctx context.Context, camera int64) ([]finance.Event, error) {
	return s.cameraEvents(ctx, `SELECT `+cameraEventCols+` FROM camera_events WHERE camera_id = $1 ORDER BY day, id`, camera)
}

// CameraHistory is every camera's history, in the order
// finance.CameraDays reads it: by camera, day and id.
func (s *Store) CameraHistory(ctx context.Context) ([]finance.Event, error) {
	return s.cameraEvents(ctx, `SELECT `+cameraEventCols+` FROM camera_events ORDER BY camera_id, day, id`)
}

func (s *Store) cameraEvents(ctx context.Context, q string, args ...any) ([]finance.Event, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("camera events", err)
	}
	defer rows.Close()
	out := []finance.Event{}
	for rows.Next() {
		e, err := scanCameraEvent(rows)
		if err != nil {
			return nil, wrap("camera events", err)
		}
		out = append(out, e)
	}
	return out, wrap("camera events", rows.Err())
}

// CameraOwner is the organisation of a camera, removed ones included.
func (s *Store) CameraOwner(ctx context.Context, id int64) (int64, error) {
	var org int64
	err := s.r.QueryRowContext(ctx, `SELECT organisation_id FROM cameras WHERE id = $1`, id).Scan(&org)
	return org, wrap(fmt.Sprintf("camera %d", id), err)
}

// CameraNames maps every camera, removed ones included, to its name and
// owner: what an export of history needs to name cameras and decide who
// may see them.
func (s *Store) CameraNames(ctx context.Context) (map[int64]cameras.Camera, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, organisation_id, deleted_at FROM cameras`)
	if err != nil {
		return nil, wrap("camera names", err)
	}
	defer rows.Close()
	out := map[int64]cameras.Camera{}
	for rows.Next() {
		var c cameras.Camera
		var deleted sql.NullInt64
		if err := rows.Scan(&c.ID, &c.Name, &c.OrganisationID, &deleted); err != nil {
			return nil, wrap("camera names", err)
		}
		c.DeletedAt = fromNullMicros(deleted)
		out[c.ID] = c
	}
	return out, wrap("camera names", rows.Err())
}

// DeleteCameraEvent removes an event entered in error.
func (s *Store) DeleteCameraEvent(ctx context.Context, camera, id int64) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM camera_events WHERE id = $1 AND camera_id = $2`, id, camera)
	if err != nil {
		return wrap("delete camera event", err)
	}
	return checkAffected(res, "camera event", id)
}

// BackfillCameraHistory gives every live camera without any history an
// installation on the day it was added to Vigil, in category, so that
// cameras added outside the console (the demo, the command line) count.
// It returns how many it started.
func (s *Store) BackfillCameraHistory(ctx context.Context, category string) (int64, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO camera_events (camera_id, day, kind, category, organisation_id, note, created_by, created_at)
		SELECT id, created_at - created_at % 86400000000, 'installed', $1, organisation_id, 'history began', 0, $2
		FROM cameras c WHERE deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM camera_events e WHERE e.camera_id = c.id)`,
		category, micros(now()))
	if err != nil {
		return 0, wrap("backfill camera history", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("backfill camera history", err)
}

// FinanceOrgs is the organisation tree as the recharge needs it.
func (s *Store) FinanceOrgs(ctx context.Context) ([]finance.Org, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, parent_id, name, kind FROM organisations ORDER BY name`)
	if err != nil {
		return nil, wrap("finance organisations", err)
	}
	defer rows.Close()
	var out []finance.Org
	for rows.Next() {
		var o finance.Org
		var parent sql.NullInt64
		if err := rows.Scan(&o.ID, &parent, &o.Name, &o.Kind); err != nil {
			return nil, wrap("finance organisations", err)
		}
		o.Parent = parent.Int64
		out = append(out, o)
	}
	return out, wrap("finance organisations", rows.Err())
}

// FinanceSettings is a financial year's rounding unit and fixed element;
// a year never set rounds to £10 with no fixed element, as the
// Hertfordshire partnership does.
func (s *Store) FinanceSettings(ctx context.Context, year int) (finance.Settings, error) {
	st := finance.Settings{Unit: 1000}
	err := s.r.QueryRowContext(ctx, `SELECT unit_pence, fixed_pence FROM finance_years WHERE year = $1`, year).Scan(&st.Unit, &st.Fixed)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	return st, wrap("finance settings", err)
}

// PutFinanceSettings sets a financial year's rounding unit and fixed
// element, refused (a *finance.FixedError) if the fixed element cannot
// come out of the balance of a period of the year whose lines are
// entered.
func (s *Store) PutFinanceSettings(ctx context.Context, year int, st finance.Settings) error {
	return s.PutFinanceYear(ctx, year, &st, nil)
}

// FinanceLines is a statement's lines for period, in their order.
func (s *Store) FinanceLines(ctx context.Context, p finance.Period) ([]finance.Line, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, budget, actuals, estimate, company, comment FROM finance_lines
		WHERE period = $1 ORDER BY position, name`, p.String())
	if err != nil {
		return nil, wrap("finance lines", err)
	}
	defer rows.Close()
	out := []finance.Line{}
	for rows.Next() {
		var l finance.Line
		if err := rows.Scan(&l.Name, &l.Budget, &l.Actuals, &l.Estimate, &l.Company, &l.Comment); err != nil {
			return nil, wrap("finance lines", err)
		}
		out = append(out, l)
	}
	return out, wrap("finance lines", rows.Err())
}

// PutFinanceLines replaces a statement's lines for period, all checked
// first: a line that cannot be entered is an *ItemError around an
// *InvalidError, and so is one whose figures cannot be added to the
// others' (past money.Max, or a sum that does not fit). Lines that leave
// the year's fixed element larger than the balance are entered, since
// they are the partnership's accounts; the statement then says what is
// wrong instead of a figure (finance.FixedError).
func (s *Store) PutFinanceLines(ctx context.Context, p finance.Period, lines []finance.Line) error {
	seen := map[string]int{}
	var sums [3]int64 // budget, actuals, estimate: each must add up
	for i := range lines {
		l := &lines[i]
		l.Name = strings.TrimSpace(l.Name)
		bad := func(format string, args ...any) error {
			return &ItemError{Index: i, Err: &InvalidError{Msg: fmt.Sprintf(format, args...)}}
		}
		first, dup := seen[strings.ToLower(l.Name)]
		switch {
		case l.Name == "" || utf8.RuneCountInString(l.Name) > 100:
			return bad("a line's name must be 1 to 100 characters")
		case dup:
			return &ItemError{Index: i, Err: &DuplicateError{Name: l.Name, First: first}}
		case utf8.RuneCountInString(l.Comment) > 1000:
			return bad("a comment must be at most 1000 characters")
		}
		seen[strings.ToLower(l.Name)] = i
		for _, f := range []struct {
			what string
			sum  *int64
			v    int64
		}{{"budget", &sums[0], l.Budget}, {"actuals", &sums[1], l.Actuals}, {"estimate", &sums[2], l.Estimate}} {
			var err error
			if !money.InRange(f.v) {
				return bad("its %s must be at most £%s either way", f.what, money.Whole(money.Max))
			}
			if *f.sum, err = money.Add(*f.sum, f.v); err != nil {
				return bad("its %s cannot be added to the other lines': %v", f.what, err)
			}
		}
	}
	t := micros(now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM finance_lines WHERE period = $1`, p.String()); err != nil {
			return err
		}
		for i, l := range lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO finance_lines (period, position, name, budget, actuals, estimate, company, comment, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, p.String(), i, l.Name, l.Budget, l.Actuals, l.Estimate, l.Company, l.Comment, t); err != nil {
				return err
			}
		}
		return nil
	})
	return wrapItem("put finance lines", err)
}

// DuplicateError is an item of a list named as an earlier one was (a
// statement line named twice): First is the earlier item's index.
type DuplicateError struct {
	Name  string
	First int
}

func (e *DuplicateError) Error() string { return fmt.Sprintf("%q is named twice", e.Name) }

// Unwrap makes a duplicate an *InvalidError too, for callers that need
// not say where the first one was.
func (e *DuplicateError) Unwrap() error { return &InvalidError{Msg: e.Error()} }

// FinanceBudgets is each partner's budget for a financial year.
func (s *Store) FinanceBudgets(ctx context.Context, year int) ([]finance.Budget, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT organisation_id, budget, fixed_proportion FROM finance_budgets
		WHERE year = $1 ORDER BY organisation_id`, year)
	if err != nil {
		return nil, wrap("finance budgets", err)
	}
	defer rows.Close()
	out := []finance.Budget{}
	for rows.Next() {
		var b finance.Budget
		if err := rows.Scan(&b.Org, &b.Budget, &b.Fixed); err != nil {
			return nil, wrap("finance budgets", err)
		}
		out = append(out, b)
	}
	return out, wrap("finance budgets", rows.Err())
}

// PutFinanceBudgets sets partners' budgets for a financial year; partners
// not named keep theirs.
func (s *Store) PutFinanceBudgets(ctx context.Context, year int, bs []finance.Budget) error {
	return s.PutFinanceYear(ctx, year, nil, bs)
}

// maxFixedProportion bounds a partner's proportion of the fixed element
// ("in any unit": percent, thousandths), so that the year's proportions
// always add up without overflow.
const maxFixedProportion = 1_000_000_000_000

// PutFinanceYear sets, in one transaction and all or nothing, a
// financial year's rounding unit and fixed element (unless settings is
// nil) and the budgets of the partners bs names (others keep theirs).
// Everything is checked before anything is written: a budget that cannot
// be entered is an *ItemError carrying its index; a fixed element
// larger than the balance of any period of the year whose lines are
// entered (or of the other sign) is a *finance.FixedError naming the
// period, since every statement of that period could not be worked out.
func (s *Store) PutFinanceYear(ctx context.Context, year int, settings *finance.Settings, bs []finance.Budget) error {
	if settings != nil {
		if settings.Unit < 1 || settings.Unit > 100_000_00 {
			return &InvalidError{Msg: "the rounding unit must be from 1p to £100,000"}
		}
		if !money.InRange(settings.Fixed) {
			return &InvalidError{Msg: fmt.Sprintf("the fixed element must be at most £%s", money.Whole(money.Max))}
		}
	}
	seen := map[int64]int{}
	for i, b := range bs {
		bad := func(format string, args ...any) error {
			return &ItemError{Index: i, Err: &InvalidError{Msg: fmt.Sprintf(format, args...)}}
		}
		if first, dup := seen[b.Org]; dup {
			return bad("organisation %d's budget is given twice (also in item %d)", b.Org, first+1)
		}
		seen[b.Org] = i
		switch {
		case b.Fixed < 0:
			return bad("a fixed proportion cannot be negative")
		case b.Fixed > maxFixedProportion:
			return bad("a fixed proportion must be at most %d", int64(maxFixedProportion))
		case !money.InRange(b.Budget):
			return bad("a budget must be at most £%s either way", money.Whole(money.Max))
		}
	}
	t := micros(now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i, b := range bs {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM organisations WHERE id = $1`, b.Org).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return &ItemError{Index: i, Err: &InvalidError{Msg: fmt.Sprintf("there is no organisation %d", b.Org)}}
			}
		}
		if settings != nil && settings.Fixed != 0 {
			if err := checkFixedAgainstLines(ctx, tx, year, settings.Fixed); err != nil {
				return err
			}
		}
		if settings != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO finance_years (year, unit_pence, fixed_pence, updated_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (year) DO UPDATE SET unit_pence = excluded.unit_pence, fixed_pence = excluded.fixed_pence, updated_at = excluded.updated_at`,
				year, settings.Unit, settings.Fixed, t); err != nil {
				return err
			}
		}
		for _, b := range bs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO finance_budgets (year, organisation_id, budget, fixed_proportion, updated_at)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (year, organisation_id) DO UPDATE SET budget = excluded.budget,
				fixed_proportion = excluded.fixed_proportion, updated_at = excluded.updated_at`, year, b.Org, b.Budget, b.Fixed, t); err != nil {
				return err
			}
		}
		return nil
	})
	return wrapItem("put finance year", err)
}

// checkFixedAgainstLines refuses a fixed element that cannot come out of
// the balance of the year, or of any of its quarters, whose lines are
// entered. A period with no lines has nothing to check against yet.
func checkFixedAgainstLines(ctx context.Context, tx *sql.Tx, year int, fixed int64) error {
	for q := range 5 {
		p := finance.Period{Year: year, Quarter: q}
		rows, err := tx.QueryContext(ctx, `SELECT name, budget, actuals, estimate FROM finance_lines WHERE period = $1`, p.String())
		if err != nil {
			return err
		}
		var lines []finance.Line
		for rows.Next() {
			var l finance.Line
			if err := rows.Scan(&l.Name, &l.Budget, &l.Actuals, &l.Estimate); err != nil {
				rows.Close()
				return err
			}
			lines = append(lines, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(lines) == 0 {
			continue
		}
		b, err := finance.Balance(lines)
		if err != nil {
			return &InvalidError{Msg: fmt.Sprintf("the lines of %s cannot be added up (%v), so no fixed element can be checked against them", p, err)}
		}
		if err := finance.CheckFixed(fixed, b.Estimate); err != nil {
			err.(*finance.FixedError).Period = p
			return err
		}
	}
	return nil
}
