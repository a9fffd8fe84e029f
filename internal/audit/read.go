package audit

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
)

// Who may read which records, and how a listing asks for them: the one
// rule the API's listing (GET /api/v1/audit) and the console's audit page
// keep alike, since the page's links and CSV download go to the API.

// Query reads a listing's filter: user (a username), organisation and
// camera (ids), action, since and until (RFC 3339, or a form's date and
// time, taken in loc: the API's UTC, the console's display zone, as its
// form says), limit and cursor (the next_cursor of the previous page). A
// malformed value is a problem.ErrInvalid saying which.
func Query(q url.Values, loc *time.Location) (store.AuditFilter, error) {
	f := store.AuditFilter{Username: strings.TrimSpace(q.Get("user")), Action: strings.TrimSpace(q.Get("action"))}
	ids := []struct {
		name string
		dst  *int64
	}{{"organisation", &f.OrganisationID}, {"camera", &f.CameraID}, {"cursor", &f.Before}}
	for _, id := range ids {
		if v := q.Get(id.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return f, problem.Invalidf("%s=%q is not an id", id.name, v)
			}
			*id.dst = n
		}
	}
	for _, tm := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := q.Get(tm.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t, err = time.ParseInLocation("2006-01-02T15:04", v, loc)
		}
		if err != nil {
			t, err = time.ParseInLocation("2006-01-02T15:04:05", v, loc)
		}
		if err != nil {
			return f, problem.Invalidf("%s=%q is not an RFC 3339 time such as 2026-11-21T10:00:00Z", tm.name, v)
		}
		*tm.dst = t.UTC()
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return f, problem.Invalidf("limit=%q is not a positive number", v)
		}
		f.Limit = n
	}
	return f, nil
}

// Readable is what of the trail a reader may read, and the names of what
// the records are about: the organisations and cameras within the
// reader's organisation, by id, for a filter's lists and a table's names.
type Readable struct {
	// Whole: the reader's organisation is the partnership, which reads
	// the whole trail, records about cameras and organisations since
	// removed included.
	Whole         bool
	Organisations []access.Organisation
	Cameras       []cameras.Camera
	// OrgNames and CameraNames name those by id.
	OrgNames, CameraNames map[int64]string
}

// Lister is where the names come from (the store).
type Lister interface {
	ListOrganisations(ctx context.Context) ([]access.Organisation, error)
	ListCameras(ctx context.Context) ([]cameras.Camera, error)
}

// ReadableBy is what of the trail p may read, judged by snap.
func ReadableBy(ctx context.Context, l Lister, p rights.Principal, snap *rights.Snapshot) (Readable, error) {
	n := Readable{OrgNames: map[int64]string{}, CameraNames: map[int64]string{}}
	if o, ok := snap.Org(p.Org); ok && o.Parent == 0 {
		n.Whole = true
	}
	orgs, err := l.ListOrganisations(ctx)
	if err != nil {
		return n, err
	}
	for _, o := range orgs {
		if snap.Within(o.ID, p.Org) {
			n.Organisations = append(n.Organisations, o)
			n.OrgNames[o.ID] = o.Name
		}
	}
	cams, err := l.ListCameras(ctx)
	if err != nil {
		return n, err
	}
	for _, c := range cams {
		if snap.Within(c.OrganisationID, p.Org) {
			n.Cameras = append(n.Cameras, c)
			n.CameraNames[c.ID] = c.Name
		}
	}
	return n, nil
}

// Scope limits f to what can be read: the whole trail, or what users of
// the reader's organisation (and those below it) did and what anyone did
// to its cameras. An organisation or camera filter outside that is
// problem.ErrNotFound, as it is everywhere else.
func (n Readable) Scope(f *store.AuditFilter) error {
	if n.Whole {
		return nil
	}
	if f.OrganisationID != 0 {
		if _, ok := n.OrgNames[f.OrganisationID]; !ok {
			return problem.Notf("no organisation %d", f.OrganisationID)
		}
	}
	if f.CameraID != 0 {
		if _, ok := n.CameraNames[f.CameraID]; !ok {
			return problem.Notf("no camera %d", f.CameraID)
		}
	}
	f.Scoped = true
	f.Organisations, f.Cameras = f.Organisations[:0], f.Cameras[:0]
	for _, o := range n.Organisations {
		f.Organisations = append(f.Organisations, o.ID)
	}
	for _, c := range n.Cameras {
		f.Cameras = append(f.Cameras, c.ID)
	}
	return nil
}
