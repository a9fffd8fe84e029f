package api

import (
	"encoding/csv"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-cctv/vigil/internal/audit"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/spreadsheet"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// auditLogged writes e like auditEntry, for actions that go ahead even
// when the trail cannot be written (a live view that never started): the
// failure is logged instead.
func (s *API) auditLogged(r *http.Request, e auditlog.Entry) {
	if err := s.auditEntry(r, e); err != nil {
		s.log.Error("audit trail", "action", e.Action.String(), "err", err)
	}
}

// audit writes one record, by the signed-in user; a footage request that
// cannot be audited is refused, so nothing is ever seen unrecorded.
func (s *API) audit(r *http.Request, action auditlog.Action, cameraID int64, start, end *time.Time, detail string) error {
	return s.auditEntry(r, auditlog.Entry{Action: action, CameraID: cameraID, RangeStart: start, RangeEnd: end, Detail: detail})
}

// auditEntry writes e, filling in who (the signed-in user, unless e names
// one), from where and when.
func (s *API) auditEntry(r *http.Request, e auditlog.Entry) error {
	if err := s.opt.Audit.Append(r.Context(), httpx.Entry(r, e, s.now())); err != nil {
		return httpx.Errorf(http.StatusServiceUnavailable, "the audit trail cannot be written, so this is refused", err)
	}
	return nil
}

type auditRecordJSON struct {
	Seq            int64      `json:"seq"`
	At             time.Time  `json:"at"`
	UserID         int64      `json:"user_id"`
	Username       string     `json:"username"`
	OrganisationID int64      `json:"organisation_id"`
	Action         string     `json:"action"`
	CameraID       int64      `json:"camera_id"`
	RangeStart     *time.Time `json:"range_start"`
	RangeEnd       *time.Time `json:"range_end"`
	RemoteAddr     string     `json:"remote_addr"`
	Reason         string     `json:"reason"`
	Detail         string     `json:"detail"`
	Hash           string     `json:"hash"`
}

func auditJSON(r *store.AuditRecord) auditRecordJSON {
	return auditRecordJSON{Seq: r.Seq, At: r.At, UserID: r.UserID, Username: r.Username, OrganisationID: r.OrganisationID,
		Action: r.Action, CameraID: r.CameraID, RangeStart: r.RangeStart, RangeEnd: r.RangeEnd, RemoteAddr: r.RemoteAddr,
		Reason: r.Reason, Detail: r.Detail, Hash: hex.EncodeToString(r.Hash)}
}

// auditPageSize is the JSON answer's largest page; CSV streams it all.
const auditPageSize = 1000

// listAudit answers the trail's records matching the filter, newest
// first, as JSON pages or (format=csv) as one streamed CSV file.
func (s *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	f, err := audit.Query(r.URL.Query(), time.UTC)
	if err != nil {
		return httpx.Refusal(err)
	}
	names, err := s.auditReadable(r)
	if err != nil {
		return err
	}
	if err := names.Scope(&f); err != nil {
		return httpx.Refusal(err)
	}
	if r.URL.Query().Get("format") == "csv" {
		return s.auditCSV(w, r, f)
	}
	f.Limit = min(f.Limit, auditPageSize)
	if f.Limit == 0 {
		f.Limit = 100
	}
	recs, err := s.opt.Audit.Store().ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Records    []auditRecordJSON `json:"records"`
		NextCursor *string           `json:"next_cursor"`
	}{Records: []auditRecordJSON{}}
	for i := range recs {
		out.Records = append(out.Records, auditJSON(&recs[i]))
	}
	if len(recs) == f.Limit {
		c := strconv.FormatInt(recs[len(recs)-1].Seq, 10)
		out.NextCursor = &c
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// auditCSV streams every matching record (or the first limit), after
// recording the export itself: the trail is personal data leaving Vigil.
func (s *API) auditCSV(w http.ResponseWriter, r *http.Request, f store.AuditFilter) error {
	q := r.URL.Query()
	q.Del("format")
	if err := s.auditEntry(r, auditlog.Entry{Action: auditlog.TrailExport, Detail: "CSV of the audit trail: " + q.Encode()}); err != nil {
		return err
	}
	names, err := s.auditReadable(r)
	if err != nil {
		return err
	}
	httpx.CSVHeaders(w, "vigil-audit-"+s.now().UTC().Format("20060102T150405Z")+".csv")
	cw := csv.NewWriter(w)
	cw.Write([]string{"seq", "time", "user_id", "username", "organisation_id", "organisation", "action", "camera_id", "camera",
		"range_start", "range_end", "remote_addr", "reason", "detail", "hash"})
	n := 0
	err = s.opt.Audit.Store().EachAudit(r.Context(), f, func(rec *store.AuditRecord) error {
		cw.Write([]string{
			strconv.FormatInt(rec.Seq, 10), rec.At.Format(time.RFC3339Nano), strconv.FormatInt(rec.UserID, 10), spreadsheet.Text(rec.Username),
			strconv.FormatInt(rec.OrganisationID, 10), spreadsheet.Text(names.OrgNames[rec.OrganisationID]), spreadsheet.Text(rec.Action),
			strconv.FormatInt(rec.CameraID, 10), spreadsheet.Text(names.CameraNames[rec.CameraID]), timeCell(rec.RangeStart), timeCell(rec.RangeEnd),
			spreadsheet.Text(rec.RemoteAddr), spreadsheet.Text(rec.Reason), spreadsheet.Text(rec.Detail), hex.EncodeToString(rec.Hash),
		})
		if n++; n%1000 == 0 {
			cw.Flush()
			return cw.Error()
		}
		return nil
	})
	cw.Flush()
	if err != nil {
		// The header is gone; all that is left is to stop short, which
		// the client sees as a truncated download.
		s.log.Error("streaming the audit CSV", "err", err)
	}
	return nil
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// auditReadable is what of the trail the request's reader may read
// (audit.ReadableBy).
func (s *API) auditReadable(r *http.Request) (audit.Readable, error) {
	a := httpx.AccessOf(r.Context())
	return audit.ReadableBy(r.Context(), s.st, a.P, a.Snap)
}
