package rights

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Org is an organisation: its place in the tree is all decisions need.
type Org struct {
	ID, Parent int64 // Parent 0: a root
	Name, Kind string
}

// Grant is one role a user holds in their organisation, over all of its
// cameras (Group 0) or one camera group's.
type Grant struct {
	Role  Role
	Group int64
}

// Group is a camera group of an organisation.
type Group struct {
	ID, Org int64
	Name    string
	Cameras []int64
}

// Agreement is a sharing agreement: Grantor lets Grantee's people do
// Rights (footage actions only) to some of Grantor's cameras from Starts
// until Ends.
type Agreement struct {
	ID               int64
	Grantor, Grantee int64
	Reference        string
	Rights           Set
	AllCameras       bool
	Cameras, Groups  []int64
	Starts           time.Time
	Ends             time.Time // zero: open-ended
	Condition        string    // "" or WhileIncidentOpen
	IncidentOpen     bool
}

// Active reports whether the agreement grants anything at t.
func (a *Agreement) Active(t time.Time) bool {
	if t.Before(a.Starts) || !a.Ends.IsZero() && !t.Before(a.Ends) {
		return false
	}
	return a.Condition != WhileIncidentOpen || a.IncidentOpen
}

// Data is what a Snapshot is built from.
type Data struct {
	// Version is the store's count of changes to all this, for a Cache
	// to tell cheaply whether it is current.
	Version    int64
	Orgs       []Org
	Grants     map[int64][]Grant // by user id
	Groups     []Group
	Agreements []Agreement
	FourEyes   map[int64][]string // by organisation id
}

// Snapshot answers rights questions from one consistent copy of Data. It
// is read-only and safe for concurrent use.
type Snapshot struct {
	orgs      map[int64]*Org
	ancestors map[int64][]int64 // an organisation and its ancestors, nearest first
	grants    map[int64][]Grant
	groups    map[int64]*Group
	inGroup   map[int64]map[int64]bool // camera -> groups
	byGrantee map[int64][]*Agreement
	fourEyes  map[int64]map[string]bool
	// partnership is the id of the partnership at the top of the tree
	// (0: none yet); see Partnership.
	partnership int64
	// Version is Data.Version.
	Version int64
}

// NewSnapshot indexes d. A parent cycle, which the store prevents, is cut
// where it is found so that no decision loops.
func NewSnapshot(d Data) *Snapshot {
	s := &Snapshot{
		Version: d.Version,
		orgs:    map[int64]*Org{}, ancestors: map[int64][]int64{}, grants: d.Grants, groups: map[int64]*Group{},
		inGroup: map[int64]map[int64]bool{}, byGrantee: map[int64][]*Agreement{}, fourEyes: map[int64]map[string]bool{},
	}
	if s.grants == nil {
		s.grants = map[int64][]Grant{}
	}
	for i := range d.Orgs {
		o := &d.Orgs[i]
		s.orgs[o.ID] = o
		// The first partnership made is the one the server set up at its
		// first start; it is known by id, so renaming it changes nothing.
		if o.Kind == KindPartnership && o.Parent == 0 && (s.partnership == 0 || o.ID < s.partnership) {
			s.partnership = o.ID
		}
	}
	for id := range s.orgs {
		chain := []int64{id}
		seen := map[int64]bool{id: true}
		for p := s.orgs[id].Parent; p != 0 && !seen[p]; {
			o, ok := s.orgs[p]
			if !ok {
				break
			}
			chain = append(chain, p)
			seen[p] = true
			p = o.Parent
		}
		s.ancestors[id] = chain
	}
	for i := range d.Groups {
		g := &d.Groups[i]
		s.groups[g.ID] = g
		for _, c := range g.Cameras {
			if s.inGroup[c] == nil {
				s.inGroup[c] = map[int64]bool{}
			}
			s.inGroup[c][g.ID] = true
		}
	}
	for i := range d.Agreements {
		a := &d.Agreements[i]
		a.Rights &= Footage
		s.byGrantee[a.Grantee] = append(s.byGrantee[a.Grantee], a)
	}
	for org, acts := range d.FourEyes {
		m := map[string]bool{}
		for _, a := range acts {
			m[a] = true
		}
		s.fourEyes[org] = m
	}
	return s
}

// Org returns an organisation.
func (s *Snapshot) Org(id int64) (Org, bool) {
	o, ok := s.orgs[id]
	if !ok {
		return Org{}, false
	}
	return *o, true
}

// Orgs returns every organisation, by id.
func (s *Snapshot) Orgs() []Org {
	out := make([]Org, 0, len(s.orgs))
	for _, o := range s.orgs {
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b Org) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Group returns a camera group.
func (s *Snapshot) Group(id int64) (Group, bool) {
	g, ok := s.groups[id]
	if !ok {
		return Group{}, false
	}
	return *g, true
}

// Within reports whether organisation id is root or below it.
func (s *Snapshot) Within(id, root int64) bool {
	for _, a := range s.ancestors[id] {
		if a == root {
			return true
		}
	}
	return false
}

// Ancestors returns an organisation and those above it, nearest first.
func (s *Snapshot) Ancestors(id int64) []int64 { return s.ancestors[id] }

// Principal is a user as decisions see them.
type Principal struct {
	User   int64
	Org    int64
	Grants []Grant
}

// Principal returns the user's principal: their organisation and roles.
func (s *Snapshot) Principal(user, org int64) Principal {
	return Principal{User: user, Org: org, Grants: s.grants[user]}
}

// Known reports whether the snapshot was loaded knowing the user's roles;
// a user made since is not.
func (s *Snapshot) Known(user int64) bool {
	_, ok := s.grants[user]
	return ok
}

// Holds is every action any of p's roles allows, somewhere.
func (p Principal) Holds() Set {
	var out Set
	for _, g := range p.Grants {
		out |= g.Role.Can()
	}
	return out
}

// Camera is what decisions need of a camera.
type Camera struct {
	ID, Org int64
}

// Decision is the answer to "may p do a to this?".
type Decision struct {
	Allowed bool
	// Hidden: the camera (or organisation) is outside everything p may
	// see, so the answer must not reveal that it exists (a 404).
	Hidden bool
	// Reason says why not, fit to show p.
	Reason string
}

func allow() Decision { return Decision{Allowed: true} }

// Refusal says why p may not do a anywhere: none of their roles allows it.
func Refusal(p Principal, a Action) string {
	return fmt.Sprintf("%s cannot %s", describeRoles(p.Grants), a.Verb())
}

// Verbs says what any of as does: "manage cameras or read finance
// figures".
func Verbs(as ...Action) string {
	vs := make([]string, len(as))
	for i, a := range as {
		vs[i] = a.Verb()
	}
	return strings.Join(vs, " or ")
}

// On returns every action p may take on camera c at t.
func (s *Snapshot) On(p Principal, c Camera, t time.Time) Set {
	own := s.Within(c.Org, p.Org)
	var out Set
	shared, sharedDone := Set(0), false
	for _, g := range p.Grants {
		r := g.Role.Can() & cameraActions
		if r == 0 || g.Group != 0 && !s.inGroup[c.ID][g.Group] {
			continue
		}
		if own {
			out |= r
			continue
		}
		if !sharedDone {
			shared, sharedDone = s.sharedOn(p.Org, c, t), true
		}
		out |= r & shared
	}
	return out
}

// sharedOn is what agreements active at t grant organisation org (and so
// every organisation below it) on camera c.
func (s *Snapshot) sharedOn(org int64, c Camera, t time.Time) Set {
	var out Set
	for _, grantee := range s.ancestors[org] {
		for _, a := range s.byGrantee[grantee] {
			if out|a.Rights == out || !a.Active(t) || !s.covers(a, c) {
				continue
			}
			out |= a.Rights
		}
	}
	return out
}

// covers reports whether an agreement names camera c: only the grantor's
// own cameras can be shared, whatever the agreement lists.
func (s *Snapshot) covers(a *Agreement, c Camera) bool {
	if !s.Within(c.Org, a.Grantor) {
		return false
	}
	if a.AllCameras {
		return true
	}
	for _, id := range a.Cameras {
		if id == c.ID {
			return true
		}
	}
	for _, g := range a.Groups {
		if s.inGroup[c.ID][g] {
			return true
		}
	}
	return false
}

// Can decides whether p may do a to camera c at t.
func (s *Snapshot) Can(p Principal, a Action, c Camera, t time.Time) Decision {
	if !p.Holds().Has(a) {
		// Refused whatever the camera, so the answer reveals nothing
		// about it.
		return Decision{Reason: Refusal(p, a)}
	}
	on := s.On(p, c, t)
	switch {
	case on.Has(a):
		return allow()
	case on == 0:
		return Decision{Hidden: true, Reason: "no such camera"}
	}
	return Decision{Reason: fmt.Sprintf("you may not %s of this camera: neither your roles nor a sharing agreement in force allow it", footageVerb(a))}
}

// footageVerb is a's verb for a sentence about one camera.
func footageVerb(a Action) string {
	switch a {
	case ViewLive:
		return "view the live video"
	case PlayBack:
		return "play back the footage"
	case Export:
		return "export the footage"
	case ControlPTZ:
		return "control the movement"
	case ManageCameras:
		return "change the settings"
	}
	return a.Verb()
}

// CanOrg decides whether p may do a within organisation org: manage its
// users or cameras, read its figures or audit trail. Only a grant over
// all cameras (no group) counts for managing cameras at large.
func (s *Snapshot) CanOrg(p Principal, a Action, org int64) Decision {
	if !p.Holds().Has(a) {
		return Decision{Reason: Refusal(p, a)}
	}
	if !s.Within(org, p.Org) {
		return Decision{Hidden: true, Reason: "no such organisation"}
	}
	for _, g := range p.Grants {
		if g.Role.Can().Has(a) && (g.Group == 0 || a != ManageCameras) {
			return allow()
		}
	}
	return Decision{Reason: fmt.Sprintf("your roles allow you to %s only for a camera group, not the whole organisation", a.Verb())}
}

// Partnership is the organisation at the top of the tree whose figures
// finance, trading and works keep: the root organisation of kind
// partnership (the first made, should there be more than one). It is
// found by its place and kind, never by its name, which its people may
// change.
func (s *Snapshot) Partnership() (Org, bool) {
	if s.partnership == 0 {
		return Org{}, false
	}
	return *s.orgs[s.partnership], true
}

// CanManageFinance decides whether p may change the partnership's
// figures (ManageFinance): one of p's roles must allow it over all
// cameras, not a camera group's, and p must belong to the partnership
// itself, since the figures are the whole partnership's.
func (s *Snapshot) CanManageFinance(p Principal) Decision {
	if !p.Holds().Has(ManageFinance) {
		return Decision{Reason: Refusal(p, ManageFinance) + ": that is for the partnership's CCTV manager"}
	}
	top, ok := s.Partnership()
	if !ok {
		return Decision{Reason: "there is no partnership at the top of the organisations, whose figures these are"}
	}
	if p.Org != top.ID {
		return Decision{Reason: fmt.Sprintf("only the CCTV manager of %s itself may change its figures; your organisation is below it", top.Name)}
	}
	for _, g := range p.Grants {
		if g.Role.Can().Has(ManageFinance) && g.Group == 0 {
			return allow()
		}
	}
	return Decision{Reason: fmt.Sprintf("your roles allow you to %s only for a camera group, not the whole partnership", ManageFinance.Verb())}
}

// Sees reports whether organisation org is in p's scope.
func (s *Snapshot) Sees(p Principal, org int64) bool { return s.Within(org, p.Org) }

// NeedsApproval reports whether doing act concerning organisation org
// needs a second person's approval: a policy on org or any organisation
// above it says so.
func (s *Snapshot) NeedsApproval(org int64, act string) (bool, int64) {
	for _, a := range s.ancestors[org] {
		if s.fourEyes[a][act] {
			return true, a
		}
	}
	return false, 0
}

// FourEyes lists the four-eyes actions set on organisation org itself.
func (s *Snapshot) FourEyes(org int64) []string {
	var out []string
	for _, a := range FourEyesActions {
		if s.fourEyes[org][a] {
			out = append(out, a)
		}
	}
	return out
}

// Agreements returns the agreements granted to org or above it, the ones
// that apply to org's people.
func (s *Snapshot) Agreements(org int64) []Agreement {
	var out []Agreement
	for _, g := range s.ancestors[org] {
		for _, a := range s.byGrantee[g] {
			out = append(out, *a)
		}
	}
	return out
}
