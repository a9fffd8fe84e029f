package web

import (
	"github.com/vigil-cctv/vigil/internal/auditlog"
)

// The audit actions of things this package names by a string of its own
// (a kind of change of rights, of token, a step of a works order). The
// kinds are stored (in approval requests, in tokens), so they stay
// strings; each maps to its action here rather than being pasted into
// one, so that every action written is one of the registry's. A kind
// missing here gives the zero Action, which the trail refuses: the
// request fails instead of writing a record nobody can look up
// (TestActionsOfKinds checks every kind is here).

// changeAction is the action recorded when a change of rights is made.
var changeAction = map[string]auditlog.Action{
	kindSetRoles:      auditlog.RightsSetRoles,
	kindCreateSharing: auditlog.RightsCreateAgreement,
	kindUpdateSharing: auditlog.RightsUpdateAgreement,
	kindSetFourEyes:   auditlog.RightsSetFourEyes,
	kindMoveOrg:       auditlog.RightsMoveOrganisation,
	kindUpdateGroup:   auditlog.RightsUpdateGroup,
	kindMoveCamera:    auditlog.RightsMoveCamera,
}
