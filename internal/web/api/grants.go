package api

import (
	"context"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// Which grants wait for a second person whatever the policies say, and
// who may decide a request, are the approvals service's decisions
// (approvals.Service.RolesHold, Independent), with identity's rule of
// who made whom.

// rolesHold is when giving account u the roles (in place of old) waits,
// and the summary the approver reads, as the approvals service decides.
func (s *API) rolesHold(ctx context.Context, a *httpx.Access, u identity.User, old, roles []access.UserRole, summary string) (holdWhen, string, error) {
	h, summary, err := s.approvalSvc.RolesHold(ctx, approvals.Grant{
		By:   approvals.Account{ID: a.User.ID, Username: a.User.Username, OrganisationID: a.User.OrganisationID},
		User: approvals.Account{ID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID},
		Old:  old, Roles: roles,
	}, summary)
	return holdWhen{actions: h.Actions, orgs: h.Orgs, always: h.Always}, summary, err
}
