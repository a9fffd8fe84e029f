package app

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/auth"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

type auditPage struct {
	Records []struct {
		Seq            int64
		At             time.Time
		Username       string
		OrganisationID int64 `json:"organisation_id"`
		Action         string
		CameraID       int64      `json:"camera_id"`
		RangeStart     *time.Time `json:"range_start"`
		RemoteAddr     string     `json:"remote_addr"`
		Reason, Detail string
		Hash           string
	}
	NextCursor *string `json:"next_cursor"`
}

func (h *harness) audit(query string) auditPage {
	h.t.Helper()
	res, b := h.do("GET", "/api/v1/audit?"+query, nil, nil)
	if res.StatusCode != http.StatusOK {
		h.t.Fatalf("GET /api/v1/audit?%s: got %d %s, want 200", query, res.StatusCode, b)
	}
	var p auditPage
	if err := json.Unmarshal(b, &p); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// browser signs in through the console's form, with cookies.
func (h *harness) browser(user, pass string) (*http.Client, int) {
	h.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(h.base + "/login")
	if err != nil {
		h.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		h.t.Fatalf("no CSRF token in the sign-in form: %s", b)
	}
	res, err = c.PostForm(h.base+"/login", url.Values{"csrf": {string(m[1])}, "username": {user}, "password": {pass}})
	if err != nil {
		h.t.Fatal(err)
	}
	res.Body.Close()
	return c, res.StatusCode
}

func TestAuditHTTP(t *testing.T) {
	t.Parallel() // see main_test.go
	t.Run("sqlite", func(t *testing.T) { testAuditHTTP(t, start(t, harnessOptions{})) })
	if testkit.PostgresURL() != "" {
		t.Run("postgres", func(t *testing.T) {
			h := start(t, harnessOptions{postgres: true})
			testAuditHTTP(t, h)
			// The trail is kept apart, in a schema of its own.
			db, err := sql.Open("pgx", testkit.PostgresURL())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			u, err := url.Parse(h.app.cfg.AuditDSN())
			if err != nil {
				t.Fatal(err)
			}
			schema := u.Query().Get("search_path")
			main, _ := url.Parse(h.app.cfg.DatabaseURL)
			if want := main.Query().Get("search_path") + "_audit"; schema != want {
				t.Fatalf("audit schema: got %q, want %q", schema, want)
			}
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM ` + schema + `.records WHERE action = 'signin.failed'`).Scan(&n); err != nil || n < 1 {
				t.Errorf("records in %s: got %d (%v), want the failed sign-in there", schema, n, err)
			}
		})
	}
}

func testAuditHTTP(t *testing.T, h *harness) {
	id := h.addCamera("Market Square", h.cams.URL(1), nil)
	admin, err := h.app.Store.UserByName(t.Context(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	q := fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s", id, from.Format(time.RFC3339), from.Add(time.Minute).Format(time.RFC3339))
	h.do("GET", q, nil, nil) // no footage there: a 404, audited all the same
	h.do("GET", q+"&download=1&reason="+url.QueryEscape("police request PC 1234"), nil, nil)

	// Signing in, failing to and signing out are audited.
	hostile := "=HYPERLINK(\"http://example.invalid\")"
	if _, code := h.browser(hostile, "guess"); code != http.StatusUnauthorized {
		t.Errorf("failed sign-in: got %d, want 401", code)
	}
	// The data protection officer, an auditor of the partnership, reads
	// the trail in the console: no footage, so no second factor asked.
	dpoPass := "a long passphrase for the data protection officer"
	dpo := h.makeUser("dpo", admin.OrganisationID, dpoPass, rights.Auditor)
	c, code := h.browser("dpo", dpoPass)
	if code != http.StatusSeeOther {
		t.Fatalf("sign-in: got %d, want 303", code)
	}
	res, err := c.Get(h.base + "/audit")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), `href="/audit" aria-current="page"`) {
		t.Errorf("GET /audit signed in: got %d, want 200 with the Audit tab current\n%.500s", res.StatusCode, page)
	}
	m := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the page")
	}
	res, err = c.PostForm(h.base+"/logout", url.Values{"csrf": {string(m[1])}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: got %v, %v, want 303", res, err)
	}
	res.Body.Close()

	t.Run("filters", func(t *testing.T) {
		tests := []struct {
			query string
			check func(p auditPage) error
		}{
			{"action=signin.failed", func(p auditPage) error {
				if len(p.Records) != 1 || p.Records[0].Username != hostile || p.Records[0].RemoteAddr == "" {
					return fmt.Errorf("want one failed sign-in by %q with an address", hostile)
				}
				return nil
			}},
			{"user=dpo&action=signin", func(p auditPage) error {
				if len(p.Records) != 1 || p.Records[0].OrganisationID != dpo.OrganisationID {
					return fmt.Errorf("want one sign-in by dpo of organisation %d", dpo.OrganisationID)
				}
				return nil
			}},
			{"action=signout", func(p auditPage) error {
				if len(p.Records) != 1 || p.Records[0].Username != "dpo" {
					return fmt.Errorf("want dpo's sign-out")
				}
				return nil
			}},
			{fmt.Sprintf("camera=%d&action=footage.export", id), func(p auditPage) error {
				// Nothing was there to export: the record says what was
				// asked, and holds no range of footage served.
				if len(p.Records) != 1 || p.Records[0].Reason != "police request PC 1234" || p.Records[0].RangeStart != nil ||
					!strings.Contains(p.Records[0].Detail, from.Format(time.RFC3339Nano)) || len(p.Records[0].Hash) != 64 {
					return fmt.Errorf("want one export with its reason, the range asked from %s, no range served, and a hash", from)
				}
				return nil
			}},
			{fmt.Sprintf("camera=%d", id), func(p auditPage) error {
				if len(p.Records) != 3 || p.Records[0].Action != "footage.export" || p.Records[2].Action != "camera.create" {
					return fmt.Errorf("want the export, the play and camera.create, newest first")
				}
				return nil
			}},
			{fmt.Sprintf("organisation=%d&action=camera.create", admin.OrganisationID), func(p auditPage) error {
				if len(p.Records) != 1 {
					return fmt.Errorf("want one camera.create by the organisation")
				}
				return nil
			}},
			{"since=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), func(p auditPage) error {
				if len(p.Records) != 0 || p.NextCursor != nil {
					return fmt.Errorf("want nothing in the future")
				}
				return nil
			}},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				p := h.audit(tt.query)
				if err := tt.check(p); err != nil {
					t.Errorf("got %+v: %v", p.Records, err)
				}
			})
		}
		for _, bad := range []string{"camera=x", "since=yesterday", "limit=-1", "cursor=0"} {
			if res, b := h.do("GET", "/api/v1/audit?"+bad, nil, nil); res.StatusCode != http.StatusBadRequest {
				t.Errorf("?%s: got %d %s, want 400", bad, res.StatusCode, b)
			}
		}
		if p := h.audit("organisation=999"); len(p.Records) != 0 {
			t.Errorf("?organisation=999: got %+v, want nothing for an unknown organisation", p.Records)
		}
	})

	t.Run("pages", func(t *testing.T) {
		all := h.audit("limit=1000").Records
		p1 := h.audit("limit=3")
		if len(p1.Records) != 3 || p1.NextCursor == nil {
			t.Fatalf("first page: got %d records, cursor %v, want 3 and a cursor", len(p1.Records), p1.NextCursor)
		}
		p2 := h.audit("limit=3&cursor=" + *p1.NextCursor)
		if len(p2.Records) == 0 || p2.Records[0].Seq >= p1.Records[2].Seq || p2.Records[0].Seq != all[3].Seq {
			t.Errorf("second page starts at %+v, want seq %d, after the first page's last %d", p2.Records, all[3].Seq, p1.Records[2].Seq)
		}
	})

	t.Run("csv", func(t *testing.T) {
		res, b := h.do("GET", "/api/v1/audit?format=csv&action=signin.failed", nil, nil)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("got %d %s %q, want a CSV attachment", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
		}
		rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("CSV: got %d rows (%v), want a header and one record:\n%s", len(rows), err, b)
		}
		if rows[0][0] != "seq" || rows[0][3] != "username" || rows[1][3] != "'"+hostile || rows[1][6] != "signin.failed" {
			t.Errorf("CSV rows %q: want the hostile name defused with a leading quote", rows)
		}
		res, b = h.do("GET", fmt.Sprintf("/api/v1/audit?format=csv&camera=%d", id), nil, nil)
		rows, _ = csv.NewReader(strings.NewReader(string(b))).ReadAll()
		if res.StatusCode != http.StatusOK || len(rows) != 4 || rows[1][8] != "Market Square" || rows[1][12] != "police request PC 1234" {
			t.Errorf("camera CSV: got %d %q, want 3 records naming the camera, the export's reason first", res.StatusCode, rows)
		}
		if ex := h.audit("action=audit.export").Records; len(ex) != 2 || !strings.Contains(ex[0].Detail, fmt.Sprintf("camera=%d", id)) {
			t.Errorf("audit.export records: got %+v, want the two CSV downloads, with their filters", ex)
		}
	})

	t.Run("console page", func(t *testing.T) {
		res, b := h.do("GET", "/audit?action=footage.export&since=2000-01-01T00:00", nil, map[string]string{"Accept": "text/html"})
		s := string(b)
		if res.StatusCode != http.StatusOK || !strings.Contains(s, "police request PC 1234") || !strings.Contains(s, "Market Square") ||
			!strings.Contains(s, `/api/v1/audit?action=footage.export&amp;format=csv&amp;since=2000-01-01T00%3A00`) || strings.Contains(s, "signin.failed</td>") {
			t.Errorf("GET /audit filtered: got %d\n%s\nwant the export row, its camera's name and a CSV link with the filter", res.StatusCode, s)
		}
		// The filter offers the registry's actions, each with what it
		// means, and the table says what the export row's action means.
		for _, a := range auditlog.Actions() {
			if opt := fmt.Sprintf(`<option value="%s" label="%s">`, a.Action, html.EscapeString(a.Description)); !strings.Contains(s, opt) {
				t.Errorf("GET /audit: got no %s in the action filter", opt)
			}
		}
		if cell := `<td class="action">Exported (downloaded) recorded footage <code class="action-name">footage.export</code></td>`; !strings.Contains(s, cell) {
			t.Errorf("GET /audit: got no %s", cell)
		}
		if res, b := h.do("GET", "/audit?camera=nope", nil, nil); res.StatusCode != http.StatusOK || !strings.Contains(string(b), "is not an id") {
			t.Errorf("GET /audit?camera=nope: got %d, want the page with the error", res.StatusCode)
		}
	})

	t.Run("who may read it", func(t *testing.T) {
		op := h.as(h.newUser("operator1"))
		for _, path := range []string{"/api/v1/audit", "/api/v1/audit?format=csv"} {
			if res, _ := op.do("GET", path, nil, nil); res.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s as an operator: got %d, want 403", path, res.StatusCode)
			}
		}
		if res, b := op.do("GET", "/audit", nil, map[string]string{"Accept": "text/html"}); res.StatusCode != http.StatusForbidden || res.Request.URL.Path != "/audit" ||
			!strings.Contains(string(b), "This page needs the right to read the audit trail") || !strings.Contains(string(b), "auditor") {
			t.Errorf("GET /audit as an operator: got %d at %s, want the 403 page naming the right and the auditor's role, not sent home\n%.1000s", res.StatusCode, res.Request.URL.Path, b)
		}
		if _, b := op.do("GET", "/map", nil, nil); strings.Contains(string(b), `href="/audit"`) {
			t.Error("an operator's console links to the audit page")
		}
		// An auditor of one council reads what its own people did and
		// what anyone did to its cameras, nothing else.
		res, b := h.do("POST", "/api/v1/organisations", map[string]any{"name": "North Council", "kind": "council", "parent_id": admin.OrganisationID}, nil)
		var council struct{ ID int64 }
		if json.Unmarshal(b, &council); res.StatusCode != http.StatusCreated || council.ID == 0 {
			t.Fatalf("POST /api/v1/organisations: got %d %s, want 201", res.StatusCode, b)
		}
		own := h.addCamera("North Street", h.cams.URL(2), map[string]any{"organisation_id": council.ID})
		h.do("GET", fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s", own, from.Format(time.RFC3339), from.Add(time.Minute).Format(time.RFC3339)), nil, nil)
		north := h.makeUser("north-dpo", council.ID, "another long passphrase for the north council", rights.Auditor)
		tok, hash := auth.NewToken()
		if err := h.app.Store.CreateToken(t.Context(), &identity.Token{UserID: north.ID, Name: "test", Hash: hash}); err != nil {
			t.Fatal(err)
		}
		na := h.as(tok)
		p := na.audit("limit=1000")
		if len(p.Records) == 0 {
			t.Fatal("the council's auditor sees nothing, want the records about its camera")
		}
		for _, r := range p.Records {
			if r.CameraID != own && r.OrganisationID != council.ID {
				t.Errorf("the council's auditor sees %+v, which is neither about its camera nor by its people", r)
			}
		}
		if res, _ := na.do("GET", fmt.Sprintf("/api/v1/audit?camera=%d", id), nil, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("the council's auditor asking for the partnership's camera: got %d, want 404", res.StatusCode)
		}
	})

	rep, err := h.app.Audit.Verify(context.Background(), 0)
	if err != nil || !rep.OK() {
		t.Errorf("verify after all that: got %v, %v, want intact", rep, err)
	}
}

// makeUser makes a user of org holding role, who may sign in with pass.
func (h *harness) makeUser(name string, org int64, pass string, role rights.Role) identity.User {
	h.t.Helper()
	hash, err := auth.HashPassword(pass)
	if err != nil {
		h.t.Fatal(err)
	}
	u := identity.User{Username: name, PasswordHash: hash, OrganisationID: org, Role: string(role)}
	if err := h.app.Store.CreateUser(h.t.Context(), &u); err != nil {
		h.t.Fatal(err)
	}
	if err := h.app.Store.SetUserRoles(h.t.Context(), u.ID, []access.UserRole{{Role: string(role)}}); err != nil {
		h.t.Fatal(err)
	}
	return u
}

// TestAuditLegacyImport: a server started on a data folder whose main
// database holds audit records in the old table moves them into the trail.
func TestAuditLegacyImport(t *testing.T) {
	t.Parallel() // see main_test.go
	data := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(data, "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", filepath.Join(data, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 3 {
		if _, err := db.Exec(`INSERT INTO audit_log (at_us, user_id, username, action, camera_id, range_start_us, range_end_us, remote_addr, detail)
			VALUES ($1, 1, 'admin', 'footage.play', 4, $2, $3, '198.51.100.7:1', $4)`,
			at.Add(time.Duration(i)*time.Second).UnixMicro(), at.Add(-time.Hour).UnixMicro(), at.UnixMicro(), fmt.Sprint("old ", i)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	h := start(t, harnessOptions{data: data})
	p := h.audit("camera=4")
	if len(p.Records) != 3 || p.Records[2].Seq != 1 || p.Records[2].Detail != "old 0" || !p.Records[2].At.Equal(at) {
		t.Fatalf("moved records: got %+v, want the 3 old ones first in the chain", p.Records)
	}
	if imp := h.audit("action=audit.import").Records; len(imp) != 1 || imp[0].Seq != 4 {
		t.Errorf("import record: got %+v, want one at seq 4", imp)
	}
	h.stop()
	// A second start does not move them again.
	h = start(t, harnessOptions{data: data})
	if p := h.audit("camera=4"); len(p.Records) != 3 {
		t.Errorf("after a restart: got %d records of camera 4, want 3", len(p.Records))
	}
	rep, err := h.app.Audit.Verify(context.Background(), 0)
	if err != nil || !rep.OK() || rep.Newest == nil {
		t.Errorf("verify: got %v, %v, want intact and signed", rep, err)
	}
}

// TestAuditAlarmAtStart: a record of the trail changed directly in the
// database and a guard trigger dropped while the server was stopped are
// found at the next start, which goes on: the alarm is in /metrics and
// in a banner for the auditor, on the audit page and elsewhere; the
// trigger is back.
func TestAuditAlarmAtStart(t *testing.T) {
	t.Parallel() // see main_test.go
	t.Run("sqlite", func(t *testing.T) { testAuditAlarmAtStart(t, "") })
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) { testAuditAlarmAtStart(t, testkit.PostgresSchema(t, pg)) })
	}
}

func testAuditAlarmAtStart(t *testing.T, databaseURL string) {
	o := harnessOptions{data: t.TempDir(), databaseURL: databaseURL}
	h := start(t, o)
	admin, err := h.app.Store.UserByName(t.Context(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	pass := "a long passphrase for the data protection officer"
	h.makeUser("dpo", admin.OrganisationID, pass, rights.Auditor)
	h.makeUser("clerk", admin.OrganisationID, pass, rights.Administrator)
	if _, code := h.browser("dpo", "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("failed sign-in: got %d, want 401", code)
	}
	if _, code := h.browser("dpo", pass); code != http.StatusSeeOther {
		t.Fatalf("sign-in: got %d, want 303", code)
	}
	metric := func(reason string) string {
		t.Helper()
		res, b := h.do("GET", "/metrics", nil, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /metrics: got %d", res.StatusCode)
		}
		m := regexp.MustCompile(`(?m)^vigil_audit_alarm\{reason="` + reason + `"\} (\S+)$`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no vigil_audit_alarm{reason=%q} in /metrics", reason)
		}
		return string(m[1])
	}
	if got := metric("changed"); got != "0" {
		t.Errorf(`vigil_audit_alarm{reason="changed"} on an intact trail: got %s, want 0`, got)
	}
	h.stop()

	driver, dsn := "sqlite", filepath.Join(o.data, "audit.db")
	guard, drop := "records_no_update", `DROP TRIGGER records_no_update`
	if databaseURL != "" {
		driver, dsn = "pgx", h.app.cfg.AuditDSN()
		guard, drop = "records_guard", `DROP TRIGGER records_guard ON records`
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{drop, `UPDATE records SET username = 'someone else' WHERE seq = 1`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	h = start(t, o)
	for _, reason := range []string{"changed", "guard"} {
		if got := metric(reason); got != "1" {
			t.Errorf("vigil_audit_alarm{reason=%q} after the restart: got %s, want 1", reason, got)
		}
	}
	page := func(c *http.Client, path string) string {
		t.Helper()
		res, err := c.Get(h.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: got %d, want 200", path, res.StatusCode)
		}
		return string(b)
	}
	dpo, code := h.browser("dpo", pass)
	if code != http.StatusSeeOther {
		t.Fatalf("sign-in after the restart: got %d, want 303", code)
	}
	for _, path := range []string{"/audit", "/map"} {
		if b := page(dpo, path); !strings.Contains(b, `class="audit-alarm" role="alert"`) || !strings.Contains(b, "record 1 was changed") {
			t.Errorf("GET %s as the auditor: want the alarm banner naming record 1\n%.3000s", path, b)
		}
	}
	if b := page(dpo, "/audit"); !strings.Contains(b, `class="audit-alarms"`) || !strings.Contains(b, "records_") {
		t.Errorf("the audit page: want every alarm listed, the guard's too")
	}
	clerk, code := h.browser("clerk", pass)
	if code != http.StatusSeeOther {
		t.Fatalf("administrator sign-in: got %d, want 303", code)
	}
	if b := page(clerk, "/map"); !strings.Contains(b, `href="/map" aria-current="page"`) || strings.Contains(b, "audit-alarm") {
		t.Errorf("GET /map as an administrator, who may not read the audit: want the map without the banner")
	}
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = $1`
	if databaseURL != "" {
		q = `SELECT count(*) FROM pg_trigger WHERE tgrelid = 'records'::regclass AND tgname = $1`
	}
	var n int
	if err := db.QueryRow(q, guard).Scan(&n); err != nil || n != 1 {
		t.Errorf("trigger %s after the restart: got %d (%v), want it back", guard, n, err)
	}
	if _, err := db.Exec(`UPDATE records SET username = 'again' WHERE seq = 1`); err == nil {
		t.Error("changing a record after the restart: got nil error, want the restored guard's refusal")
	}
}
