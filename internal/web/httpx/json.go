package httpx

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// WriteJSON sends v as JSON with its status.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// maxBody bounds a JSON body read into memory: no request of the API's
// needs more.
const maxBody = 64 << 10

// DecodeJSON reads the request's body, one JSON value with no field v
// does not know, into v; a body of another type is a 415, a malformed
// one a 400.
func DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return Errorf(http.StatusUnsupportedMediaType, "send the body as application/json", nil)
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return BadRequest("the body is not valid JSON for this request: " + err.Error())
	}
	if dec.More() {
		return BadRequest("the body holds more than one JSON value")
	}
	return nil
}

// DecodeOptionalJSON is DecodeJSON for a body that may be left out.
func DecodeOptionalJSON(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	if r.ContentLength < 0 {
		// Chunked: peek for an empty body.
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			return BadRequest("the body could not be read")
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			return nil
		}
		r.Body = io.NopCloser(strings.NewReader(string(b)))
	}
	return DecodeJSON(r, v)
}

// PathID is the request's {id}, the id of a what ("camera", "user"):
// anything but a positive whole number is a 400.
func PathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, BadRequest(fmt.Sprintf("%s id %q is not a positive whole number", what, r.PathValue("id")))
	}
	return id, nil
}
