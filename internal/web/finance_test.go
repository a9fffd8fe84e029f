package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/web/api"
)

// idleCameras is a camera set that records nothing: the finance tests
// change cameras through the API and need nothing of them running.
type idleCameras struct{}

func (idleCameras) Status(int64) (ingest.Status, bool) { return ingest.Status{}, false }
func (idleCameras) Hub(int64) (*live.Hub, bool)        { return nil, false }
func (idleCameras) TranscodedHub(context.Context, int64) (*live.Hub, error) {
	return nil, io.EOF
}
func (idleCameras) Recording(int64) (recording.Stats, bool)     { return recording.Stats{}, false }
func (idleCameras) Apply(context.Context, cameras.Camera) error { return nil }
func (idleCameras) Stop(int64)                                  {}

// financeEnv is a partnership of two councils with its CCTV manager, a
// partner officer of council A and council A's own CCTV manager.
type financeEnv struct {
	*signinEnv
	a, b                       int64
	manager, officer, managerA string // API tokens
}

func newFinanceEnv(t *testing.T, dsn string) *financeEnv {
	e := newSigninEnv(t, dsn, func(o *Options) { o.Cameras = idleCameras{} })
	ctx := context.Background()
	top, err := e.st.EnsureOrganisation(ctx, "Partnership", "partnership")
	must(t, err)
	org := func(name string) int64 {
		o := access.Organisation{Name: name, Kind: "council", ParentID: top.ID}
		must(t, e.st.CreateOrganisation(ctx, &o))
		return o.ID
	}
	f := &financeEnv{signinEnv: e, a: org("Council A"), b: org("Council B")}
	user := func(name, role string, org int64) string {
		u := identity.User{Username: name, PasswordHash: "unusable", OrganisationID: org, Role: role}
		must(t, e.st.CreateUser(ctx, &u))
		return e.apiToken(u)
	}
	f.manager = user("manager", "cctv_manager", top.ID)
	f.officer = user("officer", "partner_officer", f.a)
	f.managerA = user("manager-a", "cctv_manager", f.a)
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// call makes a request as the holder of token and returns the status
// and body.
func (f *financeEnv) call(token, method, path, ctype string, body any) (int, []byte) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	must(f.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	must(f.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (f *financeEnv) want(code int, token, method, path, ctype string, body any) []byte {
	f.t.Helper()
	got, b := f.call(token, method, path, ctype, body)
	if got != code {
		f.t.Fatalf("%s %s: got %d %s, want %d", method, path, got, b, code)
	}
	return b
}

func (f *financeEnv) history(camera int64) []api.CameraEventJSON {
	f.t.Helper()
	var out []api.CameraEventJSON
	must(f.t, json.Unmarshal(f.want(200, f.manager, "GET", "/api/v1/finance/cameras/"+itoa(camera)+"/history", "", nil), &out))
	return out
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// TestCameraChangesAreDated: adding, recategorising and removing a camera
// through the camera API each leave a dated event in its history.
func TestCameraChangesAreDated(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		f := newFinanceEnv(t, dsn)
		f.want(400, f.manager, "POST", "/api/v1/cameras", "", map[string]any{"name": "Bad", "url": "rtsp://192.0.2.1/x",
			"organisation_id": f.a, "category": "occasional"})
		var cam struct{ ID int64 }
		must(t, json.Unmarshal(f.want(201, f.manager, "POST", "/api/v1/cameras", "", map[string]any{"name": "High Street",
			"url": "rtsp://192.0.2.1/x", "organisation_id": f.a, "category": "reactive", "enabled": false}), &cam))
		path := "/api/v1/cameras/" + itoa(cam.ID)
		f.want(200, f.manager, "PATCH", path, "", map[string]any{"description": "no change of category"})
		f.want(200, f.manager, "PATCH", path, "", map[string]any{"category": "proactive"})
		f.want(200, f.manager, "PATCH", path, "", map[string]any{"category": "proactive"})
		f.want(204, f.manager, "DELETE", path, "", nil)
		today := f.clock.now().UTC().Format(time.DateOnly)
		var got []string
		for _, e := range f.history(cam.ID) {
			if e.Day != today {
				t.Errorf("event %s dated %s, want today %s", e.Kind, e.Day, today)
			}
			got = append(got, e.Kind+":"+e.Category)
		}
		want := []string{"installed:reactive", "recategorised:proactive", "decommissioned:"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("history: got %v, want %v", got, want)
		}
	})
}

// TestStatementByRole: the CSV imports build a statement; its CCTV
// manager sees every partner, a partner officer (in the API, the CSV and
// the page) their own council alone; only the partnership's manager may
// change the figures.
func TestStatementByRole(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		f := newFinanceEnv(t, dsn)
		ctx := context.Background()
		for i, org := range []int64{f.a, f.a, f.a, f.b} {
			c := cameras.Camera{OrganisationID: org, Name: "Cam " + itoa(int64(i)), URL: "rtsp://192.0.2.1/x"}
			must(t, f.st.CreateCamera(ctx, &c))
		}
		lines := "Name,Budget,Actuals,Estimate,Comment,Company\n" +
			"Employees,\"100,000\",\"40,000.50\",\"110,000\",Overtime,\n" +
			"Income from Company,\"-20,000\",\"-5,000\",\"-20,000\",,yes\n"
		f.want(200, f.manager, "POST", "/api/v1/finance/import/lines?period=2024/25-Q2", "text/csv", lines)
		f.want(200, f.manager, "POST", "/api/v1/finance/import/budgets?year=2024/25", "text/csv",
			"organisation,budget\nCouncil A,\"60,000\"\nCouncil B,\"20,000\"\n")
		// Three of A's cameras all year, one reactive; B's from mid-quarter.
		history := "camera,date,event,category,organisation,note\n" +
			"Cam 0,2020-01-01,installed,proactive,Council A,\n" +
			"Cam 1,01/01/2020,installed,proactive,,\n" +
			"Cam 2,2020-01-01,installed,reactive,,\n" +
			"Cam 3,2024-08-15,installed,proactive,Council B,new\n"
		f.want(200, f.manager, "POST", "/api/v1/finance/import/history", "text/csv", history)
		b := f.want(400, f.manager, "POST", "/api/v1/finance/import/history", "text/csv", "camera,date,event\nCam 0,2024-13-01,installed\n")
		if !strings.Contains(string(b), "row 2") {
			t.Errorf("a refused import: got %s, want it to name row 2", b)
		}

		var st api.StatementJSON
		must(t, json.Unmarshal(f.want(200, f.manager, "GET", "/api/v1/finance/statement?period=2024/25-Q2", "", nil), &st))
		if st.Balance.Estimate != 90_000_00 || len(st.Partners) != 2 || st.Total.Estimate != 90_000_00 {
			t.Fatalf("manager's statement: got balance %d, %d partners, total %d; want 9000000, 2, 9000000", st.Balance.Estimate, len(st.Partners), st.Total.Estimate)
		}
		// A: 2.5 cameras for 92 days; B: one for 47 days (15 August to 30 September).
		if a := st.Partners[0]; a.AverageCameras != "2.5000" || a.SharePercent != "83.03" {
			t.Errorf("Council A: got %s cameras, %s%%, want 2.5000 and 83.03", a.AverageCameras, a.SharePercent)
		}
		if b := st.Partners[1]; b.AverageCameras != "0.5109" || b.Estimate != 15_270_00 {
			t.Errorf("Council B: got %s cameras, £%d, want 0.5109 and £15,270", b.AverageCameras, b.Estimate/100)
		}

		must(t, json.Unmarshal(f.want(200, f.officer, "GET", "/api/v1/finance/statement?period=2024/25-Q2", "", nil), &st))
		if len(st.Partners) != 1 || st.Partners[0].Name != "Council A" || st.Total.Estimate != st.Partners[0].Estimate {
			t.Errorf("officer's statement: got %+v, want Council A alone", st.Partners)
		}
		csv := string(f.want(200, f.officer, "GET", "/finance/statement.csv?period=2024/25-Q2", "", nil))
		if !strings.Contains(csv, "partner,Council A,") || strings.Contains(csv, "Council B") {
			t.Errorf("officer's CSV: got\n%s\nwant Council A's row and nothing of Council B", csv)
		}
		page := string(f.want(200, f.officer, "GET", "/finance?period=2024/25-Q2", "", nil))
		if !strings.Contains(page, "Council A") || strings.Contains(page, "Council B") {
			t.Errorf("officer's page shows another council's figures, or not their own")
		}
		page = string(f.want(200, f.manager, "GET", "/finance?period=2024/25-Q2", "", nil))
		if !strings.Contains(page, "Council B") || !strings.Contains(page, "<svg") {
			t.Errorf("manager's page lacks Council B or its charts")
		}

		// Every camera's history exports in the columns the import reads,
		// the officer's holding their own council's cameras alone; and
		// importing it again changes no figure.
		exported := string(f.want(200, f.manager, "GET", "/finance/history.csv", "", nil))
		if n := strings.Count(exported, "\n"); n != 5 || !strings.HasPrefix(exported, "camera,camera_name,date,event,category,organisation,note\n") {
			t.Errorf("history CSV: got\n%s\nwant the header and 4 events", exported)
		}
		if officers := string(f.want(200, f.officer, "GET", "/finance/history.csv", "", nil)); strings.Count(officers, "\n") != 4 || strings.Contains(officers, "Council B") {
			t.Errorf("the officer's history CSV: got\n%s\nwant Council A's 3 cameras alone", officers)
		}
		before := string(f.want(200, f.manager, "GET", "/api/v1/finance/statement?period=2024/25-Q2", "", nil))
		f.want(200, f.manager, "POST", "/api/v1/finance/import/history", "text/csv", exported)
		if after := string(f.want(200, f.manager, "GET", "/api/v1/finance/statement?period=2024/25-Q2", "", nil)); after != before {
			t.Errorf("importing the exported history changed the statement from\n%s\nto\n%s", before, after)
		}
		// Replacing rather than adding: the file becomes each named
		// camera's whole history, so the same figures again.
		f.want(200, f.manager, "POST", "/api/v1/finance/import/history?replace=1", "text/csv", exported)
		if again := string(f.want(200, f.manager, "GET", "/finance/history.csv", "", nil)); again != exported {
			t.Errorf("history replaced by its own export: got\n%s\nwant\n%s", again, exported)
		}
		if cats := string(f.want(200, f.officer, "GET", "/finance/categories.csv", "", nil)); !strings.Contains(cats, "reactive,Static reactive,0.5") {
			t.Errorf("categories CSV: got\n%s", cats)
		}

		for _, tok := range []string{f.officer, f.managerA} {
			f.want(403, tok, "PUT", "/api/v1/finance/lines?period=2024/25-Q2", "", []finance.Line{})
			f.want(403, tok, "POST", "/api/v1/finance/import/budgets?year=2024/25", "text/csv", "organisation,budget\n")
			f.want(403, tok, "PUT", "/api/v1/finance/categories/mobile", "", map[string]any{"weight": "0.25"})
		}
		f.want(200, f.manager, "PUT", "/api/v1/finance/categories/mobile", "", map[string]any{"title": "Mobile", "weight": "0.25"})
		var cats []map[string]any
		must(t, json.Unmarshal(f.want(200, f.officer, "GET", "/api/v1/finance/categories", "", nil), &cats))
		if len(cats) != 3 {
			t.Errorf("categories: got %v, want mobile, proactive and reactive", cats)
		}
		var yr api.FinanceYearJSON
		must(t, json.Unmarshal(f.want(200, f.officer, "GET", "/api/v1/finance/budgets?year=2024/25", "", nil), &yr))
		if len(yr.Budgets) != 1 || yr.Budgets[0].Org != f.a || yr.Unit != 1000 {
			t.Errorf("officer's budgets: got %+v, want Council A's alone, unit £10", yr)
		}
	})
}
