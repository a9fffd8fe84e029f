package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/secret"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
	"github.com/vigil-cctv/vigil/internal/works"
)

// BenchmarkWorks measures the works pages' figures far beyond any
// council's size: 4 councils of 25 departments each, a contract per
// council and 10,000 orders (a tenth still to be decided, each of which
// the list checks for warnings). The figures are read and added up on
// every request; there is no cache to go stale.
//
//	go test ./internal/web -run '^$' -bench Works -benchtime 50x
//
// With VIGIL_TEST_POSTGRES set it runs on PostgreSQL too.
func BenchmarkWorks(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchWorks(b, filepath.Join(b.TempDir(), "vigil.db")) })
	if pg := testkit.PostgresURL(); pg != "" {
		b.Run("postgres", func(b *testing.B) { benchWorks(b, testkit.PostgresSchema(b, pg)) })
	}
}

func benchWorks(b *testing.B, dsn string) {
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	top := access.Organisation{Name: "Partnership", Kind: "partnership"}
	must(st.CreateOrganisation(ctx, &top))
	start := time.Date(2020, 4, 1, 0, 0, 0, 0, time.UTC)
	var contracts []works.Contract
	var depts [][]int64
	for c := range 4 {
		council := access.Organisation{Name: fmt.Sprintf("Council %d", c), Kind: "council", ParentID: top.ID}
		must(st.CreateOrganisation(ctx, &council))
		con := works.Contract{OrganisationID: council.ID, Reference: fmt.Sprintf("C%d", c), Supplier: "S", ValuePence: 1 << 40,
			StartsOn: start, EndsOn: start.AddDate(10, 0, 0).AddDate(0, 0, -1)}
		for y := 1; y <= 10; y++ {
			con.Allowances = append(con.Allowances, works.Allowance{Year: y, Funding: works.AdHoc, AmountPence: 10_000_000})
		}
		must(st.CreateWorksContract(ctx, &con))
		contracts = append(contracts, con)
		var ds []int64
		var budgets []works.Budget
		for d := range 25 {
			dept := access.Organisation{Name: fmt.Sprintf("Council %d dept %d", c, d), Kind: "department", ParentID: council.ID}
			must(st.CreateOrganisation(ctx, &dept))
			ds = append(ds, dept.ID)
			for y := 2020; y < 2030; y++ {
				budgets = append(budgets, works.Budget{DepartmentID: dept.ID, Year: y, AmountPence: 5_000_000})
			}
		}
		must(st.SetWorksBudgets(ctx, budgets, "bench"))
		depts = append(depts, ds)
	}
	for i := range 10_000 {
		c := i % 4
		at := start.Add(time.Duration(i) * 8 * time.Hour)
		o := works.Order{ContractID: contracts[c].ID, DepartmentID: depts[c][i/4%25], Kind: works.Repair, Funding: works.AdHoc,
			Title: fmt.Sprintf("Order %d", i), BudgetYear: period.YearOf(at), ContractYear: works.ContractYear(start, at), RaisedAt: at, RaisedBy: "bench"}
		must(st.CreateWorksOrder(ctx, &o))
		if i%10 == 0 {
			continue
		}
		_, err := st.StepWorksOrder(ctx, o.ID, works.Step{To: works.Quoted, Amount: 100_000, At: at, By: "bench"})
		must(err)
		_, err = st.StepWorksOrder(ctx, o.ID, works.Step{To: works.Approved, Amount: 100_000, At: at, By: "bench"})
		must(err)
	}
	u := identity.User{Username: "manager", PasswordHash: "unusable", OrganisationID: top.ID, Role: "cctv_manager"}
	must(st.CreateUser(ctx, &u))
	tok, hash := auth.NewToken()
	must(st.CreateToken(ctx, &identity.Token{UserID: u.ID, Name: "bench", Hash: hash}))
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secret.New(key)
	must(err)
	srv, err := New(Options{Store: st, Secrets: box})
	must(err)
	defer srv.Close()
	srv.now = func() time.Time { return start.AddDate(9, 0, 0) }
	for _, path := range []string{"/api/v1/works/orders", "/api/v1/works/contracts", "/api/v1/works/budgets?year=2028/29", "/works"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: got %d %s", path, w.Code, w.Body)
				}
			}
		})
	}
}
