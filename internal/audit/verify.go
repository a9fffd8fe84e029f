package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/store"
)

// Problem is one way in which the trail is not what Vigil wrote.
type Problem struct {
	// Kind is changed, removed, inserted, reordered, truncated (records
	// removed from the end), forged (a record after the last checkpoint
	// without a valid MAC), checkpoint, witness, guard or alarm (an alarm
	// the trail itself records).
	Kind       string
	Seq        int64 // the record it names; 0 when it names none
	Checkpoint int64 // the checkpoint it names; 0 when it names none
	Msg        string
}

func (p Problem) String() string { return p.Kind + ": " + p.Msg }

// Report is what Verify found.
type Report struct {
	Records     int64 // records read
	Bytes       int64 // bytes hashed to check them
	First, Last int64 // their seqs
	Start       int64 // where the retained chain starts, per the newest checkpoint
	Checkpoints int64 // checkpoints read
	// Newest is the newest checkpoint whose signature holds; nil when
	// there is none.
	Newest *Checkpoint
	// Tail counts the records after Newest, which no signature covers
	// yet; TailMACs says whether their MACs were checked (that needs the
	// private key).
	Tail     int64
	TailMACs bool
	Witness  *Checkpoint // the witness file's checkpoint, when given
	// Witnesses are every witness's checkpoint read, the file's first.
	Witnesses []Witnessed
	// Window, when not 0, is the seq from which records were checked
	// (VerifyOptions.Window): those before it were not.
	Window   int64
	Problems []Problem // the first record-level problem comes first
	// Acknowledged is the damage the partnership acknowledged (vigil
	// audit acknowledge), oldest first: not a problem, but a trail that
	// is not what Vigil wrote all along, which the report says.
	Acknowledged []Acknowledgement
	Elapsed      time.Duration
}

// Acknowledgement is damage accepted by an acknowledgement: its signed
// checkpoint and its record in the chain, which says who, when, why and
// what.
type Acknowledgement struct {
	Checkpoint Checkpoint
	Record     Record
}

// String is the warning verify prints: "trail shortened at seq N: ...;
// acknowledged on DATE by NAME: REASON".
func (a Acknowledgement) String() string {
	summary, _, _ := strings.Cut(a.Record.Detail, "\n")
	return fmt.Sprintf("%s; acknowledged on %s by %s: %s (record %d, checkpoint #%d, voiding checkpoints from #%d)",
		summary, a.Record.At.Format("2006-01-02 15:04 MST"), a.Record.Username, a.Record.Reason, a.Record.Seq, a.Checkpoint.N, a.Checkpoint.Acknowledges)
}

// OK reports whether the trail is intact, or damaged only as an
// acknowledgement accepted (see Acknowledged).
func (r Report) OK() bool { return len(r.Problems) == 0 }

// String is the summary `vigil audit verify` prints.
func (r Report) String() string {
	var b strings.Builder
	switch {
	case r.OK() && len(r.Acknowledged) > 0:
		fmt.Fprintf(&b, "audit trail intact apart from acknowledged damage: %d records, chain intact from seq %d to %d", r.Records, r.First, r.Last)
	case r.OK():
		fmt.Fprintf(&b, "audit trail intact: %d records, chain intact from seq %d to %d", r.Records, r.First, r.Last)
	default:
		fmt.Fprintf(&b, "AUDIT TRAIL NOT INTACT: %d problem(s); the first: %s", len(r.Problems), r.Problems[0].Msg)
	}
	for _, a := range r.Acknowledged {
		fmt.Fprintf(&b, "\nWARNING: %s", a)
	}
	for _, p := range r.Problems {
		if p.Kind == "changed" || p.Kind == "removed" || p.Kind == "inserted" || p.Kind == "reordered" {
			b.WriteString("\nthe chain is checked up to its first break: records after it were not checked")
			break
		}
	}
	if r.Start > 1 {
		fmt.Fprintf(&b, "\nretention removed the records before seq %d", r.Start)
	}
	if c := r.Newest; c != nil {
		fmt.Fprintf(&b, "\nlast checkpoint: #%d at seq %d, %s, signed by key %s (%d checkpoints checked)",
			c.N, c.Seq, c.At.Format(time.RFC3339), c.KeyID, r.Checkpoints)
	} else {
		b.WriteString("\nno signed checkpoint yet")
	}
	switch {
	case r.Tail == 0:
	case r.TailMACs:
		fmt.Fprintf(&b, "\n%d record(s) after the last checkpoint, each with a valid MAC", r.Tail)
	default:
		fmt.Fprintf(&b, "\n%d record(s) after the last checkpoint, not yet signed (their MACs need the private key to check)", r.Tail)
	}
	for _, w := range r.Witnesses {
		fmt.Fprintf(&b, "\n%s: checkpoint #%d at seq %d", w.From, w.N, w.Seq)
	}
	fmt.Fprintf(&b, "\nchecked in %s", r.Elapsed.Round(time.Millisecond))
	if r.Elapsed > 0 && r.Records > 0 {
		fmt.Fprintf(&b, " (%.0f records/s)", float64(r.Records)/r.Elapsed.Seconds())
	}
	for i, p := range r.Problems {
		if i == 50 {
			fmt.Fprintf(&b, "\n... and %d more", len(r.Problems)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %s", p)
	}
	return b.String()
}

// VerifyOptions say what Verify trusts.
type VerifyOptions struct {
	// Keys are the public keys checkpoints may be signed with.
	Keys []ed25519.PublicKey
	// MACKey, when set, checks the MACs of the records after the last
	// checkpoint (and finds the first changed record when a rewritten
	// chain no longer meets a checkpoint).
	MACKey []byte
	// Witness is the witness file's checkpoint, or nil.
	Witness *Checkpoint
	// Witnesses are further witnesses' checkpoints (the witness
	// database's), each named by where it was read.
	Witnesses []Witnessed
	// Window, when above 0, checks only the newest Window records and
	// the checkpoints over them: the quick check of every start.
	Window int64
	// Workers read and hash in parallel; 0 means one per CPU.
	Workers int
}

// Witnessed is a witness's copy of a checkpoint and where it was read.
type Witnessed struct {
	From string // "the witness file", "the witness database"
	*Checkpoint
}

// Verify checks the trail, t's own keys and witnesses (the file, and the
// witness database when set) trusted.
func (t *Trail) Verify(ctx context.Context, workers int) (Report, error) {
	o, err := t.verifyOptions(ctx)
	if err != nil {
		return Report{}, err
	}
	o.Workers = workers
	return Verify(ctx, t.st, o)
}

func (t *Trail) verifyOptions(ctx context.Context) (VerifyOptions, error) {
	o := VerifyOptions{MACKey: t.mac}
	for _, k := range t.keys {
		o.Keys = append(o.Keys, k)
	}
	var err error
	o.Witness, o.Witnesses, err = t.witnessCopies(ctx)
	return o, err
}

// cpRef is what the chain scan compares with a checkpoint.
type cpRef struct {
	n, seq int64
	hash   []byte
}

// Verify checks the trail in st: that every checkpoint chains to the
// newest, whose signature holds; that the records from the start the
// newest checkpoint states to the last form one chain (each record's hash
// recomputed from its fields and its predecessor's hash) meeting every
// checkpoint; that records after the last checkpoint have valid MACs; that
// the witness's checkpoint is still there; and that the guards are in
// place. Records are streamed, in parallel, never all held.
func Verify(ctx context.Context, st *store.Trail, o VerifyOptions) (Report, error) {
	began := time.Now()
	rep := Report{Witness: o.Witness, Start: 1}
	if o.Witness != nil {
		rep.Witnesses = append(rep.Witnesses, Witnessed{From: "the witness file", Checkpoint: o.Witness})
	}
	for _, w := range o.Witnesses {
		if w.Checkpoint != nil {
			rep.Witnesses = append(rep.Witnesses, w)
		}
	}
	// The bounds first: a window is counted back from the newest record.
	first, last, err := st.AuditBounds(ctx)
	if err != nil {
		return rep, err
	}
	rep.First, rep.Last = first, last
	from := first
	if o.Window > 0 && last-o.Window+1 > first {
		from = last - o.Window + 1
		rep.Window = from
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range o.Keys {
		keys[KeyID(k)] = k
	}
	if len(keys) == 0 {
		return rep, errors.New("audit: verify needs the public key that signs the checkpoints")
	}
	sigOK := func(c *Checkpoint) bool {
		k, ok := keys[c.KeyID]
		return ok && ed25519.Verify(k, checkpointMessage(c), c.Signature)
	}
	problem := func(p Problem) { rep.Problems = append(rep.Problems, p) }

	// The newest checkpoint that is validly signed is the authority; any
	// after it are forged or changed.
	err = st.EachAuditCheckpoint(ctx, true, func(c *Checkpoint) error {
		if sigOK(c) {
			cc := *c
			rep.Newest = &cc
			return errStop
		}
		problem(Problem{Kind: "checkpoint", Checkpoint: c.N, Msg: fmt.Sprintf(
			"checkpoint #%d (seq %d) is not validly signed by a trusted key: it was forged or changed", c.N, c.Seq)})
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return rep, err
	}
	// The acknowledgements the newest checkpoint's chain includes: the
	// checkpoints they void no longer vouch for records, and the gaps
	// and alarms before them were accepted.
	var acks []Checkpoint
	if nw := rep.Newest; nw != nil {
		all, err := st.AuditAcknowledgements(ctx)
		if err != nil {
			return rep, err
		}
		for _, a := range all {
			if a.N <= nw.N && sigOK(&a) {
				acks = append(acks, a)
			}
		}
	}
	startPrev := zeroHash[:]
	var cps []cpRef
	if nw := rep.Newest; nw != nil {
		rep.Start, startPrev = nw.StartSeq, nw.StartPrev
		var prev *Checkpoint
		check := func(c *Checkpoint) error {
			if c.N < nw.FirstCheckpoint || c.N > nw.N {
				return nil
			}
			rep.Checkpoints++
			void := voids(acks, c.N)
			switch {
			case prev == nil && c.N > nw.FirstCheckpoint && rep.Window == 0:
				if !voids(acks, nw.FirstCheckpoint) || !voids(acks, c.N-1) {
					problem(Problem{Kind: "checkpoint", Checkpoint: nw.FirstCheckpoint, Msg: fmt.Sprintf(
						"checkpoints #%d to #%d were removed", nw.FirstCheckpoint, c.N-1)})
				}
			case prev != nil && c.N != prev.N+1:
				if !voids(acks, prev.N+1) || !voids(acks, c.N-1) {
					problem(Problem{Kind: "checkpoint", Checkpoint: prev.N + 1, Msg: checkpointsRemoved(prev.N+1, c.N-1)})
				}
			case prev != nil && !bytes.Equal(c.Prev, checkpointHash(prev)):
				if voids(acks, prev.N) && (void || c.Acknowledges != 0) {
					break // voided checkpoints vouch for nothing
				}
				problem(Problem{Kind: "checkpoint", Checkpoint: prev.N, Msg: fmt.Sprintf(
					"checkpoint #%d was changed: checkpoint #%d no longer links to it", prev.N, c.N)})
				// What it says of the chain is not to be trusted either.
				if len(cps) > 0 && cps[len(cps)-1].n == prev.N {
					cps = cps[:len(cps)-1]
				}
			}
			cc := *c
			prev = &cc
			if void {
				// An acknowledgement accepted that the chain no longer
				// meets it: neither the records nor the witnesses are
				// held to it.
				return nil
			}
			for _, w := range rep.Witnesses {
				if w.N == c.N && !bytes.Equal(checkpointHash(w.Checkpoint), checkpointHash(c)) {
					problem(Problem{Kind: "witness", Checkpoint: c.N, Msg: fmt.Sprintf(
						"checkpoint #%d differs from the copy in %s: the trail was replaced", c.N, w.From)})
				}
			}
			cps = append(cps, cpRef{n: c.N, seq: c.Seq, hash: c.Hash})
			return nil
		}
		var err error
		if rep.Window == 0 {
			err = st.EachAuditCheckpoint(ctx, false, check)
		} else {
			// Only the checkpoints over the window, and the one before
			// it, which the first of them must link to: read newest first
			// and checked oldest first.
			var recent []Checkpoint
			err = st.EachAuditCheckpoint(ctx, true, func(c *Checkpoint) error {
				if c.N <= nw.N {
					recent = append(recent, *c)
				}
				if c.Seq < rep.Window {
					return errStop
				}
				return nil
			})
			for i := len(recent) - 1; i >= 0 && (err == nil || errors.Is(err, errStop)); i-- {
				err = check(&recent[i])
			}
		}
		if err != nil && !errors.Is(err, errStop) {
			return rep, err
		}
	}
	sort.SliceStable(cps, func(i, j int) bool { return cps[i].seq < cps[j].seq })

	ahead := false // one witness ahead of the trail says it; the others would repeat it
	for _, w := range rep.Witnesses {
		switch {
		case !sigOK(w.Checkpoint):
			problem(Problem{Kind: "witness", Checkpoint: w.N, Msg: fmt.Sprintf("the checkpoint in %s is not validly signed by a trusted key", w.From)})
		case ahead:
		case rep.Newest == nil || w.N > rep.Newest.N:
			ahead = true
			newest := int64(0)
			if rep.Newest != nil {
				newest = rep.Newest.N
			}
			if last < w.Seq {
				problem(Problem{Kind: "truncated", Seq: last + 1, Msg: fmt.Sprintf(
					"records from seq %d on were removed from the end of the trail: %s holds checkpoint #%d of seq %d, and the trail's newest checkpoint is #%d",
					last+1, w.From, w.N, w.Seq, newest)})
			} else {
				problem(Problem{Kind: "checkpoint", Checkpoint: newest + 1, Msg: fmt.Sprintf(
					"checkpoints #%d to #%d were removed: %s holds #%d", newest+1, w.N, w.From, w.N)})
			}
		}
	}

	switch {
	case last == 0:
		if rep.Newest != nil {
			problem(Problem{Kind: "truncated", Seq: rep.Start, Msg: fmt.Sprintf(
				"every record was removed: checkpoint #%d vouches for records up to seq %d", rep.Newest.N, rep.Newest.Seq)})
		}
	case first > rep.Start:
		problem(Problem{Kind: "removed", Seq: rep.Start, Msg: recordsRemoved(rep.Start, first-1) +
			fmt.Sprintf(" from the start of the chain, which the newest checkpoint says starts at seq %d", rep.Start)})
	}

	if last > 0 {
		res, err := scanChain(ctx, st, o.Workers, from, last, rep.Start, startPrev, cps)
		if err != nil {
			return rep, err
		}
		rep.Records, rep.Bytes = res.records, res.bytes
		if res.bad != 0 {
			p, err := classify(ctx, st, res.bad, rep.Start, startPrev)
			if err != nil {
				return rep, err
			}
			problem(p)
		}
		if res.cpBad != nil {
			problem(rewritten(ctx, st, o.MACKey, res.cpBad, cps))
		}
		if nw := rep.Newest; nw != nil && nw.Seq > last {
			problem(Problem{Kind: "truncated", Seq: last + 1, Msg: fmt.Sprintf(
				"records from seq %d on were removed from the end of the trail: checkpoint #%d vouches for records up to seq %d",
				last+1, nw.N, nw.Seq)})
		}
	}

	// Records after the newest checkpoint: no signature yet, so their MACs.
	signed := int64(0)
	if rep.Newest != nil {
		signed = rep.Newest.Seq
	}
	rep.TailMACs = o.MACKey != nil
	reported := false
	err = st.AuditMACs(ctx, signed, func(seq int64, hash, mac []byte) error {
		rep.Tail++
		if o.MACKey != nil && !reported && !hmac.Equal(recordMAC(o.MACKey, hash), mac) {
			reported = true
			problem(Problem{Kind: "forged", Seq: seq, Msg: fmt.Sprintf(
				"record %d, after the last checkpoint, has no valid MAC: Vigil did not write it (or its MAC was changed)", seq)})
		}
		return nil
	})
	if err != nil {
		return rep, err
	}

	guards, err := st.CheckGuards(ctx)
	if err != nil {
		return rep, err
	}
	for _, g := range guards {
		problem(Problem{Kind: "guard", Msg: g.String()})
	}
	for _, a := range acks {
		rs, err := st.AuditRecords(ctx, a.Seq, 1)
		if err != nil {
			return rep, err
		}
		ack := Acknowledgement{Checkpoint: a}
		if len(rs) == 1 && rs[0].Seq == a.Seq {
			// The chain scan holds it to the checkpoint's hash.
			ack.Record = rs[0]
		}
		rep.Acknowledged = append(rep.Acknowledged, ack)
	}
	err = st.EachAudit(ctx, store.AuditFilter{Action: auditlog.TrailAlarm.String()}, func(r *Record) error {
		if r.Seq < rep.Window {
			return errStop
		}
		for _, a := range acks {
			if r.Seq < a.Seq {
				return nil // accepted by the acknowledgement, which lists it
			}
		}
		problem(Problem{Kind: "alarm", Seq: r.Seq, Msg: fmt.Sprintf("record %d is an alarm raised by Vigil at %s: %s",
			r.Seq, r.At.Format(time.RFC3339), r.Detail)})
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return rep, err
	}
	// Records the problems name come first, in chain order: the first is
	// the earliest thing that went wrong.
	group := func(p Problem) int {
		switch {
		case p.Kind == "alarm":
			return 2
		case p.Seq == 0:
			return 1
		}
		return 0
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		if ga, gb := group(a), group(b); ga != gb {
			return ga < gb
		}
		return a.Seq < b.Seq
	})
	rep.Elapsed = time.Since(began)
	return rep, nil
}

func recordsRemoved(a, b int64) string {
	if a == b {
		return fmt.Sprintf("record %d was removed", a)
	}
	return fmt.Sprintf("records %d to %d were removed", a, b)
}

func checkpointsRemoved(a, b int64) string {
	if a == b {
		return fmt.Sprintf("checkpoint #%d was removed", a)
	}
	return fmt.Sprintf("checkpoints #%d to #%d were removed", a, b)
}

type chunk struct {
	from, to int64 // [from, to)
	skipped  bool
	records  int64
	bytes    int64
	// The first and last record read, for joining to the neighbours.
	firstSeq, lastSeq   int64
	firstPrev, lastHash [32]byte
	bad                 int64 // the first record failing a check within the chunk
	cpBad               *cpRef
}

type scanResult struct {
	records int64
	bytes   int64
	bad     int64  // the first record where the chain breaks, or 0
	cpBad   *cpRef // the first checkpoint the chain does not meet, or nil
}

// scanChain reads [first, last] in chunks on parallel workers. Each
// record's own hash and its link to the record before it in the chunk
// are independent of every other chunk, so only the joins between chunks
// are checked after.
func scanChain(ctx context.Context, st *store.Trail, workers int, first, last, start int64, startPrev []byte, cps []cpRef) (scanResult, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	span := last - first + 1
	size := max(span/int64(workers*16), 20000)
	var chunks []*chunk
	for a := first; a <= last; a += size {
		chunks = append(chunks, &chunk{from: a, to: min(a+size, last+1)})
	}
	var minBad atomic.Int64
	minBad.Store(last + 1)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			var buf []byte
			for {
				i := int(next.Add(1) - 1)
				if i >= len(chunks) || ctx.Err() != nil {
					return
				}
				c := chunks[i]
				if c.from > minBad.Load() {
					c.skipped = true
					continue
				}
				var err error
				buf, err = c.scan(ctx, st, buf, start, startPrev, cps)
				if err != nil {
					errs[w] = err
					return
				}
				if c.bad != 0 {
					for {
						m := minBad.Load()
						if c.bad >= m || minBad.CompareAndSwap(m, c.bad) {
							break
						}
					}
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return scanResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return scanResult{}, err
	}
	var res scanResult
	var prev *chunk
	for _, c := range chunks {
		if c.skipped {
			break
		}
		res.records += c.records
		res.bytes += c.bytes
		if c.records == 0 {
			continue
		}
		if prev != nil && (c.firstSeq != prev.lastSeq+1 || c.firstPrev != prev.lastHash) {
			res.bad = c.firstSeq
			break
		}
		if res.cpBad == nil && c.cpBad != nil {
			res.cpBad = c.cpBad
		}
		if c.bad != 0 {
			res.bad = c.bad
			break
		}
		prev = c
	}
	return res, nil
}

func (c *chunk) scan(ctx context.Context, st *store.Trail, buf []byte, start int64, startPrev []byte, cps []cpRef) ([]byte, error) {
	j := sort.Search(len(cps), func(i int) bool { return cps[i].seq >= c.from })
	var prevSeq int64
	var prevHash [32]byte
	err := st.ScanChain(ctx, c.from, c.to, func(r *store.ChainRow) error {
		var sum [32]byte
		sum, buf = recordHash(buf, r.PrevHash, r)
		c.bytes += int64(len(buf))
		ok := r.Version == recordVersion && bytes.Equal(sum[:], r.Hash)
		switch {
		case c.records == 0:
			c.firstSeq = r.Seq
			copy(c.firstPrev[:], r.PrevHash)
			ok = ok && len(r.PrevHash) == 32
		default:
			ok = ok && r.Seq == prevSeq+1 && bytes.Equal(r.PrevHash, prevHash[:])
		}
		switch r.Seq {
		case start:
			ok = ok && bytes.Equal(r.PrevHash, startPrev)
		case 1:
			ok = ok && bytes.Equal(r.PrevHash, zeroHash[:])
		}
		c.records++
		if !ok {
			c.bad = r.Seq
			return errStop
		}
		for j < len(cps) && cps[j].seq <= r.Seq {
			if cps[j].seq == r.Seq && !bytes.Equal(cps[j].hash, r.Hash) && c.cpBad == nil {
				cp := cps[j]
				c.cpBad = &cp
			}
			j++
		}
		prevSeq, c.lastSeq = r.Seq, r.Seq
		copy(prevHash[:], r.Hash)
		c.lastHash = prevHash
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return buf, err
}

// rewritten explains a chain that is whole but does not meet checkpoint
// cp: a record before it was changed and every hash after it recomputed.
// With the MAC key the first such record is found exactly (its MAC no
// longer matches its hash); without, the checkpoints bound it.
func rewritten(ctx context.Context, st *store.Trail, macKey []byte, cp *cpRef, cps []cpRef) Problem {
	from := int64(0)
	for _, c := range cps {
		if c.seq < cp.seq && c.seq > from {
			from = c.seq
		}
	}
	if macKey != nil {
		var found int64
		st.AuditMACs(ctx, from, func(seq int64, hash, mac []byte) error {
			if seq > cp.seq {
				return errStop
			}
			if !hmac.Equal(recordMAC(macKey, hash), mac) {
				found = seq
				return errStop
			}
			return nil
		})
		if found != 0 {
			return Problem{Kind: "changed", Seq: found, Checkpoint: cp.n, Msg: fmt.Sprintf(
				"record %d was changed and the hashes after it recomputed: its MAC no longer matches, and the chain no longer meets checkpoint #%d", found, cp.n)}
		}
	}
	return Problem{Kind: "changed", Seq: from + 1, Checkpoint: cp.n, Msg: fmt.Sprintf(
		"a record from seq %d to %d was changed, removed or inserted and the hashes after it recomputed: the chain no longer meets checkpoint #%d",
		from+1, cp.seq, cp.n)}
}

// classify names what happened at record bad, the first where the chain
// breaks, from the records around it: which of them still hash correctly
// at their own seq, at another seq, and what they link to.
func classify(ctx context.Context, st *store.Trail, bad, start int64, startPrev []byte) (Problem, error) {
	recs, err := st.AuditRecords(ctx, max(bad-4, 1), 16)
	if err != nil {
		return Problem{}, err
	}
	rows := make([]store.ChainRow, len(recs))
	for i := range recs {
		rows[i] = chainRow(&recs[i])
	}
	i := sort.Search(len(rows), func(i int) bool { return rows[i].Seq >= bad })
	if i == len(rows) {
		return Problem{Kind: "changed", Seq: bad, Msg: fmt.Sprintf("record %d changed while being checked; run verify again", bad)}, nil
	}
	r := &rows[i]
	var p, pp, nx *store.ChainRow
	if i > 0 {
		p = &rows[i-1]
	}
	if i > 1 {
		pp = &rows[i-2]
	}
	if i+1 < len(rows) {
		nx = &rows[i+1]
	}
	if p == nil {
		// r opens the retained chain: what it must link to is known.
		switch {
		case r.Seq > start:
			return Problem{Kind: "removed", Seq: start, Msg: recordsRemoved(start, r.Seq-1)}, nil
		case r.Seq == start:
			p = &store.ChainRow{Seq: start - 1, Hash: startPrev}
		}
	}
	if p != nil && r.Seq > p.Seq+1 {
		return Problem{Kind: "removed", Seq: p.Seq + 1, Msg: recordsRemoved(p.Seq+1, r.Seq-1) +
			fmt.Sprintf(": record %d links to a record that is no longer there", r.Seq)}, nil
	}
	self := hashIs(hashAt(r, r.Seq), r.Hash)
	linked := p == nil || bytes.Equal(r.PrevHash, p.Hash)
	if self && !linked {
		switch {
		case pp != nil && bytes.Equal(r.PrevHash, pp.Hash):
			return Problem{Kind: "inserted", Seq: p.Seq, Msg: fmt.Sprintf(
				"record %d was inserted: it is not part of the chain (record %d links past it, to record %d)", p.Seq, r.Seq, pp.Seq)}, nil
		case nx != nil && !bytes.Equal(nx.PrevHash, r.Hash) || pp == nil:
			return Problem{Kind: "changed", Seq: r.Seq, Msg: fmt.Sprintf(
				"record %d was replaced: it hashes correctly but links to no record before it", r.Seq)}, nil
		default:
			return Problem{Kind: "changed", Seq: p.Seq, Msg: fmt.Sprintf(
				"record %d was changed and its hash recomputed: record %d no longer links to it", p.Seq, r.Seq)}, nil
		}
	}
	if !self {
		if o, ok := origSeq(r); ok && o != r.Seq {
			for k := range rows {
				if q := &rows[k]; q.Seq == o {
					if qo, ok := origSeq(q); ok && qo == r.Seq {
						return Problem{Kind: "reordered", Seq: r.Seq, Msg: fmt.Sprintf(
							"records %d and %d were reordered: each holds the other's place in the chain", r.Seq, o)}, nil
					}
				}
			}
			if o > r.Seq {
				return Problem{Kind: "removed", Seq: r.Seq, Msg: recordsRemoved(r.Seq, o-1) +
					fmt.Sprintf(" and the records after renumbered to close the gap (record %d was record %d)", r.Seq, o)}, nil
			}
			what := fmt.Sprintf("record %d was inserted", o)
			if o < r.Seq-1 {
				what = fmt.Sprintf("records %d to %d were inserted", o, r.Seq-1)
			}
			return Problem{Kind: "inserted", Seq: o, Msg: what +
				fmt.Sprintf(" and the records after renumbered (record %d was record %d)", r.Seq, o)}, nil
		}
		if nx != nil && p != nil && bytes.Equal(nx.PrevHash, p.Hash) {
			return Problem{Kind: "inserted", Seq: r.Seq, Msg: fmt.Sprintf(
				"record %d was inserted: it is not part of the chain (record %d links past it, to record %d)", r.Seq, nx.Seq, p.Seq)}, nil
		}
		return Problem{Kind: "changed", Seq: r.Seq, Msg: fmt.Sprintf(
			"record %d was changed: its contents no longer match its hash", r.Seq)}, nil
	}
	return Problem{Kind: "changed", Seq: r.Seq, Msg: fmt.Sprintf("record %d does not fit the chain", r.Seq)}, nil
}

// hashAt is r's hash as if it stood at seq.
func hashAt(r *store.ChainRow, seq int64) [32]byte {
	c := *r
	c.Seq = seq
	sum, _ := recordHash(nil, c.PrevHash, &c)
	return sum
}

func hashIs(sum [32]byte, h []byte) bool { return bytes.Equal(sum[:], h) }

// origSeq finds the seq at which r's fields hash to its stored hash: the
// place it was written at, when it has been moved.
func origSeq(r *store.ChainRow) (int64, bool) {
	for d := range int64(13) {
		for _, s := range []int64{r.Seq - d, r.Seq + d} {
			if s > 0 && hashIs(hashAt(r, s), r.Hash) {
				return s, true
			}
		}
	}
	return 0, false
}
