package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/vigil-cctv/vigil/internal/cameras"
)

// The store keeps the layouts' repository.
var _ cameras.LayoutRepo = (*Store)(nil)

const layoutCols = `id, user_id, name, grid, tiles, updated_at`

func scanLayout(sc scanner) (cameras.Layout, error) {
	var l cameras.Layout
	var tiles string
	var updated int64
	if err := sc.Scan(&l.ID, &l.UserID, &l.Name, &l.Grid, &tiles, &updated); err != nil {
		return cameras.Layout{}, err
	}
	if err := json.Unmarshal([]byte(tiles), &l.Tiles); err != nil {
		return cameras.Layout{}, fmt.Errorf("layout %d: tiles: %w", l.ID, err)
	}
	l.UpdatedAt = fromMicros(updated)
	return l, nil
}

// SaveLayout creates the user's layout of that name or replaces it, and
// sets l's ID and UpdatedAt. Which cameras the tiles name is the caller's
// to check: a layout outlives the cameras on it.
func (s *Store) SaveLayout(ctx context.Context, l *cameras.Layout) error {
	if l.UserID <= 0 {
		return errors.New("store: layout has no user")
	}
	if err := l.Validate(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	tiles, err := json.Marshal(l.Tiles)
	if err != nil {
		return fmt.Errorf("store: layout tiles: %w", err)
	}
	t := now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// The count and the insert must see the same rows, or two saves
		// at once could both pass at cameras.MaxLayoutsPerUser-1. SQLite's
		// transactions take the write lock at once; PostgreSQL's lock
		// the user's row, so one user's saves queue.
		if s.dialect == dialectPostgres {
			var id int64
			if err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE id = $1 FOR UPDATE`, l.UserID).Scan(&id); err != nil {
				return err
			}
		}
		var n int
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(CASE WHEN name = $2 THEN 1 ELSE 0 END), 0) > 0 FROM layouts WHERE user_id = $1`,
			l.UserID, l.Name).Scan(&n, &exists); err != nil {
			return err
		}
		if !exists && n >= cameras.MaxLayoutsPerUser {
			return fmt.Errorf("%w (user %d has %d)", cameras.ErrTooManyLayouts, l.UserID, n)
		}
		return tx.QueryRowContext(ctx, `INSERT INTO layouts (user_id, name, grid, tiles, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id, name) DO UPDATE SET grid = excluded.grid, tiles = excluded.tiles, updated_at = excluded.updated_at
		RETURNING id`, l.UserID, l.Name, l.Grid, string(tiles), micros(t)).Scan(&l.ID)
	})
	if errors.Is(err, cameras.ErrTooManyLayouts) {
		return err
	}
	if err != nil {
		return wrap("save layout", err)
	}
	l.UpdatedAt = t
	return nil
}

// LayoutPage returns up to limit of the user's layouts in the order of
// Layouts, starting after the one called after ("" for the first page),
// and whether more follow. limit <= 0 means cameras.DefaultLayoutPage; more than
// cameras.MaxLayoutPage means cameras.MaxLayoutPage. after need not name a layout that
// still exists: the page starts where it would have been.
func (s *Store) LayoutPage(ctx context.Context, userID int64, after string, limit int) ([]cameras.Layout, bool, error) {
	if limit <= 0 {
		limit = cameras.DefaultLayoutPage
	}
	limit = min(limit, cameras.MaxLayoutPage)
	// A user has at most cameras.MaxLayoutsPerUser layouts (a few more if saved
	// before the limit), so the order is made here, alike on both
	// engines, rather than in SQL, whose case-folding collations differ.
	all, err := s.Layouts(ctx, userID)
	if err != nil {
		return nil, false, err
	}
	start := 0
	if after != "" {
		start = sort.Search(len(all), func(i int) bool { return layoutBefore(after, all[i].Name) })
	}
	end := min(start+limit, len(all))
	return all[start:end], end < len(all), nil
}

// layoutBefore is the order of a user's layouts: by name ignoring case,
// then by the name itself.
func layoutBefore(a, b string) bool {
	la, lb := strings.ToLower(a), strings.ToLower(b)
	if la != lb {
		return la < lb
	}
	return a < b
}

// Layouts returns the user's layouts by name, ignoring case first so that
// the order is a person's and the same on both engines, whose collations
// differ.
func (s *Store) Layouts(ctx context.Context, userID int64) ([]cameras.Layout, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+layoutCols+` FROM layouts WHERE user_id = $1`, userID)
	if err != nil {
		return nil, wrap("list layouts", err)
	}
	defer rows.Close()
	var out []cameras.Layout
	for rows.Next() {
		l, err := scanLayout(rows)
		if err != nil {
			return nil, wrap("list layouts", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list layouts", err)
	}
	sort.Slice(out, func(i, j int) bool { return layoutBefore(out[i].Name, out[j].Name) })
	return out, nil
}

// Layout returns the user's layout called name.
func (s *Store) Layout(ctx context.Context, userID int64, name string) (cameras.Layout, error) {
	l, err := scanLayout(s.r.QueryRowContext(ctx,
		`SELECT `+layoutCols+` FROM layouts WHERE user_id = $1 AND name = $2`, userID, name))
	return l, wrap(fmt.Sprintf("layout %q of user %d", name, userID), err)
}

// DeleteLayout removes the user's layout called name.
func (s *Store) DeleteLayout(ctx context.Context, userID int64, name string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM layouts WHERE user_id = $1 AND name = $2`, userID, name)
	if err != nil {
		return wrap("delete layout", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap("delete layout", err)
	}
	if n == 0 {
		return notFound("layout %q of user %d", name, userID)
	}
	return nil
}
