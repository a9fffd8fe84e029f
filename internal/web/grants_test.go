package web

import (
	"testing"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// TestRolesWiden: a change of roles widens where a new role gives, over
// some scope, a right no old role gave there; which roles see footage is
// read from their rights, not their names.
func TestRolesWiden(t *testing.T) {
	r := func(role string, group int64) access.UserRole {
		return access.UserRole{Role: role, CameraGroupID: group}
	}
	for _, tt := range []struct {
		name          string
		old, roles    []access.UserRole
		footage, wide bool
	}{
		{"nothing to nothing", nil, nil, false, false},
		{"a new operator", nil, []access.UserRole{r("operator", 0)}, true, true},
		{"a new partner officer (no live view)", nil, []access.UserRole{r("partner_officer", 0)}, true, true},
		{"a new auditor", nil, []access.UserRole{r("auditor", 0)}, false, true},
		{"a new administrator", nil, []access.UserRole{r("administrator", 0)}, false, true},
		{"administrator gains supervisor", []access.UserRole{r("administrator", 0)}, []access.UserRole{r("administrator", 0), r("supervisor", 0)}, true, true},
		{"operator to supervisor (export)", []access.UserRole{r("operator", 0)}, []access.UserRole{r("supervisor", 0)}, true, true},
		{"supervisor to operator", []access.UserRole{r("supervisor", 0)}, []access.UserRole{r("operator", 0)}, false, false},
		{"operator limited to a group", []access.UserRole{r("operator", 0)}, []access.UserRole{r("operator", 3)}, false, false},
		{"operator of a group to all cameras", []access.UserRole{r("operator", 3)}, []access.UserRole{r("operator", 0)}, true, true},
		{"operator of one group to another", []access.UserRole{r("operator", 3)}, []access.UserRole{r("operator", 4)}, true, true},
		{"operator adds auditor", []access.UserRole{r("operator", 0)}, []access.UserRole{r("operator", 0), r("auditor", 0)}, false, true},
		{"two roles cover one", []access.UserRole{r("operator", 0), r("police_investigator", 0)}, []access.UserRole{r("supervisor", 0)}, false, false},
		{"everything taken away", []access.UserRole{r("cctv_manager", 0)}, nil, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := rolesWiden(tt.old, tt.roles, rights.Footage); got != tt.footage {
				t.Errorf("widens footage: got %v, want %v", got, tt.footage)
			}
			if got := rolesWiden(tt.old, tt.roles, allRights); got != tt.wide {
				t.Errorf("widens anything: got %v, want %v", got, tt.wide)
			}
		})
	}
}
