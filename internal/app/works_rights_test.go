package app

import (
	"fmt"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/works"
)

// The works routes in the permission matrix. Every user of the matrix is
// in Council A, so none may change works (that is for the partnership
// itself); those who read finance see Council A's contract, departments
// and orders, and Council B's are hidden.

type worksFixture struct {
	contractA, contractB, orderA, orderB int64
}

var worksFixtures sync.Map // *rightsFixture -> *worksFixture

// works makes, once per fixture, a department, a contract and an order
// of each council.
func (f *rightsFixture) works() *worksFixture {
	if w, ok := worksFixtures.Load(f); ok {
		return w.(*worksFixture)
	}
	ctx := f.t.Context()
	w := &worksFixture{}
	for _, side := range []struct {
		council         int64
		name            string
		contract, order *int64
	}{{f.orgA, "A", &w.contractA, &w.orderA}, {f.orgB, "B", &w.contractB, &w.orderB}} {
		d := access.Organisation{Name: "Works dept " + side.name, Kind: "department", ParentID: side.council}
		mustDo(f.t, f.st.CreateOrganisation(ctx, &d))
		c := works.Contract{OrganisationID: side.council, Reference: "Works " + side.name, Supplier: "Supplier", ValuePence: 1_000_000,
			StartsOn: time.Now().AddDate(0, -1, 0), EndsOn: time.Now().AddDate(1, 0, 0)}
		mustDo(f.t, f.st.CreateWorksContract(ctx, &c))
		o := works.Order{ContractID: c.ID, DepartmentID: d.ID, Kind: "repair", Funding: "ad_hoc", Title: "Matrix order",
			BudgetYear: 2025, ContractYear: 1, RaisedAt: time.Now(), RaisedBy: "matrix"}
		mustDo(f.t, f.st.CreateWorksOrder(ctx, &o))
		*side.contract, *side.order = c.ID, o.ID
	}
	// The server notices the new departments when it next compares the
	// rights version (at most a second); until then they are hidden.
	var manager *roleUser
	for _, u := range f.users {
		if u.role == "cctv_manager" {
			manager = u
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		res, _ := f.send(manager.token, call{method: "GET", path: fmt.Sprintf("/api/v1/works/orders/%d", w.orderA)})
		if res.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("Council A's works order is still hidden from its CCTV manager after 10 s: %d", res.StatusCode)
		}
		time.Sleep(20 * time.Millisecond) // the rights cache announces nothing
	}
	worksFixtures.Store(f, w)
	return w
}

// worksOrderStep probes a step of the council's order: hidden for the
// other council, refused (not the partnership) for one's own.
func worksOrderStep(step string) routeProbe {
	return routeProbe{build: func(f *rightsFixture, u *roleUser, own bool) call {
		w := f.works()
		return call{method: "POST", path: fmt.Sprintf("/api/v1/works/orders/%d/%s", f.pick(own, w.orderA, w.orderB), step),
			body: map[string]any{"amount_pence": 100}}
	}, ok: 403, scoped: true}
}

func worksProbes() map[string]routeProbe {
	return map[string]routeProbe{
		"GET /works":                {build: get("/works"), ok: 200, page: true},
		"GET /works/budgets":        {build: get("/works/budgets"), ok: 200, page: true},
		"GET /works/orders":         {build: get("/works/orders"), ok: 200, page: true},
		"GET /works/contracts.csv":  {build: get("/works/contracts.csv"), ok: 200},
		"GET /works/allowances.csv": {build: get("/works/allowances.csv"), ok: 200},
		"GET /works/budgets.csv":    {build: get("/works/budgets.csv"), ok: 200},
		"GET /works/orders.csv":     {build: get("/works/orders.csv"), ok: 200},
		"GET /api/v1/works/contracts": {build: func(f *rightsFixture, _ *roleUser, _ bool) call {
			f.works()
			return call{method: "GET", path: "/api/v1/works/contracts"}
		}, ok: 200, never: func(f *rightsFixture) []int64 { return []int64{f.works().contractB} }},
		"POST /api/v1/works/contracts": {build: func(f *rightsFixture, _ *roleUser, own bool) call {
			return call{method: "POST", path: "/api/v1/works/contracts", body: map[string]any{"organisation_id": f.pick(own, f.orgA, f.orgB),
				"reference": fmt.Sprintf("New %d", f.n()), "supplier": "S", "value_pence": 100, "starts_on": "2025-10-31", "ends_on": "2027-08-01"}}
		}, ok: 403},
		"GET /api/v1/works/contracts/{id}": {build: func(f *rightsFixture, _ *roleUser, own bool) call {
			w := f.works()
			return call{method: "GET", path: fmt.Sprintf("/api/v1/works/contracts/%d", f.pick(own, w.contractA, w.contractB))}
		}, ok: 200, scoped: true},
		"GET /api/v1/works/budgets": {build: get("/api/v1/works/budgets?year=2025/26"), ok: 200},
		"PUT /api/v1/works/budgets": {build: func(f *rightsFixture, _ *roleUser, own bool) call {
			return call{method: "PUT", path: "/api/v1/works/budgets", body: map[string]any{"department_id": f.pick(own, f.orgA, f.orgB), "year": "2025/26", "amount_pence": 1}}
		}, ok: 403},
		"POST /api/v1/works/budgets/import": {build: func(*rightsFixture, *roleUser, bool) call {
			return call{method: "POST", path: "/api/v1/works/budgets/import", body: []byte("department,year,amount\n"), ctype: "text/csv"}
		}, ok: 403},
		"GET /api/v1/works/orders": {build: func(f *rightsFixture, _ *roleUser, _ bool) call {
			f.works()
			return call{method: "GET", path: "/api/v1/works/orders"}
		}, ok: 200, never: func(f *rightsFixture) []int64 { return []int64{f.works().orderB} }},
		"POST /api/v1/works/orders": {build: func(f *rightsFixture, _ *roleUser, own bool) call {
			w := f.works()
			return call{method: "POST", path: "/api/v1/works/orders", body: map[string]any{"contract_id": f.pick(own, w.contractA, w.contractB),
				"department_id": f.pick(own, f.orgA, f.orgB), "kind": "repair", "title": "matrix"}}
		}, ok: 403},
		"GET /api/v1/works/orders/{id}": {build: func(f *rightsFixture, _ *roleUser, own bool) call {
			w := f.works()
			return call{method: "GET", path: fmt.Sprintf("/api/v1/works/orders/%d", f.pick(own, w.orderA, w.orderB))}
		}, ok: 200, scoped: true},
		"POST /api/v1/works/orders/{id}/quote":    worksOrderStep("quote"),
		"POST /api/v1/works/orders/{id}/approve":  worksOrderStep("approve"),
		"POST /api/v1/works/orders/{id}/complete": worksOrderStep("complete"),
		"POST /api/v1/works/orders/{id}/cancel":   worksOrderStep("cancel"),
	}
}
