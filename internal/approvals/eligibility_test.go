package approvals

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// fakePeople is who made whom: made[id] is id's maker.
type fakePeople map[int64]int64

func (p fakePeople) Makers(_ context.Context, id int64) ([]int64, error) {
	var out []int64
	for at := p[id]; at != 0 && !slices.Contains(out, at); at = p[at] {
		out = append(out, at)
	}
	return out, nil
}

func (p fakePeople) Lineage(ctx context.Context, a, b int64) (bool, error) {
	ma, _ := p.Makers(ctx, a)
	mb, _ := p.Makers(ctx, b)
	return a == b || slices.Contains(ma, b) || slices.Contains(mb, a), nil
}

func (p fakePeople) Username(_ context.Context, id int64) string {
	return map[int64]string{1: "alice", 2: "bob", 3: "carol", 4: "dave", 5: "erin"}[id]
}

// people: alice (1) made carol (3), who made dave (4); bob (2) and erin
// (5) made no one and were made by no one.
var people = fakePeople{3: 1, 4: 3}

func peopleService() *Service[*fakeTx] {
	f := &fakeRepo{approvals: map[int64]Approval{}, cameras: fakeCameras}
	return New[*fakeTx](f, f.change, Options[*fakeTx]{People: people, Now: func() time.Time { return now }})
}

func role(name string, group int64) access.UserRole {
	return access.UserRole{Role: name, CameraGroupID: group}
}

// TestRolesWiden: a change of roles widens where a new role gives, over
// some scope, a right no old role gave there; which roles see footage is
// read from their rights, not their names.
func TestRolesWiden(t *testing.T) {
	r := role
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
			if got := RolesWiden(tt.old, tt.roles, rights.Footage); got != tt.footage {
				t.Errorf("widens footage: got %v, want %v", got, tt.footage)
			}
			if got := RolesWiden(tt.old, tt.roles, allRights); got != tt.wide {
				t.Errorf("widens anything: got %v, want %v", got, tt.wide)
			}
		})
	}
}

// TestRolesHold: a grant waits under the policy on the account's
// organisation; it waits always, saying why in the summary, when it
// gives footage, or widens the roles of an account that made the one
// asking.
func TestRolesHold(t *testing.T) {
	svc := peopleService()
	alice := Account{ID: 1, Username: "alice", OrganisationID: 7}
	bob := Account{ID: 2, Username: "bob", OrganisationID: 7}
	dave := Account{ID: 4, Username: "dave", OrganisationID: 7}
	const footage = " (roles that see footage are given only with a second person's approval)"
	const maker = " (dave, who asks, is an account alice made: widening its maker's roles needs a second person's approval)"
	for _, tt := range []struct {
		name        string
		g           Grant
		wantAlways  int64
		wantSummary string
	}{
		{"footage to a new account", Grant{By: bob, User: Account{ID: 9, Username: "new", OrganisationID: 7}, Roles: []access.UserRole{role("operator", 0)}}, 7, "s" + footage},
		{"an auditor by someone apart", Grant{By: bob, User: alice, Roles: []access.UserRole{role("auditor", 0)}}, 0, "s"},
		{"an auditor for the asker's maker's maker", Grant{By: dave, User: alice, Roles: []access.UserRole{role("auditor", 0)}}, 7, "s" + maker},
		{"narrowing the maker's roles", Grant{By: dave, User: alice, Old: []access.UserRole{role("auditor", 0)}, Roles: nil}, 0, "s"},
		{"an auditor for one the asker made", Grant{By: alice, User: dave, Roles: []access.UserRole{role("auditor", 0)}}, 0, "s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, summary, err := svc.RolesHold(t.Context(), tt.g, "s")
			if err != nil || h.Always != tt.wantAlways || summary != tt.wantSummary {
				t.Errorf("got %+v, %q, %v; want always %d, %q", h, summary, err, tt.wantAlways, tt.wantSummary)
			}
			if len(h.Orgs) != 1 || h.Orgs[0] != 7 || len(h.Actions) != 1 || h.Actions[0] != rights.FourEyesRights {
				t.Errorf("policy: got %+v, want four eyes for rights on organisation 7", h)
			}
		})
	}
}

// TestIndependent: a request is decided by no one it concerns: not its
// requester, not the account whose roles it changes, nor anyone who made,
// or was made by, either; anyone else may.
func TestIndependent(t *testing.T) {
	svc := peopleService()
	roles := func(requester, user int64) Approval {
		b, _ := json.Marshal(Change{Kind: KindSetRoles, UserID: user})
		return Approval{Kind: KindSetRoles, RequestedBy: requester, Payload: string(b)}
	}
	export := Approval{Kind: KindExport, RequestedBy: 3}
	for _, tt := range []struct {
		name string
		by   int64
		ap   Approval
		want string // "": allowed
	}{
		{"the requester", 3, export, "a request needs another person's approval: you cannot decide your own"},
		{"the requester's maker", 1, export, "you made, or were made by, carol, whom this request concerns: someone else must decide it"},
		{"one the requester made", 4, export, "you made, or were made by, carol, whom this request concerns: someone else must decide it"},
		{"someone apart", 2, export, ""},
		{"the account changed", 5, roles(2, 5), "a change of your own roles needs another person's approval: you cannot decide it"},
		{"the maker of the account changed", 1, roles(2, 4), "you made, or were made by, dave, whom this request concerns: someone else must decide it"},
		{"someone apart from both", 5, roles(2, 4), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := svc.Independent(t.Context(), tt.by, tt.ap)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want allowed", err)
			case tt.want != "" && (!errors.Is(err, problem.ErrForbidden) || problem.Message(err, "") != tt.want):
				t.Errorf("got %v, want forbidden: %q", err, tt.want)
			}
		})
	}
}

// TestDecideRefusesTheTooClose: Decide itself refuses a decider the
// request concerns, deciding nothing, so no caller can skip the rule.
func TestDecideRefusesTheTooClose(t *testing.T) {
	svc := peopleService()
	ap, err := svc.Request(t.Context(), alice, Approval{Kind: KindExport, CameraID: 1}, auditlog.Entry{Detail: "export"})
	if err != nil {
		t.Fatal(err)
	}
	for _, by := range []auditlog.Actor{alice, {UserID: 3, Username: "carol"}} {
		if _, err := svc.Decide(t.Context(), callerOf(by), ap.ID, true, ""); !errors.Is(err, problem.ErrForbidden) {
			t.Errorf("decided by %s: got %v, want forbidden", by.Username, err)
		}
	}
	if d, err := svc.Decide(t.Context(), callerOf(bob), ap.ID, true, ""); err != nil || d.State != Approved {
		t.Errorf("decided by bob: got %+v, %v, want approved", d, err)
	}
}
