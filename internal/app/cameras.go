package app

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/vigil-cctv/vigil/internal/cameras"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/recording"
	"github.com/vigil-cctv/vigil/internal/transcode"
	"github.com/vigil-cctv/vigil/internal/web"
)

// cameraSet keeps one running ingest.Camera per enabled camera row, each
// recording through its own CameraQueue, so that a slow disk never holds
// up the camera's live viewers.
type cameraSet struct {
	a *App

	// applying is held through each Apply and Stop, so that two changes
	// of one camera (the start-up pass and a request, say) never both
	// start it.
	applying sync.Mutex

	mu      sync.Mutex
	base    context.Context // set by run; nil until then
	running map[int64]*runningCamera
	wg      sync.WaitGroup
}

type runningCamera struct {
	row    cameras.Camera
	cam    *ingest.Camera
	rec    *recording.CameraQueue
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	// tr makes the H.264 view of an H.265 camera; it is made for the
	// first viewer needing it, so other cameras never have one. It runs
	// under the camera's context and ends with it.
	mu   sync.Mutex
	tr   *transcode.Transcoder
	trWG sync.WaitGroup
}

func newCameraSet(a *App) *cameraSet {
	return &cameraSet{a: a, running: map[int64]*runningCamera{}}
}

// run starts every enabled camera and waits for ctx to end and every
// camera to stop.
func (s *cameraSet) run(ctx context.Context) {
	// From here on Apply starts cameras itself, so one added while the
	// list below is read is started by whichever sees it first.
	s.mu.Lock()
	s.base = ctx
	s.mu.Unlock()
	cams, err := s.a.Store.ListCameras(ctx)
	if err != nil {
		s.a.log.Error("listing cameras", "err", err)
	}
	for _, c := range cams {
		if err := s.Apply(ctx, c); err != nil {
			s.a.log.Error("starting camera", "camera", c.ID, "err", err)
		}
	}
	<-ctx.Done()
	s.mu.Lock()
	for id, rc := range s.running {
		rc.cancel()
		delete(s.running, id)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

var _ web.Cameras = (*cameraSet)(nil)

// get returns a running camera.
func (s *cameraSet) get(id int64) (*runningCamera, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rc, ok := s.running[id]
	return rc, ok
}

// Status implements web.Cameras.
func (s *cameraSet) Status(id int64) (ingest.Status, bool) {
	rc, ok := s.get(id)
	if !ok {
		return ingest.Status{}, false
	}
	return rc.cam.Status(), true
}

// Hub implements web.Cameras.
func (s *cameraSet) Hub(id int64) (*live.Hub, bool) {
	rc, ok := s.get(id)
	if !ok {
		return nil, false
	}
	h := rc.cam.Hub()
	return h, h != nil
}

// TranscodedHub implements web.Cameras.
func (s *cameraSet) TranscodedHub(ctx context.Context, id int64) (*live.Hub, error) {
	rc, ok := s.get(id)
	if !ok {
		return nil, fmt.Errorf("camera %d is not running: %w", id, transcode.ErrClosed)
	}
	// Looked up at each first use, so that installing ffmpeg needs no
	// restart.
	cmd, err := transcode.Command(s.a.cfg.LiveTranscoder)
	if err != nil {
		return nil, err
	}
	rc.mu.Lock()
	if rc.ctx.Err() != nil {
		rc.mu.Unlock()
		return nil, fmt.Errorf("camera %d is stopping: %w", id, transcode.ErrClosed)
	}
	tr := rc.tr
	if tr == nil {
		tr = transcode.New(rc.cam.Hub, transcode.Options{
			Command: cmd, Logger: s.a.log.With("component", "transcode", "camera", id),
		})
		rc.tr = tr
		rc.trWG.Go(func() { tr.Run(rc.ctx) })
	}
	rc.mu.Unlock()
	return tr.Hub(ctx)
}

// Recording implements web.Cameras.
func (s *cameraSet) Recording(id int64) (recording.Stats, bool) {
	rc, ok := s.get(id)
	if !ok {
		return recording.Stats{}, false
	}
	return rc.rec.Stats(), true
}

// Apply implements web.Cameras: a camera whose connection settings
// changed is restarted; a disabled one is stopped.
func (s *cameraSet) Apply(ctx context.Context, c cameras.Camera) error {
	s.applying.Lock()
	defer s.applying.Unlock()
	s.mu.Lock()
	rc, ok := s.running[c.ID]
	base := s.base
	s.mu.Unlock()
	if ok && c.Enabled && rc.row.URL == c.URL && rc.row.Transport == c.Transport && bytes.Equal(rc.row.Credentials, c.Credentials) {
		return nil
	}
	if ok {
		s.stop(c.ID)
	}
	if !c.Enabled || base == nil || base.Err() != nil {
		return nil // run starts it, or it stays stopped
	}
	user, pass, err := cameras.Credentials(s.a.box, c)
	if err != nil {
		return err
	}
	sink := s.a.rec.Queued(ctx, c.ID)
	opt := ingest.Options{
		ID: c.ID, URL: c.URL, Username: user, Password: pass, Transport: c.Transport,
		// A recorder can wait a tenth of a second for its video: it
		// halves the CPU spent waking to read it. Live viewers cannot;
		// ingest reads every packet while a camera has them.
		Batch:  s.a.cfg.Recording.ReadBatch.Duration,
		Logger: s.a.log.With("component", "ingest"), Metrics: s.a.Metrics,
		// Checked at each connection, at the address dialled: a name
		// that resolves elsewhere later is caught here.
		CheckAddress: s.a.cameraNet.Check,
	}
	if s.a.tuneIngest != nil {
		s.a.tuneIngest(&opt)
	}
	cam := ingest.New(opt, sink)
	cctx, cancel := context.WithCancel(base)
	rc = &runningCamera{row: c, cam: cam, rec: sink, ctx: cctx, cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	s.running[c.ID] = rc
	s.mu.Unlock()
	s.wg.Go(func() {
		defer close(rc.done)
		cam.Run(cctx)
		// The camera's last fragment is written before Stop returns.
		sink.Close()
		rc.stopTranscoder()
	})
	return nil
}

// stopTranscoder waits for the camera's transcoder, if it has one, once
// the camera's context has ended; none is made afterwards.
func (rc *runningCamera) stopTranscoder() {
	// The lock is a barrier: a TranscodedHub holding it has added its
	// transcoder to trWG by the time we get it, and any later one sees
	// the camera's context ended, so no transcoder is started past this
	// point.
	rc.mu.Lock()
	//lint:ignore SA2001 an empty critical section is the barrier above
	rc.mu.Unlock()
	rc.trWG.Wait()
}

// Stop implements web.Cameras; it returns once the camera's last fragment
// is written.
func (s *cameraSet) Stop(id int64) {
	s.applying.Lock()
	defer s.applying.Unlock()
	s.stop(id)
}

func (s *cameraSet) stop(id int64) {
	s.mu.Lock()
	rc, ok := s.running[id]
	delete(s.running, id)
	s.mu.Unlock()
	if ok {
		rc.cancel()
		<-rc.done
		s.a.Metrics.Forget(id)
	}
}
