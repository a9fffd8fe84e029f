package audit

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/store"
)

// The outbox makes a change and its audit record one event. The trail is
// a database of its own, so no transaction spans both; instead the record
// is written to the main database's outbox in the change's transaction
// (store.Store.Log, inside Outbox.Change), and taken from there into the chain in
// id order. The trail records how far it has taken the outbox in the same
// transaction as the records, so a drain cut short anywhere (the trail
// down, the process killed between the trail's commit and the outbox's
// clean-up) neither loses a record nor writes one twice.

// OutboxOptions configure an Outbox.
type OutboxOptions struct {
	// Retry is how often Run tries again to drain what a failed drain
	// left (default 2 s).
	Retry time.Duration
	// Wait bounds how long Change waits for its records to reach the
	// trail after its commit (default 10 s); they are safe in the
	// outbox either way.
	Wait   time.Duration
	Logger *slog.Logger
}

// Outbox takes the audit records committed with changes into the trail.
type Outbox struct {
	st    *store.Store
	trail *Trail
	opt   OutboxOptions
	log   *slog.Logger

	source string

	// mu serialises this process's drains; position is how far the
	// trail is known to hold this database's outbox.
	mu       sync.Mutex
	position int64
	failed   error // the last drain's error, nil once one succeeds

	kick chan struct{}

	// Fault injection for tests: afterTrail runs after the trail has
	// committed a batch and before the outbox rows go.
	afterTrail func() error
}

// outboxBatch bounds the records one trail transaction takes.
const outboxBatch = 1000

// NewOutbox opens the outbox of st for trail, which must hold a key.
func NewOutbox(ctx context.Context, st *store.Store, trail *Trail, opt OutboxOptions) (*Outbox, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Retry <= 0 {
		opt.Retry = 2 * time.Second
	}
	if opt.Wait <= 0 {
		opt.Wait = 10 * time.Second
	}
	if trail.opt.Key == nil {
		return nil, ErrReadOnly
	}
	src, err := st.OutboxSource(ctx)
	if err != nil {
		return nil, err
	}
	pos, err := trail.st.OutboxPosition(ctx, src)
	if err != nil {
		return nil, err
	}
	return &Outbox{st: st, trail: trail, opt: opt, log: opt.Logger, source: src, position: pos, kick: make(chan struct{}, 1)}, nil
}

// Change runs fn in one transaction of the main database (see
// store.Update) and commits the audit records fn adds with tx.Log in it.
// Once committed it takes them into the trail before returning, so a
// caller reads its own record there; if the trail cannot take them now
// they stay in the outbox, safe, for Run to take later, and Change still
// succeeds: the change and its record were committed together.
func (o *Outbox) Change(ctx context.Context, fn func(tx *store.Store) error) error {
	through, err := o.st.Update(ctx, fn)
	if err != nil || through == 0 {
		return err
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.opt.Wait)
	defer cancel()
	if err := o.DrainThrough(wctx, through); err != nil {
		o.log.Error("audit: a committed change's record waits in the outbox", "outbox_id", through, "err", err)
		o.poke()
	}
	return nil
}

func (o *Outbox) poke() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// DrainThrough returns once the trail holds the outbox up to id.
func (o *Outbox) DrainThrough(ctx context.Context, id int64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for o.position < id {
		n, err := o.drainLocked(ctx)
		if err != nil {
			return err
		}
		if n == 0 && o.position < id {
			// Nothing after the position yet id is beyond it: the
			// records were taken by another process, which moved the
			// trail's position; drainLocked read it.
			return fmt.Errorf("audit: outbox record %d is neither in the outbox nor past the trail's position %d", id, o.position)
		}
	}
	return nil
}

// Drain takes everything in the outbox into the trail.
func (o *Outbox) Drain(ctx context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		n, err := o.drainLocked(ctx)
		if err != nil || n < outboxBatch {
			return err
		}
	}
}

// drainLocked takes one batch: in one trail transaction it reads the
// trail's position for this outbox, appends the records after it and moves
// the position; then it removes them from the outbox.
func (o *Outbox) drainLocked(ctx context.Context) (int, error) {
	through, n, err := o.trail.takeOutbox(ctx, o.source, func(after int64) ([]store.OutboxEntry, error) {
		return o.st.OutboxAfter(ctx, after, outboxBatch)
	})
	if err != nil {
		o.failed = err
		return 0, err
	}
	o.position = through
	if o.afterTrail != nil {
		if err := o.afterTrail(); err != nil {
			o.failed = err
			return 0, err
		}
	}
	if through > 0 {
		// The trail's position already says these are taken; a failure
		// here leaves rows the next drain skips and removes.
		if err := o.st.DeleteOutboxThrough(ctx, through); err != nil {
			o.log.Warn("audit: clearing the outbox", "through", through, "err", err)
		}
	}
	o.failed = nil
	return n, nil
}

// Run drains what a failed drain left, and what other processes on the
// same database (the command line) left, until ctx ends.
func (o *Outbox) Run(ctx context.Context) error {
	t := time.NewTicker(o.opt.Retry)
	defer t.Stop()
	for {
		if n, _, err := o.st.OutboxPending(ctx); err == nil && n > 0 {
			if err := o.Drain(ctx); err != nil && ctx.Err() == nil {
				o.log.Error("audit: draining the outbox into the trail", "waiting", n, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-o.kick:
		case <-t.C:
		}
	}
}

// Close takes what is left into the trail, for at most d. It starts
// nothing, so there is nothing to wait for beyond that.
func (o *Outbox) Close(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := o.Drain(ctx); err != nil {
		return fmt.Errorf("audit: records left in the outbox for the next start: %w", err)
	}
	return nil
}

// Failing reports the last drain's error while the outbox cannot be
// drained, for health checks; nil when it can.
func (o *Outbox) Failing() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failed
}

// takeOutbox appends, in one transaction of the trail, the records fetch
// returns after the trail's position for source, and moves the position
// past them. It returns the position and how many records it took.
func (t *Trail) takeOutbox(ctx context.Context, source string, fetch func(after int64) ([]store.OutboxEntry, error)) (through int64, n int, err error) {
	if t.opt.Key == nil {
		return 0, 0, ErrReadOnly
	}
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	var cp *store.AuditCheckpoint
	verified := t.verifiedTo
	err = t.st.Write(ctx, func(w *store.TrailWriter) error {
		pos, err := w.OutboxPosition(source)
		if err != nil {
			return err
		}
		through, n = pos, 0
		rows, err := fetch(pos)
		if err != nil || len(rows) == 0 {
			return err
		}
		entries := make([]Entry, len(rows))
		for i, r := range rows {
			entries[i] = Entry{At: r.At, UserID: r.UserID, Username: r.Username, OrganisationID: r.OrganisationID,
				Action: auditlog.Stored(r.Action), CameraID: r.CameraID, RangeStart: r.RangeStart, RangeEnd: r.RangeEnd,
				RemoteAddr: r.RemoteAddr, Reason: r.Reason, Detail: r.Detail}
		}
		if verified, err = t.appendIn(w, verified, entries...); err != nil {
			return err
		}
		if cp, verified, err = t.maybeCheckpoint(w, verified); err != nil {
			return err
		}
		through, n = rows[len(rows)-1].ID, len(rows)
		return w.SetOutboxPosition(source, through)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("audit: take outbox: %w", err)
	}
	t.verifiedTo = verified
	t.witness(cp)
	return through, n, nil
}

// Changer adapts the outbox to a capability whose service takes its
// transactions as func(ctx, func(R) error) error, R being the capability's
// repository: the *store.Store bound to the transaction is handed over as
// R (AsRepo).
func Changer[R any](o *Outbox) func(ctx context.Context, fn func(tx R) error) error {
	return func(ctx context.Context, fn func(tx R) error) error {
		return o.Change(ctx, AsRepo(fn))
	}
}

// AsRepo hands the *store.Store bound to a transaction to fn as R, a
// capability's repository. The store declares, in a compile-time check
// beside its methods, that it implements each capability's repository,
// so the assertion here holds.
func AsRepo[R any](fn func(tx R) error) func(tx *store.Store) error {
	return func(tx *store.Store) error {
		r, ok := any(tx).(R)
		if !ok {
			return fmt.Errorf("audit: the store does not implement %T", (*R)(nil))
		}
		return fn(r)
	}
}
