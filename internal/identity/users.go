package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// MaxUsername bounds the username of an account made through the API.
const MaxUsername = 64

// CheckUsername refuses a username an account made through the API may
// not have: empty, too long, confusable text, spaces or controls.
func CheckUsername(n string) error {
	if c := utf8.RuneCountInString(n); c == 0 || c > MaxUsername {
		return problem.Invalidf("a username is 1 to %d characters", MaxUsername)
	}
	if err := names.Check("a username", n); err != nil {
		return problem.New(problem.ErrInvalid, err.Error(), err)
	}
	if strings.IndexFunc(n, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return problem.Invalidf("a username has no spaces or control characters")
	}
	return nil
}

// NewUser is an account someone who manages users makes through the
// server. Its roles are not here: a change of rights goes through the
// approvals, which may hold it for a second person.
type NewUser struct {
	Username       string
	OrganisationID int64
	// Password is nil for one to be generated.
	Password *string
	// MustChangePassword, when given, may only be true.
	MustChangePassword *bool
}

// CreateUser makes an account for by, who has been found to manage users
// of the organisation. Without a password one is generated and returned
// this once. The account must change its password at first sign-in, so
// whoever made it cannot go on using it as theirs unseen.
func (s *Service) CreateUser(ctx context.Context, by auditlog.Actor, in NewUser) (User, string, error) {
	in.Username = strings.TrimSpace(in.Username)
	if err := CheckUsername(in.Username); err != nil {
		return User{}, "", err
	}
	if in.MustChangePassword != nil && !*in.MustChangePassword {
		return User{}, "", problem.Invalidf("an account made through the API changes its password at first sign-in: must_change_password cannot be false " +
			"(an account for a script is made with vigil user create on the server's machine)")
	}
	generated, pass := "", ""
	if in.Password != nil {
		pass = *in.Password
		if err := auth.CheckPasswordStrength(pass); err != nil {
			return User{}, "", problem.New(problem.ErrInvalid, "the password is too weak: "+err.Error(), err)
		}
	} else {
		pass = auth.RandomPassword()
		generated = pass
	}
	hash, err := auth.HashPassword(pass)
	if err != nil {
		return User{}, "", err
	}
	u := User{Username: in.Username, PasswordHash: hash, OrganisationID: in.OrganisationID, Role: "none", MustChangePassword: true, CreatedBy: by.UserID}
	err = s.change(ctx, func(tx Repo) error {
		if err := tx.CreateUser(ctx, &u); err != nil {
			return err
		}
		return tx.Log(s.entry(by, auditlog.UserCreate, fmt.Sprintf("user %s (%d) of organisation %d, made by user %d, to change the password at first sign-in",
			u.Username, u.ID, u.OrganisationID, by.UserID)))
	})
	if err != nil {
		return User{}, "", err
	}
	return u, generated, nil
}

// Account is an account made on the server's own machine (vigil user
// create): for the first people an administrator needs, or for scripts.
type Account struct {
	Username, Password string
	OrganisationID     int64
	// Organisation names it for the record.
	Organisation       string
	Roles              []rights.Grant
	MustChangePassword bool
}

// CreateAccount makes an account holding its roles, in one change with
// its record. Whoever runs the command line may already do anything to
// the database, so no four eyes apply; the record names the account made,
// from "command line".
func (s *Service) CreateAccount(ctx context.Context, in Account) (User, error) {
	for _, g := range in.Roles {
		if _, ok := rights.ParseRole(string(g.Role)); !ok {
			return User{}, problem.Invalidf("%q is not a role", g.Role)
		}
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	u := User{Username: in.Username, PasswordHash: hash, OrganisationID: in.OrganisationID, Role: "none", MustChangePassword: in.MustChangePassword}
	err = s.change(ctx, func(tx Repo) error {
		if err := tx.CreateUser(ctx, &u); err != nil {
			return err
		}
		if err := tx.SetUserGrants(ctx, u.ID, in.Roles); err != nil {
			return err
		}
		by := auditlog.Actor{UserID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, RemoteAddr: "command line"}
		return tx.Log(s.entry(by, auditlog.UserCreate, fmt.Sprintf("organisation %s, roles %s", in.Organisation, describeGrants(in.Roles))))
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// TargetUser returns user id if c manages users of their organisation;
// anyone else is "no user N" (or, for a user of an organisation c sees
// but may not manage users of, a refusal saying why).
func (s *Service) TargetUser(ctx context.Context, c Caller, id int64) (User, error) {
	u, err := s.repo.User(ctx, id)
	if IsUnknown(err) {
		return User{}, problem.New(problem.ErrNotFound, fmt.Sprintf("no user %d", id), err)
	}
	if err != nil {
		return User{}, err
	}
	if err := c.may(rights.ManageUsers, u.OrganisationID, fmt.Sprintf("no organisation %d", u.OrganisationID)); err != nil {
		return User{}, err
	}
	return u, nil
}

// DeleteUser removes user id's account, with their roles and tokens, for
// someone who manages them; the trail keeps their name. Nobody removes
// their own. The reason, where given, goes into the record (the console
// always asks for one).
func (s *Service) DeleteUser(ctx context.Context, c Caller, id int64, reason string) error {
	target, err := s.TargetUser(ctx, c, id)
	if err != nil {
		return err
	}
	if target.ID == c.Actor.UserID {
		return problem.Forbiddenf("you cannot delete your own account")
	}
	detail := fmt.Sprintf("user %s (%d)", target.Username, target.ID)
	if strings.TrimSpace(reason) != "" {
		if reason, err = CheckReason(reason); err != nil {
			return err
		}
		detail += "; reason: " + reason
	}
	return s.change(ctx, func(tx Repo) error {
		if err := tx.DeleteUser(ctx, target.ID); err != nil {
			return err
		}
		return tx.Log(s.entry(c.Actor, auditlog.UserDelete, detail))
	})
}

// OIDCClaims is what a single sign-on says of someone, mapped already to
// Vigil's role and organisation.
type OIDCClaims struct {
	Issuer, Subject string
	// Username is the name to give the account if it is new; empty
	// when the provider's is not one Vigil can use (ErrNoUsername then,
	// unless the account exists).
	Username       string
	Role           string
	OrganisationID int64
}

// LinkOIDC returns the account a provider knows as the subject, made now
// if it is new, and with the role and organisation the claims give today.
// from is where the sign-in came from. A new name taken by (or looking
// like) another account is ErrNameTaken: accounts are never merged by
// name, since "alice" there need not be "alice" here.
func (s *Service) LinkOIDC(ctx context.Context, from string, c OIDCClaims) (User, error) {
	var u User
	err := s.change(ctx, func(tx Repo) error {
		var err error
		u, err = tx.UserByOIDC(ctx, c.Issuer, c.Subject)
		switch {
		case err == nil:
			if u.Role == c.Role && u.OrganisationID == c.OrganisationID {
				return nil
			}
			if err := tx.SetUserRole(ctx, u.ID, c.Role, c.OrganisationID); err != nil {
				return err
			}
			by := auditlog.Actor{UserID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, RemoteAddr: from}
			if err := tx.Log(s.entry(by, auditlog.UserUpdate, fmt.Sprintf("from single sign-on: role %s (was %s), organisation %d (was %d)",
				c.Role, u.Role, c.OrganisationID, u.OrganisationID))); err != nil {
				return err
			}
			u.Role, u.OrganisationID = c.Role, c.OrganisationID
			return nil
		case !IsUnknown(err):
			return err
		}
		if c.Username == "" {
			return ErrNoUsername
		}
		u = User{Username: c.Username, OrganisationID: c.OrganisationID, Role: c.Role, OIDCIssuer: c.Issuer, OIDCSubject: c.Subject}
		if err := tx.CreateUser(ctx, &u); errors.Is(err, problem.ErrConflict) || errors.Is(err, names.ErrConfusable) {
			return fmt.Errorf("%w: %w", ErrNameTaken, err)
		} else if err != nil {
			return err
		}
		by := auditlog.Actor{UserID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, RemoteAddr: from}
		return tx.Log(s.entry(by, auditlog.UserCreate, fmt.Sprintf("from single sign-on at %s: role %s, organisation %d", c.Issuer, c.Role, c.OrganisationID)))
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// ChangePassword sets u's own new password, its current one having been
// checked (with the sign-in counts) by the caller, and ends every other
// session of theirs, keeping the one with id keep: whoever else knew the
// old password is signed out. It returns how many sessions ended. A new
// password that breaks a rule is problem.ErrInvalid with a message to show.
func (s *Service) ChangePassword(ctx context.Context, by auditlog.Actor, u User, current, next, confirm string, keep int64) (int64, error) {
	switch {
	case next != confirm:
		return 0, problem.Invalidf("The two new passwords differ.")
	case next == current:
		return 0, problem.Invalidf("The new password must differ from the current one.")
	case len(u.Username) >= 3 && strings.Contains(strings.ToLower(next), strings.ToLower(u.Username)):
		return 0, problem.Invalidf("The new password must not contain your username.")
	}
	if err := auth.CheckPasswordStrength(next); err != nil {
		return 0, problem.New(problem.ErrInvalid, "The new password is too weak: "+strings.TrimPrefix(err.Error(), "auth: ")+".", err)
	}
	hash, err := auth.HashPassword(next)
	if err != nil {
		return 0, err
	}
	var ended int64
	err = s.change(ctx, func(tx Repo) error {
		if err := tx.SetPassword(ctx, u.ID, hash, false); err != nil {
			return err
		}
		var err error
		if ended, err = tx.DeleteUserTokens(ctx, u.ID, TokenSession, keep); err != nil {
			return err
		}
		if _, err := tx.DeleteUserTokens(ctx, u.ID, TokenPending, 0); err != nil {
			return err
		}
		return tx.Log(s.entry(by, auditlog.PasswordChange, fmt.Sprintf("other sessions ended: %d", ended)))
	})
	return ended, err
}

// maxLineage bounds the walk up the accounts that made an account.
const maxLineage = 64

// Makers lists the accounts that made account id, nearest first: its
// maker, its maker's maker, and so on, as far as they are known.
func (s *Service) Makers(ctx context.Context, id int64) ([]int64, error) {
	var out []int64
	for at := id; len(out) < maxLineage; {
		u, err := s.repo.User(ctx, at)
		if IsUnknown(err) {
			break
		}
		if err != nil {
			return nil, err
		}
		if u.CreatedBy == 0 || slices.Contains(out, u.CreatedBy) || u.CreatedBy == id {
			break
		}
		out = append(out, u.CreatedBy)
		at = u.CreatedBy
	}
	return out, nil
}

// Lineage reports whether accounts a and b are one, or either made the
// other, directly or through accounts it made: such a pair are not two
// people for four eyes, since one could have made the other to approve
// their own request.
func (s *Service) Lineage(ctx context.Context, a, b int64) (bool, error) {
	if a == b {
		return true, nil
	}
	for _, pair := range [][2]int64{{a, b}, {b, a}} {
		ms, err := s.Makers(ctx, pair[0])
		if err != nil {
			return false, err
		}
		if slices.Contains(ms, pair[1]) {
			return true, nil
		}
	}
	return false, nil
}

// Username names account id for a person to read: its username, or
// "user N (deleted)" when it is gone (or cannot be read), since a
// message about a request outlives the accounts it names.
func (s *Service) Username(ctx context.Context, id int64) string {
	if u, err := s.repo.User(ctx, id); err == nil {
		return u.Username
	}
	return fmt.Sprintf("user %d (deleted)", id)
}
