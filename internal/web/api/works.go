package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/spreadsheet"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
	"github.com/vigil-cctv/vigil/internal/works"
)

// Works: a council's CCTV works contracts, its departments' budgets and
// the orders departments raise against both (package works holds the
// rules). Reading needs read_finance and shows what lies in the user's
// scope: a partner officer their own council's contracts and
// departments, the partnership's CCTV manager everything. Changing
// anything needs manage_finance at the partnership itself (works.Service decides),
// since works are commissioned centrally: that is what stopped the
// overspending.
//
// Approving an order that its warnings say would take a department over
// its budget, or a contract over its value or the year's allowance, is
// refused unless an override reason is given, which the order keeps.
// Four eyes (approvals.go) is not used for it: its requests are for
// footage and rights, decided by whoever holds the same right over the
// same organisation, and a works approval is already the manager's
// second look at a department's request.

// worksCaller is the request's user as the works service knows them.
func worksCaller(r *http.Request) works.Caller {
	a := httpx.AccessOf(r.Context())
	return works.Caller{Actor: httpx.UserActor(a.User, r), P: a.P, Snap: a.Snap}
}

// worksBook reads the works as the request's user may see them.
func (s *API) worksBook(r *http.Request) (*works.Book, error) {
	b, err := s.worksSvc.Book(r.Context(), worksCaller(r))
	if errors.Is(err, money.ErrOverflow) {
		return nil, httpx.Errorf(http.StatusUnprocessableEntity, fmt.Sprintf("the works figures cannot be added up (%v): correct the amounts entered", err), err)
	}
	return b, err
}

// worksYear is the request's ?year= (2025/26), else the current one.
func (s *API) worksYear(r *http.Request) (int, error) {
	return httpx.Year(r, s.now())
}

// ---- API ----

func (s *API) listWorksContracts(w http.ResponseWriter, r *http.Request) error {
	b, err := s.worksBook(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, b.Contracts())
	return nil
}

func (s *API) getWorksContract(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "contract")
	if err != nil {
		return err
	}
	b, err := s.worksBook(r)
	if err != nil {
		return err
	}
	c, ok := b.Contract(id)
	if !ok {
		return httpx.Errorf(http.StatusNotFound, fmt.Sprintf("no works contract %d", id), nil)
	}
	httpx.WriteJSON(w, http.StatusOK, b.ContractRow(c))
	return nil
}

type contractInput struct {
	OrganisationID int64                `json:"organisation_id"`
	Reference      string               `json:"reference"`
	Supplier       string               `json:"supplier"`
	ValuePence     int64                `json:"value_pence"`
	StartsOn       string               `json:"starts_on"`
	EndsOn         string               `json:"ends_on"`
	Allowances     []works.AllowanceRow `json:"allowances"`
}

func (s *API) createWorksContract(w http.ResponseWriter, r *http.Request) error {
	c := worksCaller(r)
	if err := s.worksSvc.MayChange(c); err != nil {
		return httpx.Refusal(err)
	}
	var in contractInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	nc := works.NewContract{OrganisationID: in.OrganisationID, Reference: in.Reference, Supplier: in.Supplier, ValuePence: in.ValuePence,
		StartsOn: in.StartsOn, EndsOn: in.EndsOn}
	for _, x := range in.Allowances {
		nc.Allowances = append(nc.Allowances, works.Allowance{Year: x.Year, Funding: x.Funding, AmountPence: x.AmountPence})
	}
	k, err := s.worksSvc.CreateContract(r.Context(), c, nc)
	if err != nil {
		return httpx.Refusal(err)
	}
	b, err := s.worksBook(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, b.ContractRow(k))
	return nil
}

func (s *API) listWorksBudgets(w http.ResponseWriter, r *http.Request) error {
	year, err := s.worksYear(r)
	if err != nil {
		return err
	}
	b, err := s.worksBook(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, b.Budgets(year))
	return nil
}

type budgetInput struct {
	DepartmentID int64  `json:"department_id"`
	Year         string `json:"year"`
	AmountPence  int64  `json:"amount_pence"`
}

func (s *API) putWorksBudget(w http.ResponseWriter, r *http.Request) error {
	c := worksCaller(r)
	if err := s.worksSvc.MayChange(c); err != nil {
		return httpx.Refusal(err)
	}
	var in budgetInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	year, err := s.worksSvc.SetBudget(r.Context(), c, in.DepartmentID, in.Year, in.AmountPence)
	if err != nil {
		return httpx.Refusal(err)
	}
	b, err := s.worksBook(r)
	if err != nil {
		return err
	}
	for _, x := range b.Budgets(year) {
		if x.DepartmentID == in.DepartmentID {
			httpx.WriteJSON(w, http.StatusOK, x)
			return nil
		}
	}
	return httpx.Errorf(http.StatusNotFound, fmt.Sprintf("no department %d", in.DepartmentID), nil)
}

// maxBudgetCSV bounds an imported budget file: a council's departments
// over a few years are some hundreds of rows.
const maxBudgetCSV = 1 << 20

// importWorksBudgets reads budgets from CSV, as councils keep them in
// spreadsheets: a header naming the columns department (its name or id),
// year (2025/26) and amount (pounds, such as 12,500.00), in any order.
// Every row is checked before any is written; one bad row refuses all,
// naming its row as a spreadsheet shows it (the header is row 1).
func (s *API) importWorksBudgets(w http.ResponseWriter, r *http.Request) error {
	c := worksCaller(r)
	if err := s.worksSvc.MayChange(c); err != nil {
		return httpx.Refusal(err)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") && !strings.HasPrefix(ct, "text/plain") {
		return httpx.Errorf(http.StatusUnsupportedMediaType, "send the budgets as text/csv", nil)
	}
	recs, err := spreadsheet.ReadAll(io.LimitReader(r.Body, maxBudgetCSV))
	var re *spreadsheet.RowError
	if errors.As(err, &re) {
		return &httpx.Error{Code: http.StatusBadRequest, Msg: "the CSV is not valid: " + re.Error(), Err: re}
	} else if err != nil {
		return httpx.BadRequest("the CSV file could not be read")
	}
	if len(recs) == 0 {
		return httpx.BadRequest("the CSV has no header line (department,year,amount)")
	}
	col := map[string]int{}
	for i, h := range recs[0].Fields {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"department", "year", "amount"} {
		if _, ok := col[need]; !ok {
			return httpx.BadRequest(fmt.Sprintf("the CSV's header has no %q column; it needs department, year and amount", need))
		}
	}
	orgs, err := s.st.ListOrganisations(r.Context())
	if err != nil {
		return err
	}
	byName := map[string]int64{}
	for _, o := range orgs {
		byName[strings.ToLower(o.Name)] = o.ID
	}
	var bs []works.Budget
	var rowOf []int             // each budget's spreadsheet row
	first := map[[2]int64]int{} // department and year: the row that set it
	fail := func(row int, format string, args ...any) error {
		re := &spreadsheet.RowError{Row: row, Err: fmt.Errorf(format, args...)}
		return &httpx.Error{Code: http.StatusBadRequest, Msg: re.Error(), Err: re}
	}
	for _, rec := range recs[1:] {
		line := rec.Row
		field := func(name string) string {
			if i := col[name]; i < len(rec.Fields) {
				return strings.TrimSpace(rec.Fields[i])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec.Fields, "")) == "" {
			continue
		}
		dept, ok := byName[strings.ToLower(field("department"))]
		if !ok {
			id, err := strconv.ParseInt(field("department"), 10, 64)
			if err != nil {
				return fail(line, "there is no department %q", field("department"))
			}
			dept = id
		}
		if err := s.worksSvc.Org(c, dept); err != nil {
			return fail(line, "there is no department %q", field("department"))
		}
		year, err := period.ParseYear(field("year"))
		if err != nil {
			return fail(line, "%v", err)
		}
		amount, err := money.Parse(field("amount"))
		if errors.Is(err, money.ErrOverflow) {
			return fail(line, "amount %q is more than £%s, which cannot be right", field("amount"), money.Whole(money.Max))
		} else if err != nil {
			return fail(line, "amount %q is %v", field("amount"), err)
		}
		// Two rows for one department and year: which is meant cannot
		// be guessed, so neither is taken.
		k := [2]int64{dept, int64(year)}
		if at, dup := first[k]; dup {
			return fail(line, "%s's %s budget is also on row %d", field("department"), period.YearLabel(year), at)
		}
		first[k] = line
		bs = append(bs, works.Budget{DepartmentID: dept, Year: year, AmountPence: amount})
		rowOf = append(rowOf, line)
	}
	if err := s.worksSvc.ImportBudgets(r.Context(), c, bs); err != nil {
		var ie *store.ItemError
		var inv *store.InvalidError
		if errors.As(err, &ie) && errors.As(ie.Err, &inv) && ie.Index < len(rowOf) {
			return fail(rowOf[ie.Index], "%s", inv.Msg)
		}
		return httpx.Refusal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]int{"imported": len(bs)})
	return nil
}

func (s *API) listWorksOrders(w http.ResponseWriter, r *http.Request) error {
	b, err := s.worksBook(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, b.Orders())
	return nil
}

// worksOrder returns the book and the request's order, if the user may
// read it: an order of a department outside their scope is a 404.
func (s *API) worksOrder(r *http.Request) (*works.Book, works.Order, error) {
	id, err := httpx.PathID(r, "order")
	if err != nil {
		return nil, works.Order{}, err
	}
	b, err := s.worksBook(r)
	if err != nil {
		return nil, works.Order{}, err
	}
	o, ok := b.Order(id)
	if !ok {
		return nil, works.Order{}, httpx.Errorf(http.StatusNotFound, fmt.Sprintf("no works order %d", id), nil)
	}
	return b, o, nil
}

func (s *API) getWorksOrder(w http.ResponseWriter, r *http.Request) error {
	b, o, err := s.worksOrder(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, b.OrderRow(o))
	return nil
}

// orderAnswer is a change of an order: the order as it now is, and the
// warnings the change set off.
type orderAnswer struct {
	Order    works.OrderRow  `json:"order"`
	Warnings []works.Warning `json:"warnings"`
}

type orderInput struct {
	ContractID    int64  `json:"contract_id"`
	DepartmentID  int64  `json:"department_id"`
	Kind          string `json:"kind"`
	Funding       string `json:"funding"`
	Title         string `json:"title"`
	EstimatePence int64  `json:"estimate_pence"`
}

// raiseWorksOrder records a department's order, dated now: it counts
// against the department's budget for this financial year and the
// contract's allowance for this contract year. It answers with the
// warnings its estimate sets off, but is never refused for them: asking
// commits nothing.
func (s *API) raiseWorksOrder(w http.ResponseWriter, r *http.Request) error {
	c := worksCaller(r)
	if err := s.worksSvc.MayChange(c); err != nil {
		return httpx.Refusal(err)
	}
	var in orderInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	o, ws, err := s.worksSvc.Raise(r.Context(), c, works.NewOrder{ContractID: in.ContractID, DepartmentID: in.DepartmentID, Kind: in.Kind,
		Funding: in.Funding, Title: in.Title, EstimatePence: in.EstimatePence})
	if err != nil {
		return httpx.Refusal(err)
	}
	return s.answerOrder(w, r, http.StatusCreated, o.ID, ws)
}

// answerOrder writes the order as it now is, with the warnings ws the
// service found.
func (s *API) answerOrder(w http.ResponseWriter, r *http.Request, code int, id int64, ws []works.Warning) error {
	b, err := s.worksBook(r)
	if err != nil {
		return err
	}
	o, ok := b.Order(id)
	if !ok {
		return httpx.Errorf(http.StatusNotFound, fmt.Sprintf("no works order %d", id), nil)
	}
	if ws == nil {
		ws = []works.Warning{}
	}
	httpx.WriteJSON(w, code, orderAnswer{Order: b.OrderRow(o), Warnings: ws})
	return nil
}

type stepInput struct {
	AmountPence    *int64 `json:"amount_pence"`
	OverrideReason string `json:"override_reason"`
}

const maxOverride = 500

// stepWorksOrder takes an order a step on: quote (the contractor's
// price), approve (at the quote unless an amount is given), complete (at
// its final cost) or cancel.
func (s *API) stepWorksOrder(to string) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		// The service reads the order (its quote, the amount approved
		// by default) and checks its warnings in the step's own
		// transaction.
		_, o, err := s.worksOrder(r)
		if err != nil {
			return err
		}
		c := worksCaller(r)
		if err := s.worksSvc.MayChange(c); err != nil {
			return httpx.Refusal(err)
		}
		var in stepInput
		if err := httpx.DecodeOptionalJSON(r, &in); err != nil {
			return err
		}
		in.OverrideReason = strings.TrimSpace(in.OverrideReason)
		if len(in.OverrideReason) > maxOverride {
			return httpx.BadRequest(fmt.Sprintf("an override reason is at most %d characters", maxOverride))
		}
		step := works.Step{To: to}
		switch to {
		case works.Quoted, works.Completed:
			if in.AmountPence == nil {
				return httpx.BadRequest("give amount_pence: the quote, or the final cost")
			}
			step.Amount = *in.AmountPence
		case works.Approved:
			// Without an amount, at the quote; more than nothing, and
			// past its warnings only with a reason, which is kept: the
			// service decides.
			step.AtQuote = in.AmountPence == nil
			if in.AmountPence != nil {
				step.Amount = *in.AmountPence
			}
			step.Override = in.OverrideReason
		}
		_, ws, err := s.worksSvc.TakeStep(r.Context(), c, o.ID, step)
		var over *works.OverrideNeeded
		if errors.As(err, &over) {
			httpx.WriteJSON(w, http.StatusConflict, map[string]any{"error": over.Error(), "warnings": over.Warnings})
			return nil
		}
		if err != nil {
			return httpx.Refusal(err)
		}
		return s.answerOrder(w, r, http.StatusOK, o.ID, ws)
	}
}
