package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/web/api"
)

// TestFinanceBudgetsRefusedChangeNothing: a PUT of a year's settings and
// budgets is one change; refused for any part, the year's unit, fixed
// element and budgets are as they were.
func TestFinanceBudgetsRefusedChangeNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		f := newFinanceEnv(t, dsn)
		f.want(200, f.manager, "PUT", "/api/v1/finance/budgets?year=2024/25", "", map[string]any{"unit": 1000,
			"budgets": []map[string]int64{{"organisation_id": f.a, "budget": 100_00}}})
		for _, tc := range []struct {
			name    string
			budgets []map[string]int64
			want    string
		}{
			{"no such organisation", []map[string]int64{{"organisation_id": f.a, "budget": 200_00}, {"organisation_id": 9999, "budget": 1}}, "budget 2"},
			{"negative proportion", []map[string]int64{{"organisation_id": f.a, "budget": 200_00, "fixed_proportion": -1}}, "budget 1"},
			{"budget past the bound", []map[string]int64{{"organisation_id": f.b, "budget": math.MaxInt64}}, "budget 1"},
			{"an organisation twice", []map[string]int64{{"organisation_id": f.a, "budget": 1}, {"organisation_id": f.a, "budget": 2}}, "budget 2"},
		} {
			b := f.want(400, f.manager, "PUT", "/api/v1/finance/budgets?year=2024/25", "", map[string]any{"unit": 500, "fixed": 0, "budgets": tc.budgets})
			if !strings.Contains(string(b), tc.want) {
				t.Errorf("%s: got %s, want it to name %s", tc.name, b, tc.want)
			}
			var yr api.FinanceYearJSON
			must(t, json.Unmarshal(f.want(200, f.manager, "GET", "/api/v1/finance/budgets?year=2024/25", "", nil), &yr))
			if yr.Unit != 1000 || len(yr.Budgets) != 1 || yr.Budgets[0].Budget != 100_00 {
				t.Errorf("%s: after the refusal got unit %d and budgets %+v, want £10 and A's £100 as before", tc.name, yr.Unit, yr.Budgets)
			}
		}
	})
}

// TestFinanceHistoryImportAllOrNothing: a history import whose third
// row cannot be entered writes nothing, added or replacing, and names
// row 4 as a spreadsheet shows it, though a note of the first row runs
// over two lines of the file.
func TestFinanceHistoryImportAllOrNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		f := newFinanceEnv(t, dsn)
		ctx := context.Background()
		var cams []int64
		for i := range 3 {
			c := cameras.Camera{OrganisationID: f.a, Name: "Cam " + itoa(int64(i)), URL: "rtsp://192.0.2.1/x"}
			must(t, f.st.CreateCamera(ctx, &c))
			cams = append(cams, c.ID)
		}
		file := "camera,date,event,category,organisation,note\n" +
			"Cam 0,2020-01-01,installed,proactive,Council A,\"bought\nsecond hand\"\n" +
			"Cam 1,2020-01-01,installed,proactive,Council A,\n" +
			"Cam 2,2020-01-01,installed,proactive,Council A," + strings.Repeat("n", 501) + "\n"
		for _, path := range []string{"/api/v1/finance/import/history", "/api/v1/finance/import/history?replace=1"} {
			b := f.want(400, f.manager, "POST", path, "text/csv", file)
			if !strings.Contains(string(b), "row 4:") {
				t.Errorf("%s: got %s, want it to name row 4", path, b)
			}
			for _, c := range cams {
				if h := f.history(c); len(h) != 0 {
					t.Errorf("%s: camera %d's history after the refusal: got %+v, want nothing written", path, c, h)
				}
			}
		}
		// A blank line is a row of the spreadsheet too.
		b := f.want(400, f.manager, "POST", "/api/v1/finance/import/history", "text/csv",
			"camera,date,event,category\nCam 0,2020-01-01,installed,proactive\n\nCam 1,2020-13-01,installed,proactive\n")
		if !strings.Contains(string(b), "row 4:") {
			t.Errorf("a bad date after a blank line: got %s, want it to name row 4", b)
		}
		if h := f.history(cams[0]); len(h) != 0 {
			t.Errorf("camera 0's history after the refusal: got %+v, want nothing", h)
		}
	})
}

// TestFinanceDuplicateLineNamesRows: a line named twice in an import is
// refused naming its spreadsheet row and the row that named it first;
// in the API, its place in the list.
func TestFinanceDuplicateLineNamesRows(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		f := newFinanceEnv(t, dsn)
		file := "name,budget,estimate,comment\n" +
			"Employees,100,100,\"vacant post,\nfilled in June\"\n" +
			"Premises,50,50,\n" +
			"\n" +
			"employees,10,10,\n"
		b := f.want(400, f.manager, "POST", "/api/v1/finance/import/lines?period=2024/25-Q2", "text/csv", file)
		if !strings.Contains(string(b), "row 5:") || !strings.Contains(string(b), "row 2") {
			t.Errorf("a line named twice: got %s, want it to name row 5 and row 2", b)
		}
		b = f.want(400, f.manager, "PUT", "/api/v1/finance/lines?period=2024/25-Q2", "", []finance.Line{{Name: "A"}, {Name: "B"}, {Name: "a"}})
		if !strings.Contains(string(b), "line 3:") || !strings.Contains(string(b), "line 1") {
			t.Errorf("a line named twice in the API: got %s, want it to name line 3 and line 1", b)
		}
		var lines []finance.Line
		must(t, json.Unmarshal(f.want(200, f.manager, "GET", "/api/v1/finance/lines?period=2024/25-Q2", "", nil), &lines))
		if len(lines) != 0 {
			t.Errorf("lines after the refusals: got %+v, want none", lines)
		}
	})
}

// TestFinanceWeightsAndAmountsThatDoNotFit: a negative weight is refused
// (it was stored without its sign); amounts whose sum does not fit in
// int64 pence are refused when entered, naming the row or line, instead
// of wrapping into a negative balance; figures already stored that do
// not add up make the statement a 422, not a wrapped number or a 500.
func TestFinanceWeightsAndAmountsThatDoNotFit(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		f := newFinanceEnv(t, dsn)
		for _, w := range []string{"-0.5", "-0", "+1", "1e3", "0.5.1"} {
			f.want(400, f.manager, "PUT", "/api/v1/finance/categories/mobile", "", map[string]any{"title": "Mobile", "weight": w})
		}
		var cats []map[string]any
		must(t, json.Unmarshal(f.want(200, f.manager, "GET", "/api/v1/finance/categories", "", nil), &cats))
		if len(cats) != 2 {
			t.Errorf("categories after refused weights: got %v, want proactive and reactive alone", cats)
		}
		// A category not recharged: weight 0 is allowed.
		f.want(200, f.manager, "PUT", "/api/v1/finance/categories/test", "", map[string]any{"title": "Test cameras", "weight": "0"})

		// 1,100 rows of £90 trillion each: old bound let each through
		// and their sum past MaxInt64 pence wrapped.
		var file strings.Builder
		file.WriteString("name,budget,actuals,estimate\n")
		for i := range 1100 {
			fmt.Fprintf(&file, "Line %d,\"90,000,000,000,000\",0,\"90,000,000,000,000\"\n", i)
		}
		b := f.want(400, f.manager, "POST", "/api/v1/finance/import/lines?period=2024/25-Q2", "text/csv", file.String())
		if !strings.Contains(string(b), "row 2:") {
			t.Errorf("an amount past the bound: got %s, want row 2 named", b)
		}
		b = f.want(400, f.manager, "PUT", "/api/v1/finance/lines?period=2024/25-Q2", "",
			[]finance.Line{{Name: "A", Estimate: math.MaxInt64 - 10}, {Name: "B", Estimate: 20}})
		if !strings.Contains(string(b), "line 1:") {
			t.Errorf("lines near MaxInt64: got %s, want line 1 named", b)
		}
		// Near the bound but within it, each line is taken and the sums
		// are exact.
		f.want(200, f.manager, "PUT", "/api/v1/finance/lines?period=2024/25-Q2", "",
			[]finance.Line{{Name: "A", Estimate: 1_000_000_000_000_000}, {Name: "B", Estimate: 1_000_000_000_000_000}})
		var st api.StatementJSON
		must(t, json.Unmarshal(f.want(200, f.manager, "GET", "/api/v1/finance/statement?period=2024/25-Q2", "", nil), &st))
		if st.Balance.Estimate != 2_000_000_000_000_000 || st.Total.Estimate != st.Balance.Estimate {
			t.Errorf("the statement of two lines at the bound: got balance %d, total %d, want 2e18", st.Balance.Estimate, st.Total.Estimate)
		}

		// Figures stored before these checks, which do not add up.
		db, err := sql.Open(driverOf(dsn), dsn)
		must(t, err)
		defer db.Close()
		_, err = db.Exec(`UPDATE finance_lines SET estimate = $1 WHERE period = '2024/25-Q2'`, int64(math.MaxInt64-5))
		must(t, err)
		for _, path := range []string{"/api/v1/finance/statement?period=2024/25-Q2", "/finance/statement.csv?period=2024/25-Q2"} {
			b := f.want(422, f.manager, "GET", path, "", nil)
			if !strings.Contains(string(b), "too large") {
				t.Errorf("%s of figures that do not add up: got %s, want it to say so", path, b)
			}
		}
	})
}

// driverOf is the database/sql driver of a test's data source name.
func driverOf(dsn string) string {
	if strings.HasPrefix(dsn, "postgres") {
		return "pgx"
	}
	return "sqlite"
}

// TestFinanceFixedLargerThanBalance: a fixed element larger than the
// balance of a period whose lines are entered is refused when entered,
// with a 422 naming both; lines entered afterwards that make it so are
// taken (they are the accounts), and then that period's statement is a
// 422 saying what to correct, never a 500; a period with no lines yet
// applies no fixed element and says so.
func TestFinanceFixedLargerThanBalance(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		f := newFinanceEnv(t, dsn)
		f.want(200, f.manager, "POST", "/api/v1/finance/import/budgets?year=2024/25", "text/csv", "organisation,budget\nCouncil A,\"60,000\"\nCouncil B,\"40,000\"\n")
		f.want(200, f.manager, "POST", "/api/v1/finance/import/lines?period=2024/25-Q2", "text/csv", "name,budget,estimate\nEmployees,\"100,000\",\"100,000\"\n")
		for _, fixed := range []int64{200_000_00, -10_000_00} {
			b := f.want(422, f.manager, "PUT", "/api/v1/finance/budgets?year=2024/25", "", map[string]any{"unit": 1000, "fixed": fixed})
			if !strings.Contains(string(b), "fixed element") || !strings.Contains(string(b), "2024/25-Q2") {
				t.Errorf("fixed %d: got %s, want it refused naming the fixed element and the period", fixed, b)
			}
		}
		var yr api.FinanceYearJSON
		must(t, json.Unmarshal(f.want(200, f.manager, "GET", "/api/v1/finance/budgets?year=2024/25", "", nil), &yr))
		if yr.Fixed != 0 {
			t.Errorf("fixed element after the refusals: got %d, want 0", yr.Fixed)
		}
		f.want(200, f.manager, "GET", "/api/v1/finance/statement?period=2024/25-Q2", "", nil)

		f.want(200, f.manager, "PUT", "/api/v1/finance/budgets?year=2024/25", "", map[string]any{"unit": 1000, "fixed": 50_000_00})
		f.want(200, f.manager, "POST", "/api/v1/finance/import/lines?period=2024/25-Q2", "text/csv", "name,budget,estimate\nEmployees,\"100,000\",\"10,000\"\n")
		for _, path := range []string{"/api/v1/finance/statement?period=2024/25-Q2", "/finance/statement.csv?period=2024/25-Q2", "/finance?period=2024/25-Q2"} {
			b := f.want(422, f.manager, "GET", path, "", nil)
			if !strings.Contains(string(b), "fixed element") {
				t.Errorf("%s: got %s, want a 422 naming the fixed element", path, b)
			}
		}
		var st api.StatementJSON
		must(t, json.Unmarshal(f.want(200, f.manager, "GET", "/api/v1/finance/statement?period=2024/25-Q3", "", nil), &st))
		if st.Fixed != 0 || len(st.Warnings) == 0 || !strings.Contains(strings.Join(st.Warnings, " "), "fixed element") {
			t.Errorf("a quarter with no lines: got fixed %d, warnings %q, want none applied, with a warning", st.Fixed, st.Warnings)
		}
	})
}
