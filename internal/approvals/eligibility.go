package approvals

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Who may decide a request, and which grants of roles wait for a second
// person whatever the four-eyes policies say, because the one making
// them could otherwise give themselves what they may not have:
//
//   - roles that see footage (any role whose rights include one of
//     rights.Footage), given to an account new or old: an administrator
//     sees no footage, but could make an account whose password they
//     chose and give it a footage role, or have an account they made
//     give them one;
//   - any widening of the roles of an account by one it made, directly
//     or through accounts it made in turn.
//
// The request is decided by someone who is neither the requester, nor
// the account changed, nor an account either of them made or was made
// by. These are the service's decisions, not its callers', so that the
// console, the command line and a peer all get the same answer.

// People is identity's rule of who made whom (identity.Service
// implements it): an account and one it made, directly or not, are not
// two people for four eyes.
type People interface {
	// Makers are the accounts that made id, nearest first.
	Makers(ctx context.Context, id int64) ([]int64, error)
	// Lineage reports whether a and b are one, or either made the other.
	Lineage(ctx context.Context, a, b int64) (bool, error)
	// Username names account id for a person to read.
	Username(ctx context.Context, id int64) string
}

// allRights is every right, for comparing roles whole.
var allRights = rights.SetOf(rights.Actions...)

// RolesWiden reports whether roles give, of the rights in mask, one over
// some scope (the organisation, or a camera group) that old do not.
func RolesWiden(old, roles []access.UserRole, mask rights.Set) bool {
	for _, n := range roles {
		need := rights.Role(n.Role).Can() & mask
		var held rights.Set
		for _, o := range old {
			// A role over the whole organisation covers any group of it.
			if o.CameraGroupID == 0 || o.CameraGroupID == n.CameraGroupID {
				held |= rights.Role(o.Role).Can()
			}
		}
		if need&^held != 0 {
			return true
		}
	}
	return false
}

// Account is a person in a decision on roles: who they are, and where.
type Account struct {
	ID             int64
	Username       string
	OrganisationID int64
}

// Grant is a change of an account's roles, asked for by By: Roles in
// place of Old (none, for a new account).
type Grant struct {
	By, User   Account
	Old, Roles []access.UserRole
}

// GrantHold says why g needs a second person whatever the policies; ""
// when it does not.
func (s *Service[T]) GrantHold(ctx context.Context, g Grant) (string, error) {
	if RolesWiden(g.Old, g.Roles, rights.Footage) {
		return "roles that see footage are given only with a second person's approval", nil
	}
	if !RolesWiden(g.Old, g.Roles, allRights) {
		return "", nil
	}
	if s.opt.People == nil {
		return "", nil
	}
	ms, err := s.opt.People.Makers(ctx, g.By.ID)
	if err != nil {
		return "", err
	}
	if slices.Contains(ms, g.User.ID) {
		return fmt.Sprintf("%s, who asks, is an account %s made: widening its maker's roles needs a second person's approval", g.By.Username, g.User.Username), nil
	}
	return "", nil
}

// RolesHold is when g waits: under a four-eyes policy for rights on the
// account's organisation, or always where GrantHold says so, which the
// summary then tells the approver. It returns the hold and the summary.
func (s *Service[T]) RolesHold(ctx context.Context, g Grant, summary string) (Hold, string, error) {
	hold := Hold{Actions: []string{rights.FourEyesRights}, Orgs: []int64{g.User.OrganisationID}}
	why, err := s.GrantHold(ctx, g)
	if err != nil {
		return hold, summary, err
	}
	if why != "" {
		hold.Always = g.User.OrganisationID
		summary += " (" + why + ")"
	}
	return hold, summary, nil
}

// Independent refuses (problem.ErrForbidden, with why) a decision on ap
// by someone too close to it: its requester, the account a change of
// roles concerns, or an account made by, or the maker of, either.
func (s *Service[T]) Independent(ctx context.Context, by int64, ap Approval) error {
	if ap.RequestedBy == by {
		return problem.Forbiddenf("a request needs another person's approval: you cannot decide your own")
	}
	parties := []int64{ap.RequestedBy}
	if ap.Kind == KindSetRoles {
		var ch Change
		if err := json.Unmarshal([]byte(ap.Payload), &ch); err == nil && ch.UserID != 0 {
			if ch.UserID == by {
				return problem.Forbiddenf("a change of your own roles needs another person's approval: you cannot decide it")
			}
			parties = append(parties, ch.UserID)
		}
	}
	if s.opt.People == nil {
		return nil
	}
	for _, p := range parties {
		close, err := s.opt.People.Lineage(ctx, by, p)
		if err != nil {
			return err
		}
		if close {
			return problem.Forbiddenf("you made, or were made by, %s, whom this request concerns: someone else must decide it", s.opt.People.Username(ctx, p))
		}
	}
	return nil
}
