package httpx

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/period"
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

// FromTo reads ?from=&to= as dates (YYYY-MM-DD, UTC midnight) or RFC
// 3339 instants, [from, to); by default the 30 days to the end of today.
// The maintenance API and the console's maintenance page read it alike.
func FromTo(r *http.Request, now time.Time) (time.Time, time.Time, error) {
	parse := func(name string, def time.Time) (time.Time, error) {
		v := r.URL.Query().Get(name)
		if v == "" {
			return def, nil
		}
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return t, BadRequest(fmt.Sprintf("%s %q is not a date (2026-04-01) or an instant (RFC 3339)", name, v))
		}
		return t.UTC(), nil
	}
	end := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	to, err := parse("to", end)
	if err != nil {
		return to, to, err
	}
	from, err := parse("from", to.AddDate(0, 0, -30))
	if err != nil {
		return from, to, err
	}
	if !from.Before(to) {
		return from, to, BadRequest("from must be before to")
	}
	return from, to, nil
}

// Period reads ?period= as a financial year or one of its quarters
// (2025/26, 2025/26-Q3), the current quarter if none.
func Period(r *http.Request, now time.Time) (period.Period, error) {
	v := r.URL.Query().Get("period")
	if v == "" {
		return period.Of(now), nil
	}
	p, err := period.Parse(v)
	if err != nil {
		return p, BadRequest(err.Error())
	}
	return p, nil
}

// Span reads ?period= as any span period.ParseSpan knows, the current
// financial quarter if none.
func Span(r *http.Request, now time.Time) (period.Span, error) {
	v := r.URL.Query().Get("period")
	if v == "" {
		return period.Of(now).Span(), nil
	}
	p, err := period.ParseSpan(v)
	if err != nil {
		return p, BadRequest(err.Error())
	}
	return p, nil
}

// Year reads ?year= (2025/26) as the year it starts in, the current
// financial year if none.
func Year(r *http.Request, now time.Time) (int, error) {
	if v := r.URL.Query().Get("year"); v != "" {
		y, err := period.ParseYear(v)
		if err != nil {
			return 0, BadRequest(err.Error())
		}
		return y, nil
	}
	return period.YearOf(now), nil
}
