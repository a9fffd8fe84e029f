package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// maxMapOutline bounds the outline read into memory per request: a town's
// boundary is tens of kilobytes; a county's in full detail is not a
// console backdrop.
const maxMapOutline = 5 << 20

// mapOutline serves the configured GeoJSON outline drawn behind the
// camera map.
func (s *API) mapOutline(w http.ResponseWriter, r *http.Request) error {
	path := s.opt.MapOutline
	if path == "" {
		return httpx.Errorf(http.StatusNotFound, "no map outline is configured (set map_outline or VIGIL_MAP_OUTLINE to a GeoJSON file)", nil)
	}
	f, err := os.Open(path)
	if err != nil {
		return httpx.Errorf(http.StatusInternalServerError, "the configured map outline cannot be read", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMapOutline+1))
	if err != nil {
		return httpx.Errorf(http.StatusInternalServerError, "the configured map outline cannot be read", err)
	}
	if len(b) > maxMapOutline {
		return httpx.Errorf(http.StatusInternalServerError, "the configured map outline is larger than 5 MiB", errors.New(path))
	}
	if !json.Valid(b) {
		return httpx.Errorf(http.StatusInternalServerError, "the configured map outline is not valid JSON", errors.New(path))
	}
	h := w.Header()
	h.Set("Content-Type", "application/geo+json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "private, no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}
