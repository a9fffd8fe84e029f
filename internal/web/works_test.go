package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/store"
)

// worksEnv is a partnership with two councils, the first with two
// departments and the second with one, and a user for each view of it.
type worksEnv struct {
	*signinEnv
	harrow, housing, facilities, brentParks  int64
	manager, officer, brentManager, operator string // API tokens
}

func newWorksEnv(t *testing.T, dsn string) *worksEnv {
	e := &worksEnv{signinEnv: newSigninEnv(t, dsn, nil)}
	ctx := context.Background()
	org := func(name, kind string, parent int64) int64 {
		o := access.Organisation{Name: name, Kind: kind, ParentID: parent}
		if err := e.st.CreateOrganisation(ctx, &o); err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	top := org("Partnership", "partnership", 0)
	e.harrow = org("Harrow", "council", top)
	brent := org("Brent", "council", top)
	e.housing, e.facilities = org("Housing", "department", e.harrow), org("Facilities", "department", e.harrow)
	e.brentParks = org("Brent Parks", "department", brent)
	user := func(name, role string, org int64) string {
		u := identity.User{Username: name, PasswordHash: "unusable", OrganisationID: org, Role: role}
		if err := e.st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		return e.apiToken(u)
	}
	e.manager = user("manager", "cctv_manager", top)
	e.officer = user("harrow-officer", "partner_officer", e.harrow)
	e.brentManager = user("brent-manager", "cctv_manager", brent)
	e.operator = user("operator", "operator", top)
	e.srv.changed()
	e.clock.t = time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	return e
}

// call sends a request with an API token and returns the status and body.
func (e *worksEnv) call(token, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "text/csv"
	default:
		j, _ := json.Marshal(b)
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/html")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// want makes a call and fails unless it answers code; it decodes a JSON
// answer into out.
func (e *worksEnv) want(code int, token, method, path string, body, out any) []byte {
	e.t.Helper()
	got, b := e.call(token, method, path, body)
	if got != code {
		e.t.Fatalf("%s %s: got %d %s, want %d", method, path, got, b, code)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return b
}

func warningCodes(ws []struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}) string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Code)
	}
	return strings.Join(out, ",")
}

type orderAnswerT struct {
	Order struct {
		ID             int64  `json:"id"`
		State          string `json:"state"`
		OverrideReason string `json:"override_reason"`
		CommittedPence int64  `json:"committed_pence"`
		ApprovedBy     string `json:"approved_by"`
	} `json:"order"`
	Warnings []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"warnings"`
}

// TestWorksHTTP follows Harrow's case through the API with a fake clock:
// a contract, budgets set and imported, orders raised, quoted, approved
// (one past its department's budget, refused until a reason is given)
// and completed, and the figures each user may see.
func TestWorksHTTP(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newWorksEnv(t, dsn)
		contract := map[string]any{"organisation_id": e.harrow, "reference": "VSS-2025", "supplier": "DSSL Ltd", "value_pence": 174_200_000,
			"starts_on": "2025-10-31", "ends_on": "2027-08-01", "allowances": []map[string]any{
				{"contract_year": 1, "funding": "ad_hoc", "amount_pence": 10_000_000}, {"contract_year": 2, "funding": "ad_hoc", "amount_pence": 10_000_000}}}
		// Only the partnership's manager changes anything.
		for name, tok := range map[string]string{"officer": e.officer, "council's manager": e.brentManager} {
			if code, b := e.call(tok, "POST", "/api/v1/works/contracts", contract); code != http.StatusForbidden {
				t.Errorf("%s creating a contract: got %d %s, want 403", name, code, b)
			}
		}
		if code, _ := e.call(e.operator, "GET", "/api/v1/works/contracts", nil); code != http.StatusForbidden {
			t.Errorf("an operator listing contracts: got %d, want 403", code)
		}
		var c struct {
			ID int64 `json:"id"`
		}
		e.want(201, e.manager, "POST", "/api/v1/works/contracts", contract, &c)

		e.want(200, e.manager, "PUT", "/api/v1/works/budgets", map[string]any{"department_id": e.housing, "year": "2025/26", "amount_pence": 5_000_000}, nil)
		if code, b := e.call(e.manager, "PUT", "/api/v1/works/budgets", map[string]any{"department_id": e.harrow, "year": "2025/26", "amount_pence": 1}); code != 400 {
			t.Errorf("a budget for a council: got %d %s, want 400", code, b)
		}
		if code, b := e.call(e.officer, "POST", "/api/v1/works/budgets/import", "department,year,amount\nFacilities,2025/26,1\n"); code != 403 {
			t.Errorf("the officer importing budgets: got %d %s, want 403", code, b)
		}
		bad := "department,year,amount\nFacilities,2025/26,\"20,000.00\"\nNowhere,2025/26,5\n"
		if code, b := e.call(e.manager, "POST", "/api/v1/works/budgets/import", bad); code != 400 || !strings.Contains(string(b), "row 3") {
			t.Errorf("an import with a bad row 3: got %d %s, want 400 naming row 3", code, b)
		}
		var imported map[string]int
		e.want(200, e.manager, "POST", "/api/v1/works/budgets/import", "Department, Amount ,Year\nFacilities,\"£20,000.00\",2025/26\nBrent Parks,1000.5,2025-26\n", &imported)
		if imported["imported"] != 2 {
			t.Errorf("imported: got %v, want 2", imported)
		}

		// Order 1 fits; order 2 would take Housing past its £50,000.
		var o1, o2, o3 orderAnswerT
		raise := func(title string, estimate int64, out *orderAnswerT) {
			e.want(201, e.manager, "POST", "/api/v1/works/orders", map[string]any{"contract_id": c.ID, "department_id": e.housing,
				"kind": "new_installation", "funding": "ad_hoc", "title": title, "estimate_pence": estimate}, out)
		}
		raise("Cameras for the Grange Farm estate", 3_000_000, &o1)
		if len(o1.Warnings) != 0 || o1.Order.State != "raised" {
			t.Errorf("order 1 raised: got %+v, want raised without warnings", o1)
		}
		e.want(200, e.manager, "POST", fmt.Sprintf("/api/v1/works/orders/%d/quote", o1.Order.ID), map[string]any{"amount_pence": 4_500_000}, &o1)
		e.want(200, e.manager, "POST", fmt.Sprintf("/api/v1/works/orders/%d/approve", o1.Order.ID), nil, &o1)
		if o1.Order.State != "approved" || o1.Order.CommittedPence != 4_500_000 || len(o1.Warnings) != 0 {
			t.Errorf("order 1 approved: got %+v, want approved for £45,000 without warnings", o1)
		}
		raise("Relocate the Wealdstone camera", 1_000_000, &o2)
		if warningCodes(o2.Warnings) != "over_budget" {
			t.Errorf("raising order 2: got warnings %v, want over_budget", o2.Warnings)
		}
		e.want(200, e.manager, "POST", fmt.Sprintf("/api/v1/works/orders/%d/quote", o2.Order.ID), map[string]any{"amount_pence": 1_000_000}, &o2)
		var refused struct {
			Error    string `json:"error"`
			Warnings []struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"warnings"`
		}
		e.want(409, e.manager, "POST", fmt.Sprintf("/api/v1/works/orders/%d/approve", o2.Order.ID), nil, &refused)
		if warningCodes(refused.Warnings) != "over_budget" || !strings.Contains(refused.Error, "Housing's 2025/26 budget would be committed to £55,000.00 of £50,000.00, £5,000.00 over") {
			t.Errorf("approving order 2: got %+v, want over_budget, in words", refused)
		}
		e.want(200, e.manager, "GET", fmt.Sprintf("/api/v1/works/orders/%d", o2.Order.ID), nil, &o2.Order)
		if o2.Order.State != "quoted" {
			t.Errorf("after the refusal order 2 is %s, want quoted", o2.Order.State)
		}
		e.want(200, e.manager, "POST", fmt.Sprintf("/api/v1/works/orders/%d/approve", o2.Order.ID), map[string]any{"override_reason": "Cabinet agreed the overspend"}, &o2)
		if o2.Order.State != "approved" || o2.Order.OverrideReason != "Cabinet agreed the overspend" || o2.Order.ApprovedBy != "manager" {
			t.Errorf("order 2 approved with a reason: got %+v", o2.Order)
		}
		// Order 3 asks for more than the year's ad hoc allowance.
		raise("Borough-wide upgrade", 9_000_000, &o3)
		if warningCodes(o3.Warnings) != "over_allowance,over_budget" {
			t.Errorf("raising order 3: got warnings %v, want over_allowance,over_budget", o3.Warnings)
		}

		e.clock.add(10 * 24 * time.Hour)
		e.want(200, e.manager, "POST", fmt.Sprintf("/api/v1/works/orders/%d/complete", o1.Order.ID), map[string]any{"amount_pence": 4_700_000}, &o1)
		if code, _ := e.call(e.manager, "POST", fmt.Sprintf("/api/v1/works/orders/%d/cancel", o1.Order.ID), nil); code != 400 {
			t.Errorf("cancelling a completed order: got %d, want 400", code)
		}
		e.want(200, e.manager, "POST", fmt.Sprintf("/api/v1/works/orders/%d/cancel", o3.Order.ID), nil, &o3)

		// Every change is in the audit trail, the override with its reason.
		es, err := e.srv.opt.Audit.Store().ListAudit(context.Background(), store.AuditFilter{Action: "works.order.approve", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 2 || !slices.ContainsFunc(es, func(a store.AuditRecord) bool {
			return a.Username == "manager" && strings.Contains(a.Detail, "past its warnings: Cabinet agreed the overspend")
		}) {
			t.Errorf("the audit trail's approvals: got %+v, want two by manager, one with its override reason", es)
		}

		// The figures: £47,000 spent, £57,000 committed, all of it in
		// the last 90 days (the contract is 104 days old).
		var cs []struct {
			Reference      string `json:"reference"`
			SpentPence     int64  `json:"spent_pence"`
			CommittedPence int64  `json:"committed_pence"`
			RemainingPence int64  `json:"remaining_pence"`
			Allowances     []struct {
				CommittedPence int64 `json:"committed_pence"`
			} `json:"allowances"`
			Forecast struct {
				WindowDays int     `json:"window_days"`
				RunOut     *string `json:"run_out"`
				BeforeEnd  bool    `json:"before_end"`
			} `json:"forecast"`
		}
		e.want(200, e.officer, "GET", "/api/v1/works/contracts", nil, &cs)
		// £1,685,000 left at £57,000 per 90 days: 2,661 days from 11
		// February 2026, long after the contract ends.
		if len(cs) != 1 || cs[0].SpentPence != 4_700_000 || cs[0].CommittedPence != 5_700_000 || cs[0].RemainingPence != 168_500_000 ||
			cs[0].Allowances[0].CommittedPence != 5_700_000 || cs[0].Forecast.WindowDays != 90 || cs[0].Forecast.RunOut == nil ||
			*cs[0].Forecast.RunOut != time.Date(2026, 2, 11, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 2661).Format(time.DateOnly) || cs[0].Forecast.BeforeEnd {
			t.Errorf("the officer's contracts: got %+v", cs)
		}
		var none []any
		e.want(200, e.brentManager, "GET", "/api/v1/works/contracts", nil, &none)
		if len(none) != 0 {
			t.Errorf("Brent's manager sees Harrow's contract: %v", none)
		}
		if code, _ := e.call(e.brentManager, "GET", fmt.Sprintf("/api/v1/works/contracts/%d", c.ID), nil); code != 404 {
			t.Errorf("Brent's manager getting Harrow's contract: got %d, want 404", code)
		}
		if code, _ := e.call(e.brentManager, "GET", fmt.Sprintf("/api/v1/works/orders/%d", o1.Order.ID), nil); code != 404 {
			t.Errorf("Brent's manager getting Harrow's order: got %d, want 404", code)
		}

		type budget struct {
			Department     string `json:"department"`
			HasBudget      bool   `json:"has_budget"`
			BudgetPence    int64  `json:"budget_pence"`
			SpentPence     int64  `json:"spent_pence"`
			CommittedPence int64  `json:"committed_pence"`
			RemainingPence int64  `json:"remaining_pence"`
		}
		for _, tt := range []struct {
			name, token string
			want        []budget
		}{
			{"partnership manager", e.manager, []budget{{"Brent Parks", true, 100_050, 0, 0, 100_050}, {"Facilities", true, 2_000_000, 0, 0, 2_000_000},
				{"Housing", true, 5_000_000, 4_700_000, 5_700_000, -700_000}}},
			{"Harrow's officer", e.officer, []budget{{"Facilities", true, 2_000_000, 0, 0, 2_000_000}, {"Housing", true, 5_000_000, 4_700_000, 5_700_000, -700_000}}},
			{"Brent's manager", e.brentManager, []budget{{"Brent Parks", true, 100_050, 0, 0, 100_050}}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var got []budget
				e.want(200, tt.token, "GET", "/api/v1/works/budgets?year=2025/26", nil, &got)
				if !slices.Equal(got, tt.want) {
					t.Errorf("budgets 2025/26: got %+v, want %+v", got, tt.want)
				}
				var next []budget
				e.want(200, tt.token, "GET", "/api/v1/works/budgets?year=2026/27", nil, &next)
				for _, b := range next {
					if b.HasBudget {
						t.Errorf("2026/27: got a budget for %s, want none", b.Department)
					}
				}
			})
		}

		// CSV: every table, scoped like the API.
		for _, tt := range []struct {
			token, path string
			rows        int
			has, hasNot string
		}{
			{e.officer, "/works/orders.csv", 3, "Cabinet agreed the overspend", "Brent"},
			{e.brentManager, "/works/orders.csv", 0, "", "Grange Farm"},
			{e.officer, "/works/budgets.csv?year=2025/26", 2, "Housing,Harrow,2025/26,50000.00,47000.00,57000.00,-7000.00", "Brent Parks"},
			{e.officer, "/works/allowances.csv", 2, "VSS-2025,2,ad_hoc,100000.00,0.00,100000.00", ""},
			{e.brentManager, "/works/allowances.csv", 0, "", "VSS-2025"},
			{e.manager, "/works/contracts.csv", 1, "VSS-2025,DSSL Ltd,Harrow,1742000.00,2025-10-31,2027-08-01,47000.00,57000.00,1685000.00,90,57000.00", ""},
		} {
			t.Run(tt.path, func(t *testing.T) {
				code, b := e.call(tt.token, "GET", tt.path, nil)
				if code != 200 {
					t.Fatalf("got %d %s, want 200", code, b)
				}
				recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
				if err != nil || len(recs)-1 != tt.rows {
					t.Fatalf("got %d rows (%v), want %d:\n%s", len(recs)-1, err, tt.rows, b)
				}
				if tt.has != "" && !strings.Contains(string(b), tt.has) || tt.hasNot != "" && strings.Contains(string(b), tt.hasNot) {
					t.Errorf("got\n%s\nwant it to hold %q and not %q", b, tt.has, tt.hasNot)
				}
			})
		}
		// An exported budget file imports again unchanged.
		_, exported := e.call(e.manager, "GET", "/works/budgets.csv?year=2025/26", nil)
		e.want(200, e.manager, "POST", "/api/v1/works/budgets/import", string(exported), &imported)
		if imported["imported"] != 3 {
			t.Errorf("re-importing the export: got %v, want 3", imported)
		}

		// Pages: drawn with their chart; forms only for the manager.
		for _, tt := range []struct {
			token, path string
			has, hasNot []string
		}{
			{e.manager, "/works", []string{"<svg", "VSS-2025", "£1,742,000.00", "£47,000.00"}, nil},
			{e.officer, "/works/orders", []string{"Grange Farm", "Cabinet agreed the overspend"}, []string{"Raise an order", "data-action=\"approve\""}},
			{e.manager, "/works/orders", []string{"Raise an order", "Relocate the Wealdstone camera"}, nil},
			{e.manager, "/works/budgets?year=2025/26", []string{"Brent Parks", "Import budgets from CSV", "-£7,000.00"}, nil},
			{e.officer, "/works/budgets?year=2025/26", []string{"Housing"}, []string{"Brent Parks", "Import budgets"}},
		} {
			t.Run(tt.path, func(t *testing.T) {
				code, b := e.call(tt.token, "GET", tt.path, nil)
				if code != 200 {
					t.Fatalf("got %d, want 200", code)
				}
				for _, s := range tt.has {
					if !strings.Contains(string(b), s) {
						t.Errorf("the page lacks %q", s)
					}
				}
				for _, s := range tt.hasNot {
					if strings.Contains(string(b), s) {
						t.Errorf("the page holds %q", s)
					}
				}
			})
		}
		// An operator is told why they may not see the pages, not sent
		// home (the live wall, whose views start and are audited).
		req, _ := http.NewRequest("GET", e.ts.URL+"/works", nil)
		req.Header.Set("Authorization", "Bearer "+e.operator)
		req.Header.Set("Accept", "text/html")
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || res.Header.Get("Location") != "" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("an operator's /works: got %d %s to %q, want a 403 page and no redirect", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Location"))
		}
		page := html.UnescapeString(string(b))
		for _, s := range []string{
			"This page needs the right to read finance figures",
			"Your role (operator) does not allow it.",
			"CCTV manager", "partner officer", // the roles that hold it
			"an administrator of Partnership", // who can grant it
			`href="/"`,
		} {
			if !strings.Contains(page, s) {
				t.Errorf("the refused page lacks %q:\n%s", s, page)
			}
		}
		for _, s := range []string{"wall.js", "supervisor", "auditor"} {
			if strings.Contains(page, s) {
				t.Errorf("the refused page holds %q", s)
			}
		}
	})
}

// TestWorksConcurrentApprovals: two orders that each fit the budget but
// not together, approved at the same moment: one is approved, the other
// refused for the budget, never both approved.
func TestWorksConcurrentApprovals(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newWorksEnv(t, dsn)
		var c struct {
			ID int64 `json:"id"`
		}
		e.want(201, e.manager, "POST", "/api/v1/works/contracts", map[string]any{"organisation_id": e.harrow, "reference": "VSS", "supplier": "S",
			"value_pence": 100_000_000, "starts_on": "2025-10-31", "ends_on": "2027-08-01"}, &c)
		e.want(200, e.manager, "PUT", "/api/v1/works/budgets", map[string]any{"department_id": e.housing, "year": "2025/26", "amount_pence": 1_000_000}, nil)
		var ids []int64
		for range 2 {
			var o orderAnswerT
			e.want(201, e.manager, "POST", "/api/v1/works/orders", map[string]any{"contract_id": c.ID, "department_id": e.housing,
				"kind": "repair", "title": "half and a bit"}, &o)
			e.want(200, e.manager, "POST", fmt.Sprintf("/api/v1/works/orders/%d/quote", o.Order.ID), map[string]any{"amount_pence": 600_000}, nil)
			ids = append(ids, o.Order.ID)
		}
		codes := make(chan int, 2)
		for _, id := range ids {
			go func() {
				code, _ := e.call(e.manager, "POST", fmt.Sprintf("/api/v1/works/orders/%d/approve", id), nil)
				codes <- code
			}()
		}
		got := []int{<-codes, <-codes}
		slices.Sort(got)
		if !slices.Equal(got, []int{200, 409}) {
			t.Errorf("two approvals at once: got %v, want one 200 and one 409", got)
		}
	})
}
