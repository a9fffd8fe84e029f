package identity

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/problem"
)

// MaxReason bounds the reason an administrator gives for acting on
// someone else's account.
const MaxReason = 200

// CheckReason refuses a missing or overlong reason: acting on another
// person's account is answered for in the trail, so it says why.
func CheckReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", problem.Invalidf("give the reason")
	case utf8.RuneCountInString(reason) > MaxReason:
		return "", problem.Invalidf("the reason must be at most %d characters", MaxReason)
	}
	return reason, nil
}

// adminTarget is the user id that c manages and may act on with a
// reason: never themselves, since their own account has its own pages.
func (s *Service) adminTarget(ctx context.Context, c Caller, id int64, reason, what string) (User, string, error) {
	target, err := s.TargetUser(ctx, c, id)
	if err != nil {
		return User{}, "", err
	}
	if target.ID == c.Actor.UserID {
		return User{}, "", problem.Forbiddenf("you cannot %s your own account here", what)
	}
	reason, err = CheckReason(reason)
	return target, reason, err
}

// ResetPassword gives user id a new generated password, returned this
// once, which they must change at their next sign-in, and ends their
// sessions: whoever knew the old one is out. A single sign-on account
// has no password to reset.
func (s *Service) ResetPassword(ctx context.Context, c Caller, id int64, reason string) (string, error) {
	target, reason, err := s.adminTarget(ctx, c, id, reason, "reset the password of")
	if err != nil {
		return "", err
	}
	if target.OIDCIssuer != "" {
		return "", problem.Conflictf("user %s signs in through single sign-on and has no password here", target.Username)
	}
	pass := auth.RandomPassword()
	hash, err := auth.HashPassword(pass)
	if err != nil {
		return "", err
	}
	err = s.change(ctx, func(tx Repo) error {
		if err := tx.SetPassword(ctx, target.ID, hash, true); err != nil {
			return err
		}
		n, err := tx.DeleteUserTokens(ctx, target.ID, TokenSession, 0)
		if err != nil {
			return err
		}
		if _, err := tx.DeleteUserTokens(ctx, target.ID, TokenPending, 0); err != nil {
			return err
		}
		return tx.Log(s.entry(c.Actor, auditlog.PasswordReset, fmt.Sprintf("user %s (%d), to change it at next sign-in; %d sessions ended; reason: %s",
			target.Username, target.ID, n, reason)))
	})
	if err != nil {
		return "", err
	}
	return pass, nil
}

// accountSubject is the sign-in counts' subject of an account name.
func accountSubject(username string) string { return "user:" + username }

// Locked says whether u's sign-ins are refused now for too many
// failures.
func (s *Service) Locked(ctx context.Context, u User) (bool, error) {
	t, err := s.repo.Throttle(ctx, accountSubject(u.Username))
	if err != nil {
		return false, err
	}
	return t.LockedUntil.After(s.now()), nil
}

// Unlock forgets user id's failed sign-ins, so a locked account may sign
// in again at once. It reports whether the account was locked.
func (s *Service) Unlock(ctx context.Context, c Caller, id int64, reason string) (bool, error) {
	target, reason, err := s.adminTarget(ctx, c, id, reason, "unlock")
	if err != nil {
		return false, err
	}
	var was bool
	err = s.change(ctx, func(tx Repo) error {
		cur, err := tx.Throttle(ctx, accountSubject(target.Username))
		if err != nil {
			return err
		}
		was = cur.LockedUntil.After(s.now())
		if cur.Version != 0 {
			ok, err := tx.SwapThrottle(ctx, cur, Throttle{Subject: cur.Subject})
			if err != nil {
				return err
			}
			if !ok {
				return ErrBusy
			}
		}
		return tx.Log(s.entry(c.Actor, auditlog.UserUnlock, fmt.Sprintf("user %s (%d), %d failed sign-ins forgotten, locked: %t; reason: %s",
			target.Username, target.ID, cur.Failures, was, reason)))
	})
	return was, err
}

// RevokeSecondFactor removes user id's second factor and recovery codes
// (a lost phone) and ends their sessions; they enrol again at their next
// sign-in where it is required. One without a second factor is answered
// the same, the record saying so, so that a retry is harmless.
func (s *Service) RevokeSecondFactor(ctx context.Context, c Caller, id int64, reason string) error {
	target, reason, err := s.adminTarget(ctx, c, id, reason, "remove the second factor of")
	if err != nil {
		return err
	}
	return s.change(ctx, func(tx Repo) error {
		if err := tx.SetTOTP(ctx, target.ID, nil); err != nil {
			return err
		}
		if err := tx.SetRecoveryCodes(ctx, target.ID, nil); err != nil {
			return err
		}
		n, err := tx.DeleteUserTokens(ctx, target.ID, TokenSession, 0)
		if err != nil {
			return err
		}
		if _, err := tx.DeleteUserTokens(ctx, target.ID, TokenPending, 0); err != nil {
			return err
		}
		return tx.Log(s.entry(c.Actor, auditlog.TOTPRevoke, fmt.Sprintf("user %s (%d), had one: %t, %d sessions ended; reason: %s", target.Username, target.ID, target.TOTPEnabled, n, reason)))
	})
}

// LastSignIn is when user id last began a console session that is still
// kept (live, or ended but not yet swept away); nil when none is known.
func (s *Service) LastSignIn(ctx context.Context, id int64) (*time.Time, error) {
	ts, err := s.repo.ListTokens(ctx, id)
	if err != nil {
		return nil, err
	}
	var last *time.Time
	for _, t := range ts {
		if t.Kind == TokenSession && (last == nil || t.CreatedAt.After(*last)) {
			at := t.CreatedAt
			last = &at
		}
	}
	return last, nil
}
