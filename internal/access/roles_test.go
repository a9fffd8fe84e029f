package access

import (
	"testing"

	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// TestCheckSetRoles: roles are the built-in ones, over the whole
// organisation or one of its camera groups; nobody changes their own.
func TestCheckSetRoles(t *testing.T) {
	c := sharingCaller(3, rights.Administrator) // alice, user 1
	const allRoles = "operator, supervisor, cctv_manager, partner_officer, police_viewer, police_investigator, auditor, administrator"
	for _, tt := range []struct {
		name  string
		user  int64
		org   int64
		roles []UserRole
		err   error
		msg   string
	}{
		{"no roles", 2, 3, nil, nil, ""},
		{"a role over the organisation", 2, 3, []UserRole{{Role: "operator"}}, nil, ""},
		{"a role over its camera group", 2, 3, []UserRole{{Role: "supervisor", CameraGroupID: 6}}, nil, ""},
		{"a role over another's camera group", 2, 3, []UserRole{{Role: "operator", CameraGroupID: 7}}, problem.ErrInvalid,
			"camera group 7 is not one of the user's organisation"},
		{"a camera group that is not", 2, 3, []UserRole{{Role: "operator", CameraGroupID: 70}}, problem.ErrInvalid,
			"camera group 70 is not one of the user's organisation"},
		{"the council's group, to the department's account", 2, 5, []UserRole{{Role: "operator", CameraGroupID: 6}}, problem.ErrInvalid,
			"camera group 6 is not one of the user's organisation"},
		{"a role that is not", 2, 3, []UserRole{{Role: "operator"}, {Role: "janitor"}}, problem.ErrInvalid,
			`"janitor" is not a role; the roles are ` + allRoles},
		{"one's own", 1, 3, []UserRole{{Role: "operator"}}, problem.ErrForbidden,
			"you cannot change your own roles: another person who manages users must"},
		{"one's own, to none", 1, 3, nil, problem.ErrForbidden,
			"you cannot change your own roles: another person who manages users must"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, c.CheckSetRoles(tt.user, tt.org, tt.roles), tt.err, tt.msg)
			if tt.user != c.Actor.UserID {
				// A new account's roles are checked the same way.
				wantProblem(t, c.CheckRoles(tt.roles, tt.org), tt.err, tt.msg)
			}
		})
	}
}
