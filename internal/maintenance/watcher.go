package maintenance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/store"
)

// Source is what the watcher needs of the running cameras: a camera's
// state, ok false while it is not running (disabled, or not yet started).
type Source interface {
	Status(id int64) (ingest.Status, bool)
}

// Event is a change the watcher recorded.
type Event struct {
	Kind     string // "outage", "restored", "fault" or "fixed"
	CameraID int64
	// ID is the outage's (outage, restored) or the fault's (fault, fixed).
	ID int64
	At time.Time
}

// Options configure a Watcher.
type Options struct {
	Store  *store.Store
	Source Source
	Policy Policy
	// Interval is how often camera states are looked at; 5s when 0.
	Interval time.Duration
	// Now is the clock; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
	// Notify, when set, hears every change recorded, from the watcher's
	// goroutine: for tests to await, and for anything that wants to know.
	Notify func(Event)
}

// Watcher records the outages of the running cameras and raises a fault
// for each that lasts longer than the policy allows. It polls, rather
// than hearing of every change of state, because what matters is how
// long a camera stays down: a reconnection that takes a second is no
// outage, and a poll every few seconds sees all that matter.
//
// What it last knew carries across a restart of Vigil: an outage open
// when Vigil stopped is taken up again, and ends only when the camera's
// video is seen again, so the time Vigil was not watching counts as the
// camera was when last seen.
type Watcher struct {
	opt Options
	log *slog.Logger

	mu         sync.Mutex
	loaded     bool
	down       map[int64]*down
	contractor int64

	stop      chan struct{}
	stopOnce  sync.Once
	running   sync.WaitGroup
	runLocker sync.Mutex
}

// down is what the watcher knows of a camera without video.
type down struct {
	since  time.Time
	reason string
	outage int64 // 0 until recorded
	fault  int64 // the automatic fault raised for it, 0 if none yet
}

// New makes a Watcher; Run starts it.
func New(opt Options) *Watcher {
	if opt.Interval <= 0 {
		opt.Interval = 5 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Watcher{opt: opt, log: opt.Logger, down: map[int64]*down{}, stop: make(chan struct{})}
}

// Run looks at the cameras every Interval until ctx ends or Close is
// called.
func (w *Watcher) Run(ctx context.Context) {
	w.runLocker.Lock()
	w.running.Add(1)
	w.runLocker.Unlock()
	defer w.running.Done()
	t := time.NewTicker(w.opt.Interval)
	defer t.Stop()
	for {
		if err := w.Check(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("maintenance: checking cameras", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-w.stop:
			return
		case <-t.C:
		}
	}
}

// Close stops Run and waits for it to return.
func (w *Watcher) Close() error {
	w.stopOnce.Do(func() { close(w.stop) })
	w.runLocker.Lock()
	defer w.runLocker.Unlock()
	w.running.Wait()
	return nil
}

// Check looks at every enabled camera once: Run calls it every Interval,
// and tests with a fake clock call it directly.
func (w *Watcher) Check(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.loaded {
		if err := w.load(ctx); err != nil {
			return err
		}
		w.loaded = true
	}
	now := w.opt.Now().UTC()
	cams, err := w.opt.Store.ListCameras(ctx)
	if err != nil {
		return err
	}
	var errs []error
	watched := map[int64]bool{}
	for _, c := range cams {
		if !c.Enabled {
			continue
		}
		watched[c.ID] = true
		st, ok := w.opt.Source.Status(c.ID)
		if !ok || st.State == ingest.StateStopped {
			continue // starting or stopping: nothing to learn
		}
		if err := w.camera(ctx, c.ID, st, now); err != nil {
			errs = append(errs, fmt.Errorf("camera %d: %w", c.ID, err))
		}
	}
	// A camera disabled or removed while down is no longer out of order:
	// it is out of service.
	for id, d := range w.down {
		if watched[id] {
			continue
		}
		if d.outage != 0 {
			if err := w.opt.Store.EndOutage(ctx, d.outage, now, "camera disabled or removed"); err != nil && !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, err)
				continue
			}
			w.notify(Event{Kind: "restored", CameraID: id, ID: d.outage, At: now})
		}
		delete(w.down, id)
	}
	return errors.Join(errs...)
}

// load takes up the outages left open, and their automatic faults.
func (w *Watcher) load(ctx context.Context) error {
	open, err := w.opt.Store.OpenOutages(ctx)
	if err != nil {
		return err
	}
	for _, o := range open {
		d := &down{since: o.Start, reason: o.Reason, outage: o.ID}
		fs, err := w.opt.Store.ListFaults(ctx, store.FaultFilter{CameraID: o.CameraID, Automatic: true, Unfixed: true, Limit: 1})
		if err != nil {
			return err
		}
		if len(fs) > 0 {
			d.fault = fs[0].ID
		}
		if prev, ok := w.down[o.CameraID]; ok && prev.outage != 0 {
			// Two open outages of one camera (a crash between writes):
			// the later one is redundant.
			w.opt.Store.EndOutage(ctx, o.ID, o.Start, "duplicate")
			continue
		}
		w.down[o.CameraID] = d
	}
	return nil
}

// camera records what one camera's state means.
func (w *Watcher) camera(ctx context.Context, id int64, st ingest.Status, now time.Time) error {
	d := w.down[id]
	if st.State == ingest.StateRecording {
		if d == nil {
			return nil
		}
		back := now
		if !st.Since.IsZero() && st.Since.Before(now) && st.Since.After(d.since) {
			back = st.Since.UTC()
		}
		if d.outage != 0 {
			if err := w.opt.Store.EndOutage(ctx, d.outage, back, "video back"); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			w.notify(Event{Kind: "restored", CameraID: id, ID: d.outage, At: back})
		}
		if d.fault != 0 {
			// Fixed when the video came back, whoever did it: the
			// partnership closes the fault once it has checked.
			_, err := w.opt.Store.AdvanceFault(ctx, d.fault, store.FaultFixed, back, "vigil", "")
			var ie *store.InvalidError
			if err != nil && !errors.As(err, &ie) {
				return err
			}
			if err == nil {
				w.notify(Event{Kind: "fixed", CameraID: id, ID: d.fault, At: back})
			}
		}
		delete(w.down, id)
		return nil
	}
	if d == nil {
		since := now
		if !st.Since.IsZero() && st.Since.Before(now) {
			since = st.Since.UTC()
		}
		d = &down{since: since, reason: string(st.LastError)}
		w.down[id] = d
	}
	if st.LastError != "" {
		d.reason = string(st.LastError)
	}
	gone := now.Sub(d.since)
	if d.outage == 0 && gone >= w.opt.Policy.OfflineAfter {
		o := store.Outage{CameraID: id, Start: d.since, Reason: d.reason}
		if err := w.opt.Store.AddOutage(ctx, &o); err != nil {
			return err
		}
		d.outage = o.ID
		w.log.Warn("camera outage recorded", "camera", id, "since", d.since, "reason", d.reason)
		w.notify(Event{Kind: "outage", CameraID: id, ID: o.ID, At: d.since})
	}
	if d.outage != 0 && d.fault == 0 && gone >= w.opt.Policy.FaultAfter {
		f, err := w.raise(ctx, id, d, now)
		if err != nil {
			return err
		}
		d.fault = f.ID
		w.log.Warn("fault raised: camera offline", "camera", id, "fault", f.ID, "priority", f.Priority, "since", d.since)
		w.notify(Event{Kind: "fault", CameraID: id, ID: f.ID, At: now})
	}
	return nil
}

func (w *Watcher) raise(ctx context.Context, id int64, d *down, now time.Time) (store.Fault, error) {
	if w.contractor == 0 && w.opt.Policy.Contractor != "" {
		c, err := w.opt.Store.EnsureContractor(ctx, w.opt.Policy.Contractor, "")
		if err != nil {
			return store.Fault{}, err
		}
		w.contractor = c.ID
	}
	pri := w.opt.Policy.OfflinePriority
	resp, fix, err := w.opt.Policy.Due(pri, now)
	if err != nil {
		return store.Fault{}, err
	}
	desc := fmt.Sprintf("No video since %s", d.since.Format("2006-01-02 15:04:05 UTC"))
	if d.reason != "" {
		desc += ": " + d.reason
	}
	if len(desc) > store.MaxFaultText {
		desc = desc[:store.MaxFaultText]
	}
	f := store.Fault{CameraID: id, Kind: store.FaultOffline, Priority: pri, Description: desc, Automatic: true, OutageID: d.outage,
		ContractorID: w.contractor, RaisedAt: now, RaisedBy: "vigil", ResponseDue: resp, FixDue: fix}
	return f, w.opt.Store.RaiseFault(ctx, &f)
}

func (w *Watcher) notify(e Event) {
	if w.opt.Notify != nil {
		w.opt.Notify(e)
	}
}
