package api

import (
	"net/http"

	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// putCustomerAddress records where a customer's invoices are sent, from
// the next one issued: {"address": "Unit 4, Harbour Quay\nLeavale"}. The
// trading service decides who may (manage_finance at the partnership)
// and for which customer.
func (s *API) putCustomerAddress(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "customer")
	if err != nil {
		return err
	}
	var in struct {
		Address *string `json:"address"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Address == nil {
		return httpx.BadRequest("give the address")
	}
	c, err := s.tradingSvc.SetCustomerAddress(r.Context(), tradingCaller(r), id, *in.Address)
	if err != nil {
		return httpx.Refusal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		ID      int64  `json:"id"`
		Name    string `json:"name"`
		Address string `json:"address"`
	}{c.ID, c.Name, c.Address})
	return nil
}
