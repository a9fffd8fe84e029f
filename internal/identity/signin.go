package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
)

// maxCounted bounds what a sign-in form can make the service count.
const maxCounted = 200

// Attempt is one sign-in attempt (a password, a code), counted in
// advance against its account and its address: a failure then costs
// nothing more to record, and a crash mid-check still counts.
type Attempt struct {
	account, address string
	// locks are the subjects this attempt's failure locks, and until when.
	locks map[string]time.Time
}

// Locks returns the subjects ("user:NAME", "addr:HOST") that this
// attempt, if it fails, has locked, and until when.
func (a *Attempt) Locks() map[string]time.Time { return a.locks }

// ErrBusy says one subject's count could not be written for sign-ins
// racing on it.
var ErrBusy = errors.New("identity: too many sign-ins at once for one subject")

// BeginAttempt counts an attempt for username from host, or says how
// long to wait when either is locked (counting nothing then).
func (s *Service) BeginAttempt(ctx context.Context, username, host string) (*Attempt, time.Duration, error) {
	if len(username) > maxCounted {
		username = username[:maxCounted]
	}
	t := &Attempt{account: "user:" + username, address: "addr:" + host, locks: map[string]time.Time{}}
	wait, err := s.count(ctx, t, t.address, s.opt.Address)
	if err != nil || wait > 0 {
		return nil, wait, err
	}
	wait, err = s.count(ctx, t, t.account, s.opt.Account)
	if err != nil || wait > 0 {
		// Not an attempt after all: the address should not pay for it.
		s.settle(ctx, t.address, s.opt.Address.Undo)
		return nil, wait, err
	}
	return t, 0, nil
}

func (s *Service) count(ctx context.Context, t *Attempt, subject string, p auth.Lockout) (time.Duration, error) {
	for range 20 {
		cur, err := s.repo.Throttle(ctx, subject)
		if err != nil {
			return 0, err
		}
		now := s.now()
		next, wait := p.Begin(auth.Attempts{Failures: cur.Failures, LockedUntil: cur.LockedUntil, LastFailure: cur.LastFailure}, now)
		if wait > 0 {
			return wait, nil
		}
		ok, err := s.repo.SwapThrottle(ctx, cur, Throttle{Subject: subject, Failures: next.Failures, LockedUntil: next.LockedUntil, LastFailure: next.LastFailure})
		if err != nil {
			return 0, err
		}
		if ok {
			if next.LockedUntil.After(now) {
				t.locks[subject] = next.LockedUntil
			}
			return 0, nil
		}
	}
	return 0, ErrBusy
}

// settle rewrites a subject's record after an attempt succeeded.
func (s *Service) settle(ctx context.Context, subject string, fn func(auth.Attempts) auth.Attempts) {
	for range 20 {
		cur, err := s.repo.Throttle(ctx, subject)
		if err != nil {
			s.log.Error("sign-in counts: read", "subject", subject, "err", err)
			return
		}
		next := fn(auth.Attempts{Failures: cur.Failures, LockedUntil: cur.LockedUntil, LastFailure: cur.LastFailure})
		ok, err := s.repo.SwapThrottle(ctx, cur, Throttle{Subject: subject, Failures: next.Failures, LockedUntil: next.LockedUntil, LastFailure: next.LastFailure})
		if err != nil {
			s.log.Error("sign-in counts: write", "subject", subject, "err", err)
			return
		}
		if ok {
			return
		}
	}
}

// Succeeded clears the account's count and takes this attempt back from
// the address's.
func (s *Service) Succeeded(ctx context.Context, t *Attempt) {
	s.settle(ctx, t.account, func(auth.Attempts) auth.Attempts { return auth.Attempts{} })
	s.PasswordPassed(ctx, t)
}

// PasswordPassed takes the attempt back from the address's count only:
// the account's stands until the second factor is given, so guessing
// codes costs attempts like guessing passwords.
func (s *Service) PasswordPassed(ctx context.Context, t *Attempt) {
	s.settle(ctx, t.address, s.opt.Address.Undo)
}

// dummyHash is what an unknown user's password is checked against, so
// timing does not tell them apart.
var dummyHash, _ = auth.HashPassword("not a real password, only spends time")

// CheckPassword returns the user named and whether password is theirs.
// Unknown users, and users without a password (single sign-on), cost the
// same hash as the rest, so timing does not tell them apart; the user
// returned then is the zero User.
func (s *Service) CheckPassword(ctx context.Context, username, password string) (User, bool, error) {
	u, err := s.repo.UserByName(ctx, username)
	if err != nil && !IsUnknown(err) {
		return User{}, false, err
	}
	hash := u.PasswordHash
	if err != nil || hash == "" {
		hash = dummyHash
	}
	ok, verr := auth.VerifyPassword(hash, password)
	if err != nil || u.PasswordHash == "" || verr != nil || !ok {
		return u, false, nil
	}
	return u, true, nil
}

// totpAD binds a sealed TOTP secret to its user.
func totpAD(userID int64) []byte { return fmt.Appendf(nil, "vigil totp v1 user %d", userID) }

// CheckSecondFactor spends a code of u's and returns how they proved it
// ("TOTP code", "recovery code"), or "" when the code is wrong or already
// used. It is a step of a sign-in (or of replacing the factor), recorded
// with what it admits to.
func (s *Service) CheckSecondFactor(ctx context.Context, u User, code string) (string, error) {
	if auth.LooksLikeRecoveryCode(code) {
		ok, err := s.repo.UseRecoveryCode(ctx, u.ID, auth.HashRecoveryCode(code))
		if err != nil || !ok {
			return "", err
		}
		return "recovery code", nil
	}
	secret, err := s.totpSecret(ctx, u)
	if err != nil {
		return "", err
	}
	step, ok := auth.TOTPStep(secret, code, s.now())
	if !ok {
		return "", nil
	}
	// The step is spent, so a code seen once cannot be used again.
	fresh, err := s.repo.UseTOTPStep(ctx, u.ID, step)
	if err != nil || !fresh {
		return "", err
	}
	return "TOTP code", nil
}

func (s *Service) totpSecret(ctx context.Context, u User) (string, error) {
	if s.opt.Secrets == nil {
		return "", errors.New("identity: no secret box for TOTP secrets")
	}
	sealed, err := s.repo.UserTOTP(ctx, u.ID)
	if err != nil {
		return "", err
	}
	plain, err := s.opt.Secrets.Open(sealed, totpAD(u.ID))
	if err != nil {
		return "", fmt.Errorf("user %d's TOTP secret: %w", u.ID, err)
	}
	return string(plain), nil
}

// EnrolTOTP gives u the authenticator whose secret a code of time step
// has just confirmed: the secret, the spent step (so the confirming code
// signs nobody in afterwards) and new recovery codes commit with the
// record. It returns the recovery codes, to show once.
func (s *Service) EnrolTOTP(ctx context.Context, by auditlog.Actor, u User, secret string, step int64) ([]string, error) {
	if s.opt.Secrets == nil {
		return nil, errors.New("identity: no secret box for TOTP secrets")
	}
	sealed := s.opt.Secrets.Seal([]byte(secret), totpAD(u.ID))
	codes, hashes := auth.NewRecoveryCodes(auth.RecoveryCodeCount)
	err := s.change(ctx, func(tx Repo) error {
		if err := tx.SetTOTP(ctx, u.ID, sealed); err != nil {
			return err
		}
		if _, err := tx.UseTOTPStep(ctx, u.ID, step); err != nil {
			return err
		}
		if err := tx.SetRecoveryCodes(ctx, u.ID, hashes); err != nil {
			return err
		}
		return tx.Log(s.entry(by, auditlog.TOTPEnrol, fmt.Sprintf("%d recovery codes issued", len(codes))))
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// RecoveryCodesLeft counts u's unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	return s.repo.RecoveryCodesLeft(ctx, userID)
}
