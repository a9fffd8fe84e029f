package audit

import (
	"context"
	"fmt"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/store"
)

// LegacySource is the main database's old audit_log.
type LegacySource interface {
	CountLegacyAudit(ctx context.Context) (int64, error)
	EachLegacyAudit(ctx context.Context, fn func(store.LegacyAudit) error) error
}

// ImportLegacy moves the rows of the main database's old audit_log into
// the trail, chained in id order, once: the transaction ends with an
// "audit.import" record, whose presence says it was done. The old table
// is left as it was; nothing writes to it any more.
func (t *Trail) ImportLegacy(ctx context.Context, src LegacySource) (int64, error) {
	if t.opt.Key == nil {
		return 0, ErrReadOnly
	}
	done, err := t.st.ListAudit(ctx, store.AuditFilter{Action: auditlog.TrailImport.String(), Limit: 1})
	if err != nil || len(done) > 0 {
		return 0, err
	}
	total, err := src.CountLegacyAudit(ctx)
	if err != nil || total == 0 {
		return 0, err
	}
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	var n, firstID, lastID int64
	var cp *store.AuditCheckpoint
	verified := t.verifiedTo
	err = t.st.Write(ctx, func(w *store.TrailWriter) error {
		batch := make([]Entry, 0, 1000)
		flush := func() error {
			var err error
			if verified, err = t.appendIn(w, verified, batch...); err != nil {
				return err
			}
			batch = batch[:0]
			var c *store.AuditCheckpoint
			if c, verified, err = t.maybeCheckpoint(w, verified); c != nil {
				cp = c
			}
			return err
		}
		err := src.EachLegacyAudit(ctx, func(e store.LegacyAudit) error {
			if n == 0 {
				firstID = e.ID
			}
			n, lastID = n+1, e.ID
			batch = append(batch, Entry{At: e.At, UserID: e.UserID, Username: e.Username, Action: auditlog.Stored(e.Action), CameraID: e.CameraID,
				RangeStart: e.RangeStart, RangeEnd: e.RangeEnd, RemoteAddr: e.RemoteAddr, Detail: e.Detail})
			if len(batch) == cap(batch) {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		batch = append(batch, Entry{Username: "vigil", Action: auditlog.TrailImport, Detail: fmt.Sprintf(
			"%d records (ids %d to %d) moved from the main database's audit_log, which is no longer written", n, firstID, lastID)})
		if err := flush(); err != nil {
			return err
		}
		c, v, err := t.checkpointIn(w, verified, "import", 0, nil, 0)
		if c != nil {
			cp = c
		}
		verified = v
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("audit: import audit_log: %w", err)
	}
	t.verifiedTo = verified
	t.witness(cp)
	return n, nil
}
