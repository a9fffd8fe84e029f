package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/spreadsheet"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// The partnership's recharge: the statement page, its CSV, and the API
// and CSV imports for what it is worked out from. The handlers decode,
// call the finance service (which decides who may, and commits each
// change with its audit record) and encode. Reading needs read_finance; a
// partner officer is shown their own council's row of the partners' table
// alone (the cost lines and the balance are the partnership's, which
// every partner funds and is reported to). Changing anything needs
// manage_finance at the partnership itself: its CCTV manager
// (finance.Caller.MayManage; trading and works keep the same rule).

// financeCaller is who makes the request, as the finance service takes
// them: the actor its audit records name, and their rights.
func (s *API) financeCaller(r *http.Request) finance.Caller {
	u := httpx.User(r.Context())
	c := finance.Caller{By: httpx.UserActor(u, r)}
	if a := httpx.AccessOf(r.Context()); a != nil {
		c.P, c.Rights = a.P, a.Snap
	}
	return c
}

// financeError turns the finance service's refusal into the client's
// words, as they were before the service: a rule broken is 400 (the
// existing clients and tests expect it), and name, when not nil, names
// the item of a list that the store refused (itemError).
func financeError(err error, name func(i int) (string, *spreadsheet.RowError)) error {
	var ie *store.ItemError
	var inv *store.InvalidError
	var p *problem.Problem
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie) && name != nil:
		// The store's refusal of an item, whose rule's refusal is beneath.
		return itemError(err, name)
	case errors.As(err, &inv):
		return storeError(err, "")
	case errors.As(err, &p) && errors.Is(err, problem.ErrInvalid):
		return httpx.Errorf(http.StatusBadRequest, p.Msg, err)
	case errors.As(err, &p):
		return httpx.FromProblem(err)
	case name != nil:
		return itemError(err, name)
	}
	return storeError(err, "")
}

// statementFor loads the statement of the request's period (?period=,
// default the current quarter), as the user may see it.
func (s *API) statementFor(r *http.Request) (finance.Statement, error) {
	p, err := httpx.Period(r, s.now())
	if err != nil {
		return finance.Statement{}, err
	}
	st, err := s.finance.Statement(r.Context(), s.financeCaller(r), p)
	var fe *finance.FixedError
	switch {
	case errors.As(err, &fe):
		// The figures entered contradict each other: someone must
		// correct them, and the statement says which.
		return st, httpx.Errorf(http.StatusUnprocessableEntity, fe.Error(), err)
	case errors.Is(err, money.ErrOverflow):
		return st, httpx.Errorf(http.StatusUnprocessableEntity, fmt.Sprintf("the statement of %s cannot be worked out: %v; correct the figures entered", p, err), err)
	case err != nil:
		return st, httpx.Errorf(http.StatusInternalServerError, "the statement cannot be worked out", err)
	}
	return st, nil
}

type financeLineJSON struct {
	finance.Line
	Variance int64 `json:"variance"`
}

type financePartnerJSON struct {
	OrganisationID int64  `json:"organisation_id,omitempty"`
	Name           string `json:"name"`
	Budget         int64  `json:"budget"`
	Estimate       int64  `json:"estimate"`
	Variance       int64  `json:"variance"`
	// AverageCameras is the time-weighted average camera number, to four
	// places; CameraDays is exact (weighted camera-days, parts per
	// million).
	AverageCameras string `json:"average_cameras"`
	CameraDays     int64  `json:"camera_days_ppm"`
	SharePercent   string `json:"share_percent"`
}

// StatementJSON is a statement in the API: money in pence.
type StatementJSON struct {
	Period   string               `json:"period"`
	From     string               `json:"from"`
	To       string               `json:"to"` // the day after the period
	Days     int64                `json:"days"`
	Lines    []financeLineJSON    `json:"lines"`
	Balance  financeLineJSON      `json:"balance"`
	Partners []financePartnerJSON `json:"partners"`
	Total    financePartnerJSON   `json:"total"`
	Unit     int64                `json:"unit"`
	Fixed    int64                `json:"fixed"`
	Warnings []string             `json:"warnings"`
}

func toStatementJSON(st finance.Statement) StatementJSON {
	out := StatementJSON{Period: st.Period.String(), From: st.Period.From().Format(time.DateOnly), To: st.Period.To().Format(time.DateOnly),
		Days: st.Days, Balance: financeLineJSON{st.Balance, st.Balance.Variance()}, Unit: st.Unit, Fixed: st.Fixed,
		Lines: []financeLineJSON{}, Partners: []financePartnerJSON{}, Warnings: st.Warnings}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, l := range st.Lines {
		out.Lines = append(out.Lines, financeLineJSON{l, l.Variance()})
	}
	row := func(p finance.PartnerRow) financePartnerJSON {
		return financePartnerJSON{OrganisationID: p.Org, Name: p.Name, Budget: p.Budget, Estimate: p.Estimate, Variance: p.Variance,
			AverageCameras: p.Cameras.Decimal(4), CameraDays: p.CameraDays, SharePercent: finance.Ratio{Num: p.ShareBP, Den: 100}.Decimal(2)}
	}
	for _, p := range st.Partners {
		out.Partners = append(out.Partners, row(p))
	}
	out.Total = row(st.Total)
	return out
}

func (s *API) financeStatement(w http.ResponseWriter, r *http.Request) error {
	st, err := s.statementFor(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toStatementJSON(st))
	return nil
}

func (s *API) financeCategories(w http.ResponseWriter, r *http.Request) error {
	cats, err := s.finance.Categories(r.Context())
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, c := range cats {
		out = append(out, map[string]any{"name": c.Name, "title": c.Title, "weight": c.Weight.String(), "weight_ppm": int64(c.Weight)})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *API) putFinanceCategory(w http.ResponseWriter, r *http.Request) error {
	c := s.financeCaller(r)
	if err := c.MayManage(); err != nil {
		return httpx.FromProblem(err)
	}
	var in struct {
		Title  string `json:"title"`
		Weight string `json:"weight"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := financeError(s.finance.PutCategory(r.Context(), c, r.PathValue("name"), in.Title, in.Weight), nil); err != nil {
		return err
	}
	return s.financeCategories(w, r)
}

// financeCamera is the request's camera, removed ones included (their
// history still counts), if the user may read the figures of its owner;
// any other is "no camera N" (the service decides).
func (s *API) financeCamera(r *http.Request, c finance.Caller) (int64, error) {
	id, err := cameraID(r)
	if err != nil {
		return 0, err
	}
	return id, httpx.FromProblem(s.finance.Camera(r.Context(), c, id))
}

type CameraEventJSON struct {
	ID             int64  `json:"id"`
	Day            string `json:"day"`
	Kind           string `json:"kind"`
	Category       string `json:"category,omitempty"`
	OrganisationID int64  `json:"organisation_id,omitempty"`
	Note           string `json:"note,omitempty"`
}

func (s *API) cameraHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := cameraID(r)
	if err != nil {
		return err
	}
	es, err := s.finance.History(r.Context(), s.financeCaller(r), id)
	if err != nil {
		return httpx.FromProblem(err)
	}
	out := []CameraEventJSON{}
	for _, e := range es {
		out = append(out, CameraEventJSON{ID: e.ID, Day: e.Day.Format(time.DateOnly), Kind: string(e.Kind), Category: e.Category, OrganisationID: e.Org, Note: e.Note})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// addCameraHistory enters a dated event, past ones included, for history
// kept elsewhere until now.
func (s *API) addCameraHistory(w http.ResponseWriter, r *http.Request) error {
	c := s.financeCaller(r)
	id, err := s.financeCamera(r, c)
	if err != nil {
		return err
	}
	if err := c.MayManage(); err != nil {
		return httpx.FromProblem(err)
	}
	var in CameraEventJSON
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	day, err := finance.ParseDay(in.Day)
	if err != nil {
		return httpx.BadRequest(err.Error())
	}
	kind, ok := finance.ParseEventKind(in.Kind)
	if !ok {
		return httpx.BadRequest("kind must be installed, recategorised, owner_changed or decommissioned")
	}
	e := finance.Event{Camera: id, Day: day, Kind: kind, Category: in.Category, Org: in.OrganisationID, Note: in.Note}
	if err := financeError(s.finance.AddEvent(r.Context(), c, &e), nil); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, CameraEventJSON{ID: e.ID, Day: e.Day.Format(time.DateOnly), Kind: string(e.Kind), Category: e.Category, OrganisationID: e.Org, Note: e.Note})
	return nil
}

// deleteCameraHistory removes an event entered in error.
func (s *API) deleteCameraHistory(w http.ResponseWriter, r *http.Request) error {
	c := s.financeCaller(r)
	id, err := s.financeCamera(r, c)
	if err != nil {
		return err
	}
	if err := c.MayManage(); err != nil {
		return httpx.FromProblem(err)
	}
	ev, err := strconv.ParseInt(r.PathValue("event"), 10, 64)
	if err != nil {
		return httpx.BadRequest("the event id is not a whole number")
	}
	if err := financeError(s.finance.DeleteEvent(r.Context(), c, id, ev), nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *API) periodParam(r *http.Request, name string) (period.Period, error) {
	p, err := period.Parse(r.URL.Query().Get(name))
	if err != nil {
		return p, httpx.BadRequest(fmt.Sprintf("?%s=: %v", name, err))
	}
	return p, nil
}

func (s *API) financeLines(w http.ResponseWriter, r *http.Request) error {
	p, err := s.periodParam(r, "period")
	if err != nil {
		return err
	}
	lines, err := s.finance.Lines(r.Context(), p)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, lines)
	return nil
}

func (s *API) putFinanceLines(w http.ResponseWriter, r *http.Request) error {
	c := s.financeCaller(r)
	if err := c.MayManage(); err != nil {
		return httpx.FromProblem(err)
	}
	p, err := s.periodParam(r, "period")
	if err != nil {
		return err
	}
	var lines []finance.Line
	if err := httpx.DecodeJSON(r, &lines); err != nil {
		return err
	}
	if err := financeError(s.finance.PutLines(r.Context(), c, p, lines), jsonItem("line")); err != nil {
		return err
	}
	return s.financeLines(w, r)
}

type FinanceYearJSON struct {
	Year    string           `json:"year"`
	Unit    int64            `json:"unit"`
	Fixed   int64            `json:"fixed"`
	Budgets []finance.Budget `json:"budgets"`
}

// yearParam reads ?year=, a financial year in any form period.ParseYear
// reads.
func (s *API) yearParam(r *http.Request) (period.Period, error) {
	y, err := period.ParseYear(r.URL.Query().Get("year"))
	if err != nil {
		return period.Period{}, httpx.BadRequest(fmt.Sprintf("?year=: %v", err))
	}
	return period.Year(y), nil
}

func (s *API) financeBudgets(w http.ResponseWriter, r *http.Request) error {
	p, err := s.yearParam(r)
	if err != nil {
		return err
	}
	set, bs, err := s.finance.Year(r.Context(), s.financeCaller(r), p)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, FinanceYearJSON{Year: p.String(), Unit: set.Unit, Fixed: set.Fixed, Budgets: bs})
	return nil
}

// putFinanceBudgets sets a year's rounding unit and fixed element, and
// the budgets of the partners it names.
func (s *API) putFinanceBudgets(w http.ResponseWriter, r *http.Request) error {
	c := s.financeCaller(r)
	if err := c.MayManage(); err != nil {
		return httpx.FromProblem(err)
	}
	p, err := s.yearParam(r)
	if err != nil {
		return err
	}
	var in FinanceYearJSON
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Unit == 0 {
		in.Unit = 1000
	}
	// The settings and the budgets are one change: a refusal of either
	// leaves both as they were.
	if err := financeError(s.finance.PutYear(r.Context(), c, p, finance.Settings{Unit: in.Unit, Fixed: in.Fixed}, in.Budgets), jsonItem("budget")); err != nil {
		return err
	}
	return s.financeBudgets(w, r)
}

// importFinance reads a CSV file of what councils keep in spreadsheets:
// a statement's lines (?period=), partners' budgets (?year=) or camera
// history (added to what there is, or with ?replace=1 replacing the whole
// history of every camera the file names). The first row names the
// columns, in any order; every row is checked before anything is written,
// and a refusal names the row.
func (s *API) importFinance(w http.ResponseWriter, r *http.Request) error {
	c := s.financeCaller(r)
	if err := c.MayManage(); err != nil {
		return httpx.FromProblem(err)
	}
	rows, err := readCSV(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return err
	}
	ctx := r.Context()
	in := finance.Import{Kind: r.PathValue("kind"), Asked: r.URL.RawQuery, Replace: truthy(r.URL.Query().Get("replace"))}
	switch in.Kind {
	case finance.ImportLines:
		if in.Period, err = s.periodParam(r, "period"); err != nil {
			return err
		}
		for _, row := range rows {
			l := finance.Line{Name: row.get("name"), Comment: row.get("comment"), Company: truthy(row.get("company"))}
			for _, f := range []struct {
				col string
				dst *int64
			}{{"budget", &l.Budget}, {"actuals", &l.Actuals}, {"estimate", &l.Estimate}} {
				if *f.dst, err = row.pounds(f.col); err != nil {
					return err
				}
			}
			in.Lines = append(in.Lines, l)
		}
	case finance.ImportBudgets:
		if in.Period, err = s.yearParam(r); err != nil {
			return err
		}
		names, err := s.finance.Names(ctx)
		if err != nil {
			return err
		}
		for _, row := range rows {
			org, err := names.Org(row.get("organisation"))
			if err != nil {
				return row.fail("%v", err)
			}
			b := finance.Budget{Org: org}
			if b.Budget, err = row.pounds("budget"); err != nil {
				return err
			}
			if v := row.get("fixed_proportion"); v != "" {
				if b.Fixed, err = strconv.ParseInt(v, 10, 64); err != nil || b.Fixed < 0 {
					return row.fail("fixed_proportion %q is not a whole number", v)
				}
			}
			in.Budgets = append(in.Budgets, b)
		}
	case finance.ImportHistory:
		if in.Events, err = s.historyRows(r, rows); err != nil {
			return err
		}
	}
	// Anything else the service refuses: there is no such import.
	n, err := s.finance.Import(ctx, c, in)
	if err := financeError(err, csvItem(rows)); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]int{"imported": n})
	return nil
}

// historyRows turns camera history rows into events, naming cameras,
// organisations and categories as the service finds them.
func (s *API) historyRows(r *http.Request, rows []csvRow) ([]finance.Event, error) {
	names, err := s.finance.Names(r.Context())
	if err != nil {
		return nil, err
	}
	var out []finance.Event
	for _, row := range rows {
		cam, err := names.Camera(row.get("camera"))
		if err != nil {
			return nil, row.fail("%v", err)
		}
		day, err := finance.ParseDay(row.get("date"))
		if err != nil {
			return nil, row.fail("%v", err)
		}
		kind, ok := finance.ParseEventKind(row.get("event"))
		if !ok {
			return nil, row.fail("event %q is not installed, recategorised, owner_changed or decommissioned", row.get("event"))
		}
		e := finance.Event{Camera: cam.ID, Day: day, Kind: kind, Category: row.get("category"), Note: row.get("note")}
		if err := names.Category(e.Category); err != nil {
			return nil, row.fail("%v", err)
		}
		if name := row.get("organisation"); name != "" {
			if e.Org, err = names.Org(name); err != nil {
				return nil, row.fail("%v", err)
			}
		} else if kind == finance.Installed {
			e.Org = cam.Org
		}
		if err := e.Validate(); err != nil {
			return nil, row.fail("%v", err)
		}
		out = append(out, e)
	}
	return out, nil
}

type csvRow struct {
	line int
	cols map[string]int
	rec  []string
}

func (r csvRow) get(col string) string {
	i, ok := r.cols[col]
	if !ok || i >= len(r.rec) {
		return ""
	}
	return strings.TrimSpace(r.rec[i])
}

func (r csvRow) fail(format string, args ...any) error {
	re := &spreadsheet.RowError{Row: r.line, Err: fmt.Errorf(format, args...)}
	return &httpx.Error{Code: http.StatusBadRequest, Msg: re.Error(), Err: re}
}

// pounds reads money as spreadsheets write it: "119,360", "-250,170.50",
// "£900", "(1,100)" for a negative.
func (r csvRow) pounds(col string) (int64, error) {
	v := r.get(col)
	p, err := parsePounds(v)
	if errors.Is(err, money.ErrOverflow) {
		return 0, r.fail("%s %q is more than £%s, which cannot be right", col, v, money.Whole(money.Max))
	} else if err != nil {
		return 0, r.fail("%s %q is not an amount of money such as 119,360 or -250,170.50", col, v)
	}
	return p, nil
}

// parsePounds is money.Parse, but an empty cell is nothing: £0.
func parsePounds(v string) (int64, error) {
	if strings.TrimSpace(v) == "" {
		return 0, nil
	}
	return money.Parse(v)
}

func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "yes", "y", "true":
		return true
	}
	return false
}

// readCSV reads a CSV file whose first row names the columns; each row
// keeps its number as a spreadsheet shows it, for refusals to name.
func readCSV(rd io.Reader) ([]csvRow, error) {
	recs, err := spreadsheet.ReadAll(rd)
	var re *spreadsheet.RowError
	if errors.As(err, &re) {
		return nil, &httpx.Error{Code: http.StatusBadRequest, Msg: "the CSV file is not valid: " + re.Error(), Err: re}
	} else if err != nil {
		return nil, httpx.BadRequest("the CSV file could not be read")
	}
	if len(recs) == 0 {
		return nil, httpx.BadRequest("the CSV file is empty: its first row must name the columns")
	}
	cols := map[string]int{}
	for i, h := range recs[0].Fields {
		cols[strings.ToLower(strings.TrimSpace(strings.ReplaceAll(h, " ", "_")))] = i
	}
	var out []csvRow
	for _, rec := range recs[1:] {
		if len(rec.Fields) == 1 && strings.TrimSpace(rec.Fields[0]) == "" {
			continue
		}
		out = append(out, csvRow{line: rec.Row, cols: cols, rec: rec.Fields})
	}
	return out, nil
}

// itemError turns the store's refusal of one item of a list written all
// or nothing into the client's words: name says which item (a
// spreadsheet's row, a request's nth line), and a row's refusal carries
// a *spreadsheet.RowError. A fixed element that cannot come out of the
// balance is 422: the figures are each well formed but contradict each
// other.
func itemError(err error, name func(i int) (string, *spreadsheet.RowError)) error {
	var ie *store.ItemError
	var fe *finance.FixedError
	var de *store.DuplicateError
	var inv *store.InvalidError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return httpx.Errorf(http.StatusUnprocessableEntity, fe.Error(), err)
	case !errors.As(err, &ie):
		return storeError(err, "")
	}
	what, re := name(ie.Index)
	var msg string
	switch {
	case errors.As(ie.Err, &de):
		first, _ := name(de.First)
		msg = fmt.Sprintf("%q is named twice, also on %s", de.Name, first)
	case errors.As(ie.Err, &inv):
		msg = inv.Msg
	case errors.Is(ie.Err, store.ErrNotFound):
		msg = "it names something that does not exist"
	default:
		return err
	}
	if re != nil {
		re.Err = errors.New(msg)
		return &httpx.Error{Code: http.StatusBadRequest, Msg: re.Error(), Err: re}
	}
	return httpx.BadRequest(what + ": " + msg)
}

// csvItem names the items of a list read from rows by their rows.
func csvItem(rows []csvRow) func(int) (string, *spreadsheet.RowError) {
	return func(i int) (string, *spreadsheet.RowError) {
		if i < 0 || i >= len(rows) {
			return fmt.Sprintf("item %d", i+1), nil
		}
		return fmt.Sprintf("row %d", rows[i].line), &spreadsheet.RowError{Row: rows[i].line}
	}
}

// jsonItem names the items of a JSON list by their place in it.
func jsonItem(what string) func(int) (string, *spreadsheet.RowError) {
	return func(i int) (string, *spreadsheet.RowError) { return fmt.Sprintf("%s %d", what, i+1), nil }
}
