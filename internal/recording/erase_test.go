package recording

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/segindex"
)

// TestErasePlan: what an early deletion of a range deletes and keeps.
// Segments are a minute long, ending 4, 3, 2 and 1 minutes ago; one more
// is still being written.
func TestErasePlan(t *testing.T) {
	f := newRetentionFixture(t)
	ctx := context.Background()
	s4, s3, s2, s1 := f.segment(t, 4*time.Minute, 100), f.segment(t, 3*time.Minute, 100), f.segment(t, 2*time.Minute, 100), f.segment(t, time.Minute, 100)
	open := segindex.Segment{CameraID: f.cam.ID, Storage: "local", Path: "open.mp4", Start: f.now.Add(-time.Minute), End: f.now,
		Size: 100, InitSize: 10, Codec: "avc1.4d401e", Width: 640, Height: 360, Open: true}
	if err := f.st.CreateSegment(ctx, &open); err != nil {
		t.Fatal(err)
	}
	e := NewEraser(f.st, inTx(f.st), localSegs(t, "local", f.root), &f.trail, slog.New(slog.DiscardHandler))
	e.now = func() time.Time { return f.now }
	ids := func(ss []segindex.Segment) []int64 {
		var out []int64
		for _, s := range ss {
			out = append(out, s.ID)
		}
		return out
	}
	for _, tt := range []struct {
		name       string
		start, end time.Time
		deletes    []int64
		kept       []string // why, in order
	}{
		{"exactly one segment", s3.Start, s3.End, []int64{s3.ID}, nil},
		{"two, cutting into their neighbours", s4.Start.Add(time.Second), s1.Start.Add(time.Second), []int64{s3.ID, s2.ID}, []string{"whole files", "whole files"}},
		{"inside one segment", s3.Start.Add(time.Second), s3.End.Add(-time.Second), nil, []string{"whole files"}},
		{"up to now", s1.Start, f.now, []int64{s1.ID}, []string{"still being recorded"}},
		{"to the millisecond, inside", s3.Start.Add(500 * time.Microsecond), s3.End.Add(-500 * time.Microsecond), []int64{s3.ID}, nil},
		{"to the millisecond, outside", s3.Start.Add(-500 * time.Microsecond), s3.End.Add(500 * time.Microsecond), []int64{s3.ID}, nil},
		{"a millisecond short", s3.Start, s3.End.Add(-2 * time.Millisecond), nil, []string{"whole files"}},
		{"before any footage", s4.Start.Add(-time.Hour), s4.Start, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := e.Plan(ctx, f.cam.ID, tt.start, tt.end)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(p.Delete); len(got) != len(tt.deletes) || (len(got) > 0 && (got[0] != tt.deletes[0] || got[len(got)-1] != tt.deletes[len(tt.deletes)-1])) {
				t.Errorf("deletes: got %v, want %v", got, tt.deletes)
			}
			if len(p.Kept) != len(tt.kept) {
				t.Fatalf("kept: got %+v, want %d parts", p.Kept, len(tt.kept))
			}
			for i, k := range p.Kept {
				if !strings.Contains(k.Why, tt.kept[i]) || k.Start.Before(tt.start) || k.End.After(tt.end) {
					t.Errorf("kept %d: got %+v, want inside the range, saying %q", i, k, tt.kept[i])
				}
			}
		})
	}

	// A hold placed between the plan and the deletion keeps its segment.
	p, err := e.Plan(ctx, f.cam.ID, s3.Start, s2.End)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.AddHold(ctx, &segindex.Hold{CameraID: f.cam.ID, Start: s2.Start, End: s2.End, Reason: "case 9", CreatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
	rec := auditlog.Entry{Username: "alice", Action: auditlog.FootageDeleted, CameraID: f.cam.ID, Reason: "test"}
	res, err := e.Erase(ctx, p, "test: log", "test: gap", rec)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res.Deleted); len(got) != 1 || got[0] != s3.ID {
		t.Errorf("deleted: got %v, want segment %d alone", got, s3.ID)
	}
	if len(res.Kept) != 1 || res.Kept[0].SegmentID != s2.ID || !strings.Contains(res.Kept[0].Why, "hold") {
		t.Errorf("kept: got %+v, want segment %d, held meanwhile", res.Kept, s2.ID)
	}
	if f.exists(s3) || !f.exists(s2) {
		t.Errorf("files: deleted one exists %v, held one exists %v; want false, true", f.exists(s3), f.exists(s2))
	}
	gaps, err := f.st.GapsInRange(ctx, f.cam.ID, s4.Start, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 1 || !gaps[0].Start.Equal(s3.Start) || !gaps[0].End.Equal(s3.End) || gaps[0].Reason != "test: gap" {
		t.Errorf("gaps: got %+v, want one over segment %d, test: gap", gaps, s3.ID)
	}
	ds, err := f.st.ListDeletions(ctx, f.cam.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].SegmentID != s3.ID || ds[0].Reason != "test: log" {
		t.Errorf("deletion log: got %+v, want segment %d, test: log", ds, s3.ID)
	}
	if es := f.records(t); len(es) != 1 || es[0].Username != "alice" || es[0].Action != auditlog.FootageDeleted.String() {
		t.Errorf("audit records: got %+v, want alice's deletion, committed with it", es)
	} else if f.trail.through != es[0].ID {
		t.Errorf("drained through %d, want the record %d taken into the trail", f.trail.through, es[0].ID)
	}

	// Nothing left to delete (the held segment): no record either, since
	// nothing happened.
	p, err = e.Plan(ctx, f.cam.ID, s2.Start, s2.End)
	if err != nil {
		t.Fatal(err)
	}
	p.Delete = append(p.Delete, s3) // gone already
	if res, err := e.Erase(ctx, p, "test: log", "test: gap", rec); err != nil || len(res.Deleted) != 0 {
		t.Fatalf("Erase of nothing deletable: got %+v, %v, want nothing deleted", res, err)
	}
	if es := f.records(t); len(es) != 1 {
		t.Errorf("audit records after deleting nothing: got %d, want still 1", len(es))
	}

	// A record that cannot be written: nothing is deleted.
	s5 := f.segment(t, 5*time.Hour, 1000)
	p, err = e.Plan(ctx, f.cam.ID, s5.Start, s5.End)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Erase(ctx, p, "test: log", "test: gap", auditlog.Entry{Username: "alice"}); !errors.Is(err, auditlog.ErrNoAction) {
		t.Errorf("Erase with a record that cannot be written: got %v, want ErrNoAction", err)
	}
	if !f.exists(s5) {
		t.Error("footage was deleted although its record could not be written")
	}
	if _, err := f.st.Segment(ctx, s5.ID); err != nil {
		t.Errorf("the segment's row: got %v, want it kept", err)
	}
}
