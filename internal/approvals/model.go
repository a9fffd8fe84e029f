// Package approvals owns the four-eyes workflow: a request for a second
// person's approval (of an export of footage, an early deletion, or a
// change of rights), its decision, and the approved change's making.
//
// A change of rights is made by the capability it belongs to, through an
// Applier registered for its kind; the decision, the change and both
// audit records (the decision's and the change's) commit in one
// transaction, so no request is ever approved without its change made,
// nor a change made without the approval that let it. A change that can
// no longer be made (the camera deleted meanwhile) leaves the request
// approved and failed, with why, in a transaction of its own.
package approvals

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/rights"
)

// Approval states.
const (
	Pending  = "pending"
	Approved = "approved" // an export may be downloaded, until ExpiresAt
	Rejected = "rejected"
	Applied  = "applied" // a change of rights was approved and made
	Failed   = "failed"  // approved, but the change could no longer be made
	Expired  = "expired" // pending past ExpiresAt; never stored, only read
)

// States lists every state, as a filter accepts them.
var States = []string{Pending, Approved, Rejected, Applied, Failed, Expired}

// Kinds of request. The kinds are stored, so they stay as they are.
const (
	KindExport        = "export"
	KindDeleteFootage = "delete_footage"
	KindSetRoles      = "set_roles"
	KindCreateSharing = "create_agreement"
	KindUpdateSharing = "update_agreement"
	KindSetFourEyes   = "set_four_eyes"
	KindMoveOrg       = "move_organisation"
	KindUpdateGroup   = "update_group"
	KindMoveCamera    = "move_camera"
)

// ChangeKinds are the kinds that change rights, each made by an Applier.
var ChangeKinds = []string{KindSetRoles, KindCreateSharing, KindUpdateSharing, KindSetFourEyes, KindMoveOrg, KindUpdateGroup, KindMoveCamera}

const (
	// Life is how long a request waits for a decision.
	Life = 7 * 24 * time.Hour
	// ExportWindow is how long an approved export may be downloaded.
	ExportWindow = 24 * time.Hour
)

// Approval is a request for a second person's approval, and its outcome.
type Approval struct {
	ID int64
	// OrganisationID is the organisation whose four-eyes policy asked
	// for it; Action the policy's action (export, rights, ...).
	OrganisationID int64
	Action         string
	// Kind is what exactly was asked (export, set_roles, ...) and
	// Payload its details as JSON (a Change, for a change of rights).
	Kind, Payload        string
	Summary, Reason      string
	CameraID             int64 // 0 unless an export or a deletion
	RangeStart, RangeEnd *time.Time
	RequestedBy          int64
	RequestedAt          time.Time
	State                string
	DecidedBy            int64
	DecidedAt            *time.Time
	Note                 string
	// ExpiresAt is when a pending request lapses, or an approved export
	// can no longer be downloaded.
	ExpiresAt time.Time
}

// ErrNotPending is returned, wrapped, when a request is decided that is no
// longer pending: decided by someone else first, or expired.
var ErrNotPending = errors.New("approvals: the request is no longer pending")

// Change is a change of rights, made at once or held for approval; as
// JSON it is a request's payload, so its fields keep their names.
type Change struct {
	Kind string `json:"kind"`
	// Need is the right an approver must hold in every one of Orgs: the
	// same the requester needed to ask.
	Need rights.Action `json:"need"`
	Orgs []int64       `json:"orgs"`

	UserID    int64                    `json:"user_id,omitempty"`
	Roles     []access.UserRole        `json:"roles,omitempty"`
	Agreement *access.SharingAgreement `json:"agreement,omitempty"`
	OrgID     int64                    `json:"org_id,omitempty"`
	FourEyes  []string                 `json:"four_eyes,omitempty"`
	Org       *access.Organisation     `json:"org,omitempty"`
	Group     *access.CameraGroup      `json:"group,omitempty"`
	// CameraID is the camera a move_camera gives to OrgID.
	CameraID int64 `json:"camera_id,omitempty"`
}

// ChangeOf reads a request's change; false when it holds none.
func ChangeOf(ap Approval) (Change, bool) {
	var ch Change
	if err := json.Unmarshal([]byte(ap.Payload), &ch); err != nil || ch.Kind == "" {
		return Change{}, false
	}
	return ch, true
}

// Hold says when a change waits for a second person: always, or when a
// policy on any of Orgs (or above them) asks four eyes for any of
// Actions.
type Hold struct {
	Actions []string
	Orgs    []int64
	// Always, when set, is the organisation the change concerns, and the
	// change waits whatever the policies say.
	Always int64
}

// By is the organisation, and the policy's action, that holds a change;
// false when nothing does.
func (h Hold) By(snap *rights.Snapshot) (int64, string, bool) {
	for _, org := range h.Orgs {
		for _, act := range h.Actions {
			if need, by := snap.NeedsApproval(org, act); need {
				return by, act, true
			}
		}
	}
	if h.Always != 0 {
		return h.Always, rights.FourEyesRights, true
	}
	return 0, "", false
}
