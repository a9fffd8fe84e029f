package maintenance_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/period"
	"github.com/vigil-cctv/vigil/internal/store"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// The contractor's quarterly report of an estate of 5,000 cameras, each
// with an outage a week (13 in the quarter, 65,000 in all) and 2,000
// faults: BenchmarkReport builds it from rows in memory; the peer,
// BenchmarkReportFromStore, also reads them from the store, as the
// report's page does.
//
//	go test ./internal/maintenance -run '^$' -bench Report -benchtime 20x
const (
	benchCameras = 5000
	benchFaults  = 2000
)

// benchQuarter is next quarter, measured as of its end: the store dates
// a camera from when it was made, now, so a past quarter would hold none.
var benchQuarter = period.Of(time.Now()).Next()

func benchRows() ([]maintenance.CameraLife, []maintenance.Outage, []maintenance.Fault) {
	from, _ := benchQuarter.Range()
	var cams []maintenance.CameraLife
	var outages []maintenance.Outage
	for i := range benchCameras {
		id := int64(i + 1)
		created := from.AddDate(-1, 0, 0)
		if i%10 == 0 {
			created = from.AddDate(0, 0, i%90) // installed during the quarter
		}
		cams = append(cams, maintenance.CameraLife{ID: id, OrganisationID: 1, Name: "camera", Created: created})
		for w := range 13 {
			start := from.Add(time.Duration(w)*7*24*time.Hour + time.Duration(i)*time.Minute)
			end := start.Add(time.Duration(10+i%50) * time.Minute)
			outages = append(outages, maintenance.Outage{ID: int64(len(outages) + 1), CameraID: id, Start: start, End: &end})
		}
	}
	var faults []maintenance.Fault
	for i := range benchFaults {
		raised := from.Add(time.Duration(i) * time.Hour)
		ack, fixed := raised.Add(time.Duration(i%9)*time.Hour), raised.Add(time.Duration(i%40)*time.Hour)
		pri := maintenance.Priorities[i%4]
		resp, fix, _ := maintenance.Policy{}.Due(pri, raised)
		faults = append(faults, maintenance.Fault{ID: int64(i + 1), CameraID: int64(i%benchCameras + 1), Kind: maintenance.FaultOffline, Priority: pri,
			RaisedAt: raised, ResponseDue: resp, FixDue: fix, AcknowledgedAt: &ack, FixedAt: &fixed})
	}
	return cams, outages, faults
}

func BenchmarkReport(b *testing.B) {
	cams, outages, faults := benchRows()
	_, to := benchQuarter.Range()
	b.ResetTimer()
	for b.Loop() {
		r := maintenance.Build(benchQuarter, "Acme", faults, cams, outages, to)
		if r.Total.Raised != benchFaults || len(r.Cameras) != benchCameras {
			b.Fatalf("got %d faults and %d cameras", r.Total.Raised, len(r.Cameras))
		}
	}
}

func BenchmarkReportFromStore(b *testing.B) {
	dsns := map[string]string{"sqlite": filepath.Join(b.TempDir(), "vigil.db")}
	if pg := testkit.PostgresURL(); pg != "" {
		dsns["postgres"] = testkit.PostgresSchema(b, pg)
	}
	for name, dsn := range dsns {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			st, err := store.Open(ctx, dsn, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			org, err := st.EnsureOrganisation(ctx, "Partnership", "partnership")
			if err != nil {
				b.Fatal(err)
			}
			cams, outages, faults := benchRows()
			ids := map[int64]int64{}
			for _, c := range cams {
				row := cameras.Camera{OrganisationID: org.ID, Name: fmt.Sprintf("camera %d", c.ID), URL: "rtsp://127.0.0.1:1/x", RetentionDays: 31}
				if err := st.CreateCamera(ctx, &row); err != nil {
					b.Fatal(err)
				}
				ids[c.ID] = row.ID
			}
			for _, o := range outages {
				o.CameraID = ids[o.CameraID]
				if err := st.AddOutage(ctx, &o); err != nil {
					b.Fatal(err)
				}
			}
			for _, f := range faults {
				f.CameraID = ids[f.CameraID]
				if err := st.RaiseFault(ctx, &f); err != nil {
					b.Fatal(err)
				}
			}
			from, to := benchQuarter.Range()
			b.ResetTimer()
			for b.Loop() {
				lives, err := st.CameraLives(ctx)
				if err != nil {
					b.Fatal(err)
				}
				os, err := st.Outages(ctx, 0, from, to)
				if err != nil {
					b.Fatal(err)
				}
				fs, err := st.ListFaults(ctx, maintenance.FaultFilter{RaisedFrom: from, RaisedTo: to, Limit: 10000})
				if err != nil {
					b.Fatal(err)
				}
				r := maintenance.Build(benchQuarter, "Acme", fs, lives, os, to)
				if r.Total.Raised != benchFaults || len(r.Cameras) != benchCameras {
					b.Fatalf("got %d faults and %d cameras", r.Total.Raised, len(r.Cameras))
				}
			}
		})
	}
}
