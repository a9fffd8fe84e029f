package store

import (
	"context"
	"database/sql"
	"time"
)

// LegacyAudit is a row of the main database's audit_log, where audit
// records were kept before the trail had a database of its own. Nothing
// writes there any more; package audit moves the rows into the trail once.
type LegacyAudit struct {
	ID                   int64
	At                   time.Time
	UserID               int64
	Username, Action     string
	CameraID             int64
	RangeStart, RangeEnd *time.Time
	RemoteAddr, Detail   string
}

// EachLegacyAudit calls fn with every row of audit_log, in id order,
// streaming.
func (s *Store) EachLegacyAudit(ctx context.Context, fn func(LegacyAudit) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT id, at_us, user_id, username, action, camera_id, range_start_us, range_end_us, remote_addr, detail
		FROM audit_log ORDER BY id`)
	if err != nil {
		return wrap("read audit_log", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e LegacyAudit
		var at int64
		var rs, re sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &e.UserID, &e.Username, &e.Action, &e.CameraID, &rs, &re, &e.RemoteAddr, &e.Detail); err != nil {
			return wrap("read audit_log", err)
		}
		e.At, e.RangeStart, e.RangeEnd = fromMicros(at), fromNullMicros(rs), fromNullMicros(re)
		if err := fn(e); err != nil {
			return err
		}
	}
	return wrap("read audit_log", rows.Err())
}

// CountLegacyAudit returns how many rows audit_log holds.
func (s *Store) CountLegacyAudit(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&n)
	return n, wrap("count audit_log", err)
}
