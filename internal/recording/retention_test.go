package recording

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/segstore"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
)

// retentionFixture is a store with one camera (retention 31 days) and
// segment files of given ages and sizes.
type retentionFixture struct {
	st    *store.Store
	cam   cameras.Camera
	root  string
	now   time.Time
	trail trail
}

// trail stands in for the audit outbox's drain, keeping how far it was
// asked to take the outbox.
type trail struct {
	through int64
	fail    error
}

func (t *trail) DrainThrough(ctx context.Context, id int64) error {
	if t.fail != nil {
		return t.fail
	}
	t.through = max(t.through, id)
	return nil
}

// inTx runs a deletion in one transaction of st, as the app does.
func inTx(st *store.Store) InTx {
	return func(ctx context.Context, fn func(tx DeletionTx) error) (int64, error) {
		return st.Update(ctx, func(tx *store.Store) error { return fn(tx) })
	}
}

// records are the audit records committed with deletions, in order.
func (f *retentionFixture) records(t *testing.T) []store.OutboxEntry {
	t.Helper()
	es, err := f.st.OutboxAfter(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func newRetentionFixture(t *testing.T) *retentionFixture {
	t.Helper()
	st, cam, dir := fixture.OneCamera(t)
	return &retentionFixture{st: st, cam: cam, root: filepath.Join(dir, "rec"), now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
}

// segment adds a closed segment that ended `age` ago, with a file.
func (f *retentionFixture) segment(t *testing.T, age time.Duration, size int64) segindex.Segment {
	t.Helper()
	end := f.now.Add(-age)
	s := segindex.Segment{CameraID: f.cam.ID, Storage: "local", Path: segmentPath(f.cam.ID, end.Add(-time.Minute)),
		Start: end.Add(-time.Minute), End: end, Size: size, InitSize: 100, Codec: "avc1.4d401e", Width: 640, Height: 360, Open: true}
	if err := f.st.CreateSegment(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	if err := f.st.RecordProgress(context.Background(), []segindex.Progress{{SegmentID: s.ID, End: end, Size: size, Close: true}}); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(f.root, s.Path)
	os.MkdirAll(filepath.Dir(abs), 0o750)
	if err := os.WriteFile(abs, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *retentionFixture) exists(s segindex.Segment) bool {
	_, err := os.Stat(filepath.Join(f.root, s.Path))
	return err == nil
}

func TestRetentionAge(t *testing.T) {
	f := newRetentionFixture(t)
	old := f.segment(t, 32*24*time.Hour, 1000)
	held := f.segment(t, 40*24*time.Hour, 1000)
	young := f.segment(t, 30*24*time.Hour, 1000)
	if err := f.st.AddHold(context.Background(), &segindex.Hold{CameraID: f.cam.ID, Start: held.Start, End: held.End, Reason: "evidence for case 1", CreatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
	r := NewRetention(f.st, inTx(f.st), &f.trail, localSegs(t, "local", f.root), []Folder{{Name: "local"}}, time.Hour, slog.New(slog.DiscardHandler))
	r.now = func() time.Time { return f.now }
	rep, err := r.Apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Age != 1 {
		t.Errorf("deleted %d segments for age, want 1", rep.Age)
	}
	if f.exists(old) {
		t.Error("footage older than 31 days survived")
	}
	if !f.exists(held) {
		t.Error("footage under an evidence hold was deleted")
	}
	if !f.exists(young) {
		t.Error("footage within 31 days was deleted")
	}
	dels, err := f.st.ListDeletions(context.Background(), f.cam.ID, 10)
	if err != nil || len(dels) != 1 || dels[0].SegmentID != old.ID || !strings.HasPrefix(dels[0].Reason, "age") {
		t.Errorf("deletion log got %+v, %v; want one age deletion of segment %d", dels, err, old.ID)
	}
	if es := f.records(t); len(es) != 1 || es[0].Action != auditlog.FootageDeleted.String() || es[0].CameraID != f.cam.ID ||
		!es[0].RangeStart.Equal(old.Start) || !es[0].RangeEnd.Equal(old.End) || !strings.HasPrefix(es[0].Reason, "age") {
		t.Errorf("audit records got %+v, want one footage.deleted of camera %d, %s to %s, for age", es, f.cam.ID, old.Start, old.End)
	} else if f.trail.through != es[0].ID {
		t.Errorf("drained through %d, want the record %d taken into the trail", f.trail.through, es[0].ID)
	}
}

// TestRetentionDeletionWithItsRecord: a deletion and its audit record
// commit together. When the record cannot be written, nothing is
// deleted; when the trail cannot take it, the deletion stands and its
// record waits in the outbox.
func TestRetentionDeletionWithItsRecord(t *testing.T) {
	f := newRetentionFixture(t)
	old := f.segment(t, 32*24*time.Hour, 1000)
	raw, err := sql.Open("sqlite", filepath.Join(filepath.Dir(f.root), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TRIGGER fail_outbox BEFORE INSERT ON audit_outbox BEGIN SELECT RAISE(ABORT, 'outbox refused'); END`); err != nil {
		t.Fatal(err)
	}
	r := NewRetention(f.st, inTx(f.st), &f.trail, localSegs(t, "local", f.root), []Folder{{Name: "local"}}, time.Hour, slog.New(slog.DiscardHandler))
	r.now = func() time.Time { return f.now }
	if _, err := r.Apply(context.Background()); err == nil || !strings.Contains(err.Error(), "outbox refused") {
		t.Errorf("Apply with the record refused: got %v, want the refusal", err)
	}
	if !f.exists(old) {
		t.Error("footage was deleted although its deletion could not be recorded")
	}
	if dels, _ := f.st.ListDeletions(context.Background(), f.cam.ID, 10); len(dels) != 0 {
		t.Errorf("deletion log got %+v, want nothing", dels)
	}
	if _, err := f.st.Segment(context.Background(), old.ID); err != nil {
		t.Errorf("the segment's row: got %v, want it kept", err)
	}

	if _, err := raw.Exec(`DROP TRIGGER fail_outbox`); err != nil {
		t.Fatal(err)
	}
	f.trail.fail = errors.New("trail down")
	if _, err := r.Apply(context.Background()); err != nil {
		t.Fatalf("Apply with the trail down: got %v, want the deletion made (its record waits in the outbox)", err)
	}
	if f.exists(old) {
		t.Error("footage kept although its deletion and record could be committed")
	}
	if es := f.records(t); len(es) != 1 || es[0].Action != auditlog.FootageDeleted.String() {
		t.Errorf("audit records got %+v, want the deletion's, waiting", es)
	}
}

func TestRetentionQuotaAndFreeSpace(t *testing.T) {
	f := newRetentionFixture(t)
	a := f.segment(t, 3*time.Hour, 4000)
	b := f.segment(t, 2*time.Hour, 4000)
	c := f.segment(t, 1*time.Hour, 4000)
	r := NewRetention(f.st, inTx(f.st), &f.trail, localSegs(t, "local", f.root), []Folder{{Name: "local", QuotaBytes: 9000}}, time.Hour, slog.New(slog.DiscardHandler))
	r.now = func() time.Time { return f.now }
	rep, err := r.Apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Quota != 1 || f.exists(a) || !f.exists(b) || !f.exists(c) {
		t.Errorf("quota pass got %+v (a %v b %v c %v), want only the oldest deleted", rep, f.exists(a), f.exists(b), f.exists(c))
	}
	if es := f.records(t); len(es) != 1 || es[0].Action != auditlog.FootageDeleted.String() || !es[0].RangeStart.Equal(a.Start) || es[0].Reason != reasonQuota {
		t.Errorf("audit records got %+v, want the quota deletion of the oldest segment", es)
	}

	// The free-space floor: pretend the disk has 1 byte free until two
	// more segments go.
	free := int64(1)
	r.folders[0].QuotaBytes = 0
	r.folders[0].MinFreeBytes = 100
	r.freeBytes = func(string) (int64, error) {
		n, _ := f.st.StorageUsage(context.Background(), "local")
		if n == 0 {
			free = 1000
		}
		return free, nil
	}
	if err := f.st.AddHold(context.Background(), &segindex.Hold{CameraID: f.cam.ID, Start: c.Start, End: c.End, Reason: "held", CreatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
	rep, err = r.Apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.FreeSpace != 1 || f.exists(b) || !f.exists(c) {
		t.Errorf("free-space pass got %+v, want b deleted and held c kept", rep)
	}
	if len(rep.Stuck) != 1 {
		t.Errorf("got stuck %v, want the folder reported stuck (only held footage left)", rep.Stuck)
	}
}

// localSegs is a local segment store over the folders named.
func localSegs(t *testing.T, folders ...string) *segstore.Local {
	t.Helper()
	var fs []segstore.Folder
	for i := 0; i+1 < len(folders); i += 2 {
		fs = append(fs, segstore.Folder{Name: folders[i], Path: folders[i+1]})
	}
	l, err := segstore.NewLocal(fs, segstore.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}
