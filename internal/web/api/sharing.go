package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// agreementJSON is a sharing agreement as the API shows it.
type agreementJSON struct {
	ID        int64    `json:"id"`
	GrantorID int64    `json:"grantor_id"`
	Grantor   string   `json:"grantor"`
	GranteeID int64    `json:"grantee_id"`
	Grantee   string   `json:"grantee"`
	Reference string   `json:"reference"`
	Rights    []string `json:"rights"`
	// AllCameras: every camera of the grantor (and its departments);
	// otherwise Cameras and the cameras of Groups.
	AllCameras        bool       `json:"all_cameras"`
	Cameras           []int64    `json:"cameras"`
	Groups            []int64    `json:"groups"`
	StartsAt          time.Time  `json:"starts_at"`
	EndsAt            *time.Time `json:"ends_at"`
	Condition         string     `json:"condition"`
	IncidentOpen      bool       `json:"incident_open"`
	IncidentOpenAt    *time.Time `json:"incident_open_at"`
	IncidentReference string     `json:"incident_reference"`
	// Active: the agreement grants its rights now.
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (s *API) agreementJSON(ctx context.Context, a access.SharingAgreement) (agreementJSON, error) {
	name := func(id int64) string {
		o, err := s.st.Organisation(ctx, id)
		if err != nil {
			return ""
		}
		return o.Name
	}
	ar := a.RightsAgreement()
	return agreementJSON{
		ID: a.ID, GrantorID: a.GrantorID, Grantor: name(a.GrantorID), GranteeID: a.GranteeID, Grantee: name(a.GranteeID),
		Reference: a.Reference, Rights: a.Rights, AllCameras: a.AllCameras, Cameras: a.Cameras, Groups: a.Groups,
		StartsAt: a.StartsAt, EndsAt: a.EndsAt, Condition: a.Condition, IncidentOpen: a.IncidentOpenAt != nil,
		IncidentOpenAt: a.IncidentOpenAt, IncidentReference: a.IncidentReference, Active: ar.Active(s.now()),
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}, nil
}

func (s *API) listAgreements(w http.ResponseWriter, r *http.Request) error {
	list, err := s.st.ListSharingAgreements(r.Context())
	if err != nil {
		return err
	}
	c := s.accessCaller(r)
	out := []agreementJSON{}
	for _, ag := range list {
		if m, g := c.Sides(ag); !m && !g {
			continue
		}
		j, err := s.agreementJSON(r.Context(), ag)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// targetAgreement returns the request's agreement if the user stands on
// either side of it, and whether they manage it; otherwise "no sharing
// agreement N" (access.Service.Agreement decides).
func (s *API) targetAgreement(r *http.Request) (access.SharingAgreement, bool, error) {
	id, err := httpx.PathID(r, "sharing agreement")
	if err != nil {
		return access.SharingAgreement{}, false, err
	}
	ag, m, err := s.accessSvc.Agreement(r.Context(), s.accessCaller(r), id)
	return ag, m, httpx.Refusal(err)
}

func (s *API) getAgreement(w http.ResponseWriter, r *http.Request) error {
	ag, _, err := s.targetAgreement(r)
	if err != nil {
		return err
	}
	out, err := s.agreementJSON(r.Context(), ag)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// nullableTime is an RFC 3339 time that may be null, remembering whether
// the field was given at all.
type nullableTime struct {
	Set bool
	V   *time.Time
}

// UnmarshalJSON implements json.Unmarshaler; it is called for null too.
func (n *nullableTime) UnmarshalJSON(b []byte) error {
	n.Set, n.V = true, nil
	if string(b) == "null" {
		return nil
	}
	var t time.Time
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	t = t.UTC()
	n.V = &t
	return nil
}

// agreementInput is the body of POST and PATCH
// /api/v1/sharing-agreements; in a PATCH, absent fields keep their values.
type agreementInput struct {
	GrantorID  *int64       `json:"grantor_id"`
	GranteeID  *int64       `json:"grantee_id"`
	Reference  *string      `json:"reference"`
	Rights     *[]string    `json:"rights"`
	AllCameras *bool        `json:"all_cameras"`
	Cameras    *[]int64     `json:"cameras"`
	Groups     *[]int64     `json:"groups"`
	StartsAt   *time.Time   `json:"starts_at"`
	EndsAt     nullableTime `json:"ends_at"`
	Condition  *string      `json:"condition"`
	Reason     string       `json:"reason"`
}

func (in agreementInput) merge(a *access.SharingAgreement) {
	if in.GrantorID != nil {
		a.GrantorID = *in.GrantorID
	}
	if in.GranteeID != nil {
		a.GranteeID = *in.GranteeID
	}
	if in.Reference != nil {
		a.Reference = *in.Reference
	}
	if in.Rights != nil {
		a.Rights = *in.Rights
	}
	if in.AllCameras != nil {
		a.AllCameras = *in.AllCameras
	}
	if in.Cameras != nil {
		a.Cameras = *in.Cameras
	}
	if in.Groups != nil {
		a.Groups = *in.Groups
	}
	if in.StartsAt != nil {
		a.StartsAt = in.StartsAt.UTC()
	}
	if in.EndsAt.Set {
		a.EndsAt = in.EndsAt.V
	}
	if in.Condition != nil {
		a.Condition = *in.Condition
	}
}

// createAgreement shares some of an organisation's cameras with another:
// a change of rights, under the grantor's four-eyes policy.
func (s *API) createAgreement(w http.ResponseWriter, r *http.Request) error {
	var in agreementInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	a := httpx.AccessOf(r.Context())
	ag := access.SharingAgreement{GrantorID: a.User.OrganisationID, StartsAt: s.now().UTC(), CreatedBy: a.User.ID}
	if in.GrantorID != nil {
		ag.GrantorID = *in.GrantorID
	}
	if in.GranteeID == nil {
		return httpx.BadRequest("give grantee_id, the organisation the cameras are shared with")
	}
	ag.GranteeID = *in.GranteeID
	in.merge(&ag)
	// Who shares, with whom and what: access decides.
	grantee, err := s.accessSvc.CheckNewAgreement(r.Context(), s.accessCaller(r), &ag)
	if err != nil {
		return httpx.Refusal(err)
	}
	if utf8.RuneCountInString(in.Reason) > maxReason {
		return httpx.BadRequest(fmt.Sprintf("the reason must be at most %d characters", maxReason))
	}
	ch := change{Kind: kindCreateSharing, Need: rights.ManageCameras, Orgs: []int64{ag.GrantorID}, Agreement: &ag}
	return s.propose(w, r, ch, http.StatusCreated, fmt.Sprintf("Share cameras with %s (%s): %s", grantee.Name, ag.Reference, strings.Join(ag.Rights, ", ")),
		in.Reason, ag.GrantorID)
}

// patchAgreement changes an agreement. Ending it sooner (ends_at no later
// than it was) is made at once, so access can always be withdrawn fast;
// anything else is a change of rights.
func (s *API) patchAgreement(w http.ResponseWriter, r *http.Request) error {
	ag, _, err := s.targetAgreement(r)
	if err != nil {
		return err
	}
	if err := s.accessCaller(r).MayChangeAgreement(ag); err != nil {
		return httpx.Refusal(err)
	}
	var in agreementInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	next := ag
	in.merge(&next)
	// Its organisations stay, and what is shared is the grantor's:
	// access decides.
	if err := s.accessSvc.CheckAgreementChange(r.Context(), s.accessCaller(r), ag, &next); err != nil {
		return httpx.Refusal(err)
	}
	ch := change{Kind: kindUpdateSharing, Need: rights.ManageCameras, Orgs: []int64{ag.GrantorID}, Agreement: &next}
	onlyEnds := in.Reference == nil && in.Rights == nil && in.AllCameras == nil && in.Cameras == nil && in.Groups == nil &&
		in.StartsAt == nil && in.Condition == nil && in.EndsAt.Set
	sooner := next.EndsAt != nil && (ag.EndsAt == nil || !next.EndsAt.After(*ag.EndsAt))
	if onlyEnds && sooner {
		ended, err := s.accessSvc.EndAgreementSooner(r.Context(), httpx.Actor(r), next)
		if err != nil {
			return httpx.Refusal(err)
		}
		out, err := s.agreementJSON(r.Context(), ended)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, out)
		return nil
	}
	return s.propose(w, r, ch, http.StatusOK, fmt.Sprintf("Change sharing agreement %d (%s)", ag.ID, ag.Reference), in.Reason, ag.GrantorID)
}

// agreementIncident opens or closes the incident an agreement with the
// condition incident_open waits for: the sharing side's control room
// (anyone there who may view live video) says when there is one.
func (s *API) agreementIncident(w http.ResponseWriter, r *http.Request) error {
	ag, _, err := s.targetAgreement(r)
	if err != nil {
		return err
	}
	if err := s.accessCaller(r).MaySetIncident(ag); err != nil {
		return httpx.Refusal(err)
	}
	var in struct {
		Open      *bool  `json:"open"`
		Reference string `json:"reference"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Open == nil {
		return httpx.BadRequest(`say whether the incident is open, e.g. {"open": true, "reference": "INC-2026-0142"}`)
	}
	// On which agreement, and with what, is the service's to decide.
	ag, err = s.accessSvc.SetIncident(r.Context(), s.accessCaller(r), ag, *in.Open, in.Reference)
	if err != nil {
		return httpx.Refusal(err)
	}
	out, err := s.agreementJSON(r.Context(), ag)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
