package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/cameras"

	"github.com/vigil-cctv/vigil/internal/segindex"
)

// base is a whole-second instant so that fragment arithmetic reads simply.
var base = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func sec(n float64) time.Time { return base.Add(time.Duration(n * float64(time.Second))) }

func newSegment(t *testing.T, s *Store, cam int64, storage, path string, start, end time.Time, open bool) segindex.Segment {
	t.Helper()
	g := segindex.Segment{CameraID: cam, Storage: storage, Path: path, Start: start, End: end, Size: 1000, InitSize: 700,
		Codec: "avc1.4d401e", Width: 640, Height: 360, ClockOffset: -1234567 * time.Nanosecond, Open: open}
	must(t, s.CreateSegment(context.Background(), &g))
	return g
}

// frags makes one fragment per second from start for n seconds, a keyframe
// every keyEvery fragments starting with the first.
func frags(start float64, n, keyEvery int) []segindex.Fragment {
	out := make([]segindex.Fragment, n)
	for i := range out {
		out[i] = segindex.Fragment{Start: sec(start + float64(i)), Duration: time.Second + 11111*time.Nanosecond,
			Offset: int64(1000 + i*500), Size: 500, DataOffset: int64(1100 + i*500), Samples: 25, Keyframe: i%keyEvery == 0}
	}
	return out
}

func fragStarts(fs []segindex.Fragment) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%d@%gs", f.SegmentID, f.Start.Sub(base).Seconds()))
	}
	return out
}

func TestSegmentCRUD(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		cam := newCamera(t, s, "cam", 30)
		a := newSegment(t, s, cam.ID, "disk1", "cam/a.mp4", sec(0), sec(60), false)
		b := newSegment(t, s, cam.ID, "disk1", "cam/b.mp4", sec(60), sec(60), true)

		got, err := s.Segment(ctx, a.ID)
		must(t, err)
		if got != a {
			t.Errorf("Segment: got %+v, want %+v", got, a)
		}
		byPath, err := s.SegmentByPath(ctx, "disk1", "cam/b.mp4")
		must(t, err)
		if byPath != b {
			t.Errorf("SegmentByPath: got %+v, want %+v", byPath, b)
		}
		last, err := s.LastSegment(ctx, cam.ID)
		must(t, err)
		if last.ID != b.ID {
			t.Errorf("LastSegment: got id %d, want %d", last.ID, b.ID)
		}
		open, err := s.OpenSegments(ctx)
		must(t, err)
		if len(open) != 1 || open[0] != b {
			t.Errorf("OpenSegments: got %+v, want [%+v]", open, b)
		}

		dup := segindex.Segment{CameraID: cam.ID, Storage: "disk1", Path: "cam/a.mp4", Start: sec(0), End: sec(1)}
		if err := s.CreateSegment(ctx, &dup); !errors.Is(err, ErrConflict) {
			t.Errorf("duplicate path: got %v, want ErrConflict", err)
		}
		invalid := []segindex.Segment{
			{Storage: "d", Path: "p", Start: sec(0), End: sec(1)},
			{CameraID: cam.ID, Path: "p", Start: sec(0), End: sec(1)},
			{CameraID: cam.ID, Storage: "d", Path: "p", Start: sec(2), End: sec(1)},
		}
		for i, g := range invalid {
			if err := s.CreateSegment(ctx, &g); err == nil {
				t.Errorf("invalid segment %d: got nil error, want one", i)
			}
		}

		notFound := []struct {
			name string
			call func() error
		}{
			{"Segment", func() error { _, err := s.Segment(ctx, 9999); return err }},
			{"SegmentByPath", func() error { _, err := s.SegmentByPath(ctx, "disk1", "nope"); return err }},
			{"LastSegment", func() error { _, err := s.LastSegment(ctx, 9999); return err }},
			{"DeleteSegment", func() error { return s.DeleteSegment(ctx, 9999) }},
			{"ReplaceFragments", func() error { return s.ReplaceFragments(ctx, 9999, nil, sec(1), 1) }},
		}
		for _, tt := range notFound {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.call(); !errors.Is(err, ErrNotFound) {
					t.Errorf("got %v, want ErrNotFound", err)
				}
			})
		}

		ranges := []struct {
			name       string
			start, end time.Time
			want       []int64
		}{
			{"both", sec(30), sec(90), []int64{a.ID, b.ID}},
			{"end exclusive", sec(-10), sec(0), nil},
			{"first only", sec(0), sec(10), []int64{a.ID}},
			{"touching end excluded", sec(60), sec(70), nil},
		}
		for _, tt := range ranges {
			t.Run("range "+tt.name, func(t *testing.T) {
				got, err := s.SegmentsInRange(ctx, cam.ID, tt.start, tt.end)
				must(t, err)
				var ids []int64
				for _, g := range got {
					ids = append(ids, g.ID)
				}
				if !equalIDs(ids, tt.want) {
					t.Errorf("got %v, want %v", ids, tt.want)
				}
			})
		}
	})
}

func TestRecordProgress(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c1 := newCamera(t, s, "one", 30)
		c2 := newCamera(t, s, "two", 30)
		g1 := newSegment(t, s, c1.ID, "d", "1.mp4", sec(0), sec(0), true)
		g2 := newSegment(t, s, c2.ID, "d", "2.mp4", sec(0), sec(0), true)

		// 150 fragments for g1 exercise every chunk size (128+8+8+1+1...).
		f1 := frags(0, 150, 2)
		f2 := frags(0, 3, 2)
		batch := []segindex.Progress{
			{SegmentID: g1.ID, End: sec(150), Size: 80000, Fragments: f1},
			{SegmentID: g2.ID, End: sec(2), Size: 3000, Fragments: f2[:2]},
			{SegmentID: g2.ID, End: sec(3), Size: 4000, Fragments: f2[2:], Close: true},
		}
		must(t, s.RecordProgress(ctx, batch))
		must(t, s.RecordProgress(ctx, nil))

		tests := []struct {
			name  string
			seg   segindex.Segment
			frags []segindex.Fragment
			end   time.Time
			size  int64
			open  bool
		}{
			{"many fragments", g1, f1, sec(150), 80000, true},
			{"reported twice and closed", g2, f2, sec(3), 4000, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.Segment(ctx, tt.seg.ID)
				must(t, err)
				if got.End != tt.end || got.Size != tt.size || got.Open != tt.open {
					t.Errorf("segment: got end %v size %d open %v, want %v %d %v", got.End, got.Size, got.Open, tt.end, tt.size, tt.open)
				}
				fs, err := s.SegmentFragments(ctx, tt.seg.ID)
				must(t, err)
				if len(fs) != len(tt.frags) {
					t.Fatalf("fragments: got %d, want %d", len(fs), len(tt.frags))
				}
				for i, f := range fs {
					want := tt.frags[i]
					want.SegmentID = tt.seg.ID
					if f != want {
						t.Errorf("fragment %d: got %+v, want %+v", i, f, want)
					}
				}
			})
		}

		// An unknown segment anywhere in a batch rolls the whole batch back.
		bad := []segindex.Progress{
			{SegmentID: g1.ID, End: sec(999), Size: 1, Fragments: frags(500, 1, 1)},
			{SegmentID: 424242, End: sec(1), Size: 1},
		}
		if err := s.RecordProgress(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown segment: got %v, want ErrNotFound", err)
		}
		got, err := s.Segment(ctx, g1.ID)
		must(t, err)
		if got.End != sec(150) || got.Size != 80000 {
			t.Errorf("after failed batch: got end %v size %d, want unchanged %v 80000", got.End, got.Size, sec(150))
		}
		if fs, _ := s.SegmentFragments(ctx, g1.ID); len(fs) != 150 {
			t.Errorf("after failed batch: got %d fragments, want 150", len(fs))
		}
	})
}

func TestFragmentsInRange(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		cam := newCamera(t, s, "cam", 30)
		other := newCamera(t, s, "other", 30)
		// segindex.Segment a holds fragments at 10..19 s, segment b at 20..29 s.
		// Keyframes: 10, 14, 18 | 24, 28, so b opens on a non-keyframe.
		a := newSegment(t, s, cam.ID, "d", "a.mp4", sec(10), sec(10), true)
		b := newSegment(t, s, cam.ID, "d", "b.mp4", sec(20), sec(20), true)
		o := newSegment(t, s, other.ID, "d", "o.mp4", sec(0), sec(0), true)
		fb := frags(20, 10, 4)
		fb[0].Keyframe = false
		must(t, s.RecordProgress(ctx, []segindex.Progress{
			{SegmentID: a.ID, End: sec(20), Size: 1, Fragments: frags(10, 10, 4), Close: true},
			{SegmentID: b.ID, End: sec(30), Size: 1, Fragments: fb},
			{SegmentID: o.ID, End: sec(40), Size: 1, Fragments: frags(0, 40, 1)},
		}))
		A, B := a.ID, b.ID
		tests := []struct {
			name       string
			start, end float64
			want       []string
		}{
			{"start on keyframe", 14, 16, []string{fragName(A, 14), fragName(A, 15)}},
			{"start between keyframes", 16.5, 18, []string{fragName(A, 14), fragName(A, 15), fragName(A, 16), fragName(A, 17)}},
			{"keyframe in previous segment", 21, 23, []string{fragName(A, 18), fragName(A, 19), fragName(B, 20), fragName(B, 21), fragName(B, 22)}},
			{"across segments", 19, 21.5, []string{fragName(A, 18), fragName(A, 19), fragName(B, 20), fragName(B, 21)}},
			{"nothing before", 5, 12, []string{fragName(A, 10), fragName(A, 11)}},
			{"entirely before", 0, 5, nil},
			{"after the end", 40, 50, []string{fragName(B, 28), fragName(B, 29)}},
			{"keyframe in same segment", 25, 26, []string{fragName(B, 24), fragName(B, 25)}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.FragmentsInRange(ctx, cam.ID, sec(tt.start), sec(tt.end))
				must(t, err)
				if g := fragStarts(got); fmt.Sprint(g) != fmt.Sprint(tt.want) {
					t.Errorf("got %v, want %v", g, tt.want)
				}
			})
		}
	})
}

func fragName(seg int64, at float64) string { return fmt.Sprintf("%d@%gs", seg, at) }

func TestReplaceAndDeleteSegment(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		cam := newCamera(t, s, "cam", 30)
		g := newSegment(t, s, cam.ID, "d", "a.mp4", sec(0), sec(0), true)
		must(t, s.RecordProgress(ctx, []segindex.Progress{{SegmentID: g.ID, End: sec(5), Size: 10, Fragments: frags(0, 5, 1)}}))

		repl := frags(0, 3, 2)
		must(t, s.ReplaceFragments(ctx, g.ID, repl, sec(3), 2500))
		got, err := s.Segment(ctx, g.ID)
		must(t, err)
		if got.Open || got.End != sec(3) || got.Size != 2500 {
			t.Errorf("after replace: got open %v end %v size %d, want false %v 2500", got.Open, got.End, got.Size, sec(3))
		}
		fs, err := s.SegmentFragments(ctx, g.ID)
		must(t, err)
		if got, want := fragStarts(fs), []string{fragName(g.ID, 0), fragName(g.ID, 1), fragName(g.ID, 2)}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after replace: got %v, want %v", got, want)
		}
		inRange, err := s.FragmentsInRange(ctx, cam.ID, sec(0), sec(100))
		must(t, err)
		if len(inRange) != 3 {
			t.Errorf("FragmentsInRange after replace: got %d, want 3", len(inRange))
		}

		must(t, s.ReplaceFragments(ctx, g.ID, nil, sec(0), 0))
		if fs, _ := s.SegmentFragments(ctx, g.ID); len(fs) != 0 {
			t.Errorf("replace with none: got %d fragments, want 0", len(fs))
		}

		must(t, s.ReplaceFragments(ctx, g.ID, repl, sec(3), 2500))
		must(t, s.DeleteSegment(ctx, g.ID))
		if _, err := s.Segment(ctx, g.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted segment: got %v, want ErrNotFound", err)
		}
		var n int
		must(t, s.rdb.QueryRow(`SELECT COUNT(*) FROM fragments WHERE segment_id = $1`, g.ID).Scan(&n))
		if n != 0 {
			t.Errorf("fragments of deleted segment: got %d, want 0", n)
		}
	})
}

func segIDs(gs []segindex.Segment) []int64 {
	var out []int64
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}

func TestRetention(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := 24 * time.Hour
		now := base
		short := newCamera(t, s, "short", 1)
		long := newCamera(t, s, "long", 10)
		forever := newCamera(t, s, "forever", 0)
		deleted := newCamera(t, s, "deleted", 2)

		seg := func(c cameras.Camera, path string, ageDays float64, open bool) segindex.Segment {
			end := now.Add(-time.Duration(ageDays * float64(day)))
			return newSegment(t, s, c.ID, "disk1", path, end.Add(-time.Minute), end, open)
		}
		s5 := seg(short, "s5", 5, false)         // expired
		s2 := seg(short, "s2", 2, false)         // expired
		sHeld := seg(short, "sheld", 3, false)   // expired but held
		sOpen := seg(short, "sopen", 4, true)    // expired but still open
		sNew := seg(short, "snew", 0.5, false)   // within retention
		l11 := seg(long, "l11", 11, false)       // expired
		l9 := seg(long, "l9", 9, false)          // within retention
		f100 := seg(forever, "f100", 100, false) // zero retention: never by age
		d3 := seg(deleted, "d3", 3, false)       // deleted camera keeps its retention
		other := newSegment(t, s, long.ID, "disk2", "x", now.Add(-400*day), now.Add(-399*day), false)
		must(t, s.DeleteCamera(ctx, deleted.ID))

		hold := segindex.Hold{CameraID: short.ID, Start: sHeld.Start.Add(30 * time.Second), End: sHeld.End.Add(time.Hour), Reason: "case 1", CreatedBy: 1}
		must(t, s.AddHold(ctx, &hold))
		// A released hold and a hold on another camera protect nothing.
		released := segindex.Hold{CameraID: short.ID, Start: s5.Start, End: s5.End, Reason: "old case"}
		must(t, s.AddHold(ctx, &released))
		must(t, s.ReleaseHold(ctx, released.ID, now.Add(-time.Hour)))
		elsewhere := segindex.Hold{CameraID: long.ID, Start: s2.Start, End: s2.End, Reason: "other camera"}
		must(t, s.AddHold(ctx, &elsewhere))

		want := []int64{other.ID, l11.ID, s5.ID, d3.ID, s2.ID}
		got, err := s.ExpiredSegments(ctx, now, 0)
		must(t, err)
		if !equalIDs(segIDs(got), want) {
			t.Errorf("ExpiredSegments: got %v, want %v (s5=%d s2=%d held=%d open=%d new=%d l11=%d l9=%d f100=%d d3=%d other=%d)",
				segIDs(got), want, s5.ID, s2.ID, sHeld.ID, sOpen.ID, sNew.ID, l11.ID, l9.ID, f100.ID, d3.ID, other.ID)
		}
		got, err = s.ExpiredSegments(ctx, now, 2)
		must(t, err)
		if !equalIDs(segIDs(got), want[:2]) {
			t.Errorf("ExpiredSegments limit 2: got %v, want %v", segIDs(got), want[:2])
		}

		// A hold released before now no longer protects.
		must(t, s.ReleaseHold(ctx, hold.ID, now.Add(-time.Minute)))
		must(t, s.ReleaseHold(ctx, hold.ID, now.Add(time.Hour))) // second release changes nothing
		got, err = s.ExpiredSegments(ctx, now, 0)
		must(t, err)
		wantAfter := []int64{other.ID, l11.ID, s5.ID, sHeld.ID, d3.ID, s2.ID}
		if !equalIDs(segIDs(got), wantAfter) {
			t.Errorf("after release: got %v, want %v", segIDs(got), wantAfter)
		}
		if err := s.ReleaseHold(ctx, 9999, now); !errors.Is(err, ErrNotFound) {
			t.Errorf("ReleaseHold(missing): got %v, want ErrNotFound", err)
		}

		// OldestSegments ignores retention but honours holds active now.
		active := segindex.Hold{CameraID: long.ID, Start: l11.Start, End: l11.End}
		must(t, s.AddHold(ctx, &active))
		oldest, err := s.OldestSegments(ctx, "disk1", 3)
		must(t, err)
		if w := []int64{f100.ID, l9.ID, s5.ID}; !equalIDs(segIDs(oldest), w) {
			t.Errorf("OldestSegments: got %v, want %v", segIDs(oldest), w)
		}
		oldest, err = s.OldestSegments(ctx, "disk2", 0)
		must(t, err)
		if w := []int64{other.ID}; !equalIDs(segIDs(oldest), w) {
			t.Errorf("OldestSegments disk2: got %v, want %v", segIDs(oldest), w)
		}

		usage := []struct {
			storage string
			want    int64
		}{{"disk1", 9 * 1000}, {"disk2", 1000}, {"none", 0}}
		for _, tt := range usage {
			t.Run("usage "+tt.storage, func(t *testing.T) {
				got, err := s.StorageUsage(ctx, tt.storage)
				must(t, err)
				if got != tt.want {
					t.Errorf("StorageUsage(%q): got %d, want %d", tt.storage, got, tt.want)
				}
			})
		}

		// Each camera's footage adds up to the folders' usage.
		per, err := s.CameraStorage(ctx)
		must(t, err)
		var total int64
		for _, n := range per {
			total += n
		}
		if total != 10*1000 || per[other.CameraID] < 1000 || per[short.ID] == 0 {
			t.Errorf("CameraStorage: got %v (total %d), want 10000 bytes in all, over every camera with segments", per, total)
		}

		invalid := []segindex.Hold{{Start: now, End: now.Add(time.Hour)}, {CameraID: short.ID, Start: now, End: now}}
		for i, h := range invalid {
			if err := s.AddHold(ctx, &h); err == nil {
				t.Errorf("invalid hold %d: got nil error, want one", i)
			}
		}
	})
}

func TestGapsAndDeletions(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		cam := newCamera(t, s, "cam", 30)
		g1 := segindex.Gap{CameraID: cam.ID, Start: sec(10), End: sec(20), Reason: "camera offline"}
		g2 := segindex.Gap{CameraID: cam.ID, Start: sec(30), End: sec(31), Reason: "disk full"}
		must(t, s.AddGap(ctx, &g2))
		must(t, s.AddGap(ctx, &g1))
		if err := s.AddGap(ctx, &segindex.Gap{CameraID: cam.ID, Start: sec(2), End: sec(1)}); err == nil {
			t.Errorf("backwards gap: got nil error, want one")
		}
		tests := []struct {
			name       string
			start, end float64
			want       []segindex.Gap
		}{
			{"both by start", 0, 100, []segindex.Gap{g1, g2}},
			{"overlap tail", 19, 25, []segindex.Gap{g1}},
			{"touching is not overlapping", 20, 30, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.GapsInRange(ctx, cam.ID, sec(tt.start), sec(tt.end))
				must(t, err)
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("got %+v, want %+v", got, tt.want)
				}
			})
		}

		ds := []segindex.Deletion{
			{At: sec(100), CameraID: cam.ID, SegmentID: 1, Storage: "d", Path: "a", Start: sec(0), End: sec(60), Bytes: 5, Reason: "retention"},
			{At: sec(200), CameraID: cam.ID, SegmentID: 2, Storage: "d", Path: "b", Start: sec(60), End: sec(120), Bytes: 6, Reason: "space"},
			{At: sec(150), CameraID: cam.ID + 1, SegmentID: 3, Storage: "d", Path: "c", Start: sec(0), End: sec(1), Bytes: 7, Reason: "retention"},
		}
		for i := range ds {
			must(t, s.LogDeletion(ctx, &ds[i]))
		}
		lists := []struct {
			name  string
			cam   int64
			limit int
			want  []segindex.Deletion
		}{
			{"one camera newest first", cam.ID, 0, []segindex.Deletion{ds[1], ds[0]}},
			{"all cameras", 0, 0, []segindex.Deletion{ds[1], ds[2], ds[0]}},
			{"limit", 0, 1, []segindex.Deletion{ds[1]}},
		}
		for _, tt := range lists {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListDeletions(ctx, tt.cam, tt.limit)
				must(t, err)
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("got %+v, want %+v", got, tt.want)
				}
			})
		}
	})
}

// BenchmarkRecordProgress measures one second's batch from 300 cameras,
// one fragment each, on SQLite.
func BenchmarkRecordProgress(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	org, err := s.EnsureOrganisation(ctx, "Org", "council")
	if err != nil {
		b.Fatal(err)
	}
	const nCameras = 300
	batch := make([]segindex.Progress, nCameras)
	for i := range batch {
		c := cameras.Camera{OrganisationID: org.ID, Name: fmt.Sprint("cam", i), URL: "rtsp://x/"}
		if err := s.CreateCamera(ctx, &c); err != nil {
			b.Fatal(err)
		}
		g := segindex.Segment{CameraID: c.ID, Storage: "d", Path: fmt.Sprint(i, ".mp4"), Start: base, End: base, Open: true}
		if err := s.CreateSegment(ctx, &g); err != nil {
			b.Fatal(err)
		}
		batch[i] = segindex.Progress{SegmentID: g.ID, Fragments: make([]segindex.Fragment, 1)}
	}
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		at := base.Add(time.Duration(n) * time.Second)
		for i := range batch {
			p := &batch[i]
			p.End, p.Size = at.Add(time.Second), int64(n+1)*500000
			p.Fragments[0] = segindex.Fragment{Start: at, Duration: time.Second, Offset: int64(n) * 500000, Size: 500000,
				DataOffset: int64(n)*500000 + 100, Samples: 25, Keyframe: n%2 == 0}
		}
		if err := s.RecordProgress(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// TestIndexNotFound: a row the segment index lacks is both the store's
// ErrNotFound, which the web answers 404 for, and segindex.ErrNotFound,
// which the media core checks without knowing the store.
func TestIndexNotFound(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		cam := newCamera(t, s, "gone", 31)
		for _, tt := range []struct {
			name string
			call func() error
		}{
			{"segment", func() error { _, err := s.Segment(ctx, 999); return err }},
			{"segment by path", func() error { _, err := s.SegmentByPath(ctx, "disk1", "none"); return err }},
			{"last segment", func() error { _, err := s.LastSegment(ctx, cam.ID); return err }},
			{"delete segment", func() error { return s.DeleteSegment(ctx, 999) }},
			{"delete segment early", func() error { return s.DeleteSegmentEarly(ctx, 999, sec(0)) }},
			{"replace fragments", func() error { return s.ReplaceFragments(ctx, 999, nil, sec(1), 0) }},
			{"record progress", func() error {
				return s.RecordProgress(ctx, []segindex.Progress{{SegmentID: 999, End: sec(1)}})
			}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				if !errors.Is(err, ErrNotFound) || !errors.Is(err, segindex.ErrNotFound) {
					t.Errorf("got %v, want ErrNotFound and segindex.ErrNotFound", err)
				}
			})
		}
	})
}
