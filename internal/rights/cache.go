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

// Cache holds the current Snapshot. Changes made through this process
// call Invalidate, and the next decision sees them; changes made by
// another process (a second server on the same PostgreSQL, the command
// line) are picked up within MaxAge, by a reload in the background while
// decisions go on against the snapshot before.
type Cache struct {
	load   Loader
	maxAge time.Duration
	log    *slog.Logger
	now    func() time.Time

	mu   sync.Mutex // serialises loads
	cur  atomic.Pointer[entry]
	gen  atomic.Uint64 // bumped by Invalidate
	busy atomic.Bool   // a background reload is running
}

type entry struct {
	snap *Snapshot
	gen  uint64
}

// DefaultMaxAge bounds how stale a snapshot gets when nothing here
// changed it.
const DefaultMaxAge = 10 * time.Second

// NewCache returns a cache that loads with load; nothing is read until
// the first Snapshot.
func NewCache(load Loader, maxAge time.Duration, log *slog.Logger) *Cache {
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Cache{load: load, maxAge: maxAge, log: log, now: time.Now}
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
	if c.now().Sub(e.snap.Loaded) > c.maxAge && c.busy.CompareAndSwap(false, true) {
		go func() {
			defer c.busy.Store(false)
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if _, err := c.reload(ctx); err != nil {
				c.log.Error("rights: reloading", "err", err)
			}
		}()
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
	if e := c.cur.Load(); e != nil && e.gen == gen && c.now().Sub(e.snap.Loaded) <= c.maxAge {
		return e.snap, nil
	}
	started := c.now()
	d, err := c.load(ctx)
	if err != nil {
		return nil, err
	}
	s := NewSnapshot(d)
	s.Loaded = started
	// gen is the generation current when the read began: a change
	// committed during the read bumps the counter, so the next caller
	// loads again rather than trusting this one.
	c.cur.Store(&entry{snap: s, gen: gen})
	return s, nil
}
