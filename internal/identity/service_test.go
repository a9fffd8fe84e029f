package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// fakeRepo keeps users, tokens and counts in memory; the methods a test
// does not expect are left to the embedded nil Repo, and panic.
type fakeRepo struct {
	Repo
	users     map[int64]User
	tokens    map[int64]Token
	throttles map[string]Throttle
	logged    []auditlog.Entry
	nextID    int64
	setRole   int // calls of SetUserRole
}

func newFake() *fakeRepo {
	return &fakeRepo{users: map[int64]User{}, tokens: map[int64]Token{}, throttles: map[string]Throttle{}}
}

func (f *fakeRepo) id() int64 { f.nextID++; return f.nextID }

func (f *fakeRepo) CreateUser(ctx context.Context, u *User) error {
	for _, o := range f.users {
		if o.Username == u.Username {
			return fmt.Errorf("%w: taken", problem.ErrConflict)
		}
	}
	u.ID = f.id()
	f.users[u.ID] = *u
	return nil
}

func (f *fakeRepo) UserByOIDC(ctx context.Context, issuer, subject string) (User, error) {
	for _, u := range f.users {
		if u.OIDCIssuer == issuer && u.OIDCSubject == subject {
			return u, nil
		}
	}
	return User{}, problem.Notf("no such user")
}

func (f *fakeRepo) SetUserRole(ctx context.Context, id int64, role string, org int64) error {
	f.setRole++
	u := f.users[id]
	u.Role, u.OrganisationID = role, org
	f.users[id] = u
	return nil
}

func (f *fakeRepo) CreateToken(ctx context.Context, t *Token) error {
	t.ID = f.id()
	f.tokens[t.ID] = *t
	return nil
}

func (f *fakeRepo) Throttle(ctx context.Context, subject string) (Throttle, error) {
	t, ok := f.throttles[subject]
	if !ok {
		return Throttle{Subject: subject}, nil
	}
	return t, nil
}

func (f *fakeRepo) SwapThrottle(ctx context.Context, old, next Throttle) (bool, error) {
	if f.throttles[old.Subject].Version != old.Version {
		return false, nil
	}
	next.Version = old.Version + 1
	f.throttles[next.Subject] = next
	return true, nil
}

func (f *fakeRepo) Log(e auditlog.Entry) error {
	f.logged = append(f.logged, e)
	return nil
}

// newService runs changes on f directly, counting them.
func newService(f *fakeRepo, opt Options) (*Service, *int) {
	changes := new(int)
	return New(f, func(ctx context.Context, fn func(Repo) error) error {
		*changes++
		return fn(f)
	}, opt), changes
}

var alice = auditlog.Actor{UserID: 7, Username: "alice", OrganisationID: 1, RemoteAddr: "192.0.2.1:5000"}

func ptr[T any](v T) *T { return &v }

// TestCreateUserRules: an account made through the server has a usable
// name, a strong password or a generated one, changes it at first sign-in,
// names who made it, and is recorded.
func TestCreateUserRules(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		in   NewUser
		want string // in the refusal's message
	}{
		{"empty name", NewUser{Username: "  ", OrganisationID: 1}, "1 to 64 characters"},
		{"space in name", NewUser{Username: "a b", OrganisationID: 1}, "no spaces"},
		{"weak password", NewUser{Username: "bob", OrganisationID: 1, Password: ptr("password")}, "too weak"},
		{"keeps the password", NewUser{Username: "bob", OrganisationID: 1, MustChangePassword: ptr(false)}, "cannot be false"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			s, changes := newService(f, Options{})
			_, _, err := s.CreateUser(ctx, alice, tt.in)
			if !errors.Is(err, problem.ErrInvalid) || !strings.Contains(problem.Message(err, ""), tt.want) {
				t.Errorf("got %v, want a refusal as invalid saying %q", err, tt.want)
			}
			if *changes != 0 || len(f.users) != 0 {
				t.Errorf("got %d changes and %d users, want none", *changes, len(f.users))
			}
		})
	}
	f := newFake()
	s, _ := newService(f, Options{})
	u, pass, err := s.CreateUser(ctx, alice, NewUser{Username: " bob ", OrganisationID: 3})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := auth.VerifyPassword(f.users[u.ID].PasswordHash, pass); !ok || pass == "" {
		t.Errorf("got generated password %q that signs in %v, want one that does", pass, ok)
	}
	if u.Username != "bob" || !u.MustChangePassword || u.CreatedBy != alice.UserID || u.OrganisationID != 3 {
		t.Errorf("got %+v, want bob of organisation 3, made by %d, to change the password", u, alice.UserID)
	}
	if len(f.logged) != 1 || f.logged[0].Action != auditlog.UserCreate || f.logged[0].Username != "alice" || f.logged[0].At.IsZero() {
		t.Errorf("got records %+v, want one dated user.create by alice", f.logged)
	}
}

func (f *fakeRepo) User(ctx context.Context, id int64) (User, error) {
	u, ok := f.users[id]
	if !ok {
		return User{}, problem.Notf("no user %d", id)
	}
	return u, nil
}

// TestTargetUser: someone who manages users reaches those of their
// organisation and below; a user elsewhere is "no user"-like (404), and
// nobody removes their own account.
func TestTargetUser(t *testing.T) {
	ctx := context.Background()
	snap := rights.NewSnapshot(rights.Data{
		Orgs: []rights.Org{{ID: 1, Name: "Partnership", Kind: "partnership"}, {ID: 2, Parent: 1, Name: "Council", Kind: "council"},
			{ID: 3, Parent: 1, Name: "Other", Kind: "council"}},
		Grants: map[int64][]rights.Grant{7: {{Role: "administrator"}}, 8: {{Role: "operator"}}},
	})
	f := newFake()
	f.users[7] = User{ID: 7, Username: "admin", OrganisationID: 2}
	f.users[8] = User{ID: 8, Username: "op", OrganisationID: 2}
	f.users[9] = User{ID: 9, Username: "far", OrganisationID: 3}
	s, changes := newService(f, Options{})
	admin := Caller{Actor: auditlog.Actor{UserID: 7, Username: "admin", OrganisationID: 2}, P: snap.Principal(7, 2), Snap: snap}
	if u, err := s.TargetUser(ctx, admin, 8); err != nil || u.Username != "op" {
		t.Errorf("a user of the admin's organisation: got %+v, %v; want op", u, err)
	}
	if _, err := s.TargetUser(ctx, admin, 9); !errors.Is(err, problem.ErrNotFound) {
		t.Errorf("a user of another council: got %v, want not found", err)
	}
	if _, err := s.TargetUser(ctx, admin, 99); !errors.Is(err, problem.ErrNotFound) || problem.Message(err, "") != "no user 99" {
		t.Errorf("no such user: got %v, want \"no user 99\"", err)
	}
	op := Caller{Actor: auditlog.Actor{UserID: 8, Username: "op", OrganisationID: 2}, P: snap.Principal(8, 2), Snap: snap}
	if _, err := s.TargetUser(ctx, op, 7); err == nil {
		t.Errorf("an operator reaching a user: got no refusal, want one")
	}
	if err := s.DeleteUser(ctx, admin, 7, ""); !errors.Is(err, problem.ErrForbidden) || *changes != 0 {
		t.Errorf("deleting oneself: got %v after %d changes, want forbidden before any", err, *changes)
	}
}

// TestTokenRules: only a console session makes tokens, named, and
// lasting no longer than the policy allows.
func TestTokenRules(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	u := User{ID: 7, Username: "alice"}
	for _, tt := range []struct {
		name string
		in   NewToken
		kind error
	}{
		{"from a token", NewToken{Name: "ci"}, problem.ErrForbidden},
		{"no name", NewToken{Name: " ", FromSession: true}, problem.ErrInvalid},
		{"past", NewToken{Name: "ci", FromSession: true, ExpiresAt: ptr(now.Add(-time.Hour))}, problem.ErrInvalid},
		{"too long", NewToken{Name: "ci", FromSession: true, ExpiresAt: ptr(now.Add(31 * 24 * time.Hour))}, problem.ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			s, _ := newService(f, Options{TokenMaxLifetime: 30 * 24 * time.Hour, Now: func() time.Time { return now }})
			if _, _, err := s.CreateToken(ctx, alice, u, tt.in); !errors.Is(err, tt.kind) || len(f.tokens) != 0 {
				t.Errorf("got %v and %d tokens, want %v and none", err, len(f.tokens), tt.kind)
			}
		})
	}
	f := newFake()
	s, _ := newService(f, Options{TokenMaxLifetime: 30 * 24 * time.Hour, Now: func() time.Time { return now }})
	secret, tok, err := s.CreateToken(ctx, alice, u, NewToken{Name: "ci", FromSession: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(30 * 24 * time.Hour); tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(want) || tok.Kind != TokenAPI {
		t.Errorf("got token %+v, want an API token expiring at %v", tok, want)
	}
	if string(auth.HashToken(secret)) != string(f.tokens[tok.ID].Hash) {
		t.Errorf("got a secret whose hash is not the token's")
	}
	if len(f.logged) != 1 || f.logged[0].Action != auditlog.TokenCreate {
		t.Errorf("got records %+v, want one token.create", f.logged)
	}
}

// TestChangePasswordRules: the new password differs from the current one
// and its confirmation matches, holds no username and is strong.
func TestChangePasswordRules(t *testing.T) {
	u := User{ID: 7, Username: "alice"}
	for _, tt := range []struct{ cur, next, confirm, want string }{
		{"old one", "Horse battery 42 staple", "Horse battery 42 stapl", "differ"},
		{"Horse battery 42 staple", "Horse battery 42 staple", "Horse battery 42 staple", "must differ from the current"},
		{"old one", "alice's horse battery 42", "alice's horse battery 42", "username"},
		{"old one", "abc", "abc", "too weak"},
	} {
		f := newFake()
		s, changes := newService(f, Options{})
		_, err := s.ChangePassword(context.Background(), alice, u, tt.cur, tt.next, tt.confirm, 0)
		if !errors.Is(err, problem.ErrInvalid) || !strings.Contains(problem.Message(err, ""), tt.want) || *changes != 0 {
			t.Errorf("%q: got %v after %d changes, want invalid saying %q before any", tt.next, err, *changes, tt.want)
		}
	}
}

// TestLockout: failures past the threshold lock the account, a success
// clears its count, and a locked account is refused unchecked.
func TestLockout(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f := newFake()
	s, _ := newService(f, Options{
		Account: auth.Lockout{Threshold: 2, Base: time.Minute, Max: time.Hour},
		Address: auth.Lockout{Threshold: 100, Base: time.Minute, Max: time.Hour},
		Now:     func() time.Time { return now },
	})
	a, wait, err := s.BeginAttempt(ctx, "bob", "192.0.2.9")
	if err != nil || wait != 0 {
		t.Fatalf("first attempt: got wait %v, %v; want none", wait, err)
	}
	s.Succeeded(ctx, a)
	if got := f.throttles["user:bob"].Failures; got != 0 {
		t.Errorf("after a success: got %d failures counted, want 0", got)
	}
	var locked *Attempt
	for range 2 {
		if locked, wait, err = s.BeginAttempt(ctx, "bob", "192.0.2.9"); err != nil || wait != 0 {
			t.Fatalf("attempt before the lock: got wait %v, %v", wait, err)
		}
	}
	if _, ok := locked.Locks()["user:bob"]; !ok {
		t.Errorf("the attempt reaching the threshold: got locks %v, want the account's", locked.Locks())
	}
	if _, wait, _ := s.BeginAttempt(ctx, "bob", "192.0.2.9"); wait <= 0 {
		t.Errorf("while locked: got wait %v, want a positive wait", wait)
	}
}

// TestLinkOIDC: a new subject gets an account; a known one keeps it, its
// role changed (and recorded) only when the claims change it; a name
// taken or unusable admits nobody new.
func TestLinkOIDC(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	s, _ := newService(f, Options{})
	c := OIDCClaims{Issuer: "https://idp", Subject: "s1", Username: "sam", Role: "operator", OrganisationID: 1}
	u, err := s.LinkOIDC(ctx, "192.0.2.1:1", c)
	if err != nil || u.ID == 0 || u.OIDCSubject != "s1" {
		t.Fatalf("first sign-on: got %+v, %v; want a new linked account", u, err)
	}
	if again, err := s.LinkOIDC(ctx, "192.0.2.1:1", c); err != nil || again.ID != u.ID || f.setRole != 0 || len(f.logged) != 1 {
		t.Errorf("same claims: got %+v, %v, %d role changes, %d records; want the same account, unchanged, 1 record", again, err, f.setRole, len(f.logged))
	}
	c.Role = "supervisor"
	if again, err := s.LinkOIDC(ctx, "192.0.2.1:1", c); err != nil || again.Role != "supervisor" || f.setRole != 1 ||
		len(f.logged) != 2 || f.logged[1].Action != auditlog.UserUpdate {
		t.Errorf("new role: got %+v, %v, %d role changes, records %+v; want supervisor, recorded", again, err, f.setRole, f.logged)
	}
	if _, err := s.LinkOIDC(ctx, "x", OIDCClaims{Issuer: "https://idp", Subject: "s2", Username: "sam", Role: "operator", OrganisationID: 1}); !errors.Is(err, ErrNameTaken) {
		t.Errorf("a taken name: got %v, want ErrNameTaken", err)
	}
	if _, err := s.LinkOIDC(ctx, "x", OIDCClaims{Issuer: "https://idp", Subject: "s3", Role: "operator", OrganisationID: 1}); !errors.Is(err, ErrNoUsername) {
		t.Errorf("no usable name: got %v, want ErrNoUsername", err)
	}
}

// TestLineage: an account and those it made, directly or through others,
// are one line; accounts made apart are not, and a loop in the records
// ends the walk.
func TestLineage(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	f.users[1] = User{ID: 1, Username: "root"}
	f.users[2] = User{ID: 2, Username: "a", CreatedBy: 1}
	f.users[3] = User{ID: 3, Username: "b", CreatedBy: 2}
	f.users[4] = User{ID: 4, Username: "c", CreatedBy: 1}
	f.users[5] = User{ID: 5, Username: "loop", CreatedBy: 6}
	f.users[6] = User{ID: 6, Username: "pool", CreatedBy: 5}
	s, _ := newService(f, Options{})
	for _, tt := range []struct {
		a, b int64
		want bool
	}{{3, 1, true}, {1, 3, true}, {2, 2, true}, {3, 4, false}, {2, 4, false}, {5, 6, true}, {5, 1, false}} {
		if got, err := s.Lineage(ctx, tt.a, tt.b); err != nil || got != tt.want {
			t.Errorf("Lineage(%d, %d): got %v, %v; want %v", tt.a, tt.b, got, err, tt.want)
		}
	}
}

// TestUsername: an account is named by its username, one gone by its
// number, so a message about a request still reads.
func TestUsername(t *testing.T) {
	f := newFake()
	f.users[2] = User{ID: 2, Username: "a"}
	s, _ := newService(f, Options{})
	for _, tt := range []struct {
		id   int64
		want string
	}{{2, "a"}, {9, "user 9 (deleted)"}} {
		if got := s.Username(t.Context(), tt.id); got != tt.want {
			t.Errorf("Username(%d): got %q, want %q", tt.id, got, tt.want)
		}
	}
}

// TestIssueTokenSecondFactor: a token for a user who owes a second factor
// and has none is refused, as forbidden, unless asked for without it;
// then the audit record says so.
func TestIssueTokenSecondFactor(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name       string
		totp       bool
		req        IssueRequest
		wantErr    bool
		wantDetail string // in the audit record's detail; "" with wantErr
	}{
		{"none due", false, IssueRequest{Name: "cli"}, false, "cli"},
		{"due, missing", false, IssueRequest{Name: "cli", SecondFactorDue: true}, true, ""},
		{"due, missing, without asked for", false, IssueRequest{Name: "cli", SecondFactorDue: true, WithoutSecondFactor: true}, false, "without the second factor"},
		{"due, set up", true, IssueRequest{Name: "cli", SecondFactorDue: true}, false, "cli"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			s, _ := newService(f, Options{})
			u := User{ID: 3, Username: "sup", OrganisationID: 1, TOTPEnabled: tt.totp}
			tok, _, err := s.IssueToken(ctx, u, tt.req)
			if tt.wantErr {
				if !errors.Is(err, ErrNoSecondFactor) || !errors.Is(err, problem.ErrForbidden) || tok != "" || len(f.tokens) != 0 || len(f.logged) != 0 {
					t.Errorf("got %v, token %q, %d tokens and %d records; want ErrNoSecondFactor as forbidden and nothing made", err, tok, len(f.tokens), len(f.logged))
				}
				return
			}
			if err != nil || tok == "" || len(f.tokens) != 1 {
				t.Fatalf("got %v, token %q, %d tokens; want one token", err, tok, len(f.tokens))
			}
			if len(f.logged) != 1 || !strings.Contains(f.logged[0].Detail, tt.wantDetail) {
				t.Errorf("got records %+v, want one whose detail mentions %q", f.logged, tt.wantDetail)
			}
		})
	}
	if !SecondFactorNeeded(rights.Footage) || SecondFactorNeeded(0) {
		t.Errorf("SecondFactorNeeded: got %v for footage rights and %v for none, want true and false", SecondFactorNeeded(rights.Footage), SecondFactorNeeded(0))
	}
}
