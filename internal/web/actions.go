package web

import (
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/works"
)

// The audit actions of things this package names by a string of its own
// (a kind of token, a step of a works order; the changes of rights name
// theirs in package access). The kinds are stored (in tokens, in works
// orders), so they stay strings; each maps to its action here rather than being pasted into
// one, so that every action written is one of the registry's. A kind
// missing here gives the zero Action, which the trail refuses: the
// request fails instead of writing a record nobody can look up
// (TestActionsOfKinds checks every kind is here).

// revokeAction is the action recorded when a user ends a token of a kind.
var revokeAction = map[string]auditlog.Action{
	store.TokenAPI:     auditlog.APITokenRevoke,
	store.TokenSession: auditlog.SessionRevoke,
}

// worksStepAction is the action recorded when a works order takes a step.
var worksStepAction = map[string]auditlog.Action{
	works.Quoted:    auditlog.WorksOrderQuote,
	works.Approved:  auditlog.WorksOrderApprove,
	works.Completed: auditlog.WorksOrderComplete,
	works.Cancelled: auditlog.WorksOrderCancel,
}
