package cameras

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/problem"
)

// fakeLayouts keeps layouts in memory, refusing a new one past limit.
type fakeLayouts struct {
	saved map[string]Layout
	limit int
}

func (f *fakeLayouts) SaveLayout(_ context.Context, l *Layout) error {
	if _, ok := f.saved[l.Name]; !ok && len(f.saved) >= f.limit {
		return fmt.Errorf("%w (user %d)", ErrTooManyLayouts, l.UserID)
	}
	f.saved[l.Name] = *l
	return nil
}

func (f *fakeLayouts) LayoutPage(context.Context, int64, string, int) ([]Layout, bool, error) {
	return nil, false, nil
}

func (f *fakeLayouts) Layout(_ context.Context, _ int64, name string) (Layout, error) {
	l, ok := f.saved[name]
	if !ok {
		return l, problem.ErrNotFound
	}
	return l, nil
}

func (f *fakeLayouts) DeleteLayout(_ context.Context, _ int64, name string) error {
	if _, ok := f.saved[name]; !ok {
		return problem.ErrNotFound
	}
	delete(f.saved, name)
	return nil
}

// TestLayouts: a layout names only cameras its owner may view live, is
// refused past the limit with what to do, and a missing one says so.
func TestLayouts(t *testing.T) {
	repo := &fakeLayouts{saved: map[string]Layout{}, limit: 1}
	ls := NewLayouts(repo)
	ctx := context.Background()
	mayView := func(id int64) bool { return id == 1 }
	one, two := int64(1), int64(2)
	if _, err := ls.Save(ctx, 7, "Wall", 1, []*int64{&one}, mayView); err != nil {
		t.Fatalf("Save: got %v, want nil", err)
	}
	for _, tc := range []struct {
		name, layout string
		tiles        []*int64
		kind         error
		msg          string
	}{
		{"no tiles", "Other", nil, problem.ErrInvalid, "tiles is required"},
		{"a camera not viewable", "Wall", []*int64{&two}, problem.ErrInvalid, "tile 1: there is no camera 2 you may view live"},
		{"bad name", " Wall", []*int64{&one}, problem.ErrInvalid, "space"},
		{"past the limit", "Other", []*int64{&one}, problem.ErrConflict, "you have 100 saved layouts"},
	} {
		_, err := ls.Save(ctx, 7, tc.layout, 1, tc.tiles, mayView)
		if !errors.Is(err, tc.kind) || !strings.Contains(problem.Message(err, ""), tc.msg) {
			t.Errorf("%s: got %v, want a %v saying %q", tc.name, err, tc.kind, tc.msg)
		}
	}
	if _, err := ls.Get(ctx, 7, "Nope"); !errors.Is(err, problem.ErrNotFound) || problem.Message(err, "") != `you have no layout named "Nope"` {
		t.Errorf("Get of a missing layout: got %v, want not found, saying so", err)
	}
	if err := ls.Delete(ctx, 7, "Wall"); err != nil || len(repo.saved) != 0 {
		t.Errorf("Delete: got %v and %d kept, want nil and none", err, len(repo.saved))
	}
}
