// Package access owns who may do what to which cameras: the organisations
// and their tree, camera groups, users' roles, sharing agreements between
// organisations and four-eyes policies. These are the data the rights
// snapshot (package rights) is built from; this package holds their model,
// the rules for changing them and the service that changes each with its
// audit record. The decisions themselves stay in rights, a pure
// foundation.
//
// A change that widens what someone may see (a grant, an agreement, a
// move in the tree) can be held for a second person's approval; package
// approvals holds the request, and applies it through this service's
// In methods, in the approval's own transaction.
package access

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Organisation is a body that owns cameras or users. Organisations form a
// tree: ParentID is the one above (0: none), such as the partnership a
// council belongs to or the council a department is part of.
type Organisation struct {
	ID        int64
	Name      string
	Kind      string // "partnership", "council", "department", "police", "customer" or "camera_owner"
	ParentID  int64
	CreatedAt time.Time
}

var organisationKinds = map[string]bool{
	rights.KindPartnership: true, rights.KindCouncil: true, rights.KindDepartment: true,
	rights.KindPolice: true, rights.KindCustomer: true, rights.KindCameraOwner: true,
}

// OrganisationKind reports whether kind is one an organisation may have.
func OrganisationKind(kind string) bool { return organisationKinds[kind] }

// MaxOrganisationName bounds an organisation's name, in characters.
const MaxOrganisationName = 200

// CameraGroup is a named set of an organisation's cameras, such as "Night-
// time economy", to share or to limit a role to.
type CameraGroup struct {
	ID, OrganisationID int64
	Name               string
	Cameras            []int64 // ascending
	CreatedAt          time.Time
}

// MaxCameraGroupName bounds a group's name, in characters.
const MaxCameraGroupName = 100

// UserRole is one role a user holds in their organisation: over all of its
// cameras (CameraGroupID 0), or one camera group's.
type UserRole struct {
	Role          string
	CameraGroupID int64
	CreatedAt     time.Time
}

// SharingAgreement lets another organisation's people take some footage
// actions on some of the grantor's cameras for a time, as partnerships
// share cameras with the police.
type SharingAgreement struct {
	ID                   int64
	GrantorID, GranteeID int64
	Reference            string   // the agreement's name or number, for people
	Rights               []string // footage actions: view_live, play_back, export, control_ptz
	AllCameras           bool
	Cameras, Groups      []int64 // ascending; besides AllCameras, what is shared
	StartsAt             time.Time
	EndsAt               *time.Time // nil: until ended
	// Condition "incident_open" makes the agreement grant nothing unless
	// an incident is open on it (IncidentOpenAt set).
	Condition         string
	IncidentOpenAt    *time.Time
	IncidentReference string
	CreatedBy         int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// MaxSharingReference bounds an agreement's reference, in characters.
const MaxSharingReference = 200

// CleanIDs sorts ids and drops repeats, refusing one that is not a
// positive whole number; nil becomes empty.
func CleanIDs(ids []int64) ([]int64, error) {
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] <= 0 {
		return nil, problem.Invalidf("camera id %d is not a positive whole number", out[0])
	}
	if out == nil {
		out = []int64{}
	}
	return out, nil
}

// Validate reports, in words for the person who chose them, why an
// agreement's own fields cannot be saved (a problem.ErrInvalid), and puts
// its rights in their canonical order and its ids in ascending order.
func (a *SharingAgreement) Validate() error {
	a.Reference = strings.TrimSpace(a.Reference)
	if n := utf8.RuneCountInString(a.Reference); n == 0 || n > MaxSharingReference {
		return problem.Invalidf("a sharing agreement's reference must be 1 to %d characters", MaxSharingReference)
	}
	if a.GrantorID <= 0 || a.GranteeID <= 0 {
		return problem.Invalidf("a sharing agreement needs the organisation sharing and the one shared with")
	}
	if a.GrantorID == a.GranteeID {
		return problem.Invalidf("an organisation cannot share cameras with itself")
	}
	seen := map[string]bool{}
	var rs []string
	for _, r := range rights.Actions {
		for _, want := range a.Rights {
			if want == string(r) && !seen[want] {
				seen[want] = true
				rs = append(rs, want)
			}
		}
	}
	for _, r := range a.Rights {
		act, ok := rights.ParseAction(r)
		if !ok || !rights.Footage.Has(act) {
			return problem.Invalidf("%q cannot be shared: an agreement grants view_live, play_back, export or control_ptz", r)
		}
	}
	if len(rs) == 0 {
		return problem.Invalidf("a sharing agreement must grant at least one of view_live, play_back, export, control_ptz")
	}
	a.Rights = rs
	var err error
	if a.Cameras, err = CleanIDs(a.Cameras); err != nil {
		return err
	}
	if a.Groups, err = CleanIDs(a.Groups); err != nil {
		return problem.Invalidf("camera group ids are positive whole numbers")
	}
	if !a.AllCameras && len(a.Cameras) == 0 && len(a.Groups) == 0 {
		return problem.Invalidf("a sharing agreement must share all cameras, or name cameras or camera groups")
	}
	if a.StartsAt.IsZero() {
		return problem.Invalidf("a sharing agreement needs a start")
	}
	if a.EndsAt != nil && !a.EndsAt.After(a.StartsAt) {
		return problem.Invalidf("a sharing agreement must end after it starts")
	}
	if a.Condition != "" && a.Condition != rights.WhileIncidentOpen {
		return problem.Invalidf("condition %q is not known; the one condition is %q", a.Condition, rights.WhileIncidentOpen)
	}
	if utf8.RuneCountInString(a.IncidentReference) > MaxSharingReference {
		return problem.Invalidf("an incident reference must be at most %d characters", MaxSharingReference)
	}
	return nil
}

// RightsAgreement is the agreement as decisions see it.
func (a SharingAgreement) RightsAgreement() rights.Agreement {
	out := rights.Agreement{
		ID: a.ID, Grantor: a.GrantorID, Grantee: a.GranteeID, Reference: a.Reference, AllCameras: a.AllCameras,
		Cameras: a.Cameras, Groups: a.Groups, Starts: a.StartsAt, Condition: a.Condition, IncidentOpen: a.IncidentOpenAt != nil,
	}
	for _, r := range a.Rights {
		if act, ok := rights.ParseAction(r); ok {
			out.Rights |= rights.SetOf(act)
		}
	}
	if a.EndsAt != nil {
		out.Ends = *a.EndsAt
	}
	return out
}

// DescribeRoles is roles as a record shows them.
func DescribeRoles(roles []UserRole) string {
	if len(roles) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(roles))
	for _, r := range roles {
		if r.CameraGroupID != 0 {
			parts = append(parts, fmt.Sprintf("%s (camera group %d)", r.Role, r.CameraGroupID))
		} else {
			parts = append(parts, r.Role)
		}
	}
	return strings.Join(parts, ", ")
}
