package maintenance_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
)

// errLog is a trail that cannot take the record.
var errLog = errors.New("the record cannot be written")

// failingLog is the store bound to a transaction, whose Log fails: what
// the change wrote must go with it.
type failingLog struct{ maintenance.Repo }

func (failingLog) Log(auditlog.Entry) error { return errLog }

// managerOf is a CCTV manager of org, with the store's rights.
func managerOf(t *testing.T, st *store.Store, org int64) maintenance.Caller {
	t.Helper()
	d, err := st.RightsData(t.Context())
	must(t, err)
	return maintenance.Caller{By: auditlog.Actor{UserID: 3, Username: "manager", OrganisationID: org, RemoteAddr: "192.0.2.7:4000"},
		Principal: rights.Principal{User: 3, Org: org, Grants: []rights.Grant{{Role: rights.CCTVManager}}}, Rights: rights.NewSnapshot(d)}
}

// outbox is the audit records waiting in the main database's outbox.
func outbox(t *testing.T, st *store.Store) []store.OutboxEntry {
	t.Helper()
	es, err := st.OutboxAfter(t.Context(), 0, 100)
	must(t, err)
	return es
}

// TestServiceChangeWithRecord: on the real stores, a fault raised or
// changed commits with its audit record, or, when the record cannot be
// written, neither the fault, the contractor it made, nor the record is
// kept.
func TestServiceChangeWithRecord(t *testing.T) {
	stores(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		cam := addCamera(t, st, "market")
		who := managerOf(t, st, cam.OrganisationID)
		in := maintenance.FaultInput{CameraID: cam.ID, Kind: maintenance.FaultDamage, Priority: "P1", Description: "dome cracked"}

		broken := func(ctx context.Context, fn func(tx maintenance.Repo) error) error {
			return changeOf(st)(ctx, func(tx maintenance.Repo) error { return fn(failingLog{tx}) })
		}
		svc := maintenance.NewService(st, broken, testPolicy, nil)
		if _, err := svc.Raise(ctx, who, in); !errors.Is(err, errLog) {
			t.Fatalf("raising with a trail that fails: got %v, want %v", err, errLog)
		}
		fs, err := st.ListFaults(ctx, maintenance.FaultFilter{})
		must(t, err)
		cs, err := st.Contractors(ctx)
		must(t, err)
		if len(fs) != 0 || len(cs) != 0 || len(outbox(t, st)) != 0 {
			t.Fatalf("after the record failed: got faults %+v, contractors %+v, records %+v, want none", fs, cs, outbox(t, st))
		}

		svc = maintenance.NewService(st, changeOf(st), testPolicy, nil)
		f, err := svc.Raise(ctx, who, in)
		must(t, err)
		if _, err := maintenance.NewService(st, broken, testPolicy, nil).Update(ctx, who, f.ID, maintenance.FaultChange{State: maintenance.FaultAcknowledged}); !errors.Is(err, errLog) {
			t.Fatalf("acknowledging with a trail that fails: got %v, want %v", err, errLog)
		}
		if got, err := st.Fault(ctx, f.ID); err != nil || got.State != maintenance.FaultRaised {
			t.Fatalf("after the record of the step failed: got %+v, %v, want it still raised", got, err)
		}
		_, err = svc.Update(ctx, who, f.ID, maintenance.FaultChange{State: maintenance.FaultAcknowledged, Note: "on site"})
		must(t, err)
		got, err := st.Fault(ctx, f.ID)
		must(t, err)
		es := outbox(t, st)
		if got.State != maintenance.FaultAcknowledged || len(es) != 2 || es[0].Action != auditlog.FaultRaise.String() ||
			es[1].Action != auditlog.FaultUpdate.String() || es[1].Username != "manager" || es[1].CameraID != cam.ID || es[1].RemoteAddr != "192.0.2.7:4000" {
			t.Errorf("after raising and acknowledging: got %+v and records %+v, want it acknowledged, with fault.raise and fault.update by manager", got, es)
		}
	})
}
