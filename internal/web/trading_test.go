package web

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/money"
	"github.com/vigil-cctv/vigil/internal/trading"
	"github.com/vigil-cctv/vigil/internal/web/api"
)

var updateTradingGolden = flag.Bool("update-trading", false, "rewrite the trading CSV golden files in testdata/")

// tradingEnv is a partnership with a council, a customer of the trading
// company below the partnership (Harbour) and one filed below the
// council (Council Car Parks), and a user per point of view.
type tradingEnv struct {
	*signinEnv
	harbour, carParks                          int64
	manager, officer, councilManager, operator string // API tokens
}

func newTradingEnv(t *testing.T, dsn string) *tradingEnv {
	e := &tradingEnv{signinEnv: newSigninEnv(t, dsn, nil)}
	ctx := t.Context()
	top, err := e.st.EnsureOrganisation(ctx, "Partnership", "partnership")
	if err != nil {
		t.Fatal(err)
	}
	council, err := e.st.Organisation(ctx, e.org)
	if err != nil {
		t.Fatal(err)
	}
	council.ParentID = top.ID
	if err := e.st.UpdateOrganisation(ctx, &council); err != nil {
		t.Fatal(err)
	}
	org := func(name string, parent int64) int64 {
		o := access.Organisation{Name: name, Kind: "customer", ParentID: parent}
		if err := e.st.CreateOrganisation(ctx, &o); err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	e.harbour, e.carParks = org("Harbour Retail Ltd", top.ID), org("Council Car Parks Ltd", council.ID)
	user := func(name, role string, org int64) string {
		u := identity.User{Username: name, PasswordHash: "unusable", OrganisationID: org, Role: role}
		if err := e.st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		return e.apiToken(u)
	}
	e.manager = user("manager", "cctv_manager", top.ID)
	e.officer = user("officer", "partner_officer", council.ID)
	e.councilManager = user("council-manager", "cctv_manager", council.ID)
	e.operator = user("operator", "operator", top.ID)
	e.clock.t = time.Date(2024, 10, 2, 10, 0, 0, 0, time.UTC)
	return e
}

// call sends a request as the holder of token and returns the answer.
func (e *tradingEnv) call(token, method, path string, body any, accept string) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// must sends a request and fails the test unless it is answered want.
func (e *tradingEnv) must(token, method, path string, body any, want int, out any) []byte {
	e.t.Helper()
	res, b := e.call(token, method, path, body, "")
	if res.StatusCode != want {
		e.t.Fatalf("%s %s: got %d %s, want %d", method, path, res.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return b
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateTradingGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-trading to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got\n%s\nwant\n%s", name, got, want)
	}
}

// TestTradingHTTP: the CCTV manager sets up two customers' subscriptions
// and a mileage charge, issues Q2 2024/25 (twice: the second time changes
// nothing), downloads the CSVs (golden files) and the printable invoice,
// and credits and reissues; a partner officer and a council's CCTV manager
// see the customer filed below their council only, and change nothing; an
// operator sees nothing.
func TestTradingHTTP(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		e := newTradingEnv(t, dsn)
		var sub api.SubscriptionJSON
		e.must(e.manager, "POST", "/api/v1/trading/subscriptions", map[string]any{"customer_id": e.harbour, "service": "monitored",
			"unit_price_pence": 4523, "starts_on": "2024-04-01", "units": 12, "reference": "PO 7781"}, 201, &sub)
		e.must(e.manager, "POST", fmt.Sprintf("/api/v1/trading/subscriptions/%d/units", sub.ID), map[string]any{"from": "2024-08-15", "units": 14}, 200, &sub)
		if sub.UnitsNow != 14 || len(sub.Units) != 2 {
			t.Errorf("after the increase: got %+v, want 14 units now in 2 dated counts", sub)
		}
		e.must(e.manager, "POST", "/api/v1/trading/subscriptions", map[string]any{"customer_id": e.carParks, "service": "recorded",
			"unit_price_pence": 1800, "starts_on": "2024-07-16", "units": 5}, 201, nil)
		e.must(e.manager, "POST", "/api/v1/trading/charges", map[string]any{"customer_id": e.harbour, "on": "2024-09-12",
			"description": "Mileage: 84 miles at 45p", "amount_pence": 3780}, 201, nil)

		type issued struct {
			Period   string `json:"period"`
			Outcomes []struct {
				CustomerID int64            `json:"customer_id"`
				Status     string           `json:"status"`
				Invoice    *api.InvoiceJSON `json:"invoice"`
			} `json:"outcomes"`
		}
		var first, again issued
		e.must(e.manager, "POST", "/api/v1/trading/invoices", map[string]any{"period": "2024/25-Q2"}, 200, &first)
		e.must(e.manager, "POST", "/api/v1/trading/invoices", map[string]any{"period": "2024/25-Q2"}, 200, &again)
		if len(first.Outcomes) != 2 || len(again.Outcomes) != 2 {
			t.Fatalf("got %d and %d outcomes, want 2 each", len(first.Outcomes), len(again.Outcomes))
		}
		inv := map[int64]api.InvoiceJSON{}
		for i, o := range first.Outcomes {
			if o.Status != "issued" || again.Outcomes[i].Status != "existing" || again.Outcomes[i].Invoice.Number != o.Invoice.Number {
				t.Errorf("customer %d: got %s then %s (numbers %d, %d), want issued then existing with the same number",
					o.CustomerID, o.Status, again.Outcomes[i].Status, o.Invoice.Number, again.Outcomes[i].Invoice.Number)
			}
			inv[o.CustomerID] = *o.Invoice
		}
		h, c := inv[e.harbour], inv[e.carParks]
		// Harbour: July 12 × £45.23; August 12 units for 14 days and 14 for
		// 17; September 14; the mileage. Car parks: 5 × £18 for 16 of July's
		// 31 days, then two whole months.
		wantH := 12*4523 + trading.ProRata(12, 4523, 14, 31) + trading.ProRata(14, 4523, 17, 31) + 14*4523 + 3780
		if h.Net != wantH || h.VAT != trading.VAT(wantH, 2000) || h.Gross != h.Net+h.VAT || len(h.Lines) != 5 {
			t.Errorf("Harbour's invoice: got net %d VAT %d gross %d in %d lines, want net %d, 20%% VAT, 5 lines", h.Net, h.VAT, h.Gross, len(h.Lines), wantH)
		}
		if want := trading.ProRata(5, 1800, 16, 31) + 2*9000; c.Net != want {
			t.Errorf("the car parks' invoice: got net %d, want %d", c.Net, want)
		}
		if n, err := trading.NewLedger(e.st, nil).Invoiced(t.Context(), time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)); err != nil || n != h.Net+c.Net {
			t.Errorf("Invoiced(April to September): got %d, %v, want %d", n, err, h.Net+c.Net)
		}

		t.Run("csv", func(t *testing.T) {
			res, b := e.call(e.manager, "GET", h.CSV, nil, "")
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
				!strings.Contains(res.Header.Get("Content-Disposition"), h.Reference+".csv") {
				t.Fatalf("GET %s: got %d %s %q, want 200 text/csv named %s.csv", h.CSV, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"), h.Reference)
			}
			golden(t, "trading_invoice.csv", b)
			res, b = e.call(e.manager, "GET", "/api/v1/trading/invoices.csv?period=2024/25-Q2", nil, "")
			if res.StatusCode != 200 {
				t.Fatalf("the period's CSV: got %d %s", res.StatusCode, b)
			}
			golden(t, "trading_invoices.csv", b)
		})

		t.Run("printable", func(t *testing.T) {
			res, b := e.call(e.manager, "GET", h.Page, nil, "text/html")
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("GET %s: got %d %s", h.Page, res.StatusCode, res.Header.Get("Content-Type"))
			}
			page := string(b)
			for _, want := range []string{"Invoice " + h.Reference, "Harbour Retail Ltd", "1 July 2024 to 30 September 2024",
				money.Pounds(h.Net), money.Pounds(h.VAT), money.Pounds(h.Gross), "VAT at 20%", "14/31", "Mileage: 84 miles at 45p", "trading.css"} {
				if !strings.Contains(page, want) {
					t.Errorf("the printable invoice lacks %q", want)
				}
			}
			res, b = e.call(e.manager, "GET", "/static/trading.css", nil, "")
			if res.StatusCode != 200 || !bytes.Contains(b, []byte("@media print")) {
				t.Errorf("trading.css: got %d, want 200 with print rules", res.StatusCode)
			}
			res, b = e.call(e.manager, "GET", "/trading?period=2024/25-Q2", nil, "text/html")
			if res.StatusCode != 200 || !bytes.Contains(b, []byte(h.Reference)) || !bytes.Contains(b, []byte("Issue invoices for 2024/25-Q2")) {
				t.Errorf("the trading page: got %d, want 200 listing %s with the issue form", res.StatusCode, h.Reference)
			}
		})

		t.Run("rights", func(t *testing.T) {
			for _, tc := range []struct {
				who, token string
				own        bool // sees the customer below the council
				all        bool // sees Harbour too
				writes     bool
			}{
				{"the partnership's CCTV manager", e.manager, true, true, true},
				{"the council's partner officer", e.officer, true, false, false},
				{"the council's CCTV manager", e.councilManager, true, false, false},
				{"an operator", e.operator, false, false, false},
			} {
				t.Run(tc.who, func(t *testing.T) {
					status := func(ok bool) int {
						switch {
						case tc.token == e.operator:
							return 403
						case ok:
							return 200
						}
						return 404
					}
					for _, p := range []string{h.CSV, fmt.Sprintf("/api/v1/trading/invoices/%d", h.ID)} {
						if res, b := e.call(tc.token, "GET", p, nil, ""); res.StatusCode != status(tc.all) {
							t.Errorf("GET %s: got %d %s, want %d", p, res.StatusCode, b, status(tc.all))
						}
					}
					if res, _ := e.call(tc.token, "GET", c.CSV, nil, ""); res.StatusCode != status(tc.own) {
						t.Errorf("GET %s: got %d, want %d", c.CSV, res.StatusCode, status(tc.own))
					}
					// A console page refused is the page saying what it
					// needs (403, HTML), not a redirect home.
					page := status(tc.all)
					if res, b := e.call(tc.token, "GET", h.Page, nil, "text/html"); res.StatusCode != page ||
						tc.token == e.operator && !bytes.Contains(b, []byte("This page needs the right to read finance figures")) {
						t.Errorf("GET %s: got %d, want %d", h.Page, res.StatusCode, page)
					}
					res, b := e.call(tc.token, "GET", "/api/v1/trading/invoices.csv?period=2024/25-Q2", nil, "")
					if tc.token != e.operator {
						if res.StatusCode != 200 || bytes.Contains(b, []byte("Harbour")) != tc.all || !bytes.Contains(b, []byte("Council Car Parks")) {
							t.Errorf("the period's CSV: got %d\n%s\nwant Harbour's row only if they see it", res.StatusCode, b)
						}
					}
					want := 403
					if tc.writes {
						want = 200
					}
					if res, b := e.call(tc.token, "POST", "/api/v1/trading/invoices", map[string]any{"period": "2024/25-Q2"}, ""); res.StatusCode != want {
						t.Errorf("issuing: got %d %s, want %d", res.StatusCode, b, want)
					}
					if tc.token != e.manager && tc.token != e.operator {
						if res, b := e.call(tc.token, "POST", fmt.Sprintf("/api/v1/trading/invoices/%d/credit", c.ID), map[string]any{"reason": "x"}, ""); res.StatusCode != 403 {
							t.Errorf("crediting their council's customer's invoice: got %d %s, want 403", res.StatusCode, b)
						}
						if res, b := e.call(tc.token, "POST", fmt.Sprintf("/api/v1/trading/invoices/%d/credit", h.ID), map[string]any{"reason": "x"}, ""); res.StatusCode != 404 {
							t.Errorf("crediting Harbour's invoice: got %d %s, want 404", res.StatusCode, b)
						}
					}
				})
			}
		})

		t.Run("credit and reissue", func(t *testing.T) {
			var cn api.InvoiceJSON
			e.must(e.manager, "POST", fmt.Sprintf("/api/v1/trading/invoices/%d/credit", h.ID), map[string]any{"reason": "the increase was from 1 August"}, 201, &cn)
			if cn.Kind != "credit" || cn.Net != -h.Net || cn.Gross != -h.Gross || cn.CreditsID == nil || *cn.CreditsID != h.ID {
				t.Errorf("credit note: got %+v, want Harbour's invoice negated", cn)
			}
			e.must(e.manager, "POST", fmt.Sprintf("/api/v1/trading/subscriptions/%d/units", sub.ID), map[string]any{"from": "2024-08-01", "units": 14}, 200, nil)
			var re issued
			e.must(e.manager, "POST", "/api/v1/trading/invoices", map[string]any{"period": "2024/25-Q2", "customer_id": e.harbour}, 200, &re)
			if len(re.Outcomes) != 1 || re.Outcomes[0].Status != "issued" || re.Outcomes[0].Invoice.Number != cn.Number+1 {
				t.Fatalf("reissue: got %+v, want one invoice numbered after the credit note", re.Outcomes)
			}
			if want := int64(12*4523 + 2*14*4523 + 3780); re.Outcomes[0].Invoice.Net != want {
				t.Errorf("reissued net: got %d, want %d", re.Outcomes[0].Invoice.Net, want)
			}
			if res, b := e.call(e.manager, "POST", fmt.Sprintf("/api/v1/trading/invoices/%d/credit", h.ID), map[string]any{"reason": "again"}, ""); res.StatusCode != 400 {
				t.Errorf("crediting twice: got %d %s, want 400", res.StatusCode, b)
			}
		})
	})
}
