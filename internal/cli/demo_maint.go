package cli

import (
	"context"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/store"
)

// seedDemoMaintenance gives the demo's first cameras a few faults in
// different states, on the first run only, so the maintenance page and
// the contractor's report have something to show: one open and within
// target, one whose response came late, one Vigil raised for an hour's
// outage (which the availability figures count) and the video's return
// fixed, and a new P1. They commit with their records through
// change.
func seedDemoMaintenance(ctx context.Context, change changer, cfg config.Maintenance, now time.Time) error {
	return change(ctx, func(st *store.Store) error { return seedFaults(ctx, st, cfg, now) })
}

// seedFaults is seedDemoMaintenance's change, in the transaction st.
func seedFaults(ctx context.Context, st *store.Store, cfg config.Maintenance, now time.Time) error {
	if fs, err := st.ListFaults(ctx, maintenance.FaultFilter{Limit: 1}); err != nil || len(fs) > 0 {
		return err
	}
	cams, err := st.ListCameras(ctx)
	if err != nil || len(cams) == 0 {
		return err
	}
	contractor, err := st.EnsureContractor(ctx, cfg.Contractor, "")
	if err != nil {
		return err
	}
	pol := maintenance.Policy{OfflinePriority: cfg.OfflinePriority, Targets: map[string]maintenance.Target{}}
	for p, t := range cfg.Targets {
		pol.Targets[p] = maintenance.Target{Response: t.Response.Duration, Fix: t.Fix.Duration}
	}
	now = now.UTC().Truncate(time.Minute)
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	seeds := []struct {
		cam                 int
		kind, pri, desc, by string
		ago                 time.Duration
		automatic           bool
		ack, fixed, closed  *time.Time
		fixedBy             string
	}{
		{cam: 0, kind: maintenance.FaultObstruction, pri: "P3", desc: "Tree branches across the view of the bus stops", by: "operator",
			ago: 48 * time.Hour, ack: at(43 * time.Hour)},
		{cam: 1, kind: maintenance.FaultFocus, pri: "P2", desc: "Picture soft at full zoom", by: "manager",
			ago: 6 * 24 * time.Hour, ack: at(6*24*time.Hour - 10*time.Hour), fixed: at(6*24*time.Hour - 30*time.Hour), closed: at(4 * 24 * time.Hour)},
		{cam: 2 % len(cams), kind: maintenance.FaultOffline, pri: cfg.OfflinePriority, desc: "No video since the power cut: dial tcp: connection refused", by: "vigil",
			ago: 3 * 24 * time.Hour, automatic: true, fixed: at(3*24*time.Hour - time.Hour), fixedBy: "vigil"},
		{cam: 3 % len(cams), kind: maintenance.FaultDamage, pri: "P1", desc: "Dome cracked; housing open to the rain", by: "operator", ago: time.Hour},
	}
	for _, s := range seeds {
		if s.cam >= len(cams) {
			s.cam = 0
		}
		raised := now.Add(-s.ago)
		resp, fix, err := pol.Due(s.pri, raised)
		if err != nil {
			return err
		}
		f := maintenance.Fault{CameraID: cams[s.cam].ID, Kind: s.kind, Priority: s.pri, Description: s.desc, Automatic: s.automatic,
			ContractorID: contractor.ID, RaisedAt: raised, RaisedBy: s.by, ResponseDue: resp, FixDue: fix}
		if s.automatic {
			// Vigil raises an offline fault for an outage, and the video's
			// return ends both: the outage is what the availability
			// figures count, so the fault and the figures tell one story.
			o := maintenance.Outage{CameraID: f.CameraID, Start: raised, End: s.fixed, Reason: "dial tcp: connection refused", EndReason: "video back"}
			if err := st.AddOutage(ctx, &o); err != nil {
				return err
			}
			f.OutageID = o.ID
		}
		if err := st.RaiseFault(ctx, &f); err != nil {
			return err
		}
		if err := seedLog(st, auditlog.FaultRaise, f.CameraID, "fault %d: %s, %s: %s, raised by %s, contractor %s",
			f.ID, f.Kind, f.Priority, f.Description, f.RaisedBy, contractor.Name); err != nil {
			return err
		}
		for _, step := range []struct {
			state string
			at    *time.Time
			by    string
		}{{maintenance.FaultAcknowledged, s.ack, "manager"}, {maintenance.FaultFixed, s.fixed, s.fixedBy}, {maintenance.FaultClosed, s.closed, "manager"}} {
			if step.at == nil {
				continue
			}
			by := step.by
			if by == "" {
				by = "manager"
			}
			g, err := st.AdvanceFault(ctx, f.ID, step.state, *step.at, by, "")
			if err != nil {
				return err
			}
			if err := seedLog(st, auditlog.FaultUpdate, g.CameraID, "fault %d: state %s by %s", g.ID, g.State, by); err != nil {
				return err
			}
		}
	}
	return nil
}
