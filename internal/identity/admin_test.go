package identity

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

func (f *fakeRepo) SetPassword(ctx context.Context, id int64, hash string, mustChange bool) error {
	u := f.users[id]
	u.PasswordHash, u.MustChangePassword = hash, mustChange
	f.users[id] = u
	return nil
}

func (f *fakeRepo) DeleteUserTokens(ctx context.Context, userID int64, kind string, except int64) (int64, error) {
	var n int64
	for id, t := range f.tokens {
		if t.UserID == userID && t.Kind == kind && id != except {
			delete(f.tokens, id)
			n++
		}
	}
	return n, nil
}

func (f *fakeRepo) SetTOTP(ctx context.Context, userID int64, sealed []byte) error {
	u := f.users[userID]
	u.TOTPEnabled = sealed != nil
	f.users[userID] = u
	return nil
}

func (f *fakeRepo) SetRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error {
	return nil
}

// TestAdminActions: resetting a password, unlocking and removing a
// second factor each need a reason, reach only users one manages and
// never one's own account, and do what they say with a record naming the
// user and the reason.
func TestAdminActions(t *testing.T) {
	ctx := context.Background()
	snap := rights.NewSnapshot(rights.Data{
		Orgs: []rights.Org{{ID: 1, Name: "Partnership", Kind: "partnership"}, {ID: 2, Parent: 1, Name: "Council", Kind: "council"},
			{ID: 3, Parent: 1, Name: "Other", Kind: "council"}},
		Grants: map[int64][]rights.Grant{7: {{Role: "administrator"}}},
	})
	admin := Caller{Actor: auditlog.Actor{UserID: 7, Username: "admin", OrganisationID: 2}, P: snap.Principal(7, 2), Snap: snap}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const reason = "lost laptop"
	for _, tc := range []struct {
		name   string
		target int64
		reason string
		do     func(s *Service, id int64, reason string) error
		want   error // nil: done
		action auditlog.Action
		check  func(f *fakeRepo) string
	}{
		{name: "reset", target: 8, reason: reason, do: func(s *Service, id int64, r string) error {
			pass, err := s.ResetPassword(ctx, admin, id, r)
			if err == nil && len(pass) < 12 {
				return errors.New("short password " + pass)
			}
			return err
		}, action: auditlog.PasswordReset, check: func(f *fakeRepo) string {
			if u := f.users[8]; !u.MustChangePassword || u.PasswordHash == "old" || len(f.tokens) != 0 {
				return "the password was not replaced to change at sign-in, sessions ended"
			}
			return ""
		}},
		{name: "unlock", target: 8, reason: reason, do: func(s *Service, id int64, r string) error {
			was, err := s.Unlock(ctx, admin, id, r)
			if err == nil && !was {
				return errors.New("said it was not locked")
			}
			return err
		}, action: auditlog.UserUnlock, check: func(f *fakeRepo) string {
			if th := f.throttles["user:op"]; th.Failures != 0 || !th.LockedUntil.IsZero() {
				return "the failures were not forgotten"
			}
			return ""
		}},
		{name: "second factor", target: 8, reason: reason, do: func(s *Service, id int64, r string) error {
			return s.RevokeSecondFactor(ctx, admin, id, r)
		}, action: auditlog.TOTPRevoke, check: func(f *fakeRepo) string {
			if f.users[8].TOTPEnabled || len(f.tokens) != 0 {
				return "the second factor or the sessions remain"
			}
			return ""
		}},
		{name: "no reason", target: 8, reason: "  ", do: func(s *Service, id int64, r string) error {
			_, err := s.ResetPassword(ctx, admin, id, r)
			return err
		}, want: problem.ErrInvalid},
		{name: "long reason", target: 8, reason: strings.Repeat("x", MaxReason+1), do: func(s *Service, id int64, r string) error {
			_, err := s.Unlock(ctx, admin, id, r)
			return err
		}, want: problem.ErrInvalid},
		{name: "own account", target: 7, reason: reason, do: func(s *Service, id int64, r string) error {
			return s.RevokeSecondFactor(ctx, admin, id, r)
		}, want: problem.ErrForbidden},
		{name: "another council", target: 9, reason: reason, do: func(s *Service, id int64, r string) error {
			_, err := s.ResetPassword(ctx, admin, id, r)
			return err
		}, want: problem.ErrNotFound},
		{name: "single sign-on", target: 10, reason: reason, do: func(s *Service, id int64, r string) error {
			_, err := s.ResetPassword(ctx, admin, id, r)
			return err
		}, want: problem.ErrConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.users[7] = User{ID: 7, Username: "admin", OrganisationID: 2}
			f.users[8] = User{ID: 8, Username: "op", OrganisationID: 2, PasswordHash: "old", TOTPEnabled: true}
			f.users[9] = User{ID: 9, Username: "far", OrganisationID: 3}
			f.users[10] = User{ID: 10, Username: "sso", OrganisationID: 2, OIDCIssuer: "https://idp.example"}
			f.tokens[100] = Token{ID: 100, UserID: 8, Kind: TokenSession}
			f.throttles["user:op"] = Throttle{Subject: "user:op", Failures: 5, LockedUntil: now.Add(time.Hour), Version: 3}
			s, _ := newService(f, Options{Now: func() time.Time { return now }, Account: auth.Lockout{Threshold: 5, Base: time.Minute, Max: time.Hour}})
			err := tc.do(s, tc.target, tc.reason)
			if tc.want != nil {
				if !errors.Is(err, tc.want) || len(f.logged) != 0 {
					t.Fatalf("got %v with %d records, want %v and none", err, len(f.logged), tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want done", err)
			}
			if msg := tc.check(f); msg != "" {
				t.Error(msg)
			}
			if len(f.logged) != 1 || f.logged[0].Action != tc.action || !strings.Contains(f.logged[0].Detail, "op (8)") || !strings.Contains(f.logged[0].Detail, "reason: "+reason) {
				t.Errorf("records: got %+v, want one %s naming op (8) and the reason", f.logged, tc.action)
			}
		})
	}
}
