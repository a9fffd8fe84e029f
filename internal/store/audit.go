package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// AuditEntry records who did what, for accountability of access to footage.
type AuditEntry struct {
	ID                   int64
	At                   time.Time
	UserID               int64
	Username, Action     string
	CameraID             int64 // 0 when the action concerns no camera
	RangeStart, RangeEnd *time.Time
	RemoteAddr, Detail   string
}

// AuditFilter selects audit entries; zero fields do not filter.
type AuditFilter struct {
	UserID, CameraID int64
	Action           string
	Since, Until     time.Time // [Since, Until)
	Limit            int       // <= 0 means 100
}

// AddAudit inserts e and sets its ID. A zero At means now.
func (s *Store) AddAudit(ctx context.Context, e *AuditEntry) error {
	if e.At.IsZero() {
		e.At = now()
	}
	e.At, e.RangeStart, e.RangeEnd = normal(e.At), normalPtr(e.RangeStart), normalPtr(e.RangeEnd)
	err := s.w.QueryRowContext(ctx, `INSERT INTO audit_log (at_us, user_id, username, action, camera_id,
		range_start_us, range_end_us, remote_addr, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		micros(e.At), e.UserID, e.Username, e.Action, e.CameraID,
		nullMicros(e.RangeStart), nullMicros(e.RangeEnd), e.RemoteAddr, e.Detail).Scan(&e.ID)
	return wrap("add audit", err)
}

// ListAudit returns the entries matching f, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var q strings.Builder
	q.WriteString(`SELECT id, at_us, user_id, username, action, camera_id, range_start_us, range_end_us, remote_addr, detail
		FROM audit_log WHERE TRUE`)
	args := make([]any, 0, 6)
	cond := func(sql string, v any) {
		args = append(args, v)
		q.WriteString(" AND ")
		q.WriteString(sql)
		q.WriteString(" $")
		q.WriteString(strconv.Itoa(len(args)))
	}
	if f.UserID != 0 {
		cond("user_id =", f.UserID)
	}
	if f.CameraID != 0 {
		cond("camera_id =", f.CameraID)
	}
	if f.Action != "" {
		cond("action =", f.Action)
	}
	if !f.Since.IsZero() {
		cond("at_us >=", micros(f.Since))
	}
	if !f.Until.IsZero() {
		cond("at_us <", micros(f.Until))
	}
	args = append(args, clampLimit(f.Limit))
	q.WriteString(" ORDER BY at_us DESC, id DESC LIMIT $" + strconv.Itoa(len(args)))

	rows, err := s.r.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, wrap("list audit", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		var rs, re sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &e.UserID, &e.Username, &e.Action, &e.CameraID, &rs, &re, &e.RemoteAddr, &e.Detail); err != nil {
			return nil, wrap("list audit", err)
		}
		e.At, e.RangeStart, e.RangeEnd = fromMicros(at), fromNullMicros(rs), fromNullMicros(re)
		out = append(out, e)
	}
	return out, wrap("list audit", rows.Err())
}
