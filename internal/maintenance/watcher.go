package maintenance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/problem"
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
	// Repo is where the watcher reads; Change where it writes, each
	// change in one transaction with its audit record (Vigil acting by
	// itself, auditlog.System): a fault raised or fixed. Outages are the
	// availability history Vigil measures, as it records video, and
	// have no record of their own; one ends in the transaction of the
	// fault it fixes.
	Repo   Repo
	Change Change
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
	cams, err := w.opt.Repo.CameraLives(ctx)
	if err != nil {
		return err
	}
	var errs []error
	watched := map[int64]bool{}
	for _, c := range cams {
		if !c.Enabled || c.Deleted != nil {
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
			err := w.opt.Change(ctx, func(tx Repo) error { return endOutage(ctx, tx, d.outage, now, "camera disabled or removed") })
			if err != nil {
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
	open, err := w.opt.Repo.OpenOutages(ctx)
	if err != nil {
		return err
	}
	for _, o := range open {
		d := &down{since: o.Start, reason: o.Reason, outage: o.ID}
		fs, err := w.opt.Repo.ListFaults(ctx, FaultFilter{CameraID: o.CameraID, Automatic: true, Unfixed: true, Limit: 1})
		if err != nil {
			return err
		}
		if len(fs) > 0 {
			d.fault = fs[0].ID
		}
		if prev, ok := w.down[o.CameraID]; ok && prev.outage != 0 {
			// Two open outages of one camera (a crash between writes):
			// the later one is redundant. Failing to end it spoils
			// nothing: the watcher goes on from the first.
			if err := w.opt.Change(ctx, func(tx Repo) error { return endOutage(ctx, tx, o.ID, o.Start, "duplicate") }); err != nil {
				w.log.Warn("maintenance: ending a duplicate outage", "outage", o.ID, "err", err)
			}
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
		// The outage ends, and its fault is fixed, together: fixed when
		// the video came back, whoever did it (the partnership closes
		// the fault once it has checked). A fault someone already fixed
		// or closed is left as it is.
		fixed := false
		err := w.opt.Change(ctx, func(tx Repo) error {
			fixed = false
			if d.outage != 0 {
				if err := endOutage(ctx, tx, d.outage, back, "video back"); err != nil {
					return err
				}
			}
			if d.fault == 0 {
				return nil
			}
			f, err := tx.Fault(ctx, d.fault)
			if errors.Is(err, problem.ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			if slices.Index(FaultStates, f.State) >= slices.Index(FaultStates, FaultFixed) {
				return nil
			}
			if f, err = tx.AdvanceFault(ctx, d.fault, FaultFixed, back, auditlog.System.Username, ""); err != nil {
				return err
			}
			fixed = true
			return tx.Log(updatedEntry(auditlog.System, f, ""))
		})
		if err != nil {
			return err
		}
		if d.outage != 0 {
			w.notify(Event{Kind: "restored", CameraID: id, ID: d.outage, At: back})
		}
		if fixed {
			w.notify(Event{Kind: "fixed", CameraID: id, ID: d.fault, At: back})
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
		o := Outage{CameraID: id, Start: d.since, Reason: d.reason}
		if err := w.opt.Change(ctx, func(tx Repo) error { return tx.AddOutage(ctx, &o) }); err != nil {
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

// raise raises the offline fault of camera id's outage, assigned to the
// policy's contractor, with its audit record.
func (w *Watcher) raise(ctx context.Context, id int64, d *down, now time.Time) (Fault, error) {
	pri := w.opt.Policy.OfflinePriority
	resp, fix, err := w.opt.Policy.Due(pri, now)
	if err != nil {
		return Fault{}, err
	}
	desc := fmt.Sprintf("No video since %s", d.since.Format("2006-01-02 15:04:05 UTC"))
	if d.reason != "" {
		desc += ": " + d.reason
	}
	if len(desc) > MaxFaultText {
		desc = desc[:MaxFaultText]
	}
	var f Fault
	err = w.opt.Change(ctx, func(tx Repo) error {
		f = Fault{CameraID: id, Kind: FaultOffline, Priority: pri, Description: desc, Automatic: true, OutageID: d.outage,
			ContractorID: w.contractor, RaisedAt: now, RaisedBy: auditlog.System.Username, ResponseDue: resp, FixDue: fix}
		if f.ContractorID == 0 && w.opt.Policy.Contractor != "" {
			c, err := tx.EnsureContractor(ctx, w.opt.Policy.Contractor, "")
			if err != nil {
				return err
			}
			f.ContractorID = c.ID
		}
		if err := tx.RaiseFault(ctx, &f); err != nil {
			return err
		}
		return tx.Log(raisedEntry(auditlog.System, f))
	})
	if err != nil {
		return Fault{}, err
	}
	// Known only once committed: a contractor made in a transaction
	// that rolled back does not exist.
	w.contractor = f.ContractorID
	return f, nil
}

// endOutage ends an open outage; one already ended (or gone) is left as
// it is.
func endOutage(ctx context.Context, tx Repo, id int64, at time.Time, reason string) error {
	if err := tx.EndOutage(ctx, id, at, reason); err != nil && !errors.Is(err, problem.ErrNotFound) {
		return err
	}
	return nil
}

func (w *Watcher) notify(e Event) {
	if w.opt.Notify != nil {
		w.opt.Notify(e)
	}
}
