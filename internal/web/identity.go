package web

import (
	"time"

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
