package web

import (
	"net/http"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/identity"
)

// newIdentity builds the service of users, sessions and tokens.
func (s *Server) newIdentity() {
	s.id = identity.New(s.st, changerFor[identity.Repo](s.opt.Changes, s.st), identity.Options{
		Account: s.opt.SignIn.Account, Address: s.opt.SignIn.Address,
		SessionLifetime: s.opt.SignIn.SessionLifetime, SessionIdle: s.opt.SignIn.SessionIdle, TokenMaxLifetime: s.opt.SignIn.TokenMaxLifetime,
		Secrets: s.opt.Secrets, Now: func() time.Time { return s.now() }, Logger: s.log.With("component", "identity"),
	})
}

// userActor is u acting through request r, as the trail names them.
func userActor(u identity.User, r *http.Request) auditlog.Actor {
	return auditlog.Actor{UserID: u.ID, Username: u.Username, OrganisationID: u.OrganisationID, RemoteAddr: r.RemoteAddr}
}

// signedInActor is the signed-in user of r.
func signedInActor(r *http.Request) auditlog.Actor { return userActor(userFrom(r.Context()), r) }

// callerOf is the signed-in user of r with their rights, for the
// identity service to decide on the user asked about.
func callerOf(r *http.Request) identity.Caller {
	a := accessFrom(r.Context())
	return identity.Caller{Actor: userActor(a.user, r), P: a.p, Snap: a.snap}
}
