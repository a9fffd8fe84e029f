// Package rights decides who may do what to which camera: the built-in
// roles and the actions each allows, scoped by the organisation tree,
// camera groups and sharing agreements between organisations.
//
// Decisions are pure functions of a Snapshot, a read-only copy of the
// rows they need, and of the instant asked about, so the footage path
// pays a few map lookups rather than database queries. A Cache keeps the
// snapshot current. Every refusal comes with a reason fit to show the
// person refused.
package rights

import (
	"fmt"
	"slices"
	"strings"
)

// Action is one thing a right permits.
type Action string

// The actions. The first four concern footage of one camera and are the
// only ones a sharing agreement can grant; ManageCameras is also decided
// per camera; ManageUsers, ReadFinance and ReadAudit concern an
// organisation as a whole; ManageFinance concerns the partnership alone
// (Snapshot.CanManageFinance).
const (
	ViewLive      Action = "view_live"
	PlayBack      Action = "play_back"
	Export        Action = "export"
	ControlPTZ    Action = "control_ptz"
	ManageCameras Action = "manage_cameras"
	ManageUsers   Action = "manage_users"
	ReadFinance   Action = "read_finance"
	ReadAudit     Action = "read_audit"
	// ManageFinance is changing the partnership's figures: the
	// recharge's cost lines, budgets, categories and camera history,
	// the trading company's customers and invoices, and works
	// contracts, budgets and orders. They are the whole partnership's,
	// so it is held only at the partnership itself.
	ManageFinance Action = "manage_finance"
)

// Actions lists every action, in the order tables show them. A Set's bit
// for an action is its place here, so a new action goes at the end.
var Actions = []Action{ViewLive, PlayBack, Export, ControlPTZ, ManageCameras, ManageUsers, ReadFinance, ReadAudit, ManageFinance}

var actionBit = func() map[Action]Set {
	m := map[Action]Set{}
	for i, a := range Actions {
		m[a] = 1 << i
	}
	return m
}()

// verbs say what an action does, for refusals: "cannot <verb>".
var verbs = map[Action]string{
	ViewLive:      "view live video",
	PlayBack:      "play back recorded footage",
	Export:        "export footage",
	ControlPTZ:    "control pan-tilt-zoom cameras",
	ManageCameras: "manage cameras",
	ManageUsers:   "manage users",
	ReadFinance:   "read finance figures",
	ReadAudit:     "read the audit trail",
	ManageFinance: "change the partnership's figures",
}

// Verb is what the action does, as in "cannot export footage".
func (a Action) Verb() string {
	if v, ok := verbs[a]; ok {
		return v
	}
	return string(a)
}

// ParseAction returns the action named s.
func ParseAction(s string) (Action, bool) {
	a := Action(s)
	_, ok := actionBit[a]
	return a, ok
}

// Set is a set of actions.
type Set uint16

// SetOf is the set holding as.
func SetOf(as ...Action) Set {
	var s Set
	for _, a := range as {
		s |= actionBit[a]
	}
	return s
}

// Has reports whether a is in s.
func (s Set) Has(a Action) bool { return s&actionBit[a] != 0 }

// List is s's actions in the order of Actions.
func (s Set) List() []Action {
	out := []Action{}
	for _, a := range Actions {
		if s.Has(a) {
			out = append(out, a)
		}
	}
	return out
}

// Footage is the set of actions on footage: what a sharing agreement may
// grant, and what an administrator does not get.
var Footage = SetOf(ViewLive, PlayBack, Export, ControlPTZ)

// cameraActions are decided per camera; holding any of them on a camera
// makes it visible.
var cameraActions = Footage | SetOf(ManageCameras)

// Role is a built-in role.
type Role string

// The built-in roles.
const (
	Operator           Role = "operator"
	Supervisor         Role = "supervisor"
	CCTVManager        Role = "cctv_manager"
	PartnerOfficer     Role = "partner_officer"
	PoliceViewer       Role = "police_viewer"
	PoliceInvestigator Role = "police_investigator"
	Auditor            Role = "auditor"
	Administrator      Role = "administrator"
)

// RoleInfo describes a built-in role.
type RoleInfo struct {
	Role  Role
	Title string // as a person reads it: "CCTV manager"
	About string
	Can   Set
}

// Roles are the built-in roles and what each may do, in the order tables
// show them. Administrators manage people and configuration and see no
// footage unless another role of theirs allows it.
var Roles = []RoleInfo{
	{Operator, "operator", "watches live video and plays back footage in the control room, and moves PTZ cameras",
		SetOf(ViewLive, PlayBack, ControlPTZ)},
	{Supervisor, "supervisor", "an operator who may also export footage",
		SetOf(ViewLive, PlayBack, Export, ControlPTZ)},
	{CCTVManager, "CCTV manager", "runs the service: footage, cameras, camera groups and sharing agreements, figures and the audit trail",
		SetOf(ViewLive, PlayBack, Export, ControlPTZ, ManageCameras, ReadFinance, ReadAudit, ManageFinance)},
	{PartnerOfficer, "partner officer", "a partner's own officer: its recorded footage, figures and reports, no live control-room work",
		SetOf(PlayBack, Export, ReadFinance)},
	{PoliceViewer, "police viewer", "watches live and recorded footage shared with the force",
		SetOf(ViewLive, PlayBack)},
	{PoliceInvestigator, "police investigator", "a police viewer who may also export footage shared with the force",
		SetOf(ViewLive, PlayBack, Export)},
	{Auditor, "auditor", "the data protection officer: reads the audit trail, sees no footage",
		SetOf(ReadAudit)},
	{Administrator, "administrator", "manages users, organisations and cameras, sees no footage",
		SetOf(ManageCameras, ManageUsers)},
}

var roleInfo = func() map[Role]RoleInfo {
	m := map[Role]RoleInfo{}
	for _, r := range Roles {
		m[r.Role] = r
	}
	return m
}()

// ParseRole returns the role named s.
func ParseRole(s string) (Role, bool) {
	r := Role(s)
	_, ok := roleInfo[r]
	return r, ok
}

// Can is what role r may do anywhere in its scope; an unknown role may do
// nothing.
func (r Role) Can() Set { return roleInfo[r].Can }

// Title is the role's name as a person reads it.
func (r Role) Title() string {
	if i, ok := roleInfo[r]; ok {
		return i.Title
	}
	return string(r)
}

// Organisation kinds.
const (
	KindPartnership = "partnership"
	KindCouncil     = "council"
	KindDepartment  = "department"
	KindPolice      = "police"
	KindCustomer    = "customer"
	KindCameraOwner = "camera_owner"
)

// Four-eyes actions: what an organisation can require a second person's
// approval for.
const (
	FourEyesExport   = "export"         // exporting footage of its cameras
	FourEyesDeletion = "delete_footage" // deleting footage before its retention ends
	FourEyesRights   = "rights"         // changing anyone's rights: roles, sharing agreements, these policies
)

// FourEyesActions lists them.
var FourEyesActions = []string{FourEyesExport, FourEyesDeletion, FourEyesRights}

// Conditions a sharing agreement may carry.
const (
	// WhileIncidentOpen: the agreement grants nothing unless an incident
	// is open on it.
	WhileIncidentOpen = "incident_open"
)

// describeRoles names a principal's roles for a refusal: "your role
// (police viewer)", "your roles (operator, auditor)", "you have no role".
func describeRoles(gs []Grant) string {
	var names []string
	for _, g := range gs {
		t := g.Role.Title()
		if !slices.Contains(names, t) {
			names = append(names, t)
		}
	}
	switch len(names) {
	case 0:
		return "you hold no role, so you"
	case 1:
		return fmt.Sprintf("your role (%s)", names[0])
	}
	return fmt.Sprintf("your roles (%s)", strings.Join(names, ", "))
}
