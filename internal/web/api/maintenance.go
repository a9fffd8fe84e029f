package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// Maintenance (package maintenance holds the rules, who may read and do
// what among them): these handlers decode a request, ask the service,
// and encode its answer.

// readsMaintenance reports whether the user may read maintenance records
// anywhere: the pages tell those who may not what they need.
func readsMaintenance(p rights.Principal) bool { return maintenance.Reads(p) }

type faultJSON struct {
	ID             int64                `json:"id"`
	CameraID       int64                `json:"camera_id"`
	Camera         string               `json:"camera"`
	Kind           string               `json:"kind"`
	Priority       string               `json:"priority"`
	State          string               `json:"state"`
	Description    string               `json:"description"`
	Automatic      bool                 `json:"automatic"`
	OutageID       int64                `json:"outage_id,omitempty"`
	Contractor     string               `json:"contractor"`
	RaisedAt       time.Time            `json:"raised_at"`
	RaisedBy       string               `json:"raised_by"`
	ResponseDue    time.Time            `json:"response_due"`
	FixDue         time.Time            `json:"fix_due"`
	AcknowledgedAt *time.Time           `json:"acknowledged_at"`
	AcknowledgedBy string               `json:"acknowledged_by,omitempty"`
	FixedAt        *time.Time           `json:"fixed_at"`
	FixedBy        string               `json:"fixed_by,omitempty"`
	ClosedAt       *time.Time           `json:"closed_at"`
	ClosedBy       string               `json:"closed_by,omitempty"`
	Note           string               `json:"note"`
	Response       maintenance.Outcome  `json:"response"`
	Fix            maintenance.Outcome  `json:"fix"`
	progress       maintenance.Progress // for CSV
}

func faultView(v maintenance.View, f maintenance.Fault, now time.Time) faultJSON {
	g := maintenance.Measure(f, now)
	return faultJSON{
		ID: f.ID, CameraID: f.CameraID, Camera: v.CameraName(f.CameraID), Kind: f.Kind, Priority: f.Priority, State: f.State,
		Description: f.Description, Automatic: f.Automatic, OutageID: f.OutageID, Contractor: v.ContractorName(f.ContractorID),
		RaisedAt: f.RaisedAt, RaisedBy: f.RaisedBy, ResponseDue: f.ResponseDue, FixDue: f.FixDue,
		AcknowledgedAt: f.AcknowledgedAt, AcknowledgedBy: f.AcknowledgedBy, FixedAt: f.FixedAt, FixedBy: f.FixedBy,
		ClosedAt: f.ClosedAt, ClosedBy: f.ClosedBy, Note: f.Note, Response: g.Response, Fix: g.Fix, progress: g,
	}
}

func faultViews(v maintenance.View, fs []maintenance.Fault, now time.Time) []faultJSON {
	out := []faultJSON{}
	for _, f := range fs {
		out = append(out, faultView(v, f, now))
	}
	return out
}

// faultFilter reads ?open=1&camera=N&limit=N.
func faultFilter(r *http.Request) (maintenance.FaultFilter, error) {
	q := r.URL.Query()
	f := maintenance.FaultFilter{Open: q.Get("open") == "1" || q.Get("open") == "true", Limit: 1000}
	if v := q.Get("camera"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, httpx.BadRequest(fmt.Sprintf("camera %q is not a camera id", v))
		}
		f.CameraID = id
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return f, httpx.BadRequest(fmt.Sprintf("limit %q is not a positive whole number", v))
		}
		f.Limit = n
	}
	return f, nil
}

func (s *API) listFaults(w http.ResponseWriter, r *http.Request) error {
	c := s.maintCaller(r)
	if !maintenance.Reads(c.Principal) {
		return httpx.FromProblem(maintenance.ErrNoRead)
	}
	filter, err := faultFilter(r)
	if err != nil {
		return err
	}
	v, err := s.maint.View(r.Context(), c)
	if err != nil {
		return err
	}
	fs, err := s.maint.Faults(r.Context(), c, v, filter)
	if err != nil {
		return httpx.FromProblem(err)
	}
	rows := faultViews(v, fs, s.now())
	if r.URL.Query().Get("format") == "csv" {
		return httpx.WriteCSV(w, "faults.csv", faultCSV(rows))
	}
	httpx.WriteJSON(w, http.StatusOK, rows)
	return nil
}

func faultCSV(fs []faultJSON) [][]string {
	rows := [][]string{{"id", "camera_id", "camera", "kind", "priority", "state", "automatic", "contractor", "raised_at", "raised_by",
		"response_due", "responded_at", "response", "fix_due", "fixed_at", "fix", "closed_at", "closed_by", "description", "note"}}
	for _, f := range fs {
		rows = append(rows, []string{strconv.FormatInt(f.ID, 10), strconv.FormatInt(f.CameraID, 10), f.Camera, f.Kind, f.Priority, f.State,
			strconv.FormatBool(f.Automatic), f.Contractor, httpx.CSVTime(&f.RaisedAt), f.RaisedBy, httpx.CSVTime(&f.ResponseDue), httpx.CSVTime(f.progress.RespondedAt),
			string(f.Response), httpx.CSVTime(&f.FixDue), httpx.CSVTime(f.progress.FixedAt), string(f.Fix), httpx.CSVTime(f.ClosedAt), f.ClosedBy, f.Description, f.Note})
	}
	return rows
}

func (s *API) getFault(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "fault")
	if err != nil {
		return err
	}
	f, v, err := s.maint.Fault(r.Context(), s.maintCaller(r), id)
	if err != nil {
		return httpx.FromProblem(err)
	}
	httpx.WriteJSON(w, http.StatusOK, faultView(v, f, s.now()))
	return nil
}

type faultInput struct {
	CameraID    int64  `json:"camera_id"`
	Kind        string `json:"kind"`
	Priority    string `json:"priority"`
	Description string `json:"description"`
}

// raiseFault records a fault reported by a person on a camera they may do
// anything to.
func (s *API) raiseFault(w http.ResponseWriter, r *http.Request) error {
	var in faultInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	c := s.maintCaller(r)
	f, err := s.maint.Raise(r.Context(), c, maintenance.FaultInput(in))
	if err != nil {
		return httpx.Refusal(err)
	}
	v, err := s.maint.View(r.Context(), c)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/maintenance/faults/%d", f.ID))
	httpx.WriteJSON(w, http.StatusCreated, faultView(v, f, f.RaisedAt))
	return nil
}

type faultChange struct {
	// State moves the fault on: acknowledged, fixed or closed.
	State string `json:"state"`
	// At dates the step (a response reported by telephone an hour ago);
	// now when empty, never in the future.
	At       *time.Time `json:"at"`
	Priority string     `json:"priority"`
	Note     string     `json:"note"`
}

// patchFault records the contractor's progress on a fault, or changes
// its priority (and so its deadlines), for those who manage its camera.
func (s *API) patchFault(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "fault")
	if err != nil {
		return err
	}
	// Who may not change the fault learns that before anything of what
	// they sent is read, as they always have.
	c := s.maintCaller(r)
	if err := s.maint.MayUpdate(r.Context(), c, id); err != nil {
		return httpx.Refusal(err)
	}
	var in faultChange
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	f, err := s.maint.Update(r.Context(), c, id, maintenance.FaultChange(in))
	if err != nil {
		return httpx.Refusal(err)
	}
	v, err := s.maint.View(r.Context(), c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, faultView(v, f, s.now().UTC()))
	return nil
}

// maintCaller is the signed-in user as the maintenance service knows
// them: who the audit records name, and their rights.
func (s *API) maintCaller(r *http.Request) maintenance.Caller {
	a := httpx.AccessOf(r.Context())
	by := httpx.UserActor(a.User, r)
	return maintenance.Caller{By: by, Principal: a.P, Rights: a.Snap}
}

type availabilityJSON struct {
	CameraID       int64  `json:"camera_id"`
	Camera         string `json:"camera"`
	OrganisationID int64  `json:"organisation_id"`
	// Seconds the camera was in the estate within the period, and of
	// those offline.
	PeriodSeconds  int64  `json:"period_seconds"`
	OfflineSeconds int64  `json:"offline_seconds"`
	Outages        int    `json:"outages"`
	Percent        string `json:"availability_percent"`
}

func availabilityRow(a maintenance.Availability) availabilityJSON {
	return availabilityJSON{CameraID: a.CameraID, Camera: a.Name, OrganisationID: a.OrganisationID, PeriodSeconds: int64(a.Period / time.Second),
		OfflineSeconds: int64(a.Offline / time.Second), Outages: a.Outages, Percent: a.Percent()}
}

// availability is every camera's availability over a period, and the
// outages behind it.
func (s *API) availability(w http.ResponseWriter, r *http.Request) error {
	c := s.maintCaller(r)
	if !maintenance.Reads(c.Principal) {
		return httpx.FromProblem(maintenance.ErrNoRead)
	}
	from, to, err := httpx.FromTo(r, s.now().UTC())
	if err != nil {
		return err
	}
	v, err := s.maint.View(r.Context(), c)
	if err != nil {
		return err
	}
	a, err := s.maint.Availability(r.Context(), c, v, from, to)
	if err != nil {
		return httpx.FromProblem(err)
	}
	rows := []availabilityJSON{}
	for _, c := range a.Cameras {
		rows = append(rows, availabilityRow(c))
	}
	if r.URL.Query().Get("format") == "csv" {
		return httpx.WriteCSV(w, fmt.Sprintf("availability-%s-%s.csv", from.Format(time.DateOnly), to.Format(time.DateOnly)), availabilityCSV(rows, availabilityRow(a.Estate)))
	}
	type outageJSON struct {
		ID        int64      `json:"id"`
		CameraID  int64      `json:"camera_id"`
		Start     time.Time  `json:"start"`
		End       *time.Time `json:"end"`
		Reason    string     `json:"reason"`
		EndReason string     `json:"end_reason,omitempty"`
	}
	os := []outageJSON{}
	for _, o := range a.Outages {
		os = append(os, outageJSON{o.ID, o.CameraID, o.Start, o.End, o.Reason, o.EndReason})
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "cameras": rows, "estate": availabilityRow(a.Estate), "outages": os})
	return nil
}

func availabilityCSV(rows []availabilityJSON, estate availabilityJSON) [][]string {
	out := [][]string{{"camera_id", "camera", "organisation_id", "period_seconds", "offline_seconds", "outages", "availability_percent"}}
	line := func(a availabilityJSON) []string {
		id := ""
		if a.CameraID != 0 {
			id = strconv.FormatInt(a.CameraID, 10)
		}
		org := ""
		if a.OrganisationID != 0 {
			org = strconv.FormatInt(a.OrganisationID, 10)
		}
		return []string{id, a.Camera, org, strconv.FormatInt(a.PeriodSeconds, 10), strconv.FormatInt(a.OfflineSeconds, 10), strconv.Itoa(a.Outages), a.Percent}
	}
	for _, a := range rows {
		out = append(out, line(a))
	}
	return append(out, line(estate))
}

// report builds the contractor's report of ?quarter= (this quarter by
// default) over the cameras of the user's scope.
func (s *API) report(r *http.Request) (maintenance.Report, maintenance.View, error) {
	q := period.Of(s.now().UTC())
	if v := r.URL.Query().Get("quarter"); v != "" {
		var err error
		if q, err = period.ParseQuarter(v); err != nil {
			return maintenance.Report{}, maintenance.View{}, httpx.BadRequest(err.Error())
		}
	}
	c := s.maintCaller(r)
	v, err := s.maint.View(r.Context(), c)
	if err != nil {
		return maintenance.Report{}, maintenance.View{}, err
	}
	rep, err := s.maint.Report(r.Context(), c, v, q)
	return rep, v, httpx.FromProblem(err)
}

// reportAPI is the report as JSON, or one of its tables as CSV
// (?format=csv&table=priorities|faults|availability).
func (s *API) reportAPI(w http.ResponseWriter, r *http.Request) error {
	if !readsMaintenance(httpx.AccessOf(r.Context()).P) {
		return httpx.FromProblem(maintenance.ErrNoRead)
	}
	rep, v, err := s.report(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "csv" {
		name := "maintenance-" + strings.ReplaceAll(rep.Quarter.String(), "/", "-")
		switch t := r.URL.Query().Get("table"); t {
		case "", "priorities":
			return httpx.WriteCSV(w, name+"-priorities.csv", priorityCSV(rep))
		case "faults":
			var fs []faultJSON
			for _, f := range rep.Faults {
				fs = append(fs, faultView(v, f.Fault, rep.At))
			}
			return httpx.WriteCSV(w, name+"-faults.csv", faultCSV(fs))
		case "availability":
			var rows []availabilityJSON
			for _, c := range rep.Cameras {
				rows = append(rows, availabilityRow(c))
			}
			return httpx.WriteCSV(w, name+"-availability.csv", availabilityCSV(rows, availabilityRow(rep.Estate)))
		default:
			return httpx.BadRequest(fmt.Sprintf("table %q is not priorities, faults or availability", t))
		}
	}
	type perf struct {
		Priority         string `json:"priority"`
		Raised           int    `json:"raised"`
		ResponseMet      int    `json:"response_met"`
		ResponseBreached int    `json:"response_breached"`
		ResponsePending  int    `json:"response_pending"`
		ResponsePercent  string `json:"response_within_target_percent"`
		FixMet           int    `json:"fix_met"`
		FixBreached      int    `json:"fix_breached"`
		FixPending       int    `json:"fix_pending"`
		FixPercent       string `json:"fix_within_target_percent"`
		MeanResponseSecs int64  `json:"mean_response_seconds"`
		MeanFixSecs      int64  `json:"mean_fix_seconds"`
	}
	toPerf := func(p maintenance.Performance) perf {
		return perf{p.Priority, p.Raised, p.ResponseMet, p.ResponseBreached, p.ResponsePending, p.ResponsePercent(), p.FixMet, p.FixBreached,
			p.FixPending, p.FixPercent(), int64(p.MeanResponse() / time.Second), int64(p.MeanFix() / time.Second)}
	}
	out := map[string]any{"quarter": rep.Quarter.String(), "from": rep.From, "to": rep.To, "at": rep.At, "contractor": rep.Contractor,
		"total": toPerf(rep.Total), "estate": availabilityRow(rep.Estate)}
	ps, cams, faults := []perf{}, []availabilityJSON{}, []int64{}
	for _, p := range rep.Priorities {
		ps = append(ps, toPerf(p))
	}
	for _, c := range rep.Cameras {
		cams = append(cams, availabilityRow(c))
	}
	for _, f := range rep.Faults {
		faults = append(faults, f.ID)
	}
	out["priorities"], out["cameras"], out["faults"] = ps, cams, faults
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func priorityCSV(rep maintenance.Report) [][]string {
	rows := [][]string{{"priority", "raised", "response_met", "response_breached", "response_pending", "response_within_target_percent",
		"fix_met", "fix_breached", "fix_pending", "fix_within_target_percent", "mean_response", "mean_fix"}}
	line := func(name string, p maintenance.Performance) []string {
		i := strconv.Itoa
		return []string{name, i(p.Raised), i(p.ResponseMet), i(p.ResponseBreached), i(p.ResponsePending), p.ResponsePercent(),
			i(p.FixMet), i(p.FixBreached), i(p.FixPending), p.FixPercent(), maintenance.Hours(p.MeanResponse()), maintenance.Hours(p.MeanFix())}
	}
	for _, p := range rep.Priorities {
		rows = append(rows, line(p.Priority, p))
	}
	rows = append(rows, line("all", rep.Total))
	// A spreadsheet reads an empty cell as no figure; a dash as text.
	for _, row := range rows {
		for i, c := range row {
			if c == "—" {
				row[i] = ""
			}
		}
	}
	return rows
}
