package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/vigil-cctv/vigil/internal/identity"
)

// maxSubject bounds what a sign-in form can make the store keep.
const maxSubject = 300

// Throttle returns the subject's record; a subject with none has a zero
// one (Version 0).
func (s *Store) Throttle(ctx context.Context, subject string) (identity.Throttle, error) {
	t := identity.Throttle{Subject: subject}
	var locked, last int64
	err := s.w.QueryRowContext(ctx, `SELECT failures, locked_until, last_failure, version FROM signin_throttle WHERE subject = $1`, subject).
		Scan(&t.Failures, &locked, &last, &t.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return t, nil
	}
	if err != nil {
		return t, wrap("throttle", err)
	}
	if locked != 0 {
		t.LockedUntil = fromMicros(locked)
	}
	if last != 0 {
		t.LastFailure = fromMicros(last)
	}
	return t, nil
}

// SwapThrottle writes next in place of old if the record is still old
// (same Version), and reports whether it did. Callers read, decide and
// swap, and read again when another sign-in got there first: the same
// compare-and-swap on both engines, where a row lock would need dialects.
// A next with no failures and no lock removes the record.
func (s *Store) SwapThrottle(ctx context.Context, old, next identity.Throttle) (bool, error) {
	if old.Subject != next.Subject || len(next.Subject) > maxSubject || next.Subject == "" {
		return false, errors.New("store: throttle subject must match, and be 1 to 300 bytes")
	}
	var res sql.Result
	var err error
	lockedUntil, lastFailure := zeroMicros(next.LockedUntil), zeroMicros(next.LastFailure)
	switch {
	case next.Failures == 0 && next.LockedUntil.IsZero():
		if old.Version == 0 {
			return true, nil
		}
		res, err = s.w.ExecContext(ctx, `DELETE FROM signin_throttle WHERE subject = $1 AND version = $2`, next.Subject, old.Version)
	case old.Version == 0:
		res, err = s.w.ExecContext(ctx, `INSERT INTO signin_throttle (subject, failures, locked_until, last_failure, version)
			VALUES ($1, $2, $3, $4, 1) ON CONFLICT (subject) DO NOTHING`, next.Subject, next.Failures, lockedUntil, lastFailure)
	default:
		res, err = s.w.ExecContext(ctx, `UPDATE signin_throttle SET failures = $2, locked_until = $3, last_failure = $4, version = version + 1
			WHERE subject = $1 AND version = $5`, next.Subject, next.Failures, lockedUntil, lastFailure, old.Version)
	}
	if err != nil {
		return false, wrap("swap throttle", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("swap throttle", err)
}

// PruneThrottles removes records whose last failure is before cutoff and
// whose lock has ended, so the table holds only what can still matter.
func (s *Store) PruneThrottles(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM signin_throttle WHERE last_failure < $1 AND locked_until < $1`, micros(cutoff))
	if err != nil {
		return 0, wrap("prune throttles", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("prune throttles", err)
}

// zeroMicros stores the zero time as 0.
func zeroMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}
