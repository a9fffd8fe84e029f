package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// A user's second factor: a TOTP secret (sealed by the caller: the store
// never sees it in the clear) and one-use recovery codes, kept hashed.

// SetTOTP stores a user's sealed TOTP secret and turns the second factor
// on; a nil secret turns it off. Either way the replay guard starts again
// and any recovery codes are removed, since they belonged to the old one.
func (s *Store) SetTOTP(ctx context.Context, userID int64, sealed []byte) error {
	return wrap("set totp", s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = $2, totp_enabled = $3, totp_last_step = 0 WHERE id = $1`,
			userID, nullBlob(sealed), sealed != nil)
		if err != nil {
			return err
		}
		if err := checkAffected(res, "user", userID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID)
		return err
	}))
}

// UserTOTP returns a user's sealed TOTP secret; ErrNotFound when the user
// has none.
func (s *Store) UserTOTP(ctx context.Context, userID int64) ([]byte, error) {
	var sealed []byte
	err := s.r.QueryRowContext(ctx, `SELECT totp_secret FROM users WHERE id = $1 AND totp_enabled`, userID).Scan(&sealed)
	if err == nil && sealed == nil {
		err = sql.ErrNoRows
	}
	return sealed, wrap(fmt.Sprintf("totp of user %d", userID), err)
}

// UseTOTPStep records that a code for time step was accepted, and reports
// false when a code for that step or a later one already was: a code seen
// once (over a shoulder, in a proxy's log) never works again. One UPDATE
// decides, so two sign-ins racing with one code cannot both pass.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_enabled AND totp_last_step < $2`, userID, step)
	if err != nil {
		return false, wrap("use totp step", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("use totp step", err)
}

// SetRecoveryCodes replaces a user's recovery codes with the given hashes.
func (s *Store) SetRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error {
	for _, h := range hashes {
		if len(h) == 0 || len(h) > maxTokenHash {
			return errors.New("store: recovery code hash must be 1 to 64 bytes")
		}
	}
	created := micros(now())
	return wrap("set recovery codes", s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, hash, created_at) VALUES ($1, $2, $3)`, userID, h, created); err != nil {
				return err
			}
		}
		return nil
	}))
}

// UseRecoveryCode spends the user's unused recovery code with the given
// hash, reporting false when there is none.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash []byte) (bool, error) {
	if len(hash) == 0 || len(hash) > maxTokenHash {
		return false, nil
	}
	res, err := s.w.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND hash = $2 AND used_at IS NULL`,
		userID, hash, micros(now()))
	if err != nil {
		return false, wrap("use recovery code", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("use recovery code", err)
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	return n, wrap("count recovery codes", err)
}
