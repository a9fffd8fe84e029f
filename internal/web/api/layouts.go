package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// LayoutJSON is a saved video wall layout as the API shows it. Tiles run
// row by row, grid*grid of them, each a camera id or null.
type LayoutJSON struct {
	Name      string    `json:"name"`
	Grid      int       `json:"grid"`
	Tiles     []*int64  `json:"tiles"`
	UpdatedAt time.Time `json:"updated_at"`
}

// layoutInput is the body of PUT /api/v1/layouts/{name}.
type layoutInput struct {
	Grid  int      `json:"grid"`
	Tiles []*int64 `json:"tiles"`
}

// liveCameraIDs is the set of cameras a tile of the request's user may
// show: those they may view live now.
func (s *API) liveCameraIDs(ctx context.Context) (map[int64]bool, error) {
	a := httpx.AccessOf(ctx)
	cams, err := s.cams.List(ctx)
	if err != nil {
		return nil, err
	}
	ids := make(map[int64]bool, len(cams))
	now := s.now()
	for _, c := range cams {
		if a.Snap.On(a.P, rightsCamera(c), now).Has(rights.ViewLive) {
			ids[c.ID] = true
		}
	}
	return ids, nil
}

// layoutToJSON shows a tile whose camera has since been deleted, or may no
// longer be viewed live by the user, as empty, so that what a client reads
// it can save back unchanged.
func layoutToJSON(l cameras.Layout, live map[int64]bool) LayoutJSON {
	tiles := make([]*int64, len(l.Tiles))
	for i, id := range l.Tiles {
		if id != nil && live[*id] {
			tiles[i] = id
		}
	}
	return LayoutJSON{Name: l.Name, Grid: l.Grid, Tiles: tiles, UpdatedAt: l.UpdatedAt}
}

// listLayouts answers the signed-in user's own layouts, never anyone
// else's, a page at a time: limit (default and at most
// cameras.MaxLayoutPage) and after (the last name of the page before). The
// body stays a bare array, as before paging; a Link header with
// rel="next" names the next page when there is one.
func (s *API) listLayouts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := cameras.DefaultLayoutPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > cameras.MaxLayoutPage {
			return httpx.BadRequest(fmt.Sprintf("limit=%q is not a number from 1 to %d", v, cameras.MaxLayoutPage))
		}
		limit = n
	}
	ls, more, err := s.layouts.Page(r.Context(), httpx.User(r.Context()).ID, q.Get("after"), limit)
	if err != nil {
		return httpx.FromProblem(err)
	}
	if more {
		next := url.Values{"after": {ls[len(ls)-1].Name}, "limit": {strconv.Itoa(limit)}}
		w.Header().Set("Link", `</api/v1/layouts?`+next.Encode()+`>; rel="next"`)
	}
	live, err := s.liveCameraIDs(r.Context())
	if err != nil {
		return err
	}
	out := make([]LayoutJSON, 0, len(ls))
	for _, l := range ls {
		out = append(out, layoutToJSON(l, live))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *API) getLayout(w http.ResponseWriter, r *http.Request) error {
	l, err := s.layouts.Get(r.Context(), httpx.User(r.Context()).ID, r.PathValue("name"))
	if err != nil {
		return httpx.FromProblem(err)
	}
	live, err := s.liveCameraIDs(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, layoutToJSON(l, live))
	return nil
}

// putLayout saves the user's layout of that name, replacing any earlier
// one. Its cameras must be ones the user may view live now.
func (s *API) putLayout(w http.ResponseWriter, r *http.Request) error {
	var in layoutInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	live, err := s.liveCameraIDs(r.Context())
	if err != nil {
		return err
	}
	l, err := s.layouts.Save(r.Context(), httpx.User(r.Context()).ID, r.PathValue("name"), in.Grid, in.Tiles, func(id int64) bool { return live[id] })
	if errors.Is(err, problem.ErrInvalid) {
		// Refused values have always been a 400 here.
		return httpx.Errorf(http.StatusBadRequest, problem.Message(err, err.Error()), nil)
	}
	if err != nil {
		return httpx.FromProblem(err)
	}
	httpx.WriteJSON(w, http.StatusOK, layoutToJSON(l, live))
	return nil
}

func (s *API) deleteLayout(w http.ResponseWriter, r *http.Request) error {
	if err := s.layouts.Delete(r.Context(), httpx.User(r.Context()).ID, r.PathValue("name")); err != nil {
		return httpx.FromProblem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
