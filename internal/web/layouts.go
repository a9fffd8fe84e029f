package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
)

// layoutJSON is a saved video wall layout as the API shows it. Tiles run
// row by row, grid*grid of them, each a camera id or null.
type layoutJSON struct {
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
func (s *Server) liveCameraIDs(ctx context.Context) (map[int64]bool, error) {
	a := accessFrom(ctx)
	cams, err := s.st.ListCameras(ctx)
	if err != nil {
		return nil, err
	}
	ids := make(map[int64]bool, len(cams))
	now := s.now()
	for _, c := range cams {
		if a.snap.On(a.p, rightsCamera(c), now).Has(rights.ViewLive) {
			ids[c.ID] = true
		}
	}
	return ids, nil
}

// layoutToJSON shows a tile whose camera has since been deleted, or may no
// longer be viewed live by the user, as empty, so that what a client reads
// it can save back unchanged.
func layoutToJSON(l store.Layout, live map[int64]bool) layoutJSON {
	tiles := make([]*int64, len(l.Tiles))
	for i, id := range l.Tiles {
		if id != nil && live[*id] {
			tiles[i] = id
		}
	}
	return layoutJSON{Name: l.Name, Grid: l.Grid, Tiles: tiles, UpdatedAt: l.UpdatedAt}
}

// listLayouts answers the signed-in user's own layouts, never anyone
// else's, a page at a time: limit (default and at most
// store.MaxLayoutPage) and after (the last name of the page before). The
// body stays a bare array, as before paging; a Link header with
// rel="next" names the next page when there is one.
func (s *Server) listLayouts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := store.DefaultLayoutPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > store.MaxLayoutPage {
			return badRequest(fmt.Sprintf("limit=%q is not a number from 1 to %d", v, store.MaxLayoutPage))
		}
		limit = n
	}
	ls, more, err := s.st.LayoutPage(r.Context(), userFrom(r.Context()).ID, q.Get("after"), limit)
	if err != nil {
		return err
	}
	if more {
		next := url.Values{"after": {ls[len(ls)-1].Name}, "limit": {strconv.Itoa(limit)}}
		w.Header().Set("Link", `</api/v1/layouts?`+next.Encode()+`>; rel="next"`)
	}
	live, err := s.liveCameraIDs(r.Context())
	if err != nil {
		return err
	}
	out := make([]layoutJSON, 0, len(ls))
	for _, l := range ls {
		out = append(out, layoutToJSON(l, live))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getLayout(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	l, err := s.st.Layout(r.Context(), userFrom(r.Context()).ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, fmt.Sprintf("you have no layout named %q", name), nil)
	}
	if err != nil {
		return err
	}
	live, err := s.liveCameraIDs(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, layoutToJSON(l, live))
	return nil
}

// putLayout saves the user's layout of that name, replacing any earlier
// one.
func (s *Server) putLayout(w http.ResponseWriter, r *http.Request) error {
	var in layoutInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Tiles == nil {
		return badRequest(`tiles is required: an array of grid*grid camera ids or nulls, e.g. {"grid": 2, "tiles": [1, 2, null, 4]}`)
	}
	l := store.Layout{UserID: userFrom(r.Context()).ID, Name: r.PathValue("name"), Grid: in.Grid, Tiles: in.Tiles}
	if err := l.Validate(); err != nil {
		return badRequest(err.Error())
	}
	live, err := s.liveCameraIDs(r.Context())
	if err != nil {
		return err
	}
	for i, id := range l.Tiles {
		if id != nil && !live[*id] {
			return badRequest(fmt.Sprintf("tile %d: there is no camera %d you may view live", i+1, *id))
		}
	}
	err = s.st.SaveLayout(r.Context(), &l)
	if errors.Is(err, store.ErrTooManyLayouts) {
		return errorf(http.StatusConflict, fmt.Sprintf("you have %d saved layouts, the most one person may keep: delete one, or save over one of the same name", store.MaxLayoutsPerUser), err)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, layoutToJSON(l, live))
	return nil
}

func (s *Server) deleteLayout(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	err := s.st.DeleteLayout(r.Context(), userFrom(r.Context()).ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, fmt.Sprintf("you have no layout named %q", name), nil)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
