package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// PendingLife is how long the second-factor step waits for its code.
const PendingLife = 5 * time.Minute

// NewToken is an API token a signed-in user asks for.
type NewToken struct {
	Name string
	// ExpiresAt nil: as long as a token may last.
	ExpiresAt *time.Time
	// FromSession says the request came with a console session: only
	// one may make a token, since a token that could make tokens would
	// outlive itself.
	FromSession           bool
	RemoteAddr, UserAgent string
}

// CreateToken makes an API token for u and returns its secret, shown
// this once.
func (s *Service) CreateToken(ctx context.Context, by auditlog.Actor, u User, in NewToken) (string, Token, error) {
	if !in.FromSession {
		return "", Token{}, problem.Forbiddenf("API tokens are made from a signed-in console session, not with another token")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 100 {
		return "", Token{}, problem.Invalidf("give the token a name of 1 to 100 characters")
	}
	if err := names.Check("a token's name", name); err != nil {
		return "", Token{}, problem.New(problem.ErrInvalid, err.Error(), err)
	}
	now := s.now()
	maxExp := now.Add(s.opt.TokenMaxLifetime)
	exp := in.ExpiresAt
	switch {
	case exp == nil:
		exp = &maxExp
	case !exp.After(now):
		return "", Token{}, problem.Invalidf("the token's expiry must be in the future")
	case exp.After(maxExp.Add(time.Minute)):
		return "", Token{}, problem.Invalidf("a token may last at most %d days", int(s.opt.TokenMaxLifetime/(24*time.Hour)))
	}
	secret, hash := auth.NewToken()
	t := Token{UserID: u.ID, Name: name, Hash: hash, ExpiresAt: exp, Kind: TokenAPI, RemoteAddr: in.RemoteAddr, UserAgent: in.UserAgent}
	err := s.change(ctx, func(tx Repo) error {
		if err := tx.CreateToken(ctx, &t); err != nil {
			return err
		}
		return tx.Log(s.entry(by, auditlog.TokenCreate, fmt.Sprintf("token %d %q until %s", t.ID, name, exp.UTC().Format(time.RFC3339))))
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// ErrNoSecondFactor refuses an API token for a user who must sign in
// with a second factor and has none: the token would let them in on
// their password alone, or on nothing at all.
var ErrNoSecondFactor = errors.New("identity: the user must sign in with a second factor and has not set one up")

// SecondFactorNeeded says whether a user holding rights must sign in
// with a second factor: anyone any of whose roles sees footage (live,
// recorded, export or PTZ). Administrators and auditors, who see none,
// are not asked.
func SecondFactorNeeded(holds rights.Set) bool { return holds&rights.Footage != 0 }

// IssueRequest is what IssueToken makes.
type IssueRequest struct {
	// Name tells the user's tokens apart.
	Name string
	// Expires is when the token stops working; nil: never.
	Expires *time.Time
	// SecondFactorDue says the user must sign in with a second factor
	// (SecondFactorNeeded, unless a trusted single sign-on provider asks
	// for one instead).
	SecondFactorDue bool
	// WithoutSecondFactor makes the token even though a second factor is
	// due and the user has none: for a program that can give none. The
	// audit record says so.
	WithoutSecondFactor bool
}

// IssueToken makes an API token for u on the server's own machine (vigil
// token create), where whoever runs it may already do anything: no cap
// on its lifetime. A token stands in for a whole sign-in, so one for a
// user who owes a second factor and has none is refused
// (ErrNoSecondFactor) unless the request says plainly that it goes
// without.
func (s *Service) IssueToken(ctx context.Context, u User, req IssueRequest) (string, Token, error) {
	detail := req.Name
	if req.SecondFactorDue && !u.TOTPEnabled {
		if !req.WithoutSecondFactor {
			return "", Token{}, problem.New(problem.ErrForbidden,
				fmt.Sprintf("%s must sign in with a second factor and has not set one up", u.Username), ErrNoSecondFactor)
		}
		detail += " (without the second factor the user's role requires)"
	}
	secret, hash := auth.NewToken()
	t := Token{UserID: u.ID, Name: req.Name, Hash: hash, ExpiresAt: req.Expires}
	err := s.change(ctx, func(tx Repo) error {
		if err := tx.CreateToken(ctx, &t); err != nil {
			return err
		}
		by := auditlog.Actor{UserID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, RemoteAddr: "command line"}
		return tx.Log(s.entry(by, auditlog.TokenCreate, detail))
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// Revoke ends one of by's own tokens, of the first of kinds it is: an
// API token or a session. It returns the kind ended; one that is not
// theirs (or none) is problem.ErrNotFound.
func (s *Service) Revoke(ctx context.Context, by auditlog.Actor, id int64, kinds ...string) (string, error) {
	var ended string
	err := s.change(ctx, func(tx Repo) error {
		for _, kind := range kinds {
			action, ok := revokeAction[kind]
			if !ok {
				return fmt.Errorf("identity: no revoking tokens of kind %q", kind)
			}
			err := tx.DeleteToken(ctx, by.UserID, id, kind)
			if IsUnknown(err) {
				continue
			}
			if err != nil {
				return err
			}
			ended = kind
			return tx.Log(s.entry(by, action, fmt.Sprintf("%s %d", kind, id)))
		}
		return problem.Notf("no such %s", strings.Join(kinds, " or "))
	})
	return ended, err
}

// RevokeSessions ends every session of user id (and any sign-in waiting
// for its second factor), for someone who manages them: a lost laptop, or
// someone who has left. It returns how many sessions ended. The reason,
// where given, goes into the record (the console always asks for one).
func (s *Service) RevokeSessions(ctx context.Context, c Caller, id int64, reason string) (int64, error) {
	target, err := s.TargetUser(ctx, c, id)
	if err != nil {
		return 0, err
	}
	detail := ""
	if strings.TrimSpace(reason) != "" {
		if reason, err = CheckReason(reason); err != nil {
			return 0, err
		}
		detail = "; reason: " + reason
	}
	by := c.Actor
	var n int64
	err = s.change(ctx, func(tx Repo) error {
		var err error
		if n, err = tx.DeleteUserTokens(ctx, target.ID, TokenSession, 0); err != nil {
			return err
		}
		if _, err := tx.DeleteUserTokens(ctx, target.ID, TokenPending, 0); err != nil {
			return err
		}
		return tx.Log(s.entry(by, auditlog.SessionsRevokeAll, fmt.Sprintf("user %d %q: %d sessions ended%s", target.ID, target.Username, n, detail)))
	})
	return n, err
}

// Credentials are a user's live sessions and API tokens.
type Credentials struct {
	Sessions, Tokens []Token
}

// Credentials lists a user's live sessions (not expired, not idle) and
// API tokens.
func (s *Service) Credentials(ctx context.Context, userID int64) (Credentials, error) {
	all, err := s.repo.ListTokens(ctx, userID)
	if err != nil {
		return Credentials{}, err
	}
	now := s.now()
	var c Credentials
	for _, t := range all {
		if t.ExpiresAt != nil && !t.ExpiresAt.After(now) {
			continue
		}
		switch t.Kind {
		case TokenSession:
			if Idle(t, now, s.opt.SessionIdle) {
				continue
			}
			c.Sessions = append(c.Sessions, t)
		case TokenAPI:
			c.Tokens = append(c.Tokens, t)
		}
	}
	return c, nil
}

// Idle says whether a session has gone unused longer than idle.
func Idle(t Token, now time.Time, idle time.Duration) bool {
	last := t.CreatedAt
	if t.LastUsedAt != nil && t.LastUsedAt.After(last) {
		last = *t.LastUsedAt
	}
	return now.Sub(last) > idle
}

// touchEvery bounds the writes that keep a token's last use: a session's
// idle timeout is measured to within this.
const touchEvery = time.Minute

// Authenticate returns the unexpired token of kind whose secret is given,
// and its user; an unknown, expired or idle one (a session unused longer
// than SessionIdle, removed now) is problem.ErrNotFound. The token's last use is
// kept, to within a minute, so that checking a token is seldom a write.
func (s *Service) Authenticate(ctx context.Context, secret, kind string) (Token, User, error) {
	tok, u, err := s.repo.TokenByHash(ctx, auth.HashToken(secret), kind)
	if err != nil {
		return Token{}, User{}, err
	}
	now := s.now()
	if kind == TokenSession && Idle(tok, now, s.opt.SessionIdle) {
		if err := s.repo.DeleteToken(ctx, u.ID, tok.ID, TokenSession); err != nil && !IsUnknown(err) {
			s.log.Warn("could not remove an idle session", "token", tok.ID, "err", err)
		}
		return Token{}, User{}, problem.Notf("no such session")
	}
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= touchEvery {
		if err := s.repo.TouchToken(ctx, tok.ID, now); err != nil && !IsUnknown(err) {
			s.log.Warn("could not record a token's use", "token", tok.ID, "err", err)
		}
	}
	return tok, u, nil
}

// Session is where a sign-in comes from.
type Session struct {
	// How says how the user proved who they are, for the record.
	How                   string
	RemoteAddr, UserAgent string
}

// StartSession starts a console session for u, who has proved who they
// are: the session and the record of the sign-in commit together. It
// returns the session's secret, for the cookie, and the session.
func (s *Service) StartSession(ctx context.Context, by auditlog.Actor, u User, in Session) (string, Token, error) {
	secret, hash := auth.NewToken()
	now := s.now()
	exp := now.Add(s.opt.SessionLifetime)
	t := Token{UserID: u.ID, Name: "console session", Hash: hash, ExpiresAt: &exp, LastUsedAt: &now,
		Kind: TokenSession, RemoteAddr: in.RemoteAddr, UserAgent: in.UserAgent}
	err := s.change(ctx, func(tx Repo) error {
		if err := tx.CreateToken(ctx, &t); err != nil {
			return err
		}
		return tx.Log(s.entry(by, auditlog.SignIn, in.How))
	})
	if err != nil {
		return "", Token{}, err
	}
	// Housekeeping, not a change anyone made: no record.
	if n, err := s.repo.DeleteExpiredTokens(ctx, now); err == nil && n > 0 {
		s.log.Debug("expired tokens removed", "count", n)
	}
	return secret, t, nil
}

// StartPending issues the token that stands between the password and the
// second factor, good for PendingLife and for nothing but giving the
// code. It is a step of a sign-in, recorded when the sign-in ends.
func (s *Service) StartPending(ctx context.Context, u User, remoteAddr, userAgent string) (string, error) {
	secret, hash := auth.NewToken()
	exp := s.now().Add(PendingLife)
	err := s.repo.CreateToken(ctx, &Token{UserID: u.ID, Name: "sign-in awaiting second factor", Hash: hash, ExpiresAt: &exp,
		Kind: TokenPending, RemoteAddr: remoteAddr, UserAgent: userAgent})
	return secret, err
}

// Pending returns the sign-in awaiting its second factor whose secret is
// given, and its user.
func (s *Service) Pending(ctx context.Context, secret string) (Token, User, error) {
	return s.repo.TokenByHash(ctx, auth.HashToken(secret), TokenPending)
}

// EndPending removes a sign-in's pending token once its code is given.
func (s *Service) EndPending(ctx context.Context, t Token) error {
	err := s.repo.DeleteToken(ctx, t.UserID, t.ID, TokenPending)
	if IsUnknown(err) {
		return nil
	}
	return err
}

// SignOut ends by's session with id (0: none, as for a token), with its
// record. A session already gone (expired, ended elsewhere) still signs
// out.
func (s *Service) SignOut(ctx context.Context, by auditlog.Actor, session int64) error {
	return s.change(ctx, func(tx Repo) error {
		if session != 0 {
			if err := tx.DeleteToken(ctx, by.UserID, session, TokenSession); err != nil && !errors.Is(err, problem.ErrNotFound) {
				return err
			}
		}
		return tx.Log(s.entry(by, auditlog.SignOut, ""))
	})
}
