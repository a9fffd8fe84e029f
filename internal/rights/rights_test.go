package rights

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// The partnership of these tests:
//
//	1 Partnership (partnership)
//	├── 2 Council A (council)
//	│   └── 3 A Parks (department)
//	├── 4 Council B (council)
//	└── 5 Police (police)
//
// Cameras: 10 in A, 11 in A Parks, 20 and 21 in B. Group 7 (of B) holds
// camera 21.
const (
	partnership, councilA, parks, councilB, police = 1, 2, 3, 4, 5
	groupB                                         = 7
)

var (
	camA     = Camera{ID: 10, Org: councilA}
	camParks = Camera{ID: 11, Org: parks}
	camB     = Camera{ID: 20, Org: councilB}
	camB2    = Camera{ID: 21, Org: councilB}
	t0       = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
)

func testData() Data {
	return Data{
		Orgs: []Org{
			{ID: partnership, Name: "Partnership", Kind: KindPartnership},
			{ID: councilA, Parent: partnership, Name: "Council A", Kind: KindCouncil},
			{ID: parks, Parent: councilA, Name: "A Parks", Kind: KindDepartment},
			{ID: councilB, Parent: partnership, Name: "Council B", Kind: KindCouncil},
			{ID: police, Parent: partnership, Name: "Police", Kind: KindPolice},
		},
		Grants: map[int64][]Grant{},
		Groups: []Group{{ID: groupB, Org: councilB, Name: "Night-time economy", Cameras: []int64{21}}},
		Agreements: []Agreement{
			// B shares group 7 with the police for live view and
			// playback during November.
			{ID: 1, Grantor: councilB, Grantee: police, Rights: SetOf(ViewLive, PlayBack), Groups: []int64{groupB},
				Starts: t0.Add(-24 * time.Hour), Ends: t0.Add(24 * time.Hour)},
			// A shares everything for export, only while an incident
			// is open.
			{ID: 2, Grantor: councilA, Grantee: police, Rights: SetOf(ViewLive, Export), AllCameras: true,
				Starts: t0.Add(-time.Hour), Condition: WhileIncidentOpen},
			// A cannot share B's camera 20, whatever it lists.
			{ID: 3, Grantor: councilA, Grantee: police, Rights: SetOf(PlayBack, Export), Cameras: []int64{20},
				Starts: t0.Add(-time.Hour)},
		},
		FourEyes: map[int64][]string{councilA: {FourEyesExport}},
	}
}

func principal(s *Snapshot, org int64, roles ...Role) Principal {
	p := Principal{User: 99, Org: org}
	for _, r := range roles {
		p.Grants = append(p.Grants, Grant{Role: r})
	}
	return p
}

// TestRoleTable pins the role table to the words: changing what a
// role may do must change this test too.
func TestRoleTable(t *testing.T) {
	want := map[Role][]Action{
		Operator:           {ViewLive, PlayBack, ControlPTZ},
		Supervisor:         {ViewLive, PlayBack, Export, ControlPTZ},
		CCTVManager:        {ViewLive, PlayBack, Export, ControlPTZ, ManageCameras, ReadFinance, ReadAudit, ManageFinance},
		PartnerOfficer:     {PlayBack, Export, ReadFinance},
		PoliceViewer:       {ViewLive, PlayBack},
		PoliceInvestigator: {ViewLive, PlayBack, Export},
		Auditor:            {ReadAudit},
		Administrator:      {ManageCameras, ManageUsers},
	}
	if len(Roles) != len(want) {
		t.Fatalf("got %d roles, want %d", len(Roles), len(want))
	}
	for _, r := range Roles {
		t.Run(string(r.Role), func(t *testing.T) {
			if got := r.Role.Can(); got != SetOf(want[r.Role]...) {
				t.Errorf("got %v, want %v", got.List(), want[r.Role])
			}
			if r.Role != Administrator && r.Role.Can().Has(ManageUsers) {
				t.Errorf("only administrators manage users; %s does too", r.Role)
			}
		})
	}
	if Administrator.Can()&Footage != 0 {
		t.Errorf("administrator holds footage rights %v, want none", (Administrator.Can() & Footage).List())
	}
}

func TestCan(t *testing.T) {
	s := NewSnapshot(testData())
	tests := []struct {
		name   string
		p      Principal
		act    Action
		cam    Camera
		at     time.Time
		want   bool
		hidden bool
		reason string
	}{
		{"operator of A, own camera", principal(s, councilA, Operator), ViewLive, camA, t0, true, false, ""},
		{"operator of A, department's camera", principal(s, councilA, Operator), PlayBack, camParks, t0, true, false, ""},
		{"operator of A, B's camera is hidden", principal(s, councilA, Operator), ViewLive, camB, t0, false, true, "no such camera"},
		{"operator of A may not export", principal(s, councilA, Operator), Export, camA, t0, false, false, "your role (operator) cannot export footage"},
		{"department operator, parent's camera is hidden", principal(s, parks, Operator), ViewLive, camA, t0, false, true, ""},
		{"partnership operator sees every partner", principal(s, partnership, Operator), ViewLive, camB, t0, true, false, ""},
		{"administrator sees no footage", principal(s, partnership, Administrator), ViewLive, camA, t0, false, false, "your role (administrator) cannot view live video"},
		{"administrator manages the camera", principal(s, partnership, Administrator), ManageCameras, camA, t0, true, false, ""},
		{"administrator with a second role", principal(s, partnership, Administrator, Operator), ViewLive, camA, t0, true, false, ""},
		{"partner officer: no live", principal(s, councilA, PartnerOfficer), ViewLive, camA, t0, false, false, "cannot view live video"},
		{"partner officer plays back own", principal(s, councilA, PartnerOfficer), PlayBack, camA, t0, true, false, ""},
		{"auditor: cameras hidden", principal(s, councilA, Auditor), ViewLive, camA, t0, false, false, "your role (auditor) cannot"},
		{"two roles named", principal(s, councilA, Auditor, PartnerOfficer), ViewLive, camA, t0, false, false, "your roles (auditor, partner officer)"},
		{"no role", Principal{Org: councilA}, PlayBack, camA, t0, false, false, "you hold no role"},
		{"police: shared group camera live", principal(s, police, PoliceViewer), ViewLive, camB2, t0, true, false, ""},
		{"police: camera outside the group", principal(s, police, PoliceViewer), ViewLive, camB, t0, false, true, ""},
		{"police: agreement not started", principal(s, police, PoliceViewer), ViewLive, camB2, t0.Add(-48 * time.Hour), false, true, ""},
		{"police: agreement ended", principal(s, police, PoliceViewer), PlayBack, camB2, t0.Add(24 * time.Hour), false, true, ""},
		{"police: last instant before the end", principal(s, police, PoliceViewer), PlayBack, camB2, t0.Add(24*time.Hour - time.Microsecond), true, false, ""},
		{"police viewer cannot export though the agreement could", principal(s, police, PoliceViewer), Export, camA, t0, false, false, "your role (police viewer) cannot export"},
		{"investigator: export needs an open incident", principal(s, police, PoliceInvestigator), Export, camA, t0, false, true, ""},
		{"investigator plays back the shared group", principal(s, police, PoliceInvestigator), PlayBack, camB2, t0, true, false, ""},
		{"investigator: group agreement lacks export", principal(s, police, PoliceInvestigator), Export, camB2, t0, false, false, "you may not export the footage of this camera"},
		{"a grantor cannot share another's camera", principal(s, police, PoliceInvestigator), PlayBack, camB, t0, false, true, ""},
		{"group-restricted operator, in the group", Principal{Org: councilB, Grants: []Grant{{Role: Operator, Group: groupB}}}, ViewLive, camB2, t0, true, false, ""},
		{"group-restricted operator, outside it", Principal{Org: councilB, Grants: []Grant{{Role: Operator, Group: groupB}}}, ViewLive, camB, t0, false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := s.Can(tt.p, tt.act, tt.cam, tt.at)
			if d.Allowed != tt.want || d.Hidden != tt.hidden || !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("got %+v, want allowed %v, hidden %v, reason containing %q", d, tt.want, tt.hidden, tt.reason)
			}
			if d.Allowed && d.Reason != "" {
				t.Errorf("allowed with a reason %q", d.Reason)
			}
		})
	}
}

func TestIncidentCondition(t *testing.T) {
	d := testData()
	d.Agreements[1].IncidentOpen = true
	s := NewSnapshot(d)
	p := principal(s, police, PoliceInvestigator)
	if got := s.Can(p, Export, camA, t0); !got.Allowed {
		t.Errorf("with the incident open: got %+v, want export allowed", got)
	}
	if got := s.Can(p, PlayBack, camA, t0); got.Allowed || got.Hidden {
		t.Errorf("play back under an export-and-live agreement: got %+v, want refused, camera visible", got)
	}
	if got := s.On(p, camA, t0); got != SetOf(ViewLive, Export) {
		t.Errorf("On: got %v, want view_live and export", got.List())
	}
}

func TestCanOrg(t *testing.T) {
	s := NewSnapshot(testData())
	tests := []struct {
		name   string
		p      Principal
		act    Action
		org    int64
		want   bool
		hidden bool
	}{
		{"administrator of the partnership, a council", principal(s, partnership, Administrator), ManageUsers, councilB, true, false},
		{"administrator of A, its department", principal(s, councilA, Administrator), ManageUsers, parks, true, false},
		{"administrator of A, council B", principal(s, councilA, Administrator), ManageUsers, councilB, false, true},
		{"administrator of A, the partnership above", principal(s, councilA, Administrator), ManageUsers, partnership, false, true},
		{"manager may not manage users", principal(s, partnership, CCTVManager), ManageUsers, councilA, false, false},
		{"manager of a group cannot add cameras", Principal{Org: councilB, Grants: []Grant{{Role: CCTVManager, Group: groupB}}}, ManageCameras, councilB, false, false},
		{"auditor reads the audit trail", principal(s, councilA, Auditor), ReadAudit, councilA, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := s.CanOrg(tt.p, tt.act, tt.org)
			if d.Allowed != tt.want || d.Hidden != tt.hidden || !d.Allowed && d.Reason == "" {
				t.Errorf("got %+v, want allowed %v, hidden %v, with a reason if refused", d, tt.want, tt.hidden)
			}
		})
	}
}

func TestNeedsApproval(t *testing.T) {
	s := NewSnapshot(testData())
	for _, tt := range []struct {
		org     int64
		act     string
		want    bool
		setOnto int64
	}{
		{councilA, FourEyesExport, true, councilA},
		{parks, FourEyesExport, true, councilA}, // a department follows its council
		{councilB, FourEyesExport, false, 0},
		{councilA, FourEyesRights, false, 0},
	} {
		if got, by := s.NeedsApproval(tt.org, tt.act); got != tt.want || by != tt.setOnto {
			t.Errorf("NeedsApproval(%d, %s): got %v (by %d), want %v (by %d)", tt.org, tt.act, got, by, tt.want, tt.setOnto)
		}
	}
}

func TestParentCycleEnds(t *testing.T) {
	s := NewSnapshot(Data{Orgs: []Org{{ID: 1, Parent: 2}, {ID: 2, Parent: 1}}})
	if got := s.Ancestors(1); len(got) != 2 {
		t.Errorf("ancestors in a cycle: got %v, want the two organisations once each", got)
	}
}

func TestCache(t *testing.T) {
	var loads atomic.Int32
	var fail atomic.Bool
	var version atomic.Int64
	role := Operator
	c := NewCache(func(ctx context.Context) (Data, error) {
		loads.Add(1)
		if fail.Load() {
			return Data{}, errors.New("database down")
		}
		return Data{Version: version.Load(), Orgs: []Org{{ID: 1}}, Grants: map[int64][]Grant{5: {{Role: role}}}}, nil
	}, func(ctx context.Context) (int64, error) { return version.Load(), nil }, time.Hour, nil)
	ctx := context.Background()
	if loads.Load() != 0 {
		t.Fatalf("NewCache loaded %d times, want 0 until asked", loads.Load())
	}
	s1, err := c.Snapshot(ctx)
	if err != nil || loads.Load() != 1 {
		t.Fatalf("first Snapshot: got %v after %d loads, want a snapshot after 1", err, loads.Load())
	}
	if s2, _ := c.Snapshot(ctx); s2 != s1 || loads.Load() != 1 {
		t.Errorf("second Snapshot: got a new one or %d loads, want the same snapshot, 1 load", loads.Load())
	}
	role = Auditor
	c.Invalidate()
	s3, err := c.Snapshot(ctx)
	if err != nil || s3 == s1 || s3.Principal(5, 1).Grants[0].Role != Auditor {
		t.Errorf("after Invalidate: got %v, grants %v; want a fresh snapshot with the auditor role", err, s3.Principal(5, 1).Grants)
	}
	fail.Store(true)
	c.Invalidate()
	if _, err := c.Snapshot(ctx); err == nil {
		t.Error("invalidated, loading fails: got a snapshot, want the error (never decide on data known to be stale)")
	}
	fail.Store(false)

	// Changed elsewhere: once the recheck is due, the version read in
	// the background tells, and the old snapshot answers meanwhile.
	now := time.Now()
	c2 := NewCache(func(ctx context.Context) (Data, error) { loads.Add(1); return Data{Version: version.Load()}, nil },
		func(ctx context.Context) (int64, error) { return version.Load(), nil }, time.Minute, nil)
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	c2.now = func() time.Time { return time.Unix(0, clock.Load()) }
	old, _ := c2.Snapshot(ctx)
	before := loads.Load()
	clock.Add(int64(2 * time.Minute))
	if got, _ := c2.Snapshot(ctx); got != old {
		t.Error("due for a recheck: got a new snapshot at once, want the old one while the version is read")
	}
	waitIdle(t, c2)
	if loads.Load() != before {
		t.Errorf("the version unchanged: got %d loads, want none", loads.Load()-before)
	}
	version.Add(1)
	if got, _ := c2.Snapshot(ctx); got != old {
		t.Error("the version changed, before the recheck is due: got a new snapshot, want the old one")
	}
	clock.Add(int64(2 * time.Minute))
	c2.Snapshot(ctx)
	waitIdle(t, c2)
	if got, _ := c2.Snapshot(ctx); got == old || got.Version != version.Load() || loads.Load() != before+1 {
		t.Errorf("the version changed: got version %d after %d loads, want %d after one reload", got.Version, loads.Load()-before, version.Load())
	}
}

// waitIdle waits for a cache's background check to finish.
func waitIdle(t *testing.T, c *Cache) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.busy.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the background check did not finish within 5 s")
		}
		time.Sleep(time.Millisecond) // the check's goroutine announces nothing
	}
}

func TestDecisionCost(t *testing.T) {
	// Allocation-free decisions keep the footage path cheap.
	s := NewSnapshot(testData())
	p := principal(s, police, PoliceViewer)
	if n := testing.AllocsPerRun(100, func() { s.Can(p, ViewLive, camB2, t0) }); n != 0 {
		t.Errorf("Can allocates %v times per call, want 0", n)
	}
}

// TestCacheCloseWaitsForCheck: Close ends a background check that a
// database not answering holds up, and returns only once it has; the
// bubble fails the test if the check's goroutine outlives it.
func TestCacheCloseWaitsForCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var checking atomic.Bool
		c := NewCache(func(ctx context.Context) (Data, error) { return Data{}, nil },
			func(ctx context.Context) (int64, error) {
				checking.Store(true)
				<-ctx.Done() // a database that does not answer
				return 0, ctx.Err()
			}, time.Minute, nil)
		ctx := context.Background()
		if _, err := c.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Minute) // the recheck is due
		c.Snapshot(ctx)
		synctest.Wait()
		if !checking.Load() {
			t.Fatal("no background check began, want one reading the version")
		}
		c.Close()
		if c.busy.Load() {
			t.Error("after Close: the background check is still marked running, want it ended")
		}
		time.Sleep(2 * time.Minute)
		checking.Store(false)
		c.Snapshot(ctx)
		synctest.Wait()
		if checking.Load() {
			t.Error("after Close: a new background check began, want none")
		}
	})
}

// TestManageFinance: the partnership's figures are changed by its own
// CCTV manager alone, over all cameras; the partnership is found by its
// place and kind, so a new name changes nothing.
func TestManageFinance(t *testing.T) {
	renamed := testData()
	renamed.Orgs[0].Name = "Shared CCTV Service"
	// A root organisation of another kind, and a second partnership
	// made later, are not the partnership.
	renamed.Orgs = append(renamed.Orgs, Org{ID: 8, Name: "Neighbours", Kind: KindCouncil}, Org{ID: 9, Name: "Later", Kind: KindPartnership})
	for _, d := range []struct {
		name string
		data Data
	}{{"as made", testData()}, {"renamed", renamed}} {
		s := NewSnapshot(d.data)
		if top, ok := s.Partnership(); !ok || top.ID != partnership {
			t.Fatalf("%s: Partnership: got %+v, %v, want organisation %d", d.name, top, ok, partnership)
		}
		for _, tc := range []struct {
			who  string
			p    Principal
			want bool
		}{
			{"the partnership's CCTV manager", principal(s, partnership, CCTVManager), true},
			{"the partnership's CCTV manager for a camera group", Principal{Org: partnership, Grants: []Grant{{Role: CCTVManager, Group: groupB}}}, false},
			{"a partner officer of the partnership", principal(s, partnership, PartnerOfficer), false},
			{"a council's CCTV manager", principal(s, councilA, CCTVManager), false},
			{"a council's partner officer", principal(s, councilA, PartnerOfficer), false},
			{"the partnership's administrator", principal(s, partnership, Administrator), false},
			{"the CCTV manager of another root", principal(s, 8, CCTVManager), false},
			{"the CCTV manager of a later partnership", principal(s, 9, CCTVManager), false},
		} {
			got := s.CanManageFinance(tc.p)
			if got.Allowed != tc.want {
				t.Errorf("%s: %s: got %v (%s), want %v", d.name, tc.who, got.Allowed, got.Reason, tc.want)
			}
			if !got.Allowed && got.Reason == "" {
				t.Errorf("%s: %s: refused without a reason", d.name, tc.who)
			}
		}
	}
	if _, ok := NewSnapshot(Data{Orgs: []Org{{ID: 2, Name: "Council", Kind: KindCouncil}}}).Partnership(); ok {
		t.Error("a tree without a partnership: got one, want none")
	}
}

// TestOrgs: every organisation, by id, whatever order the data gave them
// in (the works pages list departments in this order).
func TestOrgs(t *testing.T) {
	s := NewSnapshot(Data{Orgs: []Org{{ID: 7, Name: "c"}, {ID: 2, Name: "a"}, {ID: 5, Parent: 2, Name: "b"}}})
	var got []int64
	for _, o := range s.Orgs() {
		got = append(got, o.ID)
	}
	if want := []int64{2, 5, 7}; !slices.Equal(got, want) {
		t.Errorf("Orgs: got ids %v, want %v", got, want)
	}
}
