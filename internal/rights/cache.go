package rights

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Loader reads the rows a Snapshot is built from.
type Loader func(ctx context.Context) (Data, error)

// Versioner reads the store's count of changes (Data.Version) alone: one
// small read, where loading is many.
type Versioner func(ctx context.Context) (int64, error)

// Cache holds the current Snapshot. Changes made through this process
// call Invalidate, and the next decision sees them. Changes made by
// another process (a second server on the same database, the command
// line) are noticed by comparing the store's version, at most once every
// Recheck and in the background, while decisions go on against the
// snapshot before; the snapshot is reloaded only when it changed.
type Cache struct {
	load    Loader
	version Versioner
	recheck time.Duration
	log     *slog.Logger
	now     func() time.Time

	mu      sync.Mutex // serialises loads
	cur     atomic.Pointer[entry]
	gen     atomic.Uint64 // bumped by Invalidate
	busy    atomic.Bool   // a background check is running
	checked atomic.Int64  // when the version was last compared, Unix ns

	// The background checks run under ctx, which Close ends, and are
	// counted in wg, which Close waits for; once closed none starts.
	ctx     context.Context
	stop    context.CancelFunc
	wgMu    sync.Mutex
	wg      sync.WaitGroup
	closing bool
}

type entry struct {
	snap *Snapshot
	gen  uint64
}

// DefaultRecheck is how often, at most, the store's version is compared.
const DefaultRecheck = time.Second

// NewCache returns a cache that loads with load and compares versions
// with version; nothing is read until the first Snapshot.
func NewCache(load Loader, version Versioner, recheck time.Duration, log *slog.Logger) *Cache {
	if recheck <= 0 {
		recheck = DefaultRecheck
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Cache{load: load, version: version, recheck: recheck, log: log, now: time.Now, ctx: ctx, stop: stop}
}

// Close ends a background check under way and waits for it; Snapshot
// starts none afterwards (it still answers from the snapshot held).
func (c *Cache) Close() {
	c.wgMu.Lock()
	c.closing = true
	c.wgMu.Unlock()
	c.stop()
	c.wg.Wait()
}

// goCheck runs fn on a goroutine Close waits for, unless closed; it
// reports whether it did.
func (c *Cache) goCheck(fn func()) bool {
	c.wgMu.Lock()
	defer c.wgMu.Unlock()
	if c.closing {
		return false
	}
	c.wg.Go(fn)
	return true
}

// Invalidate makes the next Snapshot reload: call it after every change
// to what decisions rest on.
func (c *Cache) Invalidate() { c.gen.Add(1) }

// Snapshot returns a current snapshot, loading one if there is none or
// the last was invalidated.
func (c *Cache) Snapshot(ctx context.Context) (*Snapshot, error) {
	e := c.cur.Load()
	if e == nil || e.gen != c.gen.Load() {
		return c.reload(ctx)
	}
	now := c.now()
	if now.UnixNano()-c.checked.Load() > int64(c.recheck) && c.busy.CompareAndSwap(false, true) {
		c.checked.Store(now.UnixNano())
		started := c.goCheck(func() {
			defer c.busy.Store(false)
			// Not the request's context, which may end first: the
			// cache's own, which Close ends.
			ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
			defer cancel()
			v, err := c.version(ctx)
			if err != nil {
				if c.ctx.Err() == nil { // not Close's doing
					c.log.Error("rights: reading the version", "err", err)
				}
				return
			}
			if v == e.snap.Version {
				return
			}
			c.Invalidate()
			if _, err := c.reload(ctx); err != nil && c.ctx.Err() == nil {
				c.log.Error("rights: reloading", "err", err)
			}
		})
		if !started {
			c.busy.Store(false)
		}
	}
	return e.snap, nil
}

// Reload loads a fresh snapshot now, for a user the current one does not
// know yet.
func (c *Cache) Reload(ctx context.Context) (*Snapshot, error) {
	c.Invalidate()
	return c.reload(ctx)
}

func (c *Cache) reload(ctx context.Context) (*Snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gen := c.gen.Load()
	// Another caller may have loaded while this one waited.
	if e := c.cur.Load(); e != nil && e.gen == gen {
		return e.snap, nil
	}
	c.checked.Store(c.now().UnixNano())
	d, err := c.load(ctx)
	if err != nil {
		return nil, err
	}
	s := NewSnapshot(d)
	// gen is the generation current when the read began: a change
	// committed during the read bumps the counter, so the next caller
	// loads again rather than trusting this one.
	c.cur.Store(&entry{snap: s, gen: gen})
	return s, nil
}
