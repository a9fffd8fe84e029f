package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// groupJSON is a camera group as the API shows it.
type groupJSON struct {
	ID             int64     `json:"id"`
	OrganisationID int64     `json:"organisation_id"`
	Name           string    `json:"name"`
	Cameras        []int64   `json:"cameras"`
	CreatedAt      time.Time `json:"created_at"`
}

func groupJSONOf(g access.CameraGroup) groupJSON {
	return groupJSON{ID: g.ID, OrganisationID: g.OrganisationID, Name: g.Name, Cameras: g.Cameras, CreatedAt: g.CreatedAt}
}

// groupInput is the body of POST and PUT /api/v1/camera-groups.
type groupInput struct {
	OrganisationID *int64  `json:"organisation_id"`
	Name           string  `json:"name"`
	Cameras        []int64 `json:"cameras"`
}

// checkOwnCameras refuses cameras that are not organisation org's (or its
// departments'); one the user may not see reads as missing.
func (s *API) checkOwnCameras(r *http.Request, org int64, ids []int64) error {
	return httpx.Refusal(s.accessSvc.CheckOwnCameras(r.Context(), s.accessCaller(r), org, ids))
}

func (s *API) listGroups(w http.ResponseWriter, r *http.Request) error {
	gs, err := s.st.ListCameraGroups(r.Context())
	if err != nil {
		return err
	}
	a := httpx.AccessOf(r.Context())
	out := []groupJSON{}
	for _, g := range gs {
		if a.Snap.CanOrg(a.P, rights.ManageCameras, g.OrganisationID).Allowed {
			out = append(out, groupJSONOf(g))
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *API) createGroup(w http.ResponseWriter, r *http.Request) error {
	var in groupInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	a := httpx.AccessOf(r.Context())
	g := access.CameraGroup{OrganisationID: a.User.OrganisationID, Name: in.Name, Cameras: in.Cameras}
	if in.OrganisationID != nil {
		g.OrganisationID = *in.OrganisationID
	}
	if err := s.orgFor(r, rights.ManageCameras, g.OrganisationID); err != nil {
		return err
	}
	if err := s.checkOwnCameras(r, g.OrganisationID, g.Cameras); err != nil {
		return err
	}
	g, err := s.accessSvc.CreateGroup(r.Context(), httpx.Actor(r), g)
	if err != nil {
		return httpx.Refusal(err)
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/camera-groups/%d", g.ID))
	httpx.WriteJSON(w, http.StatusCreated, groupJSONOf(g))
	return nil
}

// targetGroup returns the request's group if the user manages cameras in
// its organisation; any other is "no camera group N".
func (s *API) targetGroup(r *http.Request) (access.CameraGroup, error) {
	id, err := httpx.PathID(r, "camera group")
	if err != nil {
		return access.CameraGroup{}, err
	}
	g, err := s.st.CameraGroup(r.Context(), id)
	a := httpx.AccessOf(r.Context())
	if errors.Is(err, store.ErrNotFound) || err == nil && !a.Snap.CanOrg(a.P, rights.ManageCameras, g.OrganisationID).Allowed {
		return g, httpx.Errorf(http.StatusNotFound, fmt.Sprintf("no camera group %d", id), nil)
	}
	return g, err
}

func (s *API) getGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.targetGroup(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, groupJSONOf(g))
	return nil
}

// putGroup renames a group and replaces its cameras. A camera added to a
// group widens every role and sharing agreement that names the group, so
// adding is a change of rights.
func (s *API) putGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.targetGroup(r)
	if err != nil {
		return err
	}
	var in groupInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.OrganisationID != nil && *in.OrganisationID != g.OrganisationID {
		return httpx.BadRequest("a camera group stays with its organisation")
	}
	if err := s.checkOwnCameras(r, g.OrganisationID, in.Cameras); err != nil {
		return err
	}
	next := g
	next.Name, next.Cameras = in.Name, in.Cameras
	ch := change{Kind: kindUpdateGroup, Need: rights.ManageCameras, Orgs: []int64{g.OrganisationID}, Group: &next}
	widens := false
	for _, c := range in.Cameras {
		if !slices.Contains(g.Cameras, c) {
			widens = true
		}
	}
	if widens {
		return s.propose(w, r, ch, http.StatusOK, fmt.Sprintf("Camera group %s: cameras %v (was %v)", g.Name, in.Cameras, g.Cameras), "", g.OrganisationID)
	}
	return s.applyNow(w, r, ch, http.StatusOK)
}

func (s *API) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "camera group")
	if err != nil {
		return err
	}
	if err := s.accessSvc.DeleteGroup(r.Context(), s.accessCaller(r), id); err != nil {
		return httpx.Refusal(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
