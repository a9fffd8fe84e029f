package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// TestGapParts: recorded gaps that touch or overlap come back as parts
// each with its own reason and times, the gap recorded first winning
// where they overlap; holes with no recorded gap stay holes.
func TestGapParts(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		cam := newCamera(t, s, "cam", 30)
		other := newCamera(t, s, "other", 30)
		type part struct {
			start, end float64
			reason     string
		}
		// In the order recorded.
		for _, g := range []struct {
			cam        int64
			start, end float64
			reason     string
		}{
			{cam.ID, 10, 20, "camera offline: timeout"},            // an outage...
			{cam.ID, 20, 30, "deleted early: private garden"},      // ...then the footage after it deleted
			{cam.ID, 50, 55, "camera offline: refused"},            // an outage...
			{cam.ID, 40, 70, "deleted early: wrong direction"},     // ...inside a later deletion's extent
			{cam.ID, 80, 90, "deleted early: first request"},       // a deletion...
			{cam.ID, 75, 95, "deleted early: second request"},      // ...inside a later one's extent
			{cam.ID, 100, 110, "not recording: Vigil was stopped"}, // the same reason twice, touching
			{cam.ID, 110, 120, "not recording: Vigil was stopped"},
			{cam.ID, 130, 140, "storage too slow"}, // apart from the rest by a hole
			{other.ID, 0, 200, "another camera's"},
		} {
			must(t, s.AddGap(ctx, &segindex.Gap{CameraID: g.cam, Start: sec(g.start), End: sec(g.end), Reason: g.reason}))
		}
		tests := []struct {
			name       string
			start, end float64
			want       []part
		}{
			{"outage then deletion", 0, 35, []part{{10, 20, "camera offline: timeout"}, {20, 30, "deleted early: private garden"}}},
			{"outage inside a deletion", 35, 72, []part{{40, 50, "deleted early: wrong direction"}, {50, 55, "camera offline: refused"}, {55, 70, "deleted early: wrong direction"}}},
			{"deletion inside a deletion", 72, 97, []part{{75, 80, "deleted early: second request"}, {80, 90, "deleted early: first request"}, {90, 95, "deleted early: second request"}}},
			{"same reason joined, hole kept", 97, 150, []part{{100, 120, "not recording: Vigil was stopped"}, {130, 140, "storage too slow"}}},
			{"clipped to the range", 15, 52, []part{{15, 20, "camera offline: timeout"}, {20, 30, "deleted early: private garden"}, {40, 50, "deleted early: wrong direction"}, {50, 52, "camera offline: refused"}}},
			{"nothing", 150, 160, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.GapPartsInRange(ctx, cam.ID, sec(tt.start), sec(tt.end))
				must(t, err)
				var gotParts []part
				for _, g := range got {
					if g.CameraID != cam.ID || g.ID == 0 {
						t.Errorf("part %+v: want camera %d and the ID of its gap", g, cam.ID)
					}
					gotParts = append(gotParts, part{g.Start.Sub(base).Seconds(), g.End.Sub(base).Seconds(), g.Reason})
				}
				if fmt.Sprint(gotParts) != fmt.Sprint(tt.want) {
					t.Errorf("got %v, want %v", gotParts, tt.want)
				}
			})
		}
	})
}
