package api

import (
	"net/http"

	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The actions on someone else's account that the administration pages
// offer besides its roles: each with a reason the trail keeps, the
// decisions the identity service's.

// reasonInput is the body of an action that needs only a reason.
type reasonInput struct {
	Reason string `json:"reason"`
}

// resetPassword gives a user a new generated password, answered this
// once; they change it at their next sign-in.
func (s *API) resetPassword(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "user")
	if err != nil {
		return err
	}
	var in reasonInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	pass, err := s.id.ResetPassword(r.Context(), httpx.IdentityCaller(r), id, in.Reason)
	if err != nil {
		return httpx.Refusal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"password": pass, "must_change_password": true})
	return nil
}

// unlockUser forgets a user's failed sign-ins.
func (s *API) unlockUser(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "user")
	if err != nil {
		return err
	}
	var in reasonInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	was, err := s.id.Unlock(r.Context(), httpx.IdentityCaller(r), id, in.Reason)
	if err != nil {
		return httpx.Refusal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]bool{"was_locked": was})
	return nil
}

// revokeSecondFactor removes a user's second factor; they enrol again.
func (s *API) revokeSecondFactor(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "user")
	if err != nil {
		return err
	}
	var in reasonInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.id.RevokeSecondFactor(r.Context(), httpx.IdentityCaller(r), id, in.Reason); err != nil {
		return httpx.Refusal(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
