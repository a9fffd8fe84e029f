package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/localtime"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The audit page: the console's view of the trail. Its filter and scope
// are the API's listing's (web/audit.go, auditQuery and auditScope), kept
// here in a copy until the API moves to a package of its own and the two
// can share one: the page's links and its CSV download go to the API, so
// the two must read the same query and show the same records.

// auditScope limits f to what the reader may see: a reader whose
// organisation is the partnership sees the whole trail; any other sees
// what users of their organisation (and those below it) did, and what
// anyone did to their cameras. An organisation or camera filter outside
// that is a 404, as it is everywhere else.
func auditScope(r *http.Request, f *store.AuditFilter, n auditNames) error {
	a := accessOf(r)
	if o, ok := a.Snap.Org(a.P.Org); ok && o.Parent == 0 {
		// The whole trail, including records about cameras and
		// organisations since removed.
		return nil
	}
	if f.OrganisationID != 0 {
		if _, ok := n.organisations[f.OrganisationID]; !ok {
			return httpx.Errorf(http.StatusNotFound, fmt.Sprintf("no organisation %d", f.OrganisationID), nil)
		}
	}
	if f.CameraID != 0 {
		if _, ok := n.cameras[f.CameraID]; !ok {
			return httpx.Errorf(http.StatusNotFound, fmt.Sprintf("no camera %d", f.CameraID), nil)
		}
	}
	f.Scoped = true
	f.Organisations, f.Cameras = f.Organisations[:0], f.Cameras[:0]
	for _, o := range n.orgList {
		f.Organisations = append(f.Organisations, o.ID)
	}
	for _, c := range n.camList {
		f.Cameras = append(f.Cameras, c.ID)
	}
	return nil
}

// auditQuery reads the filter of the page, as the API reads its own:
// user (a username), organisation and camera (ids), action, since and
// until (RFC 3339, or a form's date and time, taken in the display zone
// loc, as the form says), limit and cursor (the next_cursor of the
// previous page).
func auditQuery(q url.Values, loc *time.Location) (store.AuditFilter, error) {
	f := store.AuditFilter{Username: strings.TrimSpace(q.Get("user")), Action: strings.TrimSpace(q.Get("action"))}
	ids := []struct {
		name string
		dst  *int64
	}{{"organisation", &f.OrganisationID}, {"camera", &f.CameraID}, {"cursor", &f.Before}}
	for _, id := range ids {
		if v := q.Get(id.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return f, httpx.BadRequest(fmt.Sprintf("%s=%q is not an id", id.name, v))
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
			return f, httpx.BadRequest(fmt.Sprintf("%s=%q is not an RFC 3339 time such as 2026-11-21T10:00:00Z", tm.name, v))
		}
		*tm.dst = t.UTC()
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return f, httpx.BadRequest(fmt.Sprintf("limit=%q is not a positive number", v))
		}
		f.Limit = n
	}
	return f, nil
}

// auditNames are the organisations and cameras within the reader's
// organisation, by id, for the filter's lists and the table's names.
type auditNames struct {
	organisations map[int64]string
	cameras       map[int64]string
	orgList       []access.Organisation
	camList       []cameras.Camera
}

func (c *Console) auditNames(r *http.Request) (auditNames, error) {
	n := auditNames{organisations: map[int64]string{}, cameras: map[int64]string{}}
	a := accessOf(r)
	orgs, err := c.opt.Store.ListOrganisations(r.Context())
	if err != nil {
		return n, err
	}
	for _, o := range orgs {
		if a.Snap.Within(o.ID, a.P.Org) {
			n.orgList = append(n.orgList, o)
			n.organisations[o.ID] = o.Name
		}
	}
	cams, err := c.opt.Store.ListCameras(r.Context())
	if err != nil {
		return n, err
	}
	for _, c := range cams {
		if a.Snap.Within(c.OrganisationID, a.P.Org) {
			n.camList = append(n.camList, c)
			n.cameras[c.ID] = c.Name
		}
	}
	return n, nil
}

// auditRow is one record as the console's table shows it.
type auditRow struct {
	store.AuditRecord
	Organisation, Camera string
	// Meaning is the registry's description of the action, shown when
	// the reader points at it; empty for one the registry does not know
	// (moved from the old audit log).
	Meaning string
}

// auditPage is the console's view of the trail: a filter form (GET, so a
// filtered view is a link), one page of records and a CSV download of
// everything the filter selects.
func (c *Console) auditPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, ferr := auditQuery(q, c.opt.Zone)
	names, err := c.auditNames(r)
	if err != nil {
		return err
	}
	if ferr == nil {
		ferr = auditScope(r, &f, names)
	}
	data := struct {
		Query         url.Values
		Error         string
		Rows          []auditRow
		Actions       []auditlog.ActionInfo
		Organisations []access.Organisation
		Cameras       []cameras.Camera
		CSV, Older    string
	}{Query: q, Actions: auditlog.Actions(), Organisations: names.orgList, Cameras: names.camList}
	if ferr != nil {
		data.Error = ferr.(*httpx.Error).Msg
	} else {
		f.Limit = 200
		recs, err := c.opt.Audit.Store().ListAudit(r.Context(), f)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			row := auditRow{AuditRecord: rec, Organisation: names.organisations[rec.OrganisationID], Camera: names.cameras[rec.CameraID]}
			if info, ok := auditlog.Lookup(rec.Action); ok {
				row.Meaning = info.Description
			}
			data.Rows = append(data.Rows, row)
		}
		link := url.Values{}
		for _, k := range []string{"user", "organisation", "camera", "action", "since", "until"} {
			if v := q.Get(k); v != "" {
				link.Set(k, v)
			}
		}
		csvq := url.Values{}
		for k, v := range link {
			csvq[k] = v
		}
		// The API takes a form's date and time as UTC: the download
		// says the page's instants with their offset.
		if !f.Since.IsZero() {
			csvq.Set("since", localtime.RFC3339(f.Since, c.opt.Zone))
		}
		if !f.Until.IsZero() {
			csvq.Set("until", localtime.RFC3339(f.Until, c.opt.Zone))
		}
		csvq.Set("format", "csv")
		data.CSV = "/api/v1/audit?" + csvq.Encode()
		if len(recs) == f.Limit {
			link.Set("cursor", strconv.FormatInt(recs[len(recs)-1].Seq, 10))
			data.Older = "/audit?" + link.Encode()
		}
	}
	return c.Show(w, r, "audit.html", "Audit", "audit", data)
}
