package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// TestDeleteSegmentEarly: a closed segment goes with its fragments; one
// still open, or under a hold active at the time given, stays.
func TestDeleteSegmentEarly(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		cam := newCamera(t, s, "early", 31)
		free := newSegment(t, s, cam.ID, "disk1", "free", sec(0), sec(10), false)
		must(t, s.RecordProgress(ctx, []segindex.Progress{{SegmentID: free.ID, End: sec(10), Size: 1000, Fragments: frags(0, 10, 5)}}))
		open := newSegment(t, s, cam.ID, "disk1", "open", sec(40), sec(50), true)
		held := newSegment(t, s, cam.ID, "disk1", "held", sec(20), sec(30), false)
		wasHeld := newSegment(t, s, cam.ID, "disk1", "washeld", sec(60), sec(70), false)
		hold := segindex.Hold{CameraID: cam.ID, Start: sec(25), End: sec(26), Reason: "crime 1", CreatedBy: 1}
		must(t, s.AddHold(ctx, &hold))
		old := segindex.Hold{CameraID: cam.ID, Start: sec(60), End: sec(70), Reason: "closed case", CreatedBy: 1}
		must(t, s.AddHold(ctx, &old))
		must(t, s.ReleaseHold(ctx, old.ID, sec(100)))

		for _, tt := range []struct {
			name string
			id   int64
			at   time.Time
			want error // nil: deleted
		}{
			{"closed and free", free.ID, sec(200), nil},
			{"still open", open.ID, sec(200), segindex.ErrKept},
			{"under a hold", held.ID, sec(200), segindex.ErrKept},
			{"under a hold released later", wasHeld.ID, sec(90), segindex.ErrKept},
			{"after its hold was released", wasHeld.ID, sec(200), nil},
			{"gone already", free.ID, sec(200), ErrNotFound},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := s.DeleteSegmentEarly(ctx, tt.id, tt.at)
				if !errors.Is(err, tt.want) && (tt.want != nil || err != nil) {
					t.Fatalf("got %v, want %v", err, tt.want)
				}
				_, err = s.Segment(ctx, tt.id)
				if gone := errors.Is(err, ErrNotFound); gone != (tt.want != segindex.ErrKept) {
					t.Errorf("segment afterwards: got %v, want gone %v", err, tt.want != segindex.ErrKept)
				}
			})
		}
		if fs, err := s.SegmentFragments(ctx, free.ID); err != nil || len(fs) != 0 {
			t.Errorf("fragments of the deleted segment: got %d (%v), want none", len(fs), err)
		}
		if fs, err := s.FragmentsInRange(ctx, cam.ID, sec(0), sec(10)); err != nil || len(fs) != 0 {
			t.Errorf("fragments in its range: got %d (%v), want none", len(fs), err)
		}

		for _, tt := range []struct {
			name       string
			start, end time.Time
			at         time.Time
			want       []int64
		}{
			{"overlapping", sec(0), sec(25.5), sec(200), []int64{hold.ID}},
			{"touching its end", sec(26), sec(30), sec(200), nil},
			{"released before", sec(60), sec(70), sec(200), nil},
			{"released after", sec(60), sec(70), sec(90), []int64{old.ID}},
			{"both", sec(0), sec(100), sec(90), []int64{hold.ID, old.ID}},
		} {
			t.Run("active holds "+tt.name, func(t *testing.T) {
				hs, err := s.ActiveHolds(ctx, cam.ID, tt.start, tt.end, tt.at)
				must(t, err)
				var got []int64
				for _, h := range hs {
					got = append(got, h.ID)
				}
				if len(got) != len(tt.want) || (len(got) > 0 && (got[0] != tt.want[0] || got[len(got)-1] != tt.want[len(tt.want)-1])) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
		hs, err := s.ActiveHolds(ctx, cam.ID, sec(0), sec(30), sec(200))
		must(t, err)
		if len(hs) != 1 || hs[0].Reason != "crime 1" || !hs[0].Start.Equal(sec(25)) || hs[0].ReleasedAt != nil {
			t.Errorf("the hold read back: got %+v, want crime 1 from 25 s, not released", hs)
		}
	})
}
