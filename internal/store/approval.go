package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// FourEyes returns the actions organisation org itself requires a second
// person's approval for.
func (s *Store) FourEyes(ctx context.Context, org int64) ([]string, error) {
	all, err := listFourEyes(ctx, s.r)
	if err != nil {
		return nil, err
	}
	if all[org] == nil {
		return []string{}, nil
	}
	return all[org], nil
}

// SetFourEyes replaces the actions organisation org requires approval for.
func (s *Store) SetFourEyes(ctx context.Context, org int64, actions []string) error {
	for _, a := range actions {
		if !slices.Contains(rights.FourEyesActions, a) {
			return &InvalidError{Msg: fmt.Sprintf("%q is not a four-eyes action; they are export, delete_footage and rights", a)}
		}
	}
	t := micros(now())
	err := s.rightsTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM four_eyes WHERE organisation_id = $1`, org); err != nil {
			return err
		}
		for _, a := range rights.FourEyesActions {
			if !slices.Contains(actions, a) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO four_eyes (organisation_id, action, created_at) VALUES ($1, $2, $3)`, org, a, t); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("set four eyes", err)
}

func listFourEyes(ctx context.Context, q querier) (map[int64][]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT organisation_id, action FROM four_eyes ORDER BY organisation_id, action`)
	if err != nil {
		return nil, wrap("list four eyes", err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var org int64
		var a string
		if err := rows.Scan(&org, &a); err != nil {
			return nil, wrap("list four eyes", err)
		}
		out[org] = append(out[org], a)
	}
	return out, wrap("list four eyes", rows.Err())
}

const approvalCols = `id, organisation_id, action, kind, payload, summary, reason, camera_id, range_start_us, range_end_us,
	requested_by, requested_at, state, decided_by, decided_at, note, expires_at`

func scanApproval(sc scanner, at time.Time) (approvals.Approval, error) {
	var a approvals.Approval
	var rs, re, decidedBy, decidedAt sql.NullInt64
	var requested, expires int64
	if err := sc.Scan(&a.ID, &a.OrganisationID, &a.Action, &a.Kind, &a.Payload, &a.Summary, &a.Reason, &a.CameraID, &rs, &re,
		&a.RequestedBy, &requested, &a.State, &decidedBy, &decidedAt, &a.Note, &expires); err != nil {
		return approvals.Approval{}, err
	}
	a.RangeStart, a.RangeEnd, a.DecidedAt = fromNullMicros(rs), fromNullMicros(re), fromNullMicros(decidedAt)
	a.DecidedBy, a.RequestedAt, a.ExpiresAt = decidedBy.Int64, fromMicros(requested), fromMicros(expires)
	if a.State == approvals.Pending && !at.Before(a.ExpiresAt) {
		a.State = approvals.Expired
	}
	return a, nil
}

// CreateApproval inserts a pending request and sets its ID; RequestedAt
// zero means now.
func (s *Store) CreateApproval(ctx context.Context, a *approvals.Approval) error {
	switch {
	case a.RequestedBy <= 0:
		return errors.New("store: approval has no requester")
	case a.Kind == "" || a.Action == "":
		return errors.New("store: approval has no kind or action")
	}
	if a.RequestedAt.IsZero() {
		a.RequestedAt = now()
	}
	if a.Payload == "" {
		a.Payload = "{}"
	}
	a.RequestedAt, a.ExpiresAt = normal(a.RequestedAt), normal(a.ExpiresAt)
	a.RangeStart, a.RangeEnd = normalPtr(a.RangeStart), normalPtr(a.RangeEnd)
	a.State, a.DecidedBy, a.DecidedAt, a.Note = approvals.Pending, 0, nil, ""
	err := s.w.QueryRowContext(ctx, `INSERT INTO approvals (organisation_id, action, kind, payload, summary, reason, camera_id,
		range_start_us, range_end_us, requested_by, requested_at, state, note, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '', $13) RETURNING id`,
		a.OrganisationID, a.Action, a.Kind, a.Payload, a.Summary, a.Reason, a.CameraID, nullMicros(a.RangeStart), nullMicros(a.RangeEnd),
		a.RequestedBy, micros(a.RequestedAt), a.State, micros(a.ExpiresAt)).Scan(&a.ID)
	return wrap("create approval", err)
}

// Approval returns one request, its state as of now.
func (s *Store) Approval(ctx context.Context, id int64) (approvals.Approval, error) {
	a, err := scanApproval(s.r.QueryRowContext(ctx, `SELECT `+approvalCols+` FROM approvals WHERE id = $1`, id), now())
	return a, wrap(fmt.Sprintf("approval %d", id), err)
}

// ListApprovals returns requests, newest first: those in state (all when
// empty; "expired" lists pending ones past their time), at most limit.
func (s *Store) ListApprovals(ctx context.Context, state string, limit int) ([]approvals.Approval, error) {
	t := now()
	q := `SELECT ` + approvalCols + ` FROM approvals`
	args := []any{clampLimit(limit)}
	switch state {
	case "":
	case approvals.Pending:
		q += ` WHERE state = $2 AND expires_at > $3`
		args = append(args, state, micros(t))
	case approvals.Expired:
		q += ` WHERE state = $2 AND expires_at <= $3`
		args = append(args, approvals.Pending, micros(t))
	default:
		q += ` WHERE state = $2`
		args = append(args, state)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY requested_at DESC, id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, wrap("list approvals", err)
	}
	defer rows.Close()
	out := []approvals.Approval{}
	for rows.Next() {
		a, err := scanApproval(rows, t)
		if err != nil {
			return nil, wrap("list approvals", err)
		}
		out = append(out, a)
	}
	return out, wrap("list approvals", rows.Err())
}

// DecideApproval records the decision on a pending request, atomically:
// of two people deciding at once, one wins and the other gets
// approvals.ErrNotPending. A requester cannot decide their own request (a
// problem.ErrForbidden). state is approvals.Approved or approvals.Rejected;
// expires, when not zero, replaces the request's expiry (an approved
// export's download window).
func (s *Store) DecideApproval(ctx context.Context, id, by int64, state, note string, at, expires time.Time) (approvals.Approval, error) {
	if state != approvals.Approved && state != approvals.Rejected {
		return approvals.Approval{}, fmt.Errorf("store: %q is not a decision", state)
	}
	at = normal(at)
	var out approvals.Approval
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		a, err := scanApproval(tx.QueryRowContext(ctx, `SELECT `+approvalCols+` FROM approvals WHERE id = $1`, id), at)
		if err != nil {
			return err
		}
		if a.RequestedBy == by {
			return problem.Forbiddenf("a request needs another person's approval: you cannot decide your own")
		}
		if a.State != approvals.Pending {
			return fmt.Errorf("%w (it is %s)", approvals.ErrNotPending, a.State)
		}
		exp := a.ExpiresAt
		if !expires.IsZero() {
			exp = normal(expires)
		}
		res, err := tx.ExecContext(ctx, `UPDATE approvals SET state = $2, decided_by = $3, decided_at = $4, note = $5, expires_at = $6
			WHERE id = $1 AND state = $7`, id, state, by, micros(at), note, micros(exp), approvals.Pending)
		if err != nil {
			return err
		}
		if err := checkAffected(res, "approval", id); err != nil {
			return fmt.Errorf("%w (decided meanwhile)", approvals.ErrNotPending)
		}
		a.State, a.DecidedBy, a.DecidedAt, a.Note, a.ExpiresAt = state, by, &at, note, exp
		out = a
		return nil
	})
	if errors.Is(err, problem.ErrForbidden) || errors.Is(err, approvals.ErrNotPending) {
		return approvals.Approval{}, err
	}
	return out, wrap(fmt.Sprintf("decide approval %d", id), err)
}

// SettleApproval records what came of an approved change of rights:
// approvals.Applied, or approvals.Failed with why.
func (s *Store) SettleApproval(ctx context.Context, id int64, state, note string) error {
	if state != approvals.Applied && state != approvals.Failed {
		return fmt.Errorf("store: %q is not an outcome", state)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE approvals SET state = $2, note = $3 WHERE id = $1 AND state = $4`, id, state, note, approvals.Approved)
	if err != nil {
		return wrap("settle approval", err)
	}
	return checkAffected(res, "approved approval", id)
}

var _ approvals.Repo = (*Store)(nil)
