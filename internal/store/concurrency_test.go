package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/testkit"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// TestConcurrentWritersAndReaders runs writes and reads from many
// goroutines at once: on SQLite none may fail with SQLITE_BUSY, because
// writes queue on the single writer connection.
func TestConcurrentWritersAndReaders(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		cam := newCamera(t, s, "cam", 1)
		g := newSegment(t, s, cam.ID, "d", "a.mp4", base, base, true)
		const workers, each = 6, 20
		var wg sync.WaitGroup
		errs := make(chan error, workers*each*2)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					at := base.Add(time.Duration(w*each+i) * time.Second)
					if w%2 == 0 {
						errs <- s.RecordProgress(ctx, []segindex.Progress{{SegmentID: g.ID, End: at, Size: 1,
							Fragments: []segindex.Fragment{{Start: at, Duration: time.Second, Keyframe: true}}}})
					} else {
						errs <- s.LogDeletion(ctx, &segindex.Deletion{At: at, CameraID: cam.ID, Reason: fmt.Sprint("a", w)})
					}
					_, err := s.FragmentsInRange(ctx, cam.ID, base, at)
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent operation: got %v, want nil", err)
			}
		}
		fs, err := s.SegmentFragments(ctx, g.ID)
		must(t, err)
		if want := (workers + 1) / 2 * each; len(fs) != want {
			t.Errorf("fragments: got %d, want %d", len(fs), want)
		}
		dels, err := s.ListDeletions(ctx, cam.ID, 1000)
		must(t, err)
		if want := workers / 2 * each; len(dels) != want {
			t.Errorf("deletions: got %d, want %d", len(dels), want)
		}
	})
}

// TestConcurrentOpen starts several stores on one empty database at once;
// the migration lock must let exactly one apply each migration.
func TestConcurrentOpen(t *testing.T) {
	run := func(t *testing.T, dsn string) {
		const n = 4
		stores := make(chan *Store, n)
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				s, err := Open(context.Background(), dsn, nil)
				if err != nil {
					errs <- err
					return
				}
				stores <- s
			})
		}
		wg.Wait()
		close(stores)
		close(errs)
		for s := range stores {
			t.Cleanup(func() { s.Close() })
		}
		for err := range errs {
			t.Errorf("concurrent Open: got %v, want nil", err)
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, t.TempDir()+"/c.db") })
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) { run(t, testkit.PostgresSchema(t, pg)) })
	}
}
