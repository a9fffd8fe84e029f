package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/cameras"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// FuzzFragmentsInRange compares FragmentsInRange with a direct reading of
// its contract over arbitrary fragment layouts and ranges.
func FuzzFragmentsInRange(fz *testing.F) {
	fz.Add([]byte{0x81, 0x01, 0x05, 0x83, 0x41, 0x01}, int16(3), int16(9))
	fz.Add([]byte{0x01, 0x01, 0x81}, int16(-5), int16(2))
	fz.Add([]byte{0xc1, 0x02, 0x42, 0x82}, int16(4), int16(4))
	fz.Add([]byte{}, int16(0), int16(100))

	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(fz.TempDir(), "fuzz.db"), nil)
	if err != nil {
		fz.Fatal(err)
	}
	fz.Cleanup(func() { s.Close() })
	org, err := s.EnsureOrganisation(ctx, "Fuzz", "council")
	if err != nil {
		fz.Fatal(err)
	}
	n := 0

	fz.Fuzz(func(t *testing.T, layout []byte, start, end int16) {
		if len(layout) > 64 {
			layout = layout[:64]
		}
		n++
		cam := cameras.Camera{OrganisationID: org.ID, Name: fmt.Sprint("cam", n), URL: "rtsp://x/"}
		must(t, s.CreateCamera(ctx, &cam))

		// Each byte is one fragment: low 6 bits the gap in seconds after
		// the previous one (at least 1), bit 7 a keyframe, bit 6 the
		// start of a new segment.
		type frag struct {
			seg int64
			at  time.Time
			key bool
		}
		var all []frag
		var batch []segindex.Progress
		at := base
		for i, b := range layout {
			at = at.Add(time.Duration(1+b&0x3f) * time.Second)
			if i == 0 || b&0x40 != 0 {
				g := segindex.Segment{CameraID: cam.ID, Storage: "d", Path: fmt.Sprint(n, "-", i), Start: at, End: at, Open: true}
				must(t, s.CreateSegment(ctx, &g))
				batch = append(batch, segindex.Progress{SegmentID: g.ID, End: at})
			}
			p := &batch[len(batch)-1]
			p.Fragments = append(p.Fragments, segindex.Fragment{Start: at, Duration: time.Second, Keyframe: b&0x80 != 0})
			all = append(all, frag{p.SegmentID, at, b&0x80 != 0})
		}
		must(t, s.RecordProgress(ctx, batch))

		from, to := base.Add(time.Duration(start)*time.Second), base.Add(time.Duration(end)*time.Second)
		lower := from
		for _, fr := range all {
			if fr.key && !fr.at.After(from) {
				lower = fr.at
			}
		}
		var want []string
		for _, fr := range all {
			if !fr.at.Before(lower) && fr.at.Before(to) {
				want = append(want, fragName(fr.seg, fr.at.Sub(base).Seconds()))
			}
		}
		got, err := s.FragmentsInRange(ctx, cam.ID, from, to)
		must(t, err)
		if g := fragStarts(got); fmt.Sprint(g) != fmt.Sprint(want) {
			t.Fatalf("FragmentsInRange(%v, %v) over %x: got %v, want %v", start, end, layout, g, want)
		}
	})
}
