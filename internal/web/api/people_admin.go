package api

import (
	"net/http"

	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The actions on someone else's account that the administration pages
// offer besides its roles: each with a reason the trail keeps, the
// decisions the identity service's.

// userWithReason reads the request's user id and the reason in its body,
// the whole of what these actions are asked with.
func userWithReason(r *http.Request) (int64, string, error) {
	id, err := httpx.PathID(r, "user")
	if err != nil {
		return 0, "", err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	err = httpx.DecodeJSON(r, &in)
	return id, in.Reason, err
}

// resetPassword gives a user a new generated password, answered this
// once; they change it at their next sign-in.
func (s *API) resetPassword(w http.ResponseWriter, r *http.Request) error {
	id, reason, err := userWithReason(r)
	if err != nil {
		return err
	}
	pass, err := s.id.ResetPassword(r.Context(), httpx.IdentityCaller(r), id, reason)
	if err != nil {
		return httpx.Refusal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"password": pass, "must_change_password": true})
	return nil
}

// unlockUser forgets a user's failed sign-ins.
func (s *API) unlockUser(w http.ResponseWriter, r *http.Request) error {
	id, reason, err := userWithReason(r)
	if err != nil {
		return err
	}
	was, err := s.id.Unlock(r.Context(), httpx.IdentityCaller(r), id, reason)
	if err != nil {
		return httpx.Refusal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]bool{"was_locked": was})
	return nil
}

// revokeSecondFactor removes a user's second factor; they enrol again.
func (s *API) revokeSecondFactor(w http.ResponseWriter, r *http.Request) error {
	id, reason, err := userWithReason(r)
	if err != nil {
		return err
	}
	if err := s.id.RevokeSecondFactor(r.Context(), httpx.IdentityCaller(r), id, reason); err != nil {
		return httpx.Refusal(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
