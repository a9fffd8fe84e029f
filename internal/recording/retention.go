package recording

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/segstore"
)

// RetentionStore is what retention reads of the index. Its queries
// leave out footage under an evidence hold, so a hold always wins over
// age, quota and the free-space floor.
type RetentionStore interface {
	ExpiredSegments(ctx context.Context, now time.Time, limit int) ([]segindex.Segment, error)
	OldestSegments(ctx context.Context, storage string, limit int) ([]segindex.Segment, error)
	StorageUsage(ctx context.Context, storage string) (int64, error)
}

// DeletionTx is the index bound to one transaction in which footage is
// deleted: the segments' rows, their entries in the deletion log, the
// gap over footage erased early and the audit record commit together or
// not at all.
type DeletionTx interface {
	DeleteSegment(ctx context.Context, id int64) error
	// DeleteSegmentEarly deletes a closed segment unless a hold active
	// at at covers it: segindex.ErrKept then, or while it is still being
	// written; segindex.ErrNotFound when it is gone already.
	DeleteSegmentEarly(ctx context.Context, id int64, at time.Time) error
	LogDeletion(ctx context.Context, d *segindex.Deletion) error
	AddGap(ctx context.Context, g *segindex.Gap) error
	// Log adds an audit record, which commits with the deletion.
	Log(e auditlog.Entry) error
}

// InTx runs fn in one transaction of the index, with the audit records
// fn adds (the store's Update), and returns the audit outbox id of the
// last of them (0: none), which the Drainer takes into the trail.
type InTx func(ctx context.Context, fn func(tx DeletionTx) error) (through int64, err error)

// Drainer takes the audit records committed with deletions into the
// audit trail (audit.Outbox); nil leaves them in the outbox for the
// server's drain.
type Drainer interface {
	DrainThrough(ctx context.Context, id int64) error
}

// Folder is one storage folder's limits; the segment store knows where
// it is.
type Folder struct {
	Name         string
	QuotaBytes   int64 // 0: none
	MinFreeBytes int64 // 0: none
}

// SegmentRemover is what deleting footage needs of the segment store.
type SegmentRemover interface {
	Remove(ref segstore.Ref) error
}

// FreeSpacer reports a storage folder's free space.
type FreeSpacer interface {
	Free(folder string) (int64, error)
}

// RetentionStorage is what retention needs of the segment store.
type RetentionStorage interface {
	SegmentRemover
	FreeSpacer
}

// Retention deletes footage: past each camera's maximum age, then the
// oldest first while a folder is over its quota or its file system below
// its free-space floor. Every deletion is logged with its reason, and
// its audit record commits with it.
type Retention struct {
	st       RetentionStore
	inTx     InTx
	drain    Drainer
	segs     SegmentRemover
	folders  []Folder
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time
	// freeBytes reports a storage folder's free space; tests replace it.
	freeBytes func(folder string) (int64, error)
}

// NewRetention makes a Retention of the footage in segs, within each
// folder's limits, that deletes each segment's row in a transaction of
// inTx; Run applies it every interval.
func NewRetention(st RetentionStore, inTx InTx, drain Drainer, segs RetentionStorage, folders []Folder, interval time.Duration, log *slog.Logger) *Retention {
	return &Retention{st: st, inTx: inTx, drain: drain, segs: segs, folders: folders, interval: interval, log: log, now: time.Now, freeBytes: segs.Free}
}

// Run applies retention at once and then every interval until ctx ends.
func (r *Retention) Run(ctx context.Context) error {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		if _, err := r.Apply(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("retention", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RetentionReport counts one pass's deletions by reason.
type RetentionReport struct {
	Age, Quota, FreeSpace int
	Bytes                 int64
	// Stuck names folders still over a limit with nothing left that may
	// be deleted (all held as evidence, or still being written).
	Stuck []string
}

// Apply runs one pass.
func (r *Retention) Apply(ctx context.Context) (RetentionReport, error) {
	var rep RetentionReport
	for {
		segs, err := r.st.ExpiredSegments(ctx, r.now(), 200)
		if err != nil {
			return rep, err
		}
		const reason = "age: older than the camera's retention period"
		var through int64
		for _, s := range segs {
			id, err := r.delete(ctx, s, reason)
			if err != nil {
				return rep, err
			}
			through = max(through, id)
			rep.Age++
			rep.Bytes += s.Size
		}
		drainRecords(ctx, r.drain, through, r.log)
		if len(segs) < 200 {
			break
		}
	}
	for _, f := range r.folders {
		if err := r.enforce(ctx, f, &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

const (
	reasonQuota = "quota: storage folder over its byte quota"
	reasonFree  = "free space: file system below its free-space floor"
)

// enforce deletes a folder's oldest footage, one segment at a time, while
// it is over its quota or its file system below the free-space floor.
func (r *Retention) enforce(ctx context.Context, f Folder, rep *RetentionReport) error {
	used := int64(-1)
	for {
		reason := ""
		if f.QuotaBytes > 0 {
			if used < 0 {
				var err error
				if used, err = r.st.StorageUsage(ctx, f.Name); err != nil {
					return err
				}
			}
			if used > f.QuotaBytes {
				reason = reasonQuota
			}
		}
		if reason == "" && f.MinFreeBytes > 0 {
			free, err := r.freeBytes(f.Name)
			if err != nil {
				return fmt.Errorf("recording: free space of storage %q: %w", f.Name, err)
			}
			if free < f.MinFreeBytes {
				reason = reasonFree
			}
		}
		if reason == "" {
			return nil
		}
		segs, err := r.st.OldestSegments(ctx, f.Name, 1)
		if err != nil {
			return err
		}
		if len(segs) == 0 {
			r.log.Error("storage over its limit and nothing may be deleted", "storage", f.Name, "limit", reason)
			rep.Stuck = append(rep.Stuck, f.Name)
			return nil
		}
		s := segs[0]
		id, err := r.delete(ctx, s, reason)
		if err != nil {
			return err
		}
		drainRecords(ctx, r.drain, id, r.log)
		rep.Bytes += s.Size
		if used >= 0 {
			used -= s.Size
		}
		if reason == reasonQuota {
			rep.Quota++
		} else {
			rep.FreeSpace++
		}
	}
}

// deletionEntry is the audit record of deleting s.
func (r *Retention) deletionEntry(s segindex.Segment, reason string) auditlog.Entry {
	start, end := s.Start, s.End
	return auditlog.Entry{
		At: r.now().UTC(), Username: "vigil", Action: auditlog.FootageDeleted, CameraID: s.CameraID, RangeStart: &start, RangeEnd: &end,
		Reason: reason, Detail: fmt.Sprintf("retention: segment %d, %s/%s, %d bytes", s.ID, s.Storage, s.Path, s.Size),
	}
}

// delete removes s's row, logs the deletion and adds its audit record, in
// one transaction, then removes the file: a crash between leaves a file
// Reconcile removes, never a row without bytes, and footage is never
// deleted without its record, nor recorded as deleted and kept. It
// returns the record's id in the audit outbox.
func (r *Retention) delete(ctx context.Context, s segindex.Segment, reason string) (int64, error) {
	through, err := r.inTx(ctx, func(tx DeletionTx) error {
		if err := tx.DeleteSegment(ctx, s.ID); err != nil {
			return err
		}
		if err := tx.LogDeletion(ctx, &segindex.Deletion{
			At: r.now().UTC(), CameraID: s.CameraID, SegmentID: s.ID, Storage: s.Storage, Path: s.Path,
			Start: s.Start, End: s.End, Bytes: s.Size, Reason: reason,
		}); err != nil {
			return err
		}
		return tx.Log(r.deletionEntry(s, reason))
	})
	if err != nil {
		return 0, fmt.Errorf("recording: nothing deleted: %w", err)
	}
	if err := r.segs.Remove(segstore.Ref{Folder: s.Storage, Path: s.Path}); err != nil {
		// Its row is gone: Reconcile removes the file at the next start.
		r.log.Error("deleting segment file", "storage", s.Storage, "path", s.Path, "err", err)
	}
	r.log.Info("deleted footage", "camera", s.CameraID, "start", s.Start, "end", s.End, "bytes", s.Size, "reason", reason)
	return through, nil
}

// drainRecords takes the audit records of deletions up to through into
// the trail through d (none: nil, or nothing to take), logging a failure:
// the records are safe in the outbox either way.
func drainRecords(ctx context.Context, d Drainer, through int64, log *slog.Logger) {
	if d == nil || through == 0 {
		return
	}
	if err := d.DrainThrough(ctx, through); err != nil {
		log.Error("the audit records of deletions wait in the audit outbox", "err", err)
	}
}
