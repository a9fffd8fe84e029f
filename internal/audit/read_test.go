package audit

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/store"
)

// TestQuery: a listing's filter as the API and the console read it, and
// each malformed value refused as invalid, saying which.
func TestQuery(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q       string
		loc     *time.Location
		want    store.AuditFilter
		wantErr string
	}{
		{"user=+ada+&action=footage.play&camera=3&organisation=2&cursor=9&limit=5",
			time.UTC, store.AuditFilter{Username: "ada", Action: "footage.play", CameraID: 3, OrganisationID: 2, Before: 9, Limit: 5}, ""},
		{"since=2026-11-21T10:00", time.UTC, store.AuditFilter{Since: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}, ""},
		// A form's time in summer, in London: BST, an hour ahead of UTC.
		{"since=2026-07-01T10:00", london, store.AuditFilter{Since: time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)}, ""},
		{"until=2026-11-21T11:00:00%2B01:00", london, store.AuditFilter{Until: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}, ""},
		{"camera=0", time.UTC, store.AuditFilter{}, `camera="0" is not an id`},
		{"since=yesterday", time.UTC, store.AuditFilter{}, `since="yesterday" is not an RFC 3339 time such as 2026-11-21T10:00:00Z`},
		{"limit=-1", time.UTC, store.AuditFilter{}, `limit="-1" is not a positive number`},
	} {
		q, _ := url.ParseQuery(tc.q)
		got, err := Query(q, tc.loc)
		if tc.wantErr != "" {
			if !errors.Is(err, problem.ErrInvalid) || problem.Message(err, "") != tc.wantErr {
				t.Errorf("%s: got %v, want invalid %q", tc.q, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.Username != tc.want.Username || got.Action != tc.want.Action || got.CameraID != tc.want.CameraID ||
			got.OrganisationID != tc.want.OrganisationID || got.Before != tc.want.Before || got.Limit != tc.want.Limit ||
			!got.Since.Equal(tc.want.Since) || !got.Until.Equal(tc.want.Until) {
			t.Errorf("%s: got %+v, %v, want %+v", tc.q, got, err, tc.want)
		}
	}
}

// TestScope: the whole trail is left unscoped; any other reader's filter
// is limited to their organisations and cameras, and one naming another's
// is not found.
func TestScope(t *testing.T) {
	mine := Readable{Organisations: []access.Organisation{{ID: 2}}, Cameras: []cameras.Camera{{ID: 7}},
		OrgNames: map[int64]string{2: "Council A"}, CameraNames: map[int64]string{7: "Gate"}}
	for _, tc := range []struct {
		name       string
		n          Readable
		f          store.AuditFilter
		wantScoped bool
		wantErr    error
	}{
		{"whole trail", Readable{Whole: true}, store.AuditFilter{CameraID: 99}, false, nil},
		{"own", mine, store.AuditFilter{CameraID: 7}, true, nil},
		{"another's camera", mine, store.AuditFilter{CameraID: 8}, false, problem.ErrNotFound},
		{"another's organisation", mine, store.AuditFilter{OrganisationID: 3}, false, problem.ErrNotFound},
	} {
		f := tc.f
		err := tc.n.Scope(&f)
		if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) || f.Scoped != tc.wantScoped {
			t.Errorf("%s: got %v, scoped %v, want %v, scoped %v", tc.name, err, f.Scoped, tc.wantErr, tc.wantScoped)
		}
		if f.Scoped && (len(f.Organisations) != 1 || f.Organisations[0] != 2 || len(f.Cameras) != 1 || f.Cameras[0] != 7) {
			t.Errorf("%s: got organisations %v, cameras %v, want [2], [7]", tc.name, f.Organisations, f.Cameras)
		}
	}
}
