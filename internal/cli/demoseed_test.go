package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/app"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit/fixture"
	"github.com/vigil-cctv/vigil/internal/works"
)

// update commits each change in a transaction of st's own, its records
// left in the outbox: for tests of what the demo makes rather than of its
// trail.
func update(st *store.Store) changer {
	return func(ctx context.Context, fn func(tx *store.Store) error) error {
		_, err := st.Update(ctx, fn)
		return err
	}
}

// TestDemoSeedRecorded: the first start and the demo's seeding, on a fresh
// database, leave in the trail a record by Vigil, saying it is seed data,
// of every organisation, user, camera, fault step, works order and step,
// subscription and invoice made; the outbox is drained and the trail
// verifies. A rerun records only what it changes: each camera pointed at
// the run's address.
func TestDemoSeedRecorded(t *testing.T) {
	fixture.ForEachDatabase(t, func(t *testing.T, db fixture.Databases) {
		ctx := t.Context()
		st, change := db.Store, changer(db.Outbox.Change)
		cfg := config.Default()
		cfg.Organisation, cfg.AdminPassword = "Demo Partnership", ""
		const n = 8
		seed := func(run int) {
			t.Helper()
			if err := app.Bootstrap(ctx, db.Outbox.Change, cfg, io.Discard); err != nil {
				t.Fatalf("run %d: first start: %v", run, err)
			}
			url := func(i int) string { return fmt.Sprintf("rtsp://127.0.0.1:%d/cam%d", 8554+run, i) }
			if _, err := seedDemoCameras(ctx, change, url, n, 31); err != nil {
				t.Fatalf("run %d: cameras: %v", run, err)
			}
			now := time.Now()
			// In the order demo runs them.
			for _, s := range []struct {
				what string
				fn   func() error
			}{
				{"operator", func() error { return ensureDemoOperator(ctx, change, io.Discard) }},
				{"partnership", func() error { return setUpDemoPartnership(ctx, change, cfg.Organisation, now, io.Discard) }},
				{"maintenance", func() error { return seedDemoMaintenance(ctx, change, cfg.Maintenance, now) }},
				{"recharge", func() error { return setUpDemoRecharge(ctx, change, now) }},
			} {
				if err := s.fn(); err != nil {
					t.Fatalf("run %d: %s: %v", run, s.what, err)
				}
			}
		}
		seed(1)

		if pending, _, err := st.OutboxPending(ctx); err != nil || pending != 0 {
			t.Fatalf("outbox after seeding: got %d records waiting (%v), want none", pending, err)
		}
		recs, err := db.Trail.Store().ListAudit(ctx, store.AuditFilter{Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		details := map[string][]string{}
		for _, r := range recs {
			if r.Username != auditlog.System.Username || r.UserID != 0 ||
				!strings.HasPrefix(r.Detail, demoSeed+": ") && !strings.HasPrefix(r.Detail, app.FirstStart+": ") {
				t.Errorf("record %d %s: got by %q (%d), detail %q; want by Vigil, as seed data", r.Seq, r.Action, r.Username, r.UserID, r.Detail)
			}
			count[r.Action]++
			details[r.Action] = append(details[r.Action], r.Detail)
		}
		// names finds a record of action naming "what (id)".
		names := func(action auditlog.Action, what string, id int64) bool {
			for _, d := range details[action.String()] {
				if strings.Contains(d, fmt.Sprintf("%s (%d)", what, id)) {
					return true
				}
			}
			return false
		}

		orgs, err := st.ListOrganisations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range orgs {
			if !names(auditlog.OrganisationCreate, o.Name, o.ID) {
				t.Errorf("organisation %s (%d): no organisation.create record in %q", o.Name, o.ID, details[auditlog.OrganisationCreate.String()])
			}
		}
		users, err := st.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if !names(auditlog.UserCreate, u.Username, u.ID) {
				t.Errorf("user %s (%d): no user.create record", u.Username, u.ID)
			}
		}
		cams, err := st.ListCameras(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cams {
			if !names(auditlog.CameraCreate, c.Name, c.ID) {
				t.Errorf("camera %s (%d): no camera.create record", c.Name, c.ID)
			}
		}
		faults, err := st.ListFaults(ctx, maintenance.FaultFilter{})
		if err != nil {
			t.Fatal(err)
		}
		steps := 0
		for _, f := range faults {
			for _, at := range []*time.Time{f.AcknowledgedAt, f.FixedAt, f.ClosedAt} {
				if at != nil {
					steps++
				}
			}
		}
		orders, err := st.ListWorksOrders(ctx, works.OrderFilter{})
		if err != nil {
			t.Fatal(err)
		}
		contracts, err := st.ListWorksContracts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			action auditlog.Action
			want   int
		}{
			{auditlog.OrganisationCreate, len(orgs)},
			{auditlog.UserCreate, len(users)},
			{auditlog.CameraCreate, len(cams)},
			{auditlog.CameraUpdate, 0},
			{auditlog.FaultRaise, len(faults)},
			{auditlog.FaultUpdate, steps},
			{auditlog.WorksContractCreate, len(contracts)},
			{auditlog.WorksOrderRaise, len(orders)},
			{auditlog.TradingSubscriptionCreate, len(demoCustomers)},
			{auditlog.TradingInvoice, len(demoCustomers)},
			{auditlog.FinanceHistoryAdd, len(cams)},
			{auditlog.FinanceLines, 1},
			{auditlog.FinanceBudgets, 1},
			{auditlog.CameraGroupCreate, 1},
			{auditlog.RightsCreateAgreement, 1},
			{auditlog.RightsSetFourEyes, 1},
		} {
			if got := count[c.action.String()]; got != c.want {
				t.Errorf("%s records: got %d, want %d", c.action, got, c.want)
			}
		}
		if count[auditlog.WorksOrderQuote.String()] == 0 || count[auditlog.WorksBudgetSet.String()] == 0 || count[auditlog.TradingCharge.String()] != 1 {
			t.Errorf("works and trading records: got %v, want quotes, budgets and the one charge", count)
		}
		rep, err := db.Trail.Verify(ctx, 1)
		if err != nil || len(rep.Problems) > 0 || rep.Records != int64(len(recs)) {
			t.Fatalf("verify: got %d records, problems %v (%v), want %d intact", rep.Records, rep.Problems, err, len(recs))
		}

		seed(2)
		again, err := db.Trail.Store().ListAudit(ctx, store.AuditFilter{Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		more := map[string]int{}
		for _, r := range again[:len(again)-len(recs)] { // newest first
			more[r.Action]++
		}
		if len(more) != 1 || more[auditlog.CameraUpdate.String()] != n {
			t.Errorf("a rerun's records: got %v, want %d camera.update, one per camera pointed at the run's address", more, n)
		}
		if pending, _, err := st.OutboxPending(ctx); err != nil || pending != 0 {
			t.Errorf("outbox after a rerun: got %d records waiting (%v), want none", pending, err)
		}
	})
}
