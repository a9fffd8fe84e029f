package maintenance_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/maintenance"
	"github.com/vigil-cctv/vigil/internal/simcam"
	"github.com/vigil-cctv/vigil/internal/store"
)

// discard is a sink that keeps nothing: the test is about the camera's
// state, not its video.
type discard struct{}

func (discard) WriteFrame(*ingest.Frame) error { return nil }
func (discard) StreamEnded(error)              {}
func (discard) ClockOffset(time.Duration)      {}

type oneCamera struct {
	id  int64
	cam *ingest.Camera
}

func (o oneCamera) Status(id int64) (ingest.Status, bool) {
	if id != o.id {
		return ingest.Status{}, false
	}
	return o.cam.Status(), true
}

// TestWatcherSimulatedCamera: a real camera, pulled over RTSP, stops; the
// watcher records its outage and raises the offline fault.
func TestWatcherSimulatedCamera(t *testing.T) {
	sim, err := simcam.New(simcam.Options{Listen: "127.0.0.1:0", Count: 1, Codec: codec.H264})
	must(t, err)
	simCtx, stopSim := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { sim.Run(simCtx) })
	defer func() {
		stopSim()
		sim.Close()
		wg.Wait()
	}()

	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"), nil)
	must(t, err)
	defer st.Close()
	row := addCamera(t, st, "simulated")
	cam := ingest.New(ingest.Options{ID: row.ID, URL: sim.URL(1), Timeout: 2 * time.Second, MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}, discard{})
	camCtx, stopCam := context.WithCancel(context.Background())
	wg.Go(func() { cam.Run(camCtx) })
	defer stopCam()

	// The camera records first; then the watcher starts.
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for cam.Status().State != ingest.StateRecording {
		select {
		case <-deadline:
			t.Fatalf("the simulated camera did not start recording within 30 s: %+v", cam.Status())
		case <-tick.C:
		}
	}
	events := make(chan maintenance.Event, 16)
	pol := maintenance.Policy{OfflineAfter: 0, FaultAfter: 300 * time.Millisecond, OfflinePriority: "P1", Contractor: "Acme CCTV"}
	w := maintenance.New(maintenance.Options{Repo: st, Change: changeOf(st), Source: oneCamera{row.ID, cam}, Policy: pol, Interval: 20 * time.Millisecond, Notify: func(e maintenance.Event) { events <- e }})
	ctx, cancel := context.WithCancel(context.Background())
	var ww sync.WaitGroup
	ww.Go(func() { w.Run(ctx) })
	defer func() {
		cancel()
		w.Close()
		ww.Wait()
	}()

	// Then the camera goes dark.
	stopSim()
	sim.Close()
	var outage, fault maintenance.Event
	for fault.Kind == "" {
		select {
		case e := <-events:
			switch e.Kind {
			case "outage":
				outage = e
			case "fault":
				fault = e
			}
		case <-deadline:
			t.Fatalf("no fault within 30 s of the camera stopping: events so far outage %+v, camera %+v", outage, cam.Status())
		}
	}
	if outage.Kind == "" {
		t.Fatal("a fault was raised with no outage recorded before it")
	}
	f, err := st.Fault(t.Context(), fault.ID)
	must(t, err)
	if f.Kind != maintenance.FaultOffline || f.Priority != "P1" || f.CameraID != row.ID || f.OutageID != outage.ID || f.RaisedAt.Sub(outage.At) < pol.FaultAfter {
		t.Errorf("fault: got %+v, want a P1 offline fault of camera %d for outage %d, raised %v or more after it began at %v", f, row.ID, outage.ID, pol.FaultAfter, outage.At)
	}
}
