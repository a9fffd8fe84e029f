package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// decide turns a decision into the handler's answer: nil, a 404 that
// reveals nothing, or a 403 with the reason.
func decide(d rights.Decision, notFound string) error {
	switch {
	case d.Allowed:
		return nil
	case d.Hidden:
		return httpx.Errorf(http.StatusNotFound, notFound, nil)
	}
	return httpx.Errorf(http.StatusForbidden, d.Reason, nil)
}

func rightsCamera(c cameras.Camera) rights.Camera {
	return rights.Camera{ID: c.ID, Org: c.OrganisationID}
}

// cameraFor returns the camera of the request's {id} if the user may do
// act to it now: a camera they may not see at all is "no camera N".
func (s *API) cameraFor(r *http.Request, act rights.Action) (cameras.Camera, error) {
	id, err := cameraID(r)
	if err != nil {
		return cameras.Camera{}, err
	}
	c, err := s.cams.Get(r.Context(), cameraCaller(r), id, act)
	return c, httpx.FromProblem(err)
}

// orgFor decides act within organisation id for the request's user.
func (s *API) orgFor(r *http.Request, act rights.Action, id int64) error {
	a := httpx.AccessOf(r.Context())
	return decide(a.Snap.CanOrg(a.P, act, id), fmt.Sprintf("no organisation %d", id))
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
		return httpx.BadRequest(ie.Msg)
	case errors.As(err, &ce):
		return httpx.Errorf(http.StatusConflict, ce.Error(), err)
	case errors.Is(err, store.ErrConflict):
		return httpx.Errorf(http.StatusConflict, conflict, err)
	}
	return err
}

// changed is called after every change of what rights rest on.
func (s *API) changed() { s.rights.Invalidate() }
