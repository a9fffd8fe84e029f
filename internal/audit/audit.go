// Package audit keeps Vigil's audit trail: who saw which footage, when,
// from where and why, and every sign-in, change and deletion. The trail is
// append-only and hash-chained (each record carries the hash of the one
// before), authenticated record by record with a MAC and signed at
// checkpoints with Ed25519, and kept in a database of its own with its own
// retention. Verify checks it and names the first record changed, removed,
// inserted or reordered.
//
// Every record names what happened with an Action of the registry
// (actions.go), which docs/AUDIT-ACTIONS.md and the console's filter
// list; code cannot write any other.
//
// One writer at a time appends (the database's lock serialises processes;
// in a process, concurrent Appends are committed together in one
// transaction), so the chain never forks, and Append returns once its
// record is durable.
package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/store"
)

// Entry is one thing that happened, as a writer reports it.
type Entry = auditlog.Entry

// Action is an action of the registry (package auditlog).
type Action = auditlog.Action

// Record is one record of the trail as stored.
type Record = store.AuditRecord

// Checkpoint is a signed checkpoint as stored.
type Checkpoint = store.AuditCheckpoint

// Options configure a Trail.
type Options struct {
	// DSN is the trail's database: a SQLite file or a PostgreSQL URL.
	DSN string
	// Key signs checkpoints and authenticates records; nil opens the
	// trail to read and verify only.
	Key ed25519.PrivateKey
	// PublicKeys are further keys whose checkpoints Verify accepts (those
	// of earlier keys); Key's own public half is always accepted.
	PublicKeys []ed25519.PublicKey
	// Witness is a file outside the database that holds the newest
	// checkpoint, so that removing checkpoints from the database, or
	// replacing it, is caught; empty: none.
	Witness string
	// WitnessDB is a database apart from the trail's, best on another
	// machine (a PostgreSQL URL, or a SQLite file on other storage),
	// that keeps a copy of every checkpoint, so that truncation is caught
	// even by someone who removes the witness file too; empty: none.
	WitnessDB string
	// Syslog, when set, receives every checkpoint and every alarm as a
	// line: a witness off this machine that nothing here can rewrite.
	Syslog *SyslogOptions
	// StartWindow is how many of the newest records Start checks, with
	// the checkpoints over them (default 100000: about half a second on
	// two shared cores; the whole trail is vigil audit verify's).
	StartWindow int64
	// CheckpointEvery is how many records may follow the last checkpoint
	// before the next (default 10000); CheckpointInterval bounds how long
	// new records wait for one (default 5 minutes).
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// Retention is how long records are kept (0: forever); Run prunes
	// every RetentionInterval (default 6 hours).
	Retention         time.Duration
	RetentionInterval time.Duration
	Logger            *slog.Logger
	Now               func() time.Time
}

// Trail is an open audit trail.
type Trail struct {
	st   *store.Trail
	opt  Options
	log  *slog.Logger
	now  func() time.Time
	mac  []byte // nil without a key
	keys map[string]ed25519.PublicKey

	mu      sync.Mutex // guards the queue
	queue   []*pending
	writing bool
	closed  bool
	// idle is signalled when writing clears, and drains counts the
	// goroutines draining the queue: Close waits for both, so that the
	// records accepted before it are written before its final
	// checkpoint and no drain outlives it.
	idle   *sync.Cond
	drains sync.WaitGroup

	// writeMu serialises this process's writes, so that verifiedTo is
	// only ever read and moved by one of them.
	writeMu sync.Mutex
	// verifiedTo is the seq up to which this process knows the chain to
	// be sound: records it wrote itself after a checkpoint or records it
	// checked. Records beyond it were appended by another process (or
	// someone else) and are checked before a checkpoint signs them.
	verifiedTo int64

	// wdb is the witness database, when one is set and reachable.
	wdbMu sync.Mutex
	wdb   *store.Trail
	// off writes to the witnesses off this machine on a goroutine of its
	// own, so that a slow or unreachable one never holds up an append.
	off *offsite

	alarmMu sync.Mutex
	alarms  []Alarm
	// sealRefused is set once records a checkpoint or witness vouched
	// for are found missing or changed: no checkpoint signs the trail
	// after that, so the shortened or changed trail never looks sound.
	sealRefused atomic.Bool
}

type pending struct {
	e    Entry
	done chan error
}

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("audit: trail closed")

// ErrReadOnly is returned by Append on a trail opened without a key.
var ErrReadOnly = errors.New("audit: trail opened without its key, for reading only")

// ErrNoAction is returned by Append and AppendBatch for an entry whose
// action is the zero Action.
var ErrNoAction = auditlog.ErrNoAction

// Open opens (creating if need be) the trail in opt.DSN.
func Open(ctx context.Context, opt Options) (*Trail, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.CheckpointEvery <= 0 {
		opt.CheckpointEvery = 10000
	}
	if opt.CheckpointInterval <= 0 {
		opt.CheckpointInterval = 5 * time.Minute
	}
	if opt.RetentionInterval <= 0 {
		opt.RetentionInterval = 6 * time.Hour
	}
	if opt.StartWindow <= 0 {
		opt.StartWindow = 100000
	}
	st, err := store.OpenTrail(ctx, opt.DSN, opt.Logger)
	if err != nil {
		return nil, err
	}
	t := &Trail{st: st, opt: opt, log: opt.Logger, now: opt.Now, keys: map[string]ed25519.PublicKey{}}
	t.idle = sync.NewCond(&t.mu)
	for _, k := range opt.PublicKeys {
		t.keys[KeyID(k)] = k
	}
	if opt.Key != nil {
		pub := opt.Key.Public().(ed25519.PublicKey)
		t.keys[KeyID(pub)] = pub
		t.mac = macKey(opt.Key)
	}
	// The newest checkpoint vouches for the chain up to it, if its
	// signature holds; records after it are checked before being signed.
	err = st.EachAuditCheckpoint(ctx, true, func(c *store.AuditCheckpoint) error {
		if t.signatureOK(c) {
			t.verifiedTo = c.Seq
		} else {
			t.log.Error("audit: the newest checkpoint's signature does not hold; run vigil audit verify", "checkpoint", c.N)
		}
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		st.Close()
		return nil, err
	}
	if opt.Key != nil && (opt.WitnessDB != "" || opt.Syslog != nil) {
		t.off = startOffsite(t)
	}
	if opt.WitnessDB != "" {
		if err := t.openWitnessDB(ctx); err != nil {
			if opt.Key == nil {
				// Verifying: a witness that cannot be read is no check.
				st.Close()
				return nil, err
			}
			// Serving: recording goes on; the alarm says what is missing,
			// and writing the copies retries.
			t.alarm("witness", fmt.Sprintf("the witness database cannot be reached, so truncation past the witness file is not checked: %v", err))
		}
	}
	if opt.Key != nil {
		// Every process that writes the trail (the server, and command
		// lines that append: token create, user create...) signs at the
		// latest when it closes: none may sign over records the
		// witnesses vouched for that are missing or changed. Start
		// alarms about it; here it is only refused and logged.
		if o, err := t.verifyOptions(ctx); err == nil {
			damage, err := t.vouchedDamage(ctx, o)
			if err != nil {
				// Start returns it; a command line's append goes on.
				t.log.Error("audit: checking what the witnesses vouch for", "err", err)
			}
			if len(damage) > 0 {
				t.sealRefused.Store(true)
				t.log.Error("audit: records the trail's checkpoints or witnesses vouched for are missing or changed: this process signs no checkpoint; run vigil audit verify",
					"first", damage[0].Msg)
			}
		}
	}
	return t, nil
}

var errStop = errors.New("stop")

// Store is the trail's database, for reading.
func (t *Trail) Store() *store.Trail { return t.st }

// Close writes a last checkpoint over whatever this process appended, and
// closes the database.
func (t *Trail) Close() error {
	t.mu.Lock()
	t.closed = true
	for t.writing {
		t.idle.Wait()
	}
	t.mu.Unlock()
	t.drains.Wait()
	if t.opt.Key != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := t.Checkpoint(ctx, "close"); err != nil {
			t.log.Error("audit: final checkpoint", "err", err)
		}
		cancel()
	}
	if t.off != nil {
		t.off.close(10 * time.Second)
	}
	t.wdbMu.Lock()
	if t.wdb != nil {
		t.wdb.Close()
		t.wdb = nil
	}
	t.wdbMu.Unlock()
	return t.st.Close()
}

// Run checkpoints new records every CheckpointInterval and applies
// retention every RetentionInterval, until ctx ends.
func (t *Trail) Run(ctx context.Context) error {
	cp := time.NewTicker(t.opt.CheckpointInterval)
	defer cp.Stop()
	ret := time.NewTicker(t.opt.RetentionInterval)
	defer ret.Stop()
	t.prune(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-cp.C:
			if err := t.Checkpoint(ctx, "interval"); err != nil && ctx.Err() == nil {
				t.log.Error("audit: checkpoint", "err", err)
			}
		case <-ret.C:
			t.prune(ctx)
		}
	}
}

func (t *Trail) prune(ctx context.Context) {
	if t.opt.Retention <= 0 || t.opt.Key == nil {
		return
	}
	n, err := t.Prune(ctx, t.now().Add(-t.opt.Retention))
	if err != nil && ctx.Err() == nil {
		t.log.Error("audit: retention", "err", err)
	}
	if n > 0 {
		t.log.Info("audit: retention removed old records", "records", n)
	}
}

func clean(s string) string { return auditlog.Clean(s) }

// Append writes e to the trail and returns once it is durable. Appends
// that arrive while another is being written are committed together.
func (t *Trail) Append(ctx context.Context, e Entry) error {
	if t.opt.Key == nil {
		return ErrReadOnly
	}
	if e.Action == (Action{}) {
		return ErrNoAction
	}
	p := &pending{e: e, done: make(chan error, 1)}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return ErrClosed
	}
	t.queue = append(t.queue, p)
	lead := !t.writing
	t.writing = true
	t.mu.Unlock()
	if lead {
		t.drain()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		// It may still be written; the caller just stops waiting.
		return ctx.Err()
	}
}

// maxBatch bounds one group commit.
const maxBatch = 1000

// drain writes what is queued, one transaction per batch. The first
// Append to find no writer leads; once its own batch is durable it hands
// whatever queued meanwhile to a goroutine and returns.
func (t *Trail) drain() {
	t.mu.Lock()
	n := min(len(t.queue), maxBatch)
	batch := t.queue[:n:n]
	t.queue = t.queue[n:]
	t.mu.Unlock()

	entries := make([]Entry, len(batch))
	for i, p := range batch {
		entries[i] = p.e
	}
	// Not the leader's context: others' records are in this batch.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	err := t.AppendBatch(ctx, entries)
	cancel()
	for _, p := range batch {
		p.done <- err
	}

	t.mu.Lock()
	more := len(t.queue) > 0
	if !more {
		t.writing = false
	}
	t.mu.Unlock()
	if more {
		// While writing is set Close does not wait on drains yet, so
		// this never adds to it while it waits.
		t.drains.Go(t.drain)
	} else {
		t.idle.Broadcast()
	}
}

// AppendBatch writes entries in one transaction, in order. Append is the
// usual way in; this is for bulk writers (the legacy import, benchmarks).
func (t *Trail) AppendBatch(ctx context.Context, entries []Entry) error {
	if t.opt.Key == nil {
		return ErrReadOnly
	}
	for _, e := range entries {
		if e.Action == (Action{}) {
			return ErrNoAction
		}
	}
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	var cp *store.AuditCheckpoint
	verified := t.verifiedTo
	err := t.st.Write(ctx, func(w *store.TrailWriter) error {
		var err error
		verified, err = t.appendIn(w, verified, entries...)
		if err != nil {
			return err
		}
		cp, verified, err = t.maybeCheckpoint(w, verified)
		return err
	})
	if err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	t.verifiedTo = verified
	t.witness(cp)
	return nil
}

// appendIn chains entries onto the head in w. verified is how far the
// chain is known sound; it returns the new value. A head behind it means
// records this process saw were removed: that goes in the trail first.
func (t *Trail) appendIn(w *store.TrailWriter, verified int64, entries ...Entry) (int64, error) {
	head, _ := w.Head()
	if head.Seq < verified {
		msg := fmt.Sprintf("records after seq %d were removed from the database: this server had seen the trail up to seq %d", head.Seq, verified)
		// No checkpoint signs the shortened trail from now on: the
		// alarm record says what happened, and the last checkpoint and
		// its witnesses keep saying how far the trail went.
		t.sealRefused.Store(true)
		t.alarm("truncated", msg)
		entries = append([]Entry{{Username: "vigil", Action: auditlog.TrailAlarm, Detail: msg}}, entries...)
		verified = head.Seq
	}
	own := head.Seq == verified
	now := t.now()
	var buf []byte
	for _, e := range entries {
		r := store.AuditRecord{
			Seq: head.Seq + 1, At: e.At, UserID: e.UserID, Username: clean(e.Username), OrganisationID: e.OrganisationID,
			Action: clean(e.Action.String()), CameraID: e.CameraID, RangeStart: e.RangeStart, RangeEnd: e.RangeEnd,
			RemoteAddr: clean(e.RemoteAddr), Reason: clean(e.Reason), Detail: clean(e.Detail), Version: recordVersion,
		}
		if r.At.IsZero() {
			r.At = now
		}
		// The hash covers the values as the database gives them back.
		r.At, r.RangeStart, r.RangeEnd = normal(r.At), normalPtr(r.RangeStart), normalPtr(r.RangeEnd)
		r.PrevHash = head.Hash
		if head.Seq == 0 {
			r.PrevHash = zeroHash[:]
		}
		row := chainRow(&r)
		var sum [32]byte
		sum, buf = recordHash(buf, r.PrevHash, &row)
		r.Hash = sum[:]
		r.MAC = recordMAC(t.mac, r.Hash)
		if err := w.Insert(r); err != nil {
			return verified, err
		}
		head = r
	}
	if own {
		verified = head.Seq
	}
	return verified, nil
}

func normal(t time.Time) time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }

func normalPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normal(*t)
	return &n
}

// maybeCheckpoint signs a checkpoint when CheckpointEvery records have
// followed the last one.
func (t *Trail) maybeCheckpoint(w *store.TrailWriter, verified int64) (*store.AuditCheckpoint, int64, error) {
	head, ok := w.Head()
	last := w.LastCheckpoint()
	since := head.Seq
	if last != nil {
		since -= last.Seq
	}
	if !ok || since < int64(t.opt.CheckpointEvery) {
		return nil, verified, nil
	}
	return t.checkpointIn(w, verified, "count", 0, nil, 0)
}

// Checkpoint signs the chain up to its newest record, unless the newest
// checkpoint already covers it.
func (t *Trail) Checkpoint(ctx context.Context, kind string) error {
	if t.opt.Key == nil {
		return ErrReadOnly
	}
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	var cp *store.AuditCheckpoint
	verified := t.verifiedTo
	err := t.st.Write(ctx, func(w *store.TrailWriter) error {
		var err error
		cp, verified, err = t.checkpointIn(w, verified, kind, 0, nil, 0)
		return err
	})
	if err != nil {
		return fmt.Errorf("audit: checkpoint: %w", err)
	}
	t.verifiedTo = verified
	t.witness(cp)
	return nil
}

// checkpointIn writes a checkpoint over the chain in w up to its head, or
// up to the last sound record when a record after verified fails its
// checks: nothing is signed that Vigil did not write. startSeq, startPrev
// and first, when set, move the start of the retained chain (pruning).
func (t *Trail) checkpointIn(w *store.TrailWriter, verified int64, kind string, startSeq int64, startPrev []byte, first int64) (*store.AuditCheckpoint, int64, error) {
	head, ok := w.Head()
	if head.Seq < verified {
		// Records this process saw are gone: say so in the trail (the
		// alarm record), and sign nothing over what is left.
		v, err := t.appendIn(w, verified)
		return nil, v, err
	}
	if t.sealRefused.Load() {
		t.log.Error("audit: not signing a checkpoint: records the trail's checkpoints or witnesses vouched for are missing or changed; run vigil audit verify",
			"kind", kind)
		return nil, verified, nil
	}
	if !ok {
		return nil, verified, nil
	}
	last := w.LastCheckpoint()
	if last != nil && last.Seq >= head.Seq && startSeq == 0 {
		return nil, verified, nil
	}
	upTo := head
	if verified < head.Seq {
		from := verified
		if last != nil && last.Seq > from {
			from = last.Seq
		}
		good, err := t.checkTail(w, from)
		if err != nil {
			return nil, verified, err
		}
		if good.Seq < head.Seq {
			t.log.Error("audit: a record after the last checkpoint was not written by Vigil; not signing past it: run vigil audit verify",
				"seq", good.Seq+1)
		}
		upTo, verified = good, good.Seq
		if upTo.Seq == 0 || last != nil && upTo.Seq <= last.Seq && startSeq == 0 {
			return nil, verified, nil
		}
	}
	c := store.AuditCheckpoint{N: 1, Seq: upTo.Seq, Hash: upTo.Hash, At: normal(t.now()), StartSeq: 1, StartPrev: zeroHash[:],
		FirstCheckpoint: 1, Kind: kind, Prev: zeroHash[:]}
	if last != nil {
		c.N, c.StartSeq, c.StartPrev, c.FirstCheckpoint, c.Prev = last.N+1, last.StartSeq, last.StartPrev, last.FirstCheckpoint, checkpointHash(last)
	}
	if startSeq != 0 {
		c.StartSeq, c.StartPrev, c.FirstCheckpoint = startSeq, startPrev, first
		if first == 0 {
			c.FirstCheckpoint = c.N
		}
	}
	pub := t.opt.Key.Public().(ed25519.PublicKey)
	c.KeyID = KeyID(pub)
	c.Signature = ed25519.Sign(t.opt.Key, checkpointMessage(&c))
	if err := w.InsertCheckpoint(c); err != nil {
		return nil, verified, err
	}
	return &c, verified, nil
}

// checkTail checks the records after seq from (whose hash the chain
// state vouches for) in w: links, hashes and MACs. It returns the last
// sound record, or the record at from when the first after it fails.
func (t *Trail) checkTail(w *store.TrailWriter, from int64) (store.AuditRecord, error) {
	head, _ := w.Head()
	var good store.AuditRecord
	prevHash := zeroHash[:]
	if from > 0 {
		rs, err := w.Records(from, from)
		if err != nil {
			return good, err
		}
		if len(rs) != 1 {
			return good, nil
		}
		good, prevHash = rs[0], rs[0].Hash
	}
	var buf []byte
	for next := from + 1; next <= head.Seq; next += 1000 {
		rs, err := w.Records(next, min(next+999, head.Seq))
		if err != nil {
			return good, err
		}
		for i := range rs {
			r := &rs[i]
			row := chainRow(r)
			var sum [32]byte
			sum, buf = recordHash(buf, r.PrevHash, &row)
			if r.Seq != good.Seq+1 || !bytes.Equal(r.PrevHash, prevHash) || !bytes.Equal(sum[:], r.Hash) ||
				r.Version != recordVersion || !hmac.Equal(recordMAC(t.mac, r.Hash), r.MAC) {
				return good, nil
			}
			good, prevHash = *r, r.Hash
		}
	}
	return good, nil
}

func (t *Trail) signatureOK(c *store.AuditCheckpoint) bool {
	pub, ok := t.keys[c.KeyID]
	return ok && ed25519.Verify(pub, checkpointMessage(c), c.Signature)
}

// Prune removes the records older than before, as a whole prefix of the
// chain: the first record kept is the first at or after before, and the
// newest record always stays, so the chain goes on from it. A signed
// checkpoint stating the new start is written first, in the same
// transaction, and a record says what was removed.
func (t *Trail) Prune(ctx context.Context, before time.Time) (int64, error) {
	if t.opt.Key == nil {
		return 0, ErrReadOnly
	}
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	var removed int64
	var cp *store.AuditCheckpoint
	verified := t.verifiedTo
	err := t.st.Write(ctx, func(w *store.TrailWriter) error {
		head, ok := w.Head()
		if !ok {
			return nil
		}
		keep, ok, err := w.FirstAtOrAfter(before)
		if err != nil {
			return err
		}
		if !ok {
			keep = head
		}
		start := int64(1)
		if last := w.LastCheckpoint(); last != nil {
			start = last.StartSeq
		}
		if keep.Seq <= start {
			return nil
		}
		verified, err = t.appendIn(w, verified, Entry{Username: "vigil", Action: auditlog.TrailPruned, Reason: "retention",
			Detail: fmt.Sprintf("records %d to %d, older than %s, removed by retention; the chain now starts at seq %d",
				start, keep.Seq-1, before.UTC().Format(time.RFC3339), keep.Seq)})
		if err != nil {
			return err
		}
		first, err := w.FirstCheckpointFrom(keep.Seq)
		if err != nil {
			return err
		}
		cp, verified, err = t.checkpointIn(w, verified, "prune", keep.Seq, keep.PrevHash, first)
		if err != nil {
			return err
		}
		if cp == nil || cp.StartSeq != keep.Seq || cp.Seq < keep.Seq {
			return errors.New("audit: the trail's newest records could not be signed, so nothing is pruned")
		}
		removed, err = w.DeleteBefore(keep.Seq, cp.FirstCheckpoint)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("audit: prune: %w", err)
	}
	t.verifiedTo = verified
	t.witness(cp)
	return removed, nil
}
