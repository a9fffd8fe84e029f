package identity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/secret"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
)

// realEnv is a main database and a trail, as a server has them.
type realEnv struct {
	st    *store.Store
	trail *audit.Trail
	box   *audit.Outbox
	org   int64
}

func forEachDB(t *testing.T, fn func(t *testing.T, e *realEnv)) {
	fixture.ForEachDatabase(t, func(t *testing.T, db fixture.Databases) {
		org, err := db.Store.EnsureOrganisation(context.Background(), "Council", "council")
		if err != nil {
			t.Fatal(err)
		}
		fn(t, &realEnv{st: db.Store, trail: db.Trail, box: db.Outbox, org: org.ID})
	})
}

// noLog is the store in a change whose audit records cannot be written.
type noLog struct{ identity.Repo }

var errLog = errors.New("the record cannot be written")

func (noLog) Log(auditlog.Entry) error { return errLog }

// service is the identity service on e, its records failing when broken.
func (e *realEnv) service(broken bool) *identity.Service {
	change := audit.Changer[identity.Repo](e.box)
	if broken {
		real := change
		change = func(ctx context.Context, fn func(identity.Repo) error) error {
			return real(ctx, func(tx identity.Repo) error { return fn(noLog{tx}) })
		}
	}
	key := make([]byte, 32)
	box, err := secret.New(key)
	if err != nil {
		panic(err)
	}
	return identity.New(e.st, change, identity.Options{Secrets: box})
}

func (e *realEnv) records(t *testing.T, action auditlog.Action) int {
	t.Helper()
	list, err := e.trail.Store().ListAudit(context.Background(), store.AuditFilter{Action: action.String()})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := e.st.OutboxAfter(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(list) + len(pending)
}

// TestChangeAndRecordTogether: each change of identity commits with its
// audit record, or neither does, on both engines.
func TestChangeAndRecordTogether(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *realEnv) {
		ctx := context.Background()
		by := auditlog.Actor{UserID: 99, Username: "admin", OrganisationID: e.org, RemoteAddr: "192.0.2.1:5000"}
		hash, err := auth.HashPassword("Horse battery 42 staple")
		if err != nil {
			t.Fatal(err)
		}
		alice := identity.User{Username: "alice", PasswordHash: hash, OrganisationID: e.org, Role: "operator"}
		if err := e.st.CreateUser(ctx, &alice); err != nil {
			t.Fatal(err)
		}
		admin := identity.User{Username: "admin", PasswordHash: hash, OrganisationID: e.org, Role: "administrator"}
		if err := e.st.CreateUser(ctx, &admin); err != nil {
			t.Fatal(err)
		}
		data, err := e.st.RightsData(ctx)
		if err != nil {
			t.Fatal(err)
		}
		snap := rights.NewSnapshot(data)
		caller := identity.Caller{Actor: auditlog.Actor{UserID: admin.ID, Username: "admin", OrganisationID: e.org}, P: snap.Principal(admin.ID, e.org), Snap: snap}
		doomed := identity.User{Username: "doomed", PasswordHash: hash, OrganisationID: e.org, Role: "operator"}
		if err := e.st.CreateUser(ctx, &doomed); err != nil {
			t.Fatal(err)
		}
		secretKey, _, err := auth.NewTOTP("Vigil", "alice")
		if err != nil {
			t.Fatal(err)
		}

		for _, tt := range []struct {
			name   string
			action auditlog.Action
			do     func(s *identity.Service) error
			// made counts what the change makes.
			made func() int
		}{
			{"create user", auditlog.UserCreate, func(s *identity.Service) error {
				_, _, err := s.CreateUser(ctx, by, identity.NewUser{Username: "bob", OrganisationID: e.org})
				return err
			}, func() int {
				_, err := e.st.UserByName(ctx, "bob")
				return map[bool]int{true: 1}[err == nil]
			}},
			{"start session", auditlog.SignIn, func(s *identity.Service) error {
				_, _, err := s.StartSession(ctx, by, alice, identity.Session{How: "password"})
				return err
			}, func() int { return e.count(t, alice.ID, identity.TokenSession) }},
			{"create token", auditlog.TokenCreate, func(s *identity.Service) error {
				_, _, err := s.CreateToken(ctx, by, alice, identity.NewToken{Name: "ci", FromSession: true})
				return err
			}, func() int { return e.count(t, alice.ID, identity.TokenAPI) }},
			{"change password", auditlog.PasswordChange, func(s *identity.Service) error {
				_, err := s.ChangePassword(ctx, by, alice, "Horse battery 42 staple", "Correct donkey 17 charger", "Correct donkey 17 charger", 0)
				return err
			}, func() int {
				u, err := e.st.User(ctx, alice.ID)
				if err != nil {
					t.Fatal(err)
				}
				return map[bool]int{true: 1}[u.PasswordHash != hash]
			}},
			{"single sign-on", auditlog.UserCreate, func(s *identity.Service) error {
				_, err := s.LinkOIDC(ctx, "192.0.2.1:5000", identity.OIDCClaims{Issuer: "https://idp", Subject: "s1", Username: "sso", Role: "operator", OrganisationID: e.org})
				return err
			}, func() int {
				_, err := e.st.UserByOIDC(ctx, "https://idp", "s1")
				return map[bool]int{true: 1}[err == nil]
			}},
			{"enrol TOTP", auditlog.TOTPEnrol, func(s *identity.Service) error {
				_, err := s.EnrolTOTP(ctx, by, alice, secretKey, 1)
				return err
			}, func() int {
				n, err := e.st.RecoveryCodesLeft(ctx, alice.ID)
				if err != nil {
					t.Fatal(err)
				}
				return map[bool]int{true: 1}[n > 0]
			}},
			{"delete user", auditlog.UserDelete, func(s *identity.Service) error {
				return s.DeleteUser(ctx, caller, doomed.ID, "")
			}, func() int {
				_, err := e.st.User(ctx, doomed.ID)
				return map[bool]int{true: 1}[identity.IsUnknown(err)]
			}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := e.records(t, tt.action)
				if err := tt.do(e.service(true)); !errors.Is(err, errLog) {
					t.Fatalf("with the record failing: got %v, want %v", err, errLog)
				}
				if n, r := tt.made(), e.records(t, tt.action)-before; n != 0 || r != 0 {
					t.Fatalf("with the record failing: got %d made and %d records, want neither", n, r)
				}
				if err := tt.do(e.service(false)); err != nil {
					t.Fatal(err)
				}
				if n, r := tt.made(), e.records(t, tt.action)-before; n != 1 || r != 1 {
					t.Errorf("got %d made and %d records, want both", n, r)
				}
			})
		}
	})
}

// count counts a user's tokens of a kind.
func (e *realEnv) count(t *testing.T, userID int64, kind string) int {
	t.Helper()
	all, err := e.st.ListTokens(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tk := range all {
		if tk.Kind == kind {
			n++
		}
	}
	return n
}
