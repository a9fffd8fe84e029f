package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Grants that wait for a second person whatever the four-eyes policies
// say, because the one making them could otherwise give themselves what
// they may not have:
//
//   - roles that see footage (any role whose rights include one of
//     rights.Footage), given to an account new or old: an administrator
//     sees no footage, but could make an account whose password they
//     chose and give it a footage role, or have an account they made
//     give them one;
//   - any widening of the roles of an account by one it made, directly
//     or through accounts it made in turn.
//
// The request goes through the approvals like any change of rights, and
// is decided by someone who manages the account's people and is neither
// the requester, nor the account changed, nor an account either of them
// made or was made by.

// allRights is every right, for comparing roles whole.
var allRights = rights.SetOf(rights.Actions...)

// rolesWiden reports whether roles give, of the rights in mask, one over
// some scope (the organisation, or a camera group) that old do not.
func rolesWiden(old, roles []access.UserRole, mask rights.Set) bool {
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

// makers and lineage are identity's rule of who made whom (Service.Makers,
// Service.Lineage): an account and one it made, directly or not, are not
// two people for four eyes.
func (s *Server) makers(ctx context.Context, id int64) ([]int64, error) { return s.id.Makers(ctx, id) }

func (s *Server) lineage(ctx context.Context, a, b int64) (bool, error) {
	return s.id.Lineage(ctx, a, b)
}

// grantHold says why giving account u the roles (in place of old) needs a
// second person whatever the policies; "" when it does not.
func (s *Server) grantHold(ctx context.Context, a *signedIn, u identity.User, old, roles []access.UserRole) (string, error) {
	if rolesWiden(old, roles, rights.Footage) {
		return "roles that see footage are given only with a second person's approval", nil
	}
	if !rolesWiden(old, roles, allRights) {
		return "", nil
	}
	ms, err := s.makers(ctx, a.user.ID)
	if err != nil {
		return "", err
	}
	if slices.Contains(ms, u.ID) {
		return fmt.Sprintf("%s, who asks, is an account %s made: widening its maker's roles needs a second person's approval", a.user.Username, u.Username), nil
	}
	return "", nil
}

// independent refuses, with why, a decision on ap by someone too close to
// it: its requester, the account a change of roles concerns, or an
// account made by, or the maker of, either.
func (s *Server) independent(ctx context.Context, by int64, ap approvals.Approval) error {
	if ap.RequestedBy == by {
		return errorf(http.StatusForbidden, "a request needs another person's approval: you cannot decide your own", nil)
	}
	parties := []int64{ap.RequestedBy}
	if ap.Kind == kindSetRoles {
		var ch change
		if err := json.Unmarshal([]byte(ap.Payload), &ch); err == nil && ch.UserID != 0 {
			if ch.UserID == by {
				return errorf(http.StatusForbidden, "a change of your own roles needs another person's approval: you cannot decide it", nil)
			}
			parties = append(parties, ch.UserID)
		}
	}
	for _, p := range parties {
		close, err := s.lineage(ctx, by, p)
		if err != nil {
			return err
		}
		if close {
			return errorf(http.StatusForbidden, fmt.Sprintf("you made, or were made by, %s, whom this request concerns: someone else must decide it", s.username(ctx, p)), nil)
		}
	}
	return nil
}

// rolesHold is when giving account u the roles (in place of old) waits:
// under a four-eyes policy for rights on u's organisation, or always
// where grantHold says so, which the summary then tells the approver.
func (s *Server) rolesHold(ctx context.Context, a *signedIn, u identity.User, old, roles []access.UserRole, summary string) (holdWhen, string, error) {
	hold := holdWhen{actions: []string{rights.FourEyesRights}, orgs: []int64{u.OrganisationID}}
	why, err := s.grantHold(ctx, a, u, old, roles)
	if err != nil {
		return hold, summary, err
	}
	if why != "" {
		hold.always = u.OrganisationID
		summary += " (" + why + ")"
	}
	return hold, summary, nil
}
