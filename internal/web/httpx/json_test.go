package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/names"
	"github.com/vigil-cctv/vigil/internal/problem"
)

// valueError is a refusal of a value of its own kind, as the store's
// InvalidError is: its text is what to say.
type valueError struct{ msg string }

func (e *valueError) Error() string        { return e.msg }
func (e *valueError) Is(target error) bool { return target == problem.ErrInvalid }

// TestRefusal: a broken rule is a 400 with its message (a value's own
// refusal with its text), a username like another a 409, the rest as
// FromProblem says.
func TestRefusal(t *testing.T) {
	own := Errorf(http.StatusTeapot, "short and stout", nil)
	for _, tc := range []struct {
		name     string
		err      error
		wantCode int
		wantMsg  string
	}{
		{"invalid", problem.Invalidf("too long"), http.StatusBadRequest, "too long"},
		{"a value's own", fmt.Errorf("saving: %w", &valueError{"a name must be 1 to 100 characters"}), http.StatusBadRequest, "a name must be 1 to 100 characters"},
		{"look-alike", &names.ConfusableError{Name: "аdmin", Existing: "admin"}, http.StatusConflict, (&names.ConfusableError{Name: "аdmin", Existing: "admin"}).Error()},
		{"not found", problem.Notf("no camera 7"), http.StatusNotFound, "no camera 7"},
		{"conflict", problem.Conflictf("taken"), http.StatusConflict, "taken"},
		{"a handler's own", own, http.StatusTeapot, "short and stout"},
		{"anything else", errors.New("disk on fire"), http.StatusInternalServerError, "internal error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var he *Error
			if !errors.As(Refusal(tc.err), &he) {
				t.Fatalf("got %v, want an *Error", Refusal(tc.err))
			}
			if he.Code != tc.wantCode || he.Msg != tc.wantMsg {
				t.Errorf("got %d %q, want %d %q", he.Code, he.Msg, tc.wantCode, tc.wantMsg)
			}
		})
	}
	if got := Refusal(nil); got != nil {
		t.Errorf("nil: got %v, want nil", got)
	}
}

// TestPathID: only a positive whole number is an id.
func TestPathID(t *testing.T) {
	for _, tc := range []struct {
		id      string
		want    int64
		wantErr string
	}{
		{"7", 7, ""},
		{"0", 0, `camera id "0" is not a positive whole number`},
		{"-3", 0, `camera id "-3" is not a positive whole number`},
		{"x", 0, `camera id "x" is not a positive whole number`},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.SetPathValue("id", tc.id)
		got, err := PathID(r, "camera")
		var he *Error
		if tc.wantErr != "" {
			if !errors.As(err, &he) || he.Code != http.StatusBadRequest || he.Msg != tc.wantErr {
				t.Errorf("%q: got %v, want 400 %q", tc.id, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %d, %v, want %d", tc.id, got, err, tc.want)
		}
	}
}

// TestDecodeJSON: one JSON value of known fields, as JSON.
func TestDecodeJSON(t *testing.T) {
	type in struct {
		Name string `json:"name"`
	}
	for _, tc := range []struct {
		name, ctype, body string
		wantCode          int
	}{
		{"good", "application/json", `{"name":"Gate"}`, 0},
		{"no type", "", `{"name":"Gate"}`, 0},
		{"another type", "text/plain", `{"name":"Gate"}`, http.StatusUnsupportedMediaType},
		{"unknown field", "application/json", `{"nome":"Gate"}`, http.StatusBadRequest},
		{"two values", "application/json", `{"name":"a"} {"name":"b"}`, http.StatusBadRequest},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		if tc.ctype != "" {
			r.Header.Set("Content-Type", tc.ctype)
		}
		var v in
		err := DecodeJSON(r, &v)
		var he *Error
		switch {
		case tc.wantCode == 0 && (err != nil || v.Name != "Gate"):
			t.Errorf("%s: got %+v, %v, want Gate", tc.name, v, err)
		case tc.wantCode != 0 && (!errors.As(err, &he) || he.Code != tc.wantCode):
			t.Errorf("%s: got %v, want %d", tc.name, err, tc.wantCode)
		}
	}
}

// TestFromTo: dates or instants, by default the 30 days to the end of
// today, from before to.
func TestFromTo(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		q                string
		wantFrom, wantTo time.Time
		bad              bool
	}{
		{"", day(10, 23), day(11, 22), false},
		{"from=2026-04-01&to=2026-05-01", day(4, 1), day(5, 1), false},
		{"from=2026-04-01T12:00:00%2B01:00&to=2026-05-01", time.Date(2026, 4, 1, 11, 0, 0, 0, time.UTC), day(5, 1), false},
		{"from=2026-05-01&to=2026-04-01", time.Time{}, time.Time{}, true},
		{"from=soon", time.Time{}, time.Time{}, true},
	} {
		r := httptest.NewRequest("GET", "/?"+tc.q, nil)
		from, to, err := FromTo(r, now)
		if (err != nil) != tc.bad || (!tc.bad && (!from.Equal(tc.wantFrom) || !to.Equal(tc.wantTo))) {
			t.Errorf("%q: got %s to %s, %v, want %s to %s (bad %v)", tc.q, from, to, err, tc.wantFrom, tc.wantTo, tc.bad)
		}
	}
}

// TestPeriods: ?period= and ?year=, the current quarter or year by
// default, a malformed one a 400.
func TestPeriods(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	get := func(q string) *http.Request { return httptest.NewRequest("GET", "/?"+q, nil) }
	if p, err := Period(get(""), now); err != nil || p.String() != "2026/27-Q3" {
		t.Errorf("Period by default: got %v, %v, want 2026/27-Q3", p, err)
	}
	if p, err := Period(get("period=2024/25"), now); err != nil || p.String() != "2024/25" {
		t.Errorf("Period 2024/25: got %v, %v, want 2024/25", p, err)
	}
	if s, err := Span(get(""), now); err != nil || s.Name != "2026/27-Q3" {
		t.Errorf("Span by default: got %v, %v, want 2026/27-Q3", s, err)
	}
	if y, err := Year(get(""), now); err != nil || y != 2026 {
		t.Errorf("Year by default: got %d, %v, want 2026", y, err)
	}
	if y, err := Year(get("year=2024/25"), now); err != nil || y != 2024 {
		t.Errorf("Year 2024/25: got %d, %v, want 2024", y, err)
	}
	for _, bad := range []func() error{
		func() error { _, err := Period(get("period=soon"), now); return err },
		func() error { _, err := Span(get("period=soon"), now); return err },
		func() error { _, err := Year(get("year=soon"), now); return err },
	} {
		var he *Error
		if err := bad(); !errors.As(err, &he) || he.Code != http.StatusBadRequest {
			t.Errorf("got %v, want a 400", err)
		}
	}
}
