package approvals_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/internal/access"
	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/identity"
	"github.com/vigil-cctv/vigil/internal/problem"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// storeEnv is a real main database with a council, a requester and an
// approver, and the two services over it.
type storeEnv struct {
	st        *store.Store
	council   int64
	requester auditlog.Actor
	approver  auditlog.Actor
	access    *access.Service
}

func forEachStore(t *testing.T, fn func(t *testing.T, e *storeEnv)) {
	t.Helper()
	run := func(t *testing.T, dsn string) {
		ctx := context.Background()
		st, err := store.Open(ctx, dsn, nil)
		if err != nil {
			t.Fatalf("store.Open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		p := access.Organisation{Name: "Partnership", Kind: rights.KindPartnership}
		if err := st.CreateOrganisation(ctx, &p); err != nil {
			t.Fatal(err)
		}
		c := access.Organisation{Name: "Council", Kind: rights.KindCouncil, ParentID: p.ID}
		if err := st.CreateOrganisation(ctx, &c); err != nil {
			t.Fatal(err)
		}
		e := &storeEnv{st: st, council: c.ID}
		for name, who := range map[string]*auditlog.Actor{"requester": &e.requester, "approver": &e.approver} {
			u := identity.User{Username: name, OrganisationID: p.ID, Role: "none"}
			if err := st.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			*who = auditlog.Actor{UserID: u.ID, Username: u.Username, OrganisationID: p.ID}
		}
		e.access = access.New(st, func(ctx context.Context, fn func(tx access.Repo) error) error {
			_, err := st.Update(ctx, func(tx *store.Store) error { return fn(tx) })
			return err
		}, nil, nil)
		fn(t, e)
	}
	t.Run("sqlite", func(t *testing.T) { run(t, filepath.Join(t.TempDir(), "vigil.db")) })
	if pg := testkit.PostgresURL(); pg != "" {
		t.Run("postgres", func(t *testing.T) { run(t, testkit.PostgresSchema(t, pg)) })
	}
}

func (e *storeEnv) service(set func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch approvals.Change, note string) (any, error)) *approvals.Service[*store.Store] {
	change := func(ctx context.Context, fn func(tx *store.Store) error) error {
		_, err := e.st.Update(ctx, fn)
		return err
	}
	return approvals.New(e.st, change, approvals.Options[*store.Store]{Appliers: map[string]approvals.Applier[*store.Store]{
		approvals.KindSetFourEyes: approvals.ApplierFunc[*store.Store](set),
	}})
}

// request records a pending set_four_eyes on the council for export.
func (e *storeEnv) request(t *testing.T, svc *approvals.Service[*store.Store]) approvals.Approval {
	t.Helper()
	ch := approvals.Change{Kind: approvals.KindSetFourEyes, Need: rights.ManageUsers, Orgs: []int64{e.council}, OrgID: e.council,
		FourEyes: []string{rights.FourEyesExport}}
	payload, err := json.Marshal(ch)
	if err != nil {
		t.Fatal(err)
	}
	ap, err := svc.Request(context.Background(), e.requester, approvals.Approval{OrganisationID: e.council, Action: rights.FourEyesRights,
		Kind: ch.Kind, Payload: string(payload), Summary: "four eyes for exports"}, auditlog.Entry{Detail: "four eyes for exports"})
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	return ap
}

// caller gives who the role over their organisation, and is them as the
// service judges them.
func (e *storeEnv) caller(t *testing.T, who auditlog.Actor, role rights.Role) approvals.Caller {
	t.Helper()
	ctx := context.Background()
	if err := e.st.SetUserRoles(ctx, who.UserID, []access.UserRole{{Role: string(role)}}); err != nil {
		t.Fatal(err)
	}
	data, err := e.st.RightsData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap := rights.NewSnapshot(data)
	return approvals.Caller{Actor: who, P: snap.Principal(who.UserID, who.OrganisationID), Snap: snap}
}

// actions lists the actions of the records in the outbox after id after.
func (e *storeEnv) actions(t *testing.T, after int64) ([]string, []string, int64) {
	t.Helper()
	rows, err := e.st.OutboxAfter(context.Background(), after, 100)
	if err != nil {
		t.Fatal(err)
	}
	var acts, details []string
	last := after
	for _, r := range rows {
		acts, details, last = append(acts, r.Action), append(details, r.Detail), r.ID
	}
	return acts, details, last
}

// TestDecideAllOrNothing: approving a change commits the decision, the
// change and both records together; when the change's own record cannot
// be written, neither the change nor its record is there, and the
// request says it failed.
func TestDecideAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *storeEnv) {
		ctx := context.Background()
		// The change is made, then its record refused (no action): the
		// whole transaction must go.
		broken := e.service(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch approvals.Change, note string) (any, error) {
			if err := tx.SetFourEyes(ctx, ch.OrgID, ch.FourEyes); err != nil {
				return nil, err
			}
			return nil, tx.Log(auditlog.Entry{Detail: "a record with no action"})
		})
		ap := e.request(t, broken)
		approver := e.caller(t, e.approver, rights.Administrator)
		_, _, mark := e.actions(t, 0)
		d, err := broken.Decide(ctx, approver, ap.ID, true, "")
		var failed *approvals.FailedError
		if !errors.As(err, &failed) || !errors.Is(err, auditlog.ErrNoAction) {
			t.Fatalf("Decide with a broken record: got %v, want a FailedError for ErrNoAction", err)
		}
		if d.State != approvals.Failed {
			t.Errorf("state: got %q, want %q", d.State, approvals.Failed)
		}
		if got, _ := e.st.Approval(ctx, ap.ID); got.State != approvals.Failed || got.DecidedBy != e.approver.UserID {
			t.Errorf("stored request: got state %q decided by %d, want failed by %d", got.State, got.DecidedBy, e.approver.UserID)
		}
		if fe, _ := e.st.FourEyes(ctx, e.council); len(fe) != 0 {
			t.Errorf("four eyes after a failed apply: got %v, want none (the change rolled back)", fe)
		}
		acts, _, mark := e.actions(t, mark)
		if !slices.Equal(acts, []string{auditlog.ApprovalApprove.String()}) {
			t.Errorf("records: got %v, want only the decision's", acts)
		}

		// The same, with the access service's applier: all of it commits.
		good := e.service(func(ctx context.Context, tx *store.Store, by auditlog.Actor, ch approvals.Change, note string) (any, error) {
			return e.access.SetFourEyesIn(ctx, tx, by, ch.OrgID, ch.FourEyes, note)
		})
		ap = e.request(t, good)
		_, _, mark = e.actions(t, mark)
		d, err = good.Decide(ctx, approver, ap.ID, true, "fine")
		if err != nil {
			t.Fatalf("Decide: %v", err)
		}
		if d.State != approvals.Applied {
			t.Errorf("state: got %q, want %q", d.State, approvals.Applied)
		}
		if fe, _ := e.st.FourEyes(ctx, e.council); !slices.Equal(fe, []string{rights.FourEyesExport}) {
			t.Errorf("four eyes: got %v, want [export]", fe)
		}
		acts, details, _ := e.actions(t, mark)
		want := []string{auditlog.ApprovalApprove.String(), auditlog.RightsSetFourEyes.String()}
		if !slices.Equal(acts, want) {
			t.Fatalf("records: got %v, want %v", acts, want)
		}
		if !strings.HasSuffix(details[1], "(approved request "+itoa(ap.ID)+" of user "+itoa(e.requester.UserID)+")") {
			t.Errorf("the change's record: got %q, want it to name the approved request", details[1])
		}
	})
}

// TestChangeAllOrNothing: a change of access that fails leaves no record.
func TestChangeAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *storeEnv) {
		ctx := context.Background()
		if err := e.st.SetUserRoles(ctx, e.approver.UserID, []access.UserRole{{Role: string(rights.Administrator)}}); err != nil {
			t.Fatal(err)
		}
		data, err := e.st.RightsData(ctx)
		if err != nil {
			t.Fatal(err)
		}
		snap := rights.NewSnapshot(data)
		c := access.Caller{Actor: e.approver, P: snap.Principal(e.approver.UserID, e.approver.OrganisationID), Snap: snap}
		_, _, mark := e.actions(t, 0)
		o, err := e.access.CreateOrganisation(ctx, c, access.Organisation{Name: "Police", Kind: rights.KindPolice, ParentID: e.approver.OrganisationID})
		if err != nil {
			t.Fatalf("CreateOrganisation: %v", err)
		}
		acts, _, mark := e.actions(t, mark)
		if !slices.Equal(acts, []string{auditlog.OrganisationCreate.String()}) || o.ID == 0 {
			t.Errorf("a made organisation: got records %v and id %d, want its record and an id", acts, o.ID)
		}
		// The same name again: refused, and nothing recorded.
		_, err = e.access.CreateOrganisation(ctx, c, access.Organisation{Name: "Police", Kind: rights.KindPolice, ParentID: e.approver.OrganisationID})
		if !errors.Is(err, problem.ErrConflict) || !strings.Contains(err.Error(), `"Police" already exists`) {
			t.Errorf("a taken name: got %v, want a worded conflict", err)
		}
		if acts, _, _ := e.actions(t, mark); len(acts) != 0 {
			t.Errorf("records of a refused change: got %v, want none", acts)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
