package web

import (
	"testing"

	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
)

// TestRolesWiden: a change of roles widens where a new role gives, over
// some scope, a right no old role gave there; which roles see footage is
// read from their rights, not their names.
func TestRolesWiden(t *testing.T) {
	r := func(role string, group int64) store.UserRole { return store.UserRole{Role: role, CameraGroupID: group} }
	for _, tt := range []struct {
		name          string
		old, roles    []store.UserRole
		footage, wide bool
	}{
		{"nothing to nothing", nil, nil, false, false},
		{"a new operator", nil, []store.UserRole{r("operator", 0)}, true, true},
		{"a new partner officer (no live view)", nil, []store.UserRole{r("partner_officer", 0)}, true, true},
		{"a new auditor", nil, []store.UserRole{r("auditor", 0)}, false, true},
		{"a new administrator", nil, []store.UserRole{r("administrator", 0)}, false, true},
		{"administrator gains supervisor", []store.UserRole{r("administrator", 0)}, []store.UserRole{r("administrator", 0), r("supervisor", 0)}, true, true},
		{"operator to supervisor (export)", []store.UserRole{r("operator", 0)}, []store.UserRole{r("supervisor", 0)}, true, true},
		{"supervisor to operator", []store.UserRole{r("supervisor", 0)}, []store.UserRole{r("operator", 0)}, false, false},
		{"operator limited to a group", []store.UserRole{r("operator", 0)}, []store.UserRole{r("operator", 3)}, false, false},
		{"operator of a group to all cameras", []store.UserRole{r("operator", 3)}, []store.UserRole{r("operator", 0)}, true, true},
		{"operator of one group to another", []store.UserRole{r("operator", 3)}, []store.UserRole{r("operator", 4)}, true, true},
		{"operator adds auditor", []store.UserRole{r("operator", 0)}, []store.UserRole{r("operator", 0), r("auditor", 0)}, false, true},
		{"two roles cover one", []store.UserRole{r("operator", 0), r("police_investigator", 0)}, []store.UserRole{r("supervisor", 0)}, false, false},
		{"everything taken away", []store.UserRole{r("cctv_manager", 0)}, nil, false, false},
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
