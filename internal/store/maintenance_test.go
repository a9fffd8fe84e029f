package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/finance"
	"github.com/vigil-cctv/vigil/internal/maintenance"
)

func TestMaintenanceOutages(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, b := newCamera(t, s, "A", 31), newCamera(t, s, "B", 31)
		t0 := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
		closed := t0.Add(2 * time.Hour)
		old := maintenance.Outage{CameraID: a.ID, Start: t0, End: &closed, Reason: "dial tcp: refused", EndReason: "imported"}
		must(t, s.AddOutage(ctx, &old))
		open := maintenance.Outage{CameraID: a.ID, Start: t0.Add(5 * time.Hour), Reason: "timeout"}
		must(t, s.AddOutage(ctx, &open))
		other := maintenance.Outage{CameraID: b.ID, Start: t0.Add(30 * time.Minute), Reason: "eof"}
		must(t, s.AddOutage(ctx, &other))

		got, err := s.OpenOutages(ctx)
		must(t, err)
		if len(got) != 2 || got[0].ID != open.ID || got[1].ID != other.ID || got[0].End != nil {
			t.Fatalf("OpenOutages: got %+v, want the open outages of A and B", got)
		}
		// Overlapping [t0+1h, t0+4h): A's first, B's.
		got, err = s.Outages(ctx, 0, t0.Add(time.Hour), t0.Add(4*time.Hour))
		must(t, err)
		if len(got) != 2 || got[0].ID != old.ID || got[1].ID != other.ID {
			t.Errorf("Outages of all cameras: got %+v, want A's first and B's", got)
		}
		got, err = s.Outages(ctx, a.ID, t0.Add(3*time.Hour), t0.Add(6*time.Hour))
		must(t, err)
		if len(got) != 1 || got[0].ID != open.ID {
			t.Errorf("Outages of A: got %+v, want only the open one", got)
		}

		// Ending an outage before it began dates the end at its start.
		must(t, s.EndOutage(ctx, other.ID, t0, "video back"))
		got, err = s.Outages(ctx, b.ID, t0, t0.Add(24*time.Hour))
		must(t, err)
		if len(got) != 1 || got[0].End == nil || !got[0].End.Equal(other.Start) || got[0].EndReason != "video back" {
			t.Errorf("ended outage: got %+v, want it ended at its start", got)
		}
		if err := s.EndOutage(ctx, other.ID, t0.Add(time.Hour), "again"); !errors.Is(err, ErrNotFound) {
			t.Errorf("ending an ended outage: got %v, want ErrNotFound", err)
		}
		bad := maintenance.Outage{CameraID: a.ID, Start: t0, End: &t0}
		*bad.End = t0.Add(-time.Second)
		var ie *InvalidError
		if err := s.AddOutage(ctx, &bad); !errors.As(err, &ie) {
			t.Errorf("an outage ending before it starts: got %v, want an InvalidError", err)
		}

		lives, err := s.CameraLives(ctx)
		must(t, err)
		must(t, s.DeleteCamera(ctx, b.ID))
		after, err := s.CameraLives(ctx)
		must(t, err)
		if len(lives) != 2 || len(after) != 2 || lives[1].Deleted != nil || after[1].Deleted == nil {
			t.Errorf("CameraLives: got %+v then %+v, want both cameras, B removed the second time", lives, after)
		}
		if got, err := s.CameraLife(ctx, b.ID); err != nil || got.ID != b.ID || got.OrganisationID != b.OrganisationID || got.Deleted == nil {
			t.Errorf("CameraLife of the removed camera: got %+v, %v, want B, removed", got, err)
		}
		if _, err := s.CameraLife(ctx, 999999); !errors.Is(err, ErrNotFound) {
			t.Errorf("CameraLife of no camera: got %v, want ErrNotFound", err)
		}

		// The installation day is the first "installed" event of the
		// camera's finance history; none, none.
		if lives[0].Installed != nil {
			t.Errorf("a camera without history: got installed %v, want none", lives[0].Installed)
		}
		for _, day := range []time.Time{time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)} {
			e := finance.Event{Camera: a.ID, Day: day, Kind: finance.Installed, Category: finance.Proactive, Org: a.OrganisationID}
			must(t, s.AddCameraEvent(ctx, &e, 0))
		}
		if got, err := s.CameraLife(ctx, a.ID); err != nil || got.Installed == nil || !got.Installed.Equal(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("CameraLife of a camera installed twice: got %+v, %v, want installed 2025-04-01", got, err)
		}
	})
}

func TestMaintenanceFaults(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		cam := newCamera(t, s, "A", 31)
		c, err := s.EnsureContractor(ctx, "Acme CCTV Services", "0100 000000")
		must(t, err)
		again, err := s.EnsureContractor(ctx, "Acme CCTV Services", "")
		must(t, err)
		if again.ID != c.ID || again.Contact != "0100 000000" {
			t.Errorf("EnsureContractor again: got %+v, want %+v", again, c)
		}
		raised := time.Date(2026, 8, 3, 9, 0, 0, 0, time.UTC)
		f := maintenance.Fault{CameraID: cam.ID, Kind: maintenance.FaultFocus, Priority: "P3", Description: "soft focus at night", ContractorID: c.ID,
			RaisedAt: raised, RaisedBy: "op", ResponseDue: raised.Add(24 * time.Hour), FixDue: raised.Add(120 * time.Hour)}
		must(t, s.RaiseFault(ctx, &f))
		auto := maintenance.Fault{CameraID: cam.ID, Kind: maintenance.FaultOffline, Priority: "P2", Automatic: true, RaisedAt: raised.Add(time.Hour), RaisedBy: "vigil",
			ResponseDue: raised.Add(9 * time.Hour), FixDue: raised.Add(49 * time.Hour)}
		must(t, s.RaiseFault(ctx, &auto))

		got, err := s.Fault(ctx, f.ID)
		must(t, err)
		if got.State != maintenance.FaultRaised || got.Kind != maintenance.FaultFocus || got.ContractorID != c.ID || !got.FixDue.Equal(f.FixDue) || got.RaisedBy != "op" {
			t.Errorf("Fault: got %+v, want it as raised", got)
		}

		// Steps go forward only; skipping one is allowed.
		ack := raised.Add(2 * time.Hour)
		got, err = s.AdvanceFault(ctx, f.ID, maintenance.FaultAcknowledged, ack, "manager", "engineer booked")
		must(t, err)
		if got.State != maintenance.FaultAcknowledged || got.AcknowledgedAt == nil || !got.AcknowledgedAt.Equal(ack) || got.Note != "engineer booked" {
			t.Errorf("acknowledged: got %+v", got)
		}
		var ie *InvalidError
		for _, step := range []struct{ state, want string }{
			{maintenance.FaultAcknowledged, "already acknowledged"},
			{maintenance.FaultRaised, "not a step"},
			{"mended", "not a step"},
		} {
			t.Run(step.state, func(t *testing.T) {
				_, err := s.AdvanceFault(ctx, f.ID, step.state, ack, "manager", "")
				if !errors.As(err, &ie) {
					t.Fatalf("got %v, want an InvalidError saying %q", err, step.want)
				}
			})
		}
		if _, err := s.AdvanceFault(ctx, f.ID, maintenance.FaultFixed, raised.Add(-time.Minute), "m", ""); !errors.As(err, &ie) {
			t.Errorf("fixed before raised: got %v, want an InvalidError", err)
		}
		got, err = s.AdvanceFault(ctx, auto.ID, maintenance.FaultFixed, raised.Add(3*time.Hour), "vigil", "")
		must(t, err)
		if got.AcknowledgedAt != nil || got.FixedAt == nil || got.FixedBy != "vigil" {
			t.Errorf("fixed without acknowledgement: got %+v", got)
		}
		if _, err := s.AdvanceFault(ctx, 999999, maintenance.FaultClosed, raised, "m", ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("advancing no fault: got %v, want ErrNotFound", err)
		}

		for _, tc := range []struct {
			name   string
			filter maintenance.FaultFilter
			want   []int64
		}{
			{"all, newest first", maintenance.FaultFilter{}, []int64{auto.ID, f.ID}},
			{"unfixed", maintenance.FaultFilter{Unfixed: true}, []int64{f.ID}},
			{"automatic", maintenance.FaultFilter{Automatic: true}, []int64{auto.ID}},
			{"raised in the first hour", maintenance.FaultFilter{RaisedFrom: raised, RaisedTo: raised.Add(time.Hour)}, []int64{f.ID}},
			{"other camera", maintenance.FaultFilter{CameraID: cam.ID + 1000}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := s.ListFaults(ctx, tc.filter)
				must(t, err)
				var ids []int64
				for _, x := range list {
					ids = append(ids, x.ID)
				}
				if len(ids) != len(tc.want) || len(ids) > 0 && (ids[0] != tc.want[0] || ids[len(ids)-1] != tc.want[len(tc.want)-1]) {
					t.Errorf("got %v, want %v", ids, tc.want)
				}
			})
		}
		must(t, s.SetFaultPriority(ctx, f.ID, "P1", raised.Add(4*time.Hour), raised.Add(24*time.Hour)))
		got, err = s.Fault(ctx, f.ID)
		must(t, err)
		if got.Priority != "P1" || !got.FixDue.Equal(raised.Add(24*time.Hour)) {
			t.Errorf("after SetFaultPriority: got %s due %v, want P1 due %v", got.Priority, got.FixDue, raised.Add(24*time.Hour))
		}
		if err := s.RaiseFault(ctx, &maintenance.Fault{CameraID: cam.ID, Kind: "smashed", Priority: "P1"}); !errors.As(err, &ie) {
			t.Errorf("an unknown kind: got %v, want an InvalidError", err)
		}
	})
}
