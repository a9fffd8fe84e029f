package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigil-cctv/vigil/internal/identity"
)

func newUser(t *testing.T, s *Store, name, role string) identity.User {
	t.Helper()
	org, err := s.EnsureOrganisation(context.Background(), "Org", "council")
	must(t, err)
	u := identity.User{Username: name, PasswordHash: "$argon2id$x", OrganisationID: org.ID, Role: role}
	must(t, s.CreateUser(context.Background(), &u))
	return u
}

func TestTokenKinds(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u := newUser(t, s, "alice", "operator")
		other := newUser(t, s, "bob", "operator")
		api := identity.Token{UserID: u.ID, Name: "script", Hash: bytes.Repeat([]byte{1}, 32)}
		sess := identity.Token{UserID: u.ID, Name: "console session", Hash: bytes.Repeat([]byte{2}, 32), Kind: identity.TokenSession,
			RemoteAddr: "127.0.0.1:5000", UserAgent: "Test/1.0 " + string(bytes.Repeat([]byte("é"), 400))}
		pend := identity.Token{UserID: u.ID, Name: "sign-in", Hash: bytes.Repeat([]byte{3}, 32), Kind: identity.TokenPending}
		sess2 := identity.Token{UserID: u.ID, Name: "console session", Hash: bytes.Repeat([]byte{4}, 32), Kind: identity.TokenSession}
		bobs := identity.Token{UserID: other.ID, Name: "console session", Hash: bytes.Repeat([]byte{5}, 32), Kind: identity.TokenSession}
		for _, tk := range []*identity.Token{&api, &sess, &pend, &sess2, &bobs} {
			must(t, s.CreateToken(ctx, tk))
		}
		if api.Kind != identity.TokenAPI {
			t.Errorf("a token made without a kind: got kind %q, want %q", api.Kind, identity.TokenAPI)
		}
		if err := s.CreateToken(ctx, &identity.Token{UserID: u.ID, Hash: []byte{9}, Kind: "root"}); err == nil {
			t.Errorf("unknown kind: got nil error, want one")
		}
		tests := []struct {
			name string
			hash []byte
			kind string
			ok   bool
		}{
			{"api as api", api.Hash, identity.TokenAPI, true},
			{"api as session", api.Hash, identity.TokenSession, false},
			{"session as session", sess.Hash, identity.TokenSession, true},
			{"session as bearer", sess.Hash, identity.TokenAPI, false},
			{"pending as session", pend.Hash, identity.TokenSession, false},
			{"pending as pending", pend.Hash, identity.TokenPending, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tok, usr, err := s.TokenByHash(ctx, tt.hash, tt.kind)
				if tt.ok != (err == nil) {
					t.Fatalf("got error %v, want ok %v", err, tt.ok)
				}
				if !tt.ok && !errors.Is(err, ErrNotFound) {
					t.Errorf("got %v, want ErrNotFound", err)
				}
				if tt.ok && (usr.ID != u.ID || tok.Kind != tt.kind) {
					t.Errorf("got user %d kind %q, want %d %q", usr.ID, tok.Kind, u.ID, tt.kind)
				}
			})
		}
		got, _, err := s.TokenByHash(ctx, sess.Hash, identity.TokenSession)
		must(t, err)
		if got.RemoteAddr != "127.0.0.1:5000" || len(got.UserAgent) > maxTokenText || !bytes.HasPrefix([]byte(got.UserAgent), []byte("Test/1.0 é")) {
			t.Errorf("session: got remote %q, user agent of %d bytes %.20q; want the address and the agent clipped to %d", got.RemoteAddr, len(got.UserAgent), got.UserAgent, maxTokenText)
		}

		if err := s.DeleteToken(ctx, u.ID, bobs.ID, identity.TokenSession); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleting another user's session: got %v, want ErrNotFound", err)
		}
		if err := s.DeleteToken(ctx, u.ID, api.ID, identity.TokenSession); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleting an API token as a session: got %v, want ErrNotFound", err)
		}
		n, err := s.DeleteUserTokens(ctx, u.ID, identity.TokenSession, sess.ID)
		must(t, err)
		if n != 1 {
			t.Errorf("DeleteUserTokens except one: got %d deleted, want 1", n)
		}
		must(t, s.DeleteToken(ctx, u.ID, sess.ID, identity.TokenSession))
		list, err := s.ListTokens(ctx, u.ID)
		must(t, err)
		if len(list) != 2 || list[0].ID != api.ID || list[1].ID != pend.ID {
			t.Errorf("left: got %+v, want the API token and the pending one", list)
		}
		if _, _, err := s.TokenByHash(ctx, bobs.Hash, identity.TokenSession); err != nil {
			t.Errorf("bob's session: got %v, want it untouched", err)
		}

		past := time.Now().Add(-time.Hour)
		old := identity.Token{UserID: u.ID, Name: "old", Hash: bytes.Repeat([]byte{6}, 32), ExpiresAt: &past}
		must(t, s.CreateToken(ctx, &old))
		n, err = s.DeleteExpiredTokens(ctx, time.Now())
		must(t, err)
		if n != 1 {
			t.Errorf("DeleteExpiredTokens: got %d, want 1", n)
		}
	})
}

func TestSecondFactor(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u := newUser(t, s, "carol", "operator")
		if _, err := s.UserTOTP(ctx, u.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("UserTOTP before enrolment: got %v, want ErrNotFound", err)
		}
		sealed := []byte("sealed secret")
		must(t, s.SetTOTP(ctx, u.ID, sealed))
		got, err := s.UserTOTP(ctx, u.ID)
		must(t, err)
		if !bytes.Equal(got, sealed) {
			t.Errorf("UserTOTP: got %q, want %q", got, sealed)
		}
		if usr, _ := s.User(ctx, u.ID); !usr.TOTPEnabled {
			t.Errorf("User.TOTPEnabled after SetTOTP: got false, want true")
		}
		steps := []struct {
			step int64
			want bool
		}{{100, true}, {100, false}, {99, false}, {101, true}}
		for _, st := range steps {
			ok, err := s.UseTOTPStep(ctx, u.ID, st.step)
			must(t, err)
			if ok != st.want {
				t.Errorf("UseTOTPStep(%d): got %v, want %v", st.step, ok, st.want)
			}
		}

		codes := [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)}
		must(t, s.SetRecoveryCodes(ctx, u.ID, codes))
		if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 2 {
			t.Errorf("RecoveryCodesLeft: got %d, want 2", n)
		}
		for i, want := range []bool{true, false} {
			ok, err := s.UseRecoveryCode(ctx, u.ID, codes[0])
			must(t, err)
			if ok != want {
				t.Errorf("UseRecoveryCode try %d: got %v, want %v", i, ok, want)
			}
		}
		if ok, _ := s.UseRecoveryCode(ctx, u.ID, bytes.Repeat([]byte{7}, 32)); ok {
			t.Errorf("an unknown recovery code: got accepted, want refused")
		}
		other := newUser(t, s, "dave", "operator")
		if ok, _ := s.UseRecoveryCode(ctx, other.ID, codes[1]); ok {
			t.Errorf("another user's recovery code: got accepted, want refused")
		}

		// Turning the factor off clears the secret, the replay guard and
		// the codes.
		must(t, s.SetTOTP(ctx, u.ID, nil))
		if _, err := s.UserTOTP(ctx, u.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("UserTOTP after removal: got %v, want ErrNotFound", err)
		}
		if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 0 {
			t.Errorf("recovery codes after removal: got %d, want 0", n)
		}
		if ok, _ := s.UseTOTPStep(ctx, u.ID, 500); ok {
			t.Errorf("UseTOTPStep without a factor: got true, want false")
		}
		if err := s.SetTOTP(ctx, 9999, sealed); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetTOTP(missing user): got %v, want ErrNotFound", err)
		}
	})
}

func TestUserPasswordAndOIDC(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u := newUser(t, s, "erin", "operator")
		must(t, s.SetPassword(ctx, u.ID, "$argon2id$new", true))
		got, err := s.User(ctx, u.ID)
		must(t, err)
		if got.PasswordHash != "$argon2id$new" || !got.MustChangePassword {
			t.Errorf("after SetPassword: got %q must-change %v, want the new hash and true", got.PasswordHash, got.MustChangePassword)
		}
		org2, err := s.EnsureOrganisation(ctx, "Police", "police")
		must(t, err)
		sso := identity.User{Username: "frank@idp", PasswordHash: "", OrganisationID: org2.ID, Role: "viewer", OIDCIssuer: "https://idp", OIDCSubject: "sub-1"}
		must(t, s.CreateUser(ctx, &sso))
		// A second password user: NULL issuer and subject do not collide.
		newUser(t, s, "gina", "operator")
		found, err := s.UserByOIDC(ctx, "https://idp", "sub-1")
		must(t, err)
		if found != sso {
			t.Errorf("UserByOIDC: got %+v, want %+v", found, sso)
		}
		dup := identity.User{Username: "frank2", OrganisationID: org2.ID, Role: "viewer", OIDCIssuer: "https://idp", OIDCSubject: "sub-1"}
		if err := s.CreateUser(ctx, &dup); !errors.Is(err, ErrConflict) {
			t.Errorf("a second user for one subject: got %v, want ErrConflict", err)
		}
		if _, err := s.UserByOIDC(ctx, "https://other", "sub-1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("same subject at another issuer: got %v, want ErrNotFound", err)
		}
		must(t, s.SetUserRole(ctx, sso.ID, "operator", u.OrganisationID))
		found, _ = s.User(ctx, sso.ID)
		if found.Role != "operator" || found.OrganisationID != u.OrganisationID {
			t.Errorf("SetUserRole: got %q in %d, want operator in %d", found.Role, found.OrganisationID, u.OrganisationID)
		}
		if err := s.CreateUser(ctx, &identity.User{Username: "half", OrganisationID: org2.ID, Role: "viewer", OIDCIssuer: "https://idp"}); err == nil {
			t.Errorf("issuer without subject: got nil error, want one")
		}
	})
}

func TestThrottleSwap(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := normal(t0)
		zero, err := s.Throttle(ctx, "user:x")
		must(t, err)
		if zero.Version != 0 || zero.Failures != 0 {
			t.Fatalf("unknown subject: got %+v, want a zero record", zero)
		}
		one := identity.Throttle{Subject: "user:x", Failures: 1, LastFailure: at}
		ok, err := s.SwapThrottle(ctx, zero, one)
		must(t, err)
		if !ok {
			t.Fatalf("first swap: got false, want true")
		}
		// A second writer that read the same zero record loses.
		if ok, _ := s.SwapThrottle(ctx, zero, one); ok {
			t.Errorf("swap from a stale zero record: got true, want false")
		}
		cur, err := s.Throttle(ctx, "user:x")
		must(t, err)
		if cur.Failures != 1 || !cur.LastFailure.Equal(at) || !cur.LockedUntil.IsZero() || cur.Version != 1 {
			t.Errorf("after one failure: got %+v", cur)
		}
		locked := identity.Throttle{Subject: "user:x", Failures: 2, LastFailure: at, LockedUntil: at.Add(time.Minute)}
		if ok, _ := s.SwapThrottle(ctx, cur, locked); !ok {
			t.Fatalf("second swap: got false, want true")
		}
		if ok, _ := s.SwapThrottle(ctx, cur, locked); ok {
			t.Errorf("swap from a stale record: got true, want false")
		}
		cur, _ = s.Throttle(ctx, "user:x")
		if !cur.LockedUntil.Equal(at.Add(time.Minute)) || cur.Version != 2 {
			t.Errorf("after the lock: got %+v", cur)
		}
		n, err := s.PruneThrottles(ctx, at)
		must(t, err)
		if n != 0 {
			t.Errorf("prune before the lock ends: got %d removed, want 0", n)
		}
		if ok, _ := s.SwapThrottle(ctx, cur, identity.Throttle{Subject: "user:x"}); !ok {
			t.Errorf("reset: got false, want true")
		}
		if cur, _ = s.Throttle(ctx, "user:x"); cur.Version != 0 {
			t.Errorf("after reset: got %+v, want no record", cur)
		}
		if _, err := s.SwapThrottle(ctx, identity.Throttle{Subject: "a"}, identity.Throttle{Subject: "b", Failures: 1}); err == nil {
			t.Errorf("swap across subjects: got nil error, want one")
		}
		must(t, func() error {
			_, err := s.SwapThrottle(ctx, identity.Throttle{Subject: "addr:1"}, identity.Throttle{Subject: "addr:1", Failures: 1, LastFailure: at})
			return err
		}())
		if n, _ := s.PruneThrottles(ctx, at.Add(time.Second)); n != 1 {
			t.Errorf("prune after the last failure: got %d removed, want 1", n)
		}
	})
}

// TestMigrationLandedOutOfOrder: a migration numbered below one a database
// already has (work merged in another order) is still applied, and a hole
// in the numbers is no error.
func TestMigrationLandedOutOfOrder(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "order.db")
	s := openSQLite(t, path)
	first := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"migrations/0004_d.sql": {Data: []byte("CREATE TABLE d (x INTEGER);")},
	}
	// The store's own migrations are recorded already; start a fresh
	// history for this test's.
	_, err := s.wdb.Exec(`DELETE FROM schema_migrations`)
	must(t, err)
	must(t, s.migrateFrom(ctx, first))
	later := fstest.MapFS{
		"migrations/0001_a.sql": first["migrations/0001_a.sql"],
		"migrations/0003_c.sql": {Data: []byte("CREATE TABLE c (x INTEGER);")},
		"migrations/0004_d.sql": first["migrations/0004_d.sql"],
	}
	must(t, s.migrateFrom(ctx, later))
	var n int
	must(t, s.wdb.QueryRow(`SELECT COUNT(*) FROM c`).Scan(&n))
	must(t, s.wdb.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n))
	if n != 3 {
		t.Errorf("schema_migrations: got %d rows, want 3", n)
	}
	// A binary that lacks 0003 refuses the database that had it.
	if err := s.migrateFrom(ctx, first); err == nil {
		t.Errorf("a database with a migration unknown to the binary: got nil error, want one")
	}
	dup := fstest.MapFS{
		"migrations/0003_c.sql": later["migrations/0003_c.sql"],
		"migrations/0003_x.sql": later["migrations/0003_c.sql"],
	}
	if err := s.migrateFrom(ctx, dup); err == nil {
		t.Errorf("two migrations numbered 3: got nil error, want one")
	}
}
