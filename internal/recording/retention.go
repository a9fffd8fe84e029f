package recording

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/segstore"
	"github.com/vigil-cctv/vigil/internal/store"
)

// RetentionStore is what retention needs of the store. Its queries leave
// out footage under an evidence hold, so a hold always wins over age,
// quota and the free-space floor.
type RetentionStore interface {
	ExpiredSegments(ctx context.Context, now time.Time, limit int) ([]store.Segment, error)
	OldestSegments(ctx context.Context, storage string, limit int) ([]store.Segment, error)
	StorageUsage(ctx context.Context, storage string) (int64, error)
	DeleteSegment(ctx context.Context, id int64) error
	LogDeletion(ctx context.Context, d *store.Deletion) error
}

// Auditor is the audit trail, which every deletion goes to.
type Auditor interface {
	Append(ctx context.Context, e auditlog.Entry) error
	// AppendBatch writes several entries in one transaction: a pass
	// that deletes hundreds of segments waits for the disk once.
	AppendBatch(ctx context.Context, es []auditlog.Entry) error
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
// written to the audit trail before anything is deleted.
type Retention struct {
	st       RetentionStore
	audit    Auditor
	segs     SegmentRemover
	folders  []Folder
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time
	// freeBytes reports a storage folder's free space; tests replace it.
	freeBytes func(folder string) (int64, error)
}

// NewRetention makes a Retention of the footage in segs, within each
// folder's limits; Run applies it every interval.
func NewRetention(st RetentionStore, trail Auditor, segs RetentionStorage, folders []Folder, interval time.Duration, log *slog.Logger) *Retention {
	return &Retention{st: st, audit: trail, segs: segs, folders: folders, interval: interval, log: log, now: time.Now, freeBytes: segs.Free}
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
		entries := make([]auditlog.Entry, len(segs))
		for i, s := range segs {
			entries[i] = r.deletionEntry(s, reason)
		}
		if err := r.audit.AppendBatch(ctx, entries); err != nil {
			return rep, fmt.Errorf("recording: the audit trail cannot be written, so nothing is deleted: %w", err)
		}
		for _, s := range segs {
			if err := r.delete(ctx, s, reason, true); err != nil {
				return rep, err
			}
			rep.Age++
			rep.Bytes += s.Size
		}
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
		if err := r.delete(ctx, s, reason, false); err != nil {
			return err
		}
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
func (r *Retention) deletionEntry(s store.Segment, reason string) auditlog.Entry {
	start, end := s.Start, s.End
	return auditlog.Entry{
		At: r.now().UTC(), Username: "vigil", Action: auditlog.FootageDeleted, CameraID: s.CameraID, RangeStart: &start, RangeEnd: &end,
		Reason: reason, Detail: fmt.Sprintf("retention: segment %d, %s/%s, %d bytes", s.ID, s.Storage, s.Path, s.Size),
	}
}

// delete writes the deletion to the audit trail (unless the caller
// already has), then removes the row (with its deletion log entry) before
// the file: a crash between leaves a file Reconcile removes, never a row
// without bytes, and footage is never deleted unrecorded (at worst
// recorded twice, and deleted on the next pass).
func (r *Retention) delete(ctx context.Context, s store.Segment, reason string, audited bool) error {
	if !audited {
		if err := r.audit.Append(ctx, r.deletionEntry(s, reason)); err != nil {
			return fmt.Errorf("recording: the audit trail cannot be written, so nothing is deleted: %w", err)
		}
	}
	if err := r.st.DeleteSegment(ctx, s.ID); err != nil {
		return err
	}
	if err := r.st.LogDeletion(ctx, &store.Deletion{
		At: r.now().UTC(), CameraID: s.CameraID, SegmentID: s.ID, Storage: s.Storage, Path: s.Path,
		Start: s.Start, End: s.End, Bytes: s.Size, Reason: reason,
	}); err != nil {
		return err
	}
	if err := r.segs.Remove(segstore.Ref{Folder: s.Storage, Path: s.Path}); err != nil {
		// Its row is gone: Reconcile removes the file at the next start.
		r.log.Error("deleting segment file", "storage", s.Storage, "path", s.Path, "err", err)
	}
	r.log.Info("deleted footage", "camera", s.CameraID, "start", s.Start, "end", s.End, "bytes", s.Size, "reason", reason)
	return nil
}
