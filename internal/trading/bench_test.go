package trading_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
	"github.com/vigil-cctv/vigil/internal/trading"
)

// BenchmarkLedger: 50 customers of the trading company, each with two
// subscriptions whose units change every year, invoiced quarter by
// quarter for 10 years (2,000 invoices of 6 lines, 12,000 lines). Setting
// up times issuing (one run of a quarter's invoices for every customer,
// reported as ms/quarter-run); "covering" times Invoiced for one
// financial year, the figure the finance statement asks for, and the
// peer "day-only index" the same after the lines' index is replaced by
// one on the service day alone, as the schema first had it. On SQLite,
// and PostgreSQL when VIGIL_TEST_POSTGRES is set.
//
//	VIGIL_TEST_POSTGRES='postgres://...' go test ./internal/trading -run '^$' -bench trading.Ledger -benchtime 2000x
func BenchmarkLedger(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "vigil.db")
		benchLedger(b, path, "sqlite", path)
	})
	if pg := testkit.PostgresURL(); pg != "" {
		b.Run("postgres", func(b *testing.B) {
			dsn := testkit.PostgresSchema(b, pg)
			benchLedger(b, dsn, "pgx", dsn)
		})
	}
}

func benchLedger(b *testing.B, dsn, driver, driverDSN string) {
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	top, err := st.EnsureOrganisation(ctx, "Partnership", "partnership")
	if err != nil {
		b.Fatal(err)
	}
	start := d("2015-04-01")
	for i := range 50 {
		o := access.Organisation{Name: fmt.Sprintf("trading.Customer %d", i), Kind: "customer", ParentID: top.ID}
		if err := st.CreateOrganisation(ctx, &o); err != nil {
			b.Fatal(err)
		}
		for k, service := range []string{trading.ServiceMonitored, trading.ServiceMaintenance} {
			s := trading.Subscription{CustomerID: o.ID, Service: service, UnitPrice: int64(1000 + 37*i + 500*k), StartsOn: start}
			for y := range 10 {
				s.Units = append(s.Units, trading.Units{From: start.AddDate(y, 0, 17*k), Units: int64(3 + (i+y)%9)})
			}
			if err := st.CreateTradingSubscription(ctx, &s); err != nil {
				b.Fatal(err)
			}
		}
	}
	l := trading.NewLedger(st, nil)
	var issue []time.Duration
	for q := range 40 {
		from := start.AddDate(0, 3*q, 0)
		t0 := time.Now()
		outs, err := l.IssueAll(ctx, trading.Period{Name: from.Format("2006-01"), From: from, To: from.AddDate(0, 3, 0)}, from.AddDate(0, 3, 1), 0, nil)
		if err != nil || len(outs) != 50 || outs[0].Status != "issued" {
			b.Fatalf("quarter %d: %d outcomes, %v", q, len(outs), err)
		}
		issue = append(issue, time.Since(t0))
	}
	var total time.Duration
	for _, d := range issue {
		total += d
	}
	invoiced := func(b *testing.B) {
		var sum int64
		for i := 0; b.Loop(); i++ {
			y := start.AddDate(i%10, 0, 0)
			n, err := l.Invoiced(ctx, y, y.AddDate(1, 0, 0))
			if err != nil {
				b.Fatal(err)
			}
			sum += n
		}
		if sum <= 0 {
			b.Fatal("nothing invoiced")
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(len(issue)), "ms/quarter-run")
	}
	b.Run("covering", invoiced)
	db, err := sql.Open(driver, driverDSN)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`DROP INDEX trading_invoice_lines_service`, `CREATE INDEX trading_invoice_lines_day ON trading_invoice_lines (service_from)`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("day-only index", invoiced)
}
