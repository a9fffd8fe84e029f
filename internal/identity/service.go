package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Repo is what the service needs of storage; the store implements it.
// Inside a change every method runs in the change's transaction, and Log
// adds the audit record that commits with it.
type Repo interface {
	User(ctx context.Context, id int64) (User, error)
	UserByName(ctx context.Context, username string) (User, error)
	UserByOIDC(ctx context.Context, issuer, subject string) (User, error)
	CreateUser(ctx context.Context, u *User) error
	DeleteUser(ctx context.Context, id int64) error
	// SetUserRole makes the user hold the one built-in role over all of
	// the organisation's cameras, as single sign-on reports it.
	SetUserRole(ctx context.Context, id int64, role string, organisationID int64) error
	// SetUserGrants replaces the roles a user holds.
	SetUserGrants(ctx context.Context, id int64, grants []rights.Grant) error
	SetPassword(ctx context.Context, id int64, hash string, mustChange bool) error

	CreateToken(ctx context.Context, t *Token) error
	TokenByHash(ctx context.Context, hash []byte, kind string) (Token, User, error)
	TouchToken(ctx context.Context, id int64, at time.Time) error
	ListTokens(ctx context.Context, userID int64) ([]Token, error)
	DeleteToken(ctx context.Context, userID, id int64, kind string) error
	DeleteUserTokens(ctx context.Context, userID int64, kind string, except int64) (int64, error)
	DeleteExpiredTokens(ctx context.Context, cutoff time.Time) (int64, error)

	SetTOTP(ctx context.Context, userID int64, sealed []byte) error
	UserTOTP(ctx context.Context, userID int64) ([]byte, error)
	UseTOTPStep(ctx context.Context, userID, step int64) (bool, error)
	SetRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error
	UseRecoveryCode(ctx context.Context, userID int64, hash []byte) (bool, error)
	RecoveryCodesLeft(ctx context.Context, userID int64) (int, error)

	Throttle(ctx context.Context, subject string) (Throttle, error)
	SwapThrottle(ctx context.Context, old, next Throttle) (bool, error)

	// Log adds an audit record to the change under way: it commits with
	// the change or not at all.
	Log(e auditlog.Entry) error
}

// Sealer keeps TOTP secrets sealed at rest, bound to their user.
type Sealer interface {
	Seal(plain, associated []byte) []byte
	Open(sealed, associated []byte) ([]byte, error)
}

// Options are the service's policy; zero fields take the defaults.
type Options struct {
	// Account and Address lock an account name and a remote address
	// after repeated failed sign-ins.
	Account, Address auth.Lockout
	// SessionLifetime bounds a console session, SessionIdle its time
	// unused; TokenMaxLifetime bounds an API token made through the
	// server.
	SessionLifetime, SessionIdle, TokenMaxLifetime time.Duration
	// Secrets seals TOTP secrets; without it nobody can enrol or give a
	// code.
	Secrets Sealer
	// Now is the clock (tests move it); time.Now by default.
	Now    func() time.Time
	Logger *slog.Logger
}

// Fill sets the defaults of zero fields.
func (o *Options) Fill() {
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 12 * time.Hour
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = min(time.Hour, o.SessionLifetime)
	}
	if o.TokenMaxLifetime <= 0 {
		o.TokenMaxLifetime = 90 * 24 * time.Hour
	}
	if o.Account.Threshold <= 0 {
		o.Account = auth.Lockout{Threshold: 5, Base: time.Minute, Max: time.Hour}
	}
	if o.Address.Threshold <= 0 {
		o.Address = auth.Lockout{Threshold: 20, Base: o.Account.Base, Max: o.Account.Max}
	}
	// An account's failures are forgotten a day after the last; an
	// address's sooner, since many people share one.
	if o.Account.Forget <= 0 {
		o.Account.Forget = 24 * time.Hour
	}
	if o.Address.Forget <= 0 {
		o.Address.Forget = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Service changes accounts, each change with its audit record.
type Service struct {
	repo   Repo
	change func(ctx context.Context, fn func(tx Repo) error) error
	opt    Options
	log    *slog.Logger
}

// New returns the service over repo; change runs a function in one
// transaction whose audit records commit with it (audit.Changer).
func New(repo Repo, change func(ctx context.Context, fn func(tx Repo) error) error, opt Options) *Service {
	opt.Fill()
	return &Service{repo: repo, change: change, opt: opt, log: opt.Logger}
}

// Options returns the policy in force, defaults filled in.
func (s *Service) Options() Options { return s.opt }

func (s *Service) now() time.Time { return s.opt.Now() }

// entry is by's record of action, dated by the service's clock.
func (s *Service) entry(by auditlog.Actor, action auditlog.Action, detail string) auditlog.Entry {
	e := by.Entry(action, detail)
	e.At = s.now().UTC()
	return e
}

// ErrNameTaken refuses a single sign-on whose username is taken by, or
// looks like, another account: accounts are never merged by name.
var ErrNameTaken = errors.New("identity: the username is taken by, or looks like, another account")

// ErrNoUsername refuses a first single sign-on whose username Vigil
// cannot use.
var ErrNoUsername = errors.New("identity: the provider gives no username Vigil can use")

// revokeAction is the action recorded when a user ends a token of a kind.
var revokeAction = map[string]auditlog.Action{
	TokenAPI:     auditlog.APITokenRevoke,
	TokenSession: auditlog.SessionRevoke,
}

// IsUnknown says whether err means the thing asked for does not exist.
func IsUnknown(err error) bool { return errors.Is(err, problem.ErrNotFound) }

// describeGrants names roles for a record.
func describeGrants(gs []rights.Grant) string {
	out := ""
	for i, g := range gs {
		if i > 0 {
			out += ","
		}
		out += string(g.Role)
		if g.Group != 0 {
			out += fmt.Sprintf(" (camera group %d)", g.Group)
		}
	}
	return out
}

// Caller is who asks, with what their rights are decided on: their
// principal and the snapshot of rights it is judged by.
type Caller struct {
	Actor auditlog.Actor
	P     rights.Principal
	Snap  *rights.Snapshot
}

// may refuses unless c may do act in organisation org: one outside
// everything they may see is problem.ErrNotFound saying notFound, exactly as
// if it did not exist; one they may see but not act on so is
// problem.ErrForbidden saying why.
func (c Caller) may(act rights.Action, org int64, notFound string) error {
	if c.Snap == nil {
		return problem.Forbiddenf("no rights to decide on")
	}
	d := c.Snap.CanOrg(c.P, act, org)
	switch {
	case d.Allowed:
		return nil
	case d.Hidden:
		return problem.Notf("%s", notFound)
	}
	return problem.Forbiddenf("%s", d.Reason)
}
