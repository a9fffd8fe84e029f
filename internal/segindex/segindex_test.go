package segindex

import (
	"fmt"
	"testing"
	"time"
)

// TestGapParts: overlapping gaps are split where they meet, the one
// recorded first giving the reason; parts are clipped to the range and
// touching parts with one reason joined. (The store's TestGapParts runs
// the same through the database.)
func TestGapParts(t *testing.T) {
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	gap := func(id int64, a, b int, reason string) Gap {
		return Gap{ID: id, CameraID: 1, Start: at(a), End: at(b), Reason: reason}
	}
	show := func(gs []Gap) string {
		out := ""
		for _, g := range gs {
			out += fmt.Sprintf("[%v %v %s #%d]", g.Start.Sub(base).Seconds(), g.End.Sub(base).Seconds(), g.Reason, g.ID)
		}
		return out
	}
	for _, tt := range []struct {
		name       string
		gaps       []Gap
		start, end int
		want       string
	}{
		{"none", nil, 0, 100, ""},
		{"outage inside a later deletion", []Gap{gap(1, 50, 55, "offline"), gap(2, 40, 70, "deleted")}, 0, 100,
			"[40 50 deleted #2][50 55 offline #1][55 70 deleted #2]"},
		{"clipped to the range", []Gap{gap(1, 10, 30, "offline")}, 15, 20, "[15 20 offline #1]"},
		{"touching, one reason", []Gap{gap(1, 10, 20, "stopped"), gap(2, 20, 30, "stopped")}, 0, 100, "[10 30 stopped #1]"},
		{"a hole kept", []Gap{gap(1, 10, 20, "stopped"), gap(2, 25, 30, "slow")}, 0, 100, "[10 20 stopped #1][25 30 slow #2]"},
		{"outside the range", []Gap{gap(1, 10, 20, "stopped")}, 20, 30, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(GapParts(tt.gaps, at(tt.start), at(tt.end))); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
