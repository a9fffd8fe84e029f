package access

import (
	"strings"

	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Which roles may be given, and to whom, are decided here, before
// anything is made or held for a second person: the console, the
// command line and a peer get the same answer.

// CheckRoles refuses (problem.ErrInvalid) roles that are not built in,
// and camera groups that are not of organisation org, the account's.
func (c Caller) CheckRoles(roles []UserRole, org int64) error {
	for _, r := range roles {
		if g, ok := c.Snap.Group(r.CameraGroupID); r.CameraGroupID != 0 && (!ok || g.Org != org) {
			return problem.Invalidf("camera group %d is not one of the user's organisation", r.CameraGroupID)
		}
		if _, ok := rights.ParseRole(r.Role); !ok {
			names := make([]string, 0, len(rights.Roles))
			for _, ri := range rights.Roles {
				names = append(names, string(ri.Role))
			}
			return problem.Invalidf("%q is not a role; the roles are %s", r.Role, strings.Join(names, ", "))
		}
	}
	return nil
}

// CheckSetRoles refuses a change of account user's roles (of
// organisation org) to roles: of c's own (problem.ErrForbidden), since
// nobody widens their own rights, or to roles CheckRoles refuses.
func (c Caller) CheckSetRoles(user, org int64, roles []UserRole) error {
	if user == c.Actor.UserID {
		return problem.Forbiddenf("you cannot change your own roles: another person who manages users must")
	}
	return c.CheckRoles(roles, org)
}
