package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/localtime"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The audit page: the console's view of the trail. Its filter and scope
// are the API's listing's (audit.Query, audit.ReadableBy): the page's
// links and its CSV download go to the API, so the two read the same
// query and show the same records.

// auditRow is one record as the console's table shows it.
type auditRow struct {
	store.AuditRecord
	Organisation, Camera string
	// Meaning is the registry's description of the action, the words the
	// page shows for it (with its name beneath); empty for one the
	// registry does not know (moved from the old audit log).
	Meaning string
}

// auditPage is the console's view of the trail: a filter form (GET, so a
// filtered view is a link), one page of records and a CSV download of
// everything the filter selects.
func (c *Console) auditPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, ferr := audit.Query(q, c.opt.Zone)
	a := accessOf(r)
	names, err := audit.ReadableBy(r.Context(), c.opt.Store, a.P, a.Snap)
	if err != nil {
		return err
	}
	if ferr == nil {
		ferr = names.Scope(&f)
	}
	data := struct {
		Query         url.Values
		Error         string
		Rows          []auditRow
		Actions       []auditlog.ActionInfo
		Organisations []access.Organisation
		Cameras       []cameras.Camera
		CSV, Older    string
		// Selection says in words what the filter selects, for the
		// printed page, whose form is not printed.
		Selection string
	}{Query: q, Actions: auditlog.Actions(), Organisations: names.Organisations, Cameras: names.Cameras, Selection: selection(q, names)}
	if ferr != nil {
		data.Error = httpx.Refusal(ferr).(*httpx.Error).Msg
	} else {
		f.Limit = 200
		recs, err := c.opt.Audit.Store().ListAudit(r.Context(), f)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			row := auditRow{AuditRecord: rec, Organisation: names.OrgNames[rec.OrganisationID], Camera: names.CameraNames[rec.CameraID]}
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

// selection says in words what the query q selects: "user olive, camera
// High Street, from 2026-12-01T09:00"; "" for everything.
func selection(q url.Values, names audit.Readable) string {
	var parts []string
	named := func(v string, m map[int64]string) string {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && m[id] != "" {
			return m[id]
		}
		return v
	}
	for _, f := range []struct{ key, label string }{
		{"user", "user"}, {"organisation", "organisation"}, {"camera", "camera"}, {"action", "action"}, {"since", "from"}, {"until", "to"},
	} {
		v := q.Get(f.key)
		switch {
		case v == "":
			continue
		case f.key == "organisation":
			v = named(v, names.OrgNames)
		case f.key == "camera":
			v = named(v, names.CameraNames)
		case f.key == "action":
			if info, ok := auditlog.Lookup(v); ok {
				v = info.Description + " (" + v + ")"
			}
		}
		parts = append(parts, f.label+" "+v)
	}
	return strings.Join(parts, ", ")
}
