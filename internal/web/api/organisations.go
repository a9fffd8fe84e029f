package api

import (
	"context"
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

// orgJSON is an organisation as the API shows it.
type orgJSON struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	ParentID *int64 `json:"parent_id"`
	// FourEyes are the actions the organisation itself requires a
	// second person's approval for (those above it apply too).
	FourEyes  []string  `json:"four_eyes"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *API) orgJSON(ctx context.Context, o access.Organisation) orgJSON {
	out := orgJSON{ID: o.ID, Name: o.Name, Kind: o.Kind, CreatedAt: o.CreatedAt}
	if o.ParentID != 0 {
		out.ParentID = &o.ParentID
	}
	fe, err := s.st.FourEyes(ctx, o.ID)
	if err != nil {
		s.log.Error("reading four-eyes policies", "organisation", o.ID, "err", err)
	}
	out.FourEyes = fe
	if out.FourEyes == nil {
		out.FourEyes = []string{}
	}
	return out
}

// listOrganisations answers the user's organisation and those below it.
func (s *API) listOrganisations(w http.ResponseWriter, r *http.Request) error {
	orgs, err := s.st.ListOrganisations(r.Context())
	if err != nil {
		return err
	}
	a := httpx.AccessOf(r.Context())
	out := []orgJSON{}
	for _, o := range orgs {
		if a.Snap.Sees(a.P, o.ID) {
			j := orgJSON{ID: o.ID, Name: o.Name, Kind: o.Kind, CreatedAt: o.CreatedAt, FourEyes: a.Snap.FourEyes(o.ID)}
			if o.ParentID != 0 {
				j.ParentID = &o.ParentID
			}
			if j.FourEyes == nil {
				j.FourEyes = []string{}
			}
			out = append(out, j)
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// targetOrg returns the request's {id} organisation if it is the user's
// or below it; any other is "no organisation N".
func (s *API) targetOrg(r *http.Request) (access.Organisation, error) {
	id, err := httpx.PathID(r, "organisation")
	if err != nil {
		return access.Organisation{}, err
	}
	o, err := s.st.Organisation(r.Context(), id)
	a := httpx.AccessOf(r.Context())
	if errors.Is(err, store.ErrNotFound) || err == nil && !a.Snap.Sees(a.P, o.ID) {
		return o, httpx.Errorf(http.StatusNotFound, fmt.Sprintf("no organisation %d", id), nil)
	}
	return o, err
}

func (s *API) getOrganisation(w http.ResponseWriter, r *http.Request) error {
	o, err := s.targetOrg(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, s.orgJSON(r.Context(), o))
	return nil
}

// orgInput is the body of POST and PATCH /api/v1/organisations.
type orgInput struct {
	Name     *string `json:"name"`
	Kind     *string `json:"kind"`
	ParentID *int64  `json:"parent_id"`
}

// createOrganisation makes an organisation below one the user manages
// users of (their own, unless parent_id says which).
func (s *API) createOrganisation(w http.ResponseWriter, r *http.Request) error {
	var in orgInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Name == nil || in.Kind == nil {
		return httpx.BadRequest(`give the name and kind, e.g. {"name": "Shire Constabulary", "kind": "police"}`)
	}
	a := httpx.AccessOf(r.Context())
	o := access.Organisation{Name: *in.Name, Kind: *in.Kind, ParentID: a.User.OrganisationID}
	if in.ParentID != nil {
		o.ParentID = *in.ParentID
	}
	o, err := s.accessSvc.CreateOrganisation(r.Context(), s.accessCaller(r), o)
	if err != nil {
		return httpx.Refusal(err)
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/organisations/%d", o.ID))
	httpx.WriteJSON(w, http.StatusCreated, s.orgJSON(r.Context(), o))
	return nil
}

// patchOrganisation renames an organisation or changes its kind at once;
// moving it in the tree changes who sees its cameras, so that is a change
// of rights.
func (s *API) patchOrganisation(w http.ResponseWriter, r *http.Request) error {
	o, err := s.targetOrg(r)
	if err != nil {
		return err
	}
	if err := s.orgFor(r, rights.ManageUsers, o.ID); err != nil {
		return err
	}
	var in orgInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	next := o
	if in.Name != nil {
		next.Name = *in.Name
	}
	if in.Kind != nil {
		next.Kind = *in.Kind
	}
	a := httpx.AccessOf(r.Context())
	if in.ParentID != nil && *in.ParentID != o.ParentID {
		if o.ID == a.User.OrganisationID {
			return httpx.Errorf(http.StatusForbidden, "you cannot move your own organisation: someone above it must", nil)
		}
		if err := s.orgFor(r, rights.ManageUsers, *in.ParentID); err != nil {
			return err
		}
		next.ParentID = *in.ParentID
		ch := change{Kind: kindMoveOrg, Need: rights.ManageUsers, Orgs: []int64{o.ID, next.ParentID}, Org: &next}
		// Policies are inherited, so a move could shed one of the old
		// parent's, as moving a camera could its owner's: under a policy
		// for any action, of either side, the move waits.
		return s.proposeUnder(w, r, ch, http.StatusOK, fmt.Sprintf("Move %s below organisation %d", o.Name, next.ParentID), "",
			holdWhen{actions: rights.FourEyesActions, orgs: []int64{o.ID, next.ParentID}})
	}
	if next, err = s.accessSvc.UpdateOrganisation(r.Context(), s.accessCaller(r), next); err != nil {
		return httpx.Refusal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, s.orgJSON(r.Context(), next))
	return nil
}

// putFourEyes sets what an organisation requires a second person's
// approval for. Adding to it is made at once; taking anything away is a
// change of rights that waits for a second person, under the very policy
// it relaxes.
func (s *API) putFourEyes(w http.ResponseWriter, r *http.Request) error {
	o, err := s.targetOrg(r)
	if err != nil {
		return err
	}
	if err := s.orgFor(r, rights.ManageUsers, o.ID); err != nil {
		return err
	}
	var in struct {
		Actions *[]string `json:"actions"`
		Reason  string    `json:"reason"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Actions == nil {
		return httpx.BadRequest(`give the actions, e.g. {"actions": ["export", "rights"]}; they are export, delete_footage and rights`)
	}
	for _, act := range *in.Actions {
		if !slices.Contains(rights.FourEyesActions, act) {
			return httpx.BadRequest(fmt.Sprintf("%q is not a four-eyes action; they are export, delete_footage and rights", act))
		}
	}
	cur, err := s.st.FourEyes(r.Context(), o.ID)
	if err != nil {
		return err
	}
	ch := change{Kind: kindSetFourEyes, Need: rights.ManageUsers, Orgs: []int64{o.ID}, OrgID: o.ID, FourEyes: *in.Actions}
	if ch.FourEyes == nil {
		ch.FourEyes = []string{}
	}
	var relaxed []string
	for _, c := range cur {
		if !slices.Contains(ch.FourEyes, c) {
			relaxed = append(relaxed, c)
		}
	}
	relaxes := len(relaxed) > 0
	summary := fmt.Sprintf("Require four eyes in %s for %v (was %v)", o.Name, ch.FourEyes, cur)
	if !relaxes {
		return s.applyNow(w, r, ch, http.StatusOK)
	}
	// Under the policy it relaxes, not only under one for rights:
	// otherwise someone who may both set policies and export could
	// drop four eyes for exports, export alone and put it back.
	return s.proposeUnder(w, r, ch, http.StatusOK, summary, in.Reason,
		holdWhen{actions: append(relaxed, rights.FourEyesRights), orgs: []int64{o.ID}})
}
