package cameras

import (
	"context"
	"errors"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// fakeOrgs is the tree of TestOwner: the partnership (1) above a council
// (2), and the police (3) apart.
type fakeOrgs []rights.Org

func (f fakeOrgs) OrganisationByID(_ context.Context, id int64) (rights.Org, error) {
	for _, o := range f {
		if o.ID == id {
			return o, nil
		}
	}
	return rights.Org{}, problem.ErrNotFound
}

func (f fakeOrgs) OrganisationByName(_ context.Context, name string) (rights.Org, error) {
	for _, o := range f {
		if o.Name == name {
			return o, nil
		}
	}
	return rights.Org{}, problem.ErrNotFound
}

var ownerOrgs = fakeOrgs{{ID: 1, Name: "Partnership", Kind: rights.KindPartnership}, {ID: 2, Parent: 1, Name: "Council", Kind: rights.KindCouncil},
	{ID: 3, Name: "Police", Kind: rights.KindPolice}}

// TestOwner: a new camera joins the organisation asked for, if its
// creator sees it and manages cameras there; asked for none, the
// partnership for those who manage cameras there, else the creator's
// own; the command line must name one.
func TestOwner(t *testing.T) {
	snap := rights.NewSnapshot(rights.Data{Orgs: ownerOrgs, Grants: map[int64][]rights.Grant{
		1: {{Role: rights.CCTVManager}}, 2: {{Role: rights.CCTVManager}}, 3: {{Role: rights.Operator}}}})
	who := func(user, org int64) Caller {
		return Caller{Actor: auditlog.Actor{UserID: user}, Principal: snap.Principal(user, org), Rights: snap}
	}
	svc := New(newFakeRepo(), newFakeRepo().change, Options{Organisations: ownerOrgs})
	id := func(v int64) *int64 { return &v }
	for _, tt := range []struct {
		name string
		by   Caller
		want Joins
		got  int64
		err  error
		msg  string
	}{
		{"the partnership's manager, by default", who(1, 1), Joins{}, 1, nil, ""},
		{"the council's manager, by default", who(2, 2), Joins{}, 2, nil, ""},
		{"the partnership's manager names the council", who(1, 1), Joins{Name: "Council"}, 2, nil, ""},
		{"the partnership's manager numbers the council", who(1, 1), Joins{ID: id(2)}, 2, nil, ""},
		{"the council's manager, the partnership above", who(2, 2), Joins{ID: id(1)}, 0, problem.ErrInvalid, "there is no organisation 1"},
		{"the council's manager, the police", who(2, 2), Joins{Name: "Police"}, 0, problem.ErrInvalid, `there is no organisation named "Police"; make it first (POST /api/v1/organisations)`},
		{"an organisation that is not", who(1, 1), Joins{ID: id(9)}, 0, problem.ErrInvalid, "there is no organisation 9"},
		{"an operator", who(3, 2), Joins{}, 0, problem.ErrForbidden, ""},
		{"the command line, naming none", Caller{}, Joins{}, 0, problem.ErrInvalid, "name the organisation the camera joins"},
		{"the command line, naming the police", Caller{}, Joins{Name: "Police"}, 3, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			org, err := svc.Owner(t.Context(), tt.by, tt.want)
			switch {
			case tt.err == nil && (err != nil || org.ID != tt.got):
				t.Errorf("got %+v, %v; want organisation %d", org, err, tt.got)
			case tt.err != nil && (!errors.Is(err, tt.err) || tt.msg != "" && problem.Message(err, "") != tt.msg):
				t.Errorf("got %v, want %v %q", err, tt.err, tt.msg)
			}
		})
	}
}
