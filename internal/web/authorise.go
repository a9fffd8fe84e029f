package web

import (
	"context"
	"net/http"

	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// Every signed-in request is authorised in two steps. The route table says
// what a route needs (need) or that any signed-in user may call it
// (anyone); authorise refuses, before the handler runs, a user none of
// whose roles holds the right at all, which reveals nothing about the
// camera or organisation asked for. The handler then decides for the
// thing asked about: a camera (or user, or organisation) outside
// everything the user may see is a 404, exactly as if it did not exist;
// one they may see but not act on so is a 403 saying why.

// principal loads the signed-in user's principal.
func (s *Server) principal(ctx context.Context, u identity.User) (*httpx.Access, error) {
	snap, err := s.rights.Snapshot(ctx)
	if err != nil {
		return nil, httpx.Errorf(http.StatusServiceUnavailable, "the rights of users cannot be read, so nothing is shown", err)
	}
	if !snap.Known(u.ID) {
		// Made since the snapshot, perhaps by another process.
		if snap, err = s.rights.Reload(ctx); err != nil {
			return nil, httpx.Errorf(http.StatusServiceUnavailable, "the rights of users cannot be read, so nothing is shown", err)
		}
	}
	return &httpx.Access{User: u, P: snap.Principal(u.ID, u.OrganisationID), Snap: snap}, nil
}

// authorise wraps a signed-in route: it works out who is asking and
// refuses a route whose right none of their roles holds. A console page
// answers such a user with a page saying what it needs and who can grant
// it (console.Refused), not a redirect: home, for one who may view live
// video, is the wall, which starts live views.
func (s *Server) authorise(rt route, h httpx.HandlerFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.principal(r.Context(), httpx.User(r.Context()))
		if err != nil {
			return err
		}
		if rt.need != "" && !a.P.Holds().Has(rt.need) {
			if rt.page {
				return s.console.Refused(w, r, a, rt.need)
			}
			return httpx.Errorf(http.StatusForbidden, rights.Refusal(a.P, rt.need), nil)
		}
		return h(w, r.WithContext(httpx.WithAccess(r.Context(), a)))
	}
}
