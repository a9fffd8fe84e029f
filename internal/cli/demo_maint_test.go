package cli

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/store"
)

// TestDemoMaintenance: the demo's faults, once, in the states the README
// describes.
func TestDemoMaintenance(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org, err := st.EnsureOrganisation(ctx, "Lea Vale", "council")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		p := demoPlan(i)
		c := cameras.Camera{OrganisationID: org.ID, Name: p.name, URL: "rtsp://127.0.0.1:1/x", RetentionDays: 31}
		if err := st.CreateCamera(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Default().Maintenance
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for run := 0; run < 2; run++ {
		if err := seedDemoMaintenance(ctx, update(st), cfg, now); err != nil {
			t.Fatalf("run %d: %v", run+1, err)
		}
	}
	fs, err := st.ListFaults(ctx, maintenance.FaultFilter{})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]int{}
	for _, f := range fs {
		states[f.State]++
	}
	if len(fs) != 4 || states[maintenance.FaultRaised] != 1 || states[maintenance.FaultAcknowledged] != 1 || states[maintenance.FaultFixed] != 1 || states[maintenance.FaultClosed] != 1 {
		t.Errorf("after two runs: got %d faults in states %v, want 4, one in each state", len(fs), states)
	}
	rep := maintenance.Build(period.Of(now), cfg.Contractor, fs, nil, nil, now)
	if rep.Total.Raised != 4 || rep.Total.ResponseBreached != 1 || rep.Total.ResponseMet != 2 || rep.Total.ResponsePending != 1 {
		t.Errorf("the demo's report: got %+v, want 4 faults, 1 late response, 2 on time and 1 awaited", rep.Total)
	}

	// The offline fault's outage is in the availability figures, and every
	// camera counts from its installation (the finance history's, at the
	// start of last financial year), not from the demo's first run.
	for _, c := range demoCouncils {
		if _, err := st.EnsureOrganisation(ctx, c.name, "council"); err != nil {
			t.Fatal(err)
		}
	}
	if err := setUpDemoRecharge(ctx, update(st), now); err != nil {
		t.Fatal(err)
	}
	lives, err := st.CameraLives(ctx)
	if err != nil {
		t.Fatal(err)
	}
	from := now.AddDate(0, 0, -30)
	outages, err := st.Outages(ctx, 0, from, now)
	if err != nil {
		t.Fatal(err)
	}
	cams, estate := maintenance.Availabilities(lives, outages, from, now, now)
	if len(cams) != 4 || estate.Outages != 1 || estate.Offline != time.Hour || estate.Period != 4*30*24*time.Hour {
		t.Errorf("the demo's availability over 30 days: got %d cameras, %d outages, %v offline over %v, want 4, 1, 1h over 4×30 days",
			len(cams), estate.Outages, estate.Offline, estate.Period)
	}
	for _, f := range fs {
		if f.Automatic && f.OutageID == 0 {
			t.Errorf("automatic fault %d: got no outage, want the outage it was raised for", f.ID)
		}
	}
}
