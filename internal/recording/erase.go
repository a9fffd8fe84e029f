package recording

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/segstore"
)

// Early deletion: footage removed before its retention ends, at a
// person's request (a data subject's erasure request, a camera that
// recorded a private place by mistake). Video is never re-encoded, so it
// goes in whole segments: a segment that also holds footage outside the
// range is kept, and so is one still being written. Footage under an
// evidence hold is never deleted; the store checks that again in the
// statement that deletes, so a hold placed meanwhile still wins.

// Slack is how far a segment may reach past either end of a range and
// still count as inside it, and how little of it inside the range counts
// as none: ranges are read to the millisecond, as the console marks them,
// while segments are timed to the microsecond. Without it a range marked
// on a file's edges would keep that whole file for a sliver under a
// millisecond, and report the neighbours' slivers as footage kept.
const Slack = time.Millisecond

// EraserStore is what early deletion reads of the index.
type EraserStore interface {
	SegmentsInRange(ctx context.Context, cameraID int64, start, end time.Time) ([]segindex.Segment, error)
	ActiveHolds(ctx context.Context, cameraID int64, start, end, at time.Time) ([]segindex.Hold, error)
}

// Eraser deletes footage early.
type Eraser struct {
	st    EraserStore
	inTx  InTx
	segs  SegmentRemover
	drain Drainer
	log   *slog.Logger
	now   func() time.Time
}

// NewEraser makes an Eraser of the footage in segs, that deletes the
// rows, the gap and the audit record in one transaction of inTx; drain
// (nil: none) takes the audit records of deletions into the trail.
func NewEraser(st EraserStore, inTx InTx, segs SegmentRemover, drain Drainer, log *slog.Logger) *Eraser {
	return &Eraser{st: st, inTx: inTx, segs: segs, drain: drain, log: log, now: time.Now}
}

// Kept is footage inside a range that an early deletion leaves.
type Kept struct {
	SegmentID  int64
	Start, End time.Time // the part inside the range
	Why        string
}

// ErasurePlan is what deleting a camera's footage in [Start, End) would
// do now.
type ErasurePlan struct {
	CameraID   int64
	Start, End time.Time
	Delete     []segindex.Segment // closed, wholly inside the range
	Kept       []Kept
	// Holds are the evidence holds over the range: while there is one,
	// nothing is deleted.
	Holds []segindex.Hold
}

// Extent is the time from the first segment to be deleted to the end of
// the last, and their bytes; zero times when there is none.
func (p ErasurePlan) Extent() (start, end time.Time, bytes int64) {
	for i, s := range p.Delete {
		if i == 0 || s.Start.Before(start) {
			start = s.Start
		}
		if s.End.After(end) {
			end = s.End
		}
		bytes += s.Size
	}
	return start, end, bytes
}

// Plan says what deleting a camera's footage in [start, end) would
// delete and keep.
func (e *Eraser) Plan(ctx context.Context, cameraID int64, start, end time.Time) (ErasurePlan, error) {
	p := ErasurePlan{CameraID: cameraID, Start: start, End: end}
	holds, err := e.st.ActiveHolds(ctx, cameraID, start, end, e.now())
	if err != nil {
		return p, err
	}
	p.Holds = holds
	segs, err := e.st.SegmentsInRange(ctx, cameraID, start, end)
	if err != nil {
		return p, err
	}
	for _, s := range segs {
		if s.End.Sub(start) < Slack || end.Sub(s.Start) < Slack {
			continue // touches the range by less than Slack: not in it
		}
		inside := !s.Start.Before(start.Add(-Slack)) && !s.End.After(end.Add(Slack))
		switch {
		case s.Open:
			p.Kept = append(p.Kept, keptPart(s, start, end, "still being recorded: ask again once its segment has closed"))
		case !inside:
			p.Kept = append(p.Kept, keptPart(s, start, end, fmt.Sprintf(
				"recorded in one file with footage outside the range (%s to %s): video is deleted in whole files, never re-encoded",
				s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339))))
		default:
			p.Delete = append(p.Delete, s)
		}
	}
	return p, nil
}

func keptPart(s segindex.Segment, start, end time.Time, why string) Kept {
	k := Kept{SegmentID: s.ID, Start: s.Start, End: s.End, Why: why}
	if k.Start.Before(start) {
		k.Start = start
	}
	if k.End.After(end) {
		k.End = end
	}
	return k
}

// ErasureResult is what an early deletion did.
type ErasureResult struct {
	Deleted []segindex.Segment
	Kept    []Kept
	// Gap is the gap recorded over the deleted footage; its ID is 0 when
	// nothing was deleted.
	Gap segindex.Gap
}

// Erase deletes the segments p plans to, in one transaction: each row
// (with its deletion log entry, reason logReason), a gap over them with
// gapReason so that playback says why there is no footage, and record,
// the audit record, which commits with the deletion or not at all (none
// is written when nothing was deleted). The files go after the commit. A
// segment a hold covers by now is kept and said so; one already gone is
// skipped. A caller that makes the deletion in a change of its own (the
// footage service) uses EraseRows and Removed instead.
func (e *Eraser) Erase(ctx context.Context, p ErasurePlan, logReason, gapReason string, record auditlog.Entry) (ErasureResult, error) {
	var res ErasureResult
	at := e.now()
	through, err := e.inTx(ctx, func(tx DeletionTx) error {
		var err error
		res, err = EraseRows(ctx, tx, p, at, logReason, gapReason)
		if err != nil || len(res.Deleted) == 0 {
			return err
		}
		return tx.Log(record)
	})
	if err != nil {
		return ErasureResult{Kept: p.Kept}, err
	}
	e.Removed(res, logReason)
	drainRecords(ctx, e.drain, through, e.log)
	return res, nil
}

// EraseRows deletes the segments p plans to in tx, a transaction the
// caller holds (with its audit record, added when anything was
// deleted): each row, at at, with its deletion log entry (reason
// logReason), and a gap over them with gapReason so that playback says
// why there is no footage. A segment a hold covers by now is kept and
// said so; one already gone is skipped. Once the transaction commits,
// Removed removes the files.
func EraseRows(ctx context.Context, tx DeletionTx, p ErasurePlan, at time.Time, logReason, gapReason string) (ErasureResult, error) {
	res := ErasureResult{Kept: p.Kept}
	for _, s := range p.Delete {
		err := tx.DeleteSegmentEarly(ctx, s.ID, at)
		switch {
		case errors.Is(err, segindex.ErrNotFound):
			continue // retention was first
		case errors.Is(err, segindex.ErrKept):
			res.Kept = append(res.Kept, Kept{SegmentID: s.ID, Start: s.Start, End: s.End, Why: "placed under an evidence hold meanwhile"})
			continue
		case err != nil:
			return res, err
		}
		if err := tx.LogDeletion(ctx, &segindex.Deletion{At: at.UTC(), CameraID: s.CameraID, SegmentID: s.ID, Storage: s.Storage,
			Path: s.Path, Start: s.Start, End: s.End, Bytes: s.Size, Reason: logReason}); err != nil {
			return res, err
		}
		res.Deleted = append(res.Deleted, s)
	}
	if len(res.Deleted) == 0 {
		return res, nil
	}
	start, end, _ := ErasurePlan{Delete: res.Deleted}.Extent()
	res.Gap = segindex.Gap{CameraID: p.CameraID, Start: start, End: end, Reason: gapReason}
	return res, tx.AddGap(ctx, &res.Gap)
}

// Removed removes the files of the segments a committed deletion
// deleted (res, from EraseRows), and logs it with its reason.
func (e *Eraser) Removed(res ErasureResult, logReason string) {
	for _, s := range res.Deleted {
		e.removeFile(s)
	}
	if len(res.Deleted) == 0 {
		return
	}
	start, end, bytes := ErasurePlan{Delete: res.Deleted}.Extent()
	e.log.Info("deleted footage early", "camera", res.Gap.CameraID, "start", start, "end", end, "segments", len(res.Deleted), "bytes", bytes, "reason", logReason)
}

// removeFile removes a deleted segment's file. A file left behind by a
// failure here has no row, so Reconcile removes it at the next start.
func (e *Eraser) removeFile(s segindex.Segment) {
	if err := e.segs.Remove(segstore.Ref{Folder: s.Storage, Path: s.Path}); err != nil {
		e.log.Error("deleting segment file", "storage", s.Storage, "path", s.Path, "err", err)
	}
}
