package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
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

// signedIn is a request's principal and the snapshot it is judged by.
type signedIn struct {
	user identity.User
	p    rights.Principal
	snap *rights.Snapshot
}

// accessFrom is the request's signedIn, which authorise put in its
// context through httpx (as the console's pages read it).
func accessFrom(ctx context.Context) *signedIn {
	a := httpx.AccessOf(ctx)
	if a == nil {
		return nil
	}
	return &signedIn{user: a.User, p: a.P, snap: a.Snap}
}

// principal loads the signed-in user's principal.
func (s *Server) principal(ctx context.Context, u identity.User) (*signedIn, error) {
	snap, err := s.rights.Snapshot(ctx)
	if err != nil {
		return nil, errorf(http.StatusServiceUnavailable, "the rights of users cannot be read, so nothing is shown", err)
	}
	if !snap.Known(u.ID) {
		// Made since the snapshot, perhaps by another process.
		if snap, err = s.rights.Reload(ctx); err != nil {
			return nil, errorf(http.StatusServiceUnavailable, "the rights of users cannot be read, so nothing is shown", err)
		}
	}
	return &signedIn{user: u, p: snap.Principal(u.ID, u.OrganisationID), snap: snap}, nil
}

// authorise wraps a signed-in route: it works out who is asking and
// refuses a route whose right none of their roles holds. A console page
// sends such a user to their home page instead.
func (s *Server) authorise(rt route, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.principal(r.Context(), userFrom(r.Context()))
		if err != nil {
			return err
		}
		if rt.need != "" && !a.p.Holds().Has(rt.need) {
			if rt.page {
				http.Redirect(w, r, "/", http.StatusSeeOther)
				return nil
			}
			return errorf(http.StatusForbidden, rights.Refusal(a.p, rt.need), nil)
		}
		return h(w, r.WithContext(httpx.WithAccess(r.Context(), &httpx.Access{User: a.user, P: a.p, Snap: a.snap})))
	}
}

// decide turns a decision into the handler's answer: nil, a 404 that
// reveals nothing, or a 403 with the reason.
func decide(d rights.Decision, notFound string) error {
	switch {
	case d.Allowed:
		return nil
	case d.Hidden:
		return errorf(http.StatusNotFound, notFound, nil)
	}
	return errorf(http.StatusForbidden, d.Reason, nil)
}

func rightsCamera(c cameras.Camera) rights.Camera {
	return rights.Camera{ID: c.ID, Org: c.OrganisationID}
}

// cameraFor returns the camera of the request's {id} if the user may do
// act to it now: a camera they may not see at all is "no camera N".
func (s *Server) cameraFor(r *http.Request, act rights.Action) (cameras.Camera, error) {
	id, err := cameraID(r)
	if err != nil {
		return cameras.Camera{}, err
	}
	c, err := s.cams.Get(r.Context(), cameraCaller(r), id, act)
	return c, fromProblem(err)
}

// orgFor decides act within organisation id for the request's user.
func (s *Server) orgFor(r *http.Request, act rights.Action, id int64) error {
	a := accessFrom(r.Context())
	return decide(a.snap.CanOrg(a.p, act, id), fmt.Sprintf("no organisation %d", id))
}

// storeError maps the store's refusals of a person's values to a 400 and
// its conflicts to a 409, with what to say (a username too like another
// says which).
func storeError(err error, conflict string) error {
	var ie *store.InvalidError
	var ce *names.ConfusableError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
		return badRequest(ie.Msg)
	case errors.As(err, &ce):
		return errorf(http.StatusConflict, ce.Error(), err)
	case errors.Is(err, store.ErrConflict):
		return errorf(http.StatusConflict, conflict, err)
	}
	return err
}

// changed is called after every change of what rights rest on.
func (s *Server) changed() { s.rights.Invalidate() }
