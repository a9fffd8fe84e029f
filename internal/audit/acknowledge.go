package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/auditlog"
	"github.com/vigil-cctv/vigil/internal/store"
)

// ErrNothingToAcknowledge is returned by PlanAcknowledge when the trail
// is intact and records no alarm.
var ErrNothingToAcknowledge = errors.New("audit: the trail is intact: nothing to acknowledge")

// ErrNotAcknowledgeable is returned (wrapped, with what was found) by
// PlanAcknowledge when the damage is more than a loss: records before the
// last checkpoint the chain still meets were changed, removed, inserted
// or reordered, a record after it is not one Vigil wrote, or a checkpoint
// is forged. Signing over such a trail would seal records Vigil never
// wrote as if they were its own; only a loss can be accepted.
var ErrNotAcknowledgeable = errors.New("audit: the damage cannot be acknowledged")

// ErrTrailMoved is returned by Acknowledge when the trail changed after
// the plan was made (the server was still running): plan again.
var ErrTrailMoved = errors.New("audit: the trail changed since the damage was assessed; stop the server and run the acknowledgement again")

// Damage is what an acknowledgement would accept, as PlanAcknowledge
// found it.
type Damage struct {
	// Summary is one line: "trail shortened at seq N: ..." or the like.
	Summary string
	// Lines say precisely what is accepted: each checkpoint voided, with
	// its seq and hash and who held it, the records lost or replaced, the
	// alarms the trail recorded and the guards put back.
	Lines []string
	// Problems are what verify found, every one covered.
	Problems []Problem
	// Anchor is the newest checkpoint the chain still meets; nil when
	// none does.
	Anchor *Checkpoint
	// Voided are the checkpoints, in the database or a witness, that no
	// longer vouch for the trail once acknowledged, oldest first.
	Voided []Witnessed

	head     store.AuditRecord // the trail's last record when assessed
	dbNewest int64             // the database's newest checkpoint then
	prev     *Checkpoint       // the newest checkpoint anywhere, which the acknowledgement links to
}

// String is what `vigil audit acknowledge` shows before asking.
func (d *Damage) String() string {
	var b strings.Builder
	b.WriteString(d.Summary)
	for _, l := range d.Lines {
		b.WriteString("\n  - ")
		b.WriteString(l)
	}
	return b.String()
}

// PlanAcknowledge runs the checks of Start and Verify over the whole
// trail and says what an acknowledgement would accept, or why none can be
// made (ErrNothingToAcknowledge, ErrNotAcknowledgeable). It writes
// nothing.
func (t *Trail) PlanAcknowledge(ctx context.Context) (*Damage, error) {
	if t.opt.Key == nil {
		return nil, ErrReadOnly
	}
	o, err := t.verifyOptions(ctx)
	if err != nil {
		// A witness that cannot be read cannot be updated either, and
		// its checkpoint would alarm at the next start.
		return nil, fmt.Errorf("audit: a witness could not be read, so the damage cannot be assessed: %w", err)
	}
	rep, err := Verify(ctx, t.st, o)
	if err != nil {
		return nil, err
	}
	d := &Damage{Problems: rep.Problems}
	// As at Start: this process signs nothing over a damaged trail (not
	// even at Close) unless the damage is acknowledged.
	for _, p := range rep.Problems {
		if p.Kind != "alarm" && p.Kind != "forged" && p.Kind != "guard" {
			t.sealRefused.Store(true)
		}
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrNotAcknowledgeable, fmt.Sprintf(format, args...))
	}

	// The database's checkpoints, newest first, down to the newest the
	// chain still meets: the anchor. A checkpoint that is not validly
	// signed is a forgery to investigate, not a loss.
	var voided []Witnessed
	err = t.st.EachAuditCheckpoint(ctx, true, func(c *Checkpoint) error {
		if !t.signatureOK(c) {
			return bad("checkpoint #%d (seq %d) is not validly signed by a trusted key: it was forged or changed", c.N, c.Seq)
		}
		if d.dbNewest == 0 {
			d.dbNewest = c.N
			cc := *c
			d.prev = &cc
		}
		met, err := t.meets(ctx, c)
		if err != nil {
			return err
		}
		cc := *c
		if met {
			d.Anchor = &cc
			return errStop
		}
		voided = append(voided, Witnessed{From: "the trail's database", Checkpoint: &cc})
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	anchorN, anchorSeq := int64(0), int64(0)
	if d.Anchor != nil {
		anchorN, anchorSeq = d.Anchor.N, d.Anchor.Seq
	}
	// The witnesses' checkpoints newer than the anchor are voided too;
	// the newest of all is what the acknowledgement links to.
	for _, w := range rep.Witnesses {
		if !t.signatureOK(w.Checkpoint) {
			continue // reported by Verify, and covered below when past the anchor
		}
		if w.N > anchorN {
			i := slices.IndexFunc(voided, func(v Witnessed) bool { return v.N == w.N })
			if i < 0 {
				voided = append(voided, w)
			} else if bytes.Equal(checkpointHash(voided[i].Checkpoint), checkpointHash(w.Checkpoint)) {
				voided[i].From += " and " + w.From
			} else {
				voided = append(voided, w)
			}
		}
		if d.prev == nil || w.N > d.prev.N {
			d.prev = w.Checkpoint
		}
	}
	slices.SortStableFunc(voided, func(a, b Witnessed) int { return int(a.N - b.N) })
	d.Voided = voided

	// What verify found must all lie past the anchor: anything before it
	// is records rewritten under a checkpoint that still holds.
	var alarms []Problem
	for _, p := range rep.Problems {
		switch {
		case p.Kind == "alarm":
			alarms = append(alarms, p)
		case p.Kind == "truncated", p.Kind == "guard":
		case (p.Kind == "checkpoint" || p.Kind == "witness" || p.Kind == "changed") && p.Checkpoint > anchorN:
		case p.Kind == "forged" && p.Seq > anchorSeq:
			// The tail check below names it.
		default:
			return nil, bad("%s (the chain is sound only up to %s)", p.Msg, anchorName(d.Anchor))
		}
	}
	if len(voided) == 0 && len(alarms) == 0 && len(rep.Problems) == 0 {
		return nil, ErrNothingToAcknowledge
	}

	// The records after the anchor are signed by the acknowledgement:
	// each must be one Vigil wrote (link, hash and MAC).
	head, n, err := t.soundAfter(ctx, anchorSeq, d.Anchor)
	if err != nil {
		return nil, err
	}
	d.head = head

	// What is accepted, precisely.
	witnessedSeq, witnessedHash, witnessedN := int64(0), []byte(nil), int64(0)
	for _, v := range voided {
		if v.N > witnessedN {
			witnessedSeq, witnessedHash, witnessedN = v.Seq, v.Hash, v.N
		}
	}
	switch {
	case witnessedN == 0:
		d.Summary = fmt.Sprintf("alarms the trail recorded, up to seq %d", head.Seq)
	case head.Seq < witnessedSeq:
		d.Summary = fmt.Sprintf("trail shortened at seq %d: records %d-%d removed from the end; checkpoint #%d vouched for seq %d with hash %x",
			head.Seq, head.Seq+1, witnessedSeq, witnessedN, witnessedSeq, witnessedHash)
	default:
		d.Summary = fmt.Sprintf("trail shortened after seq %d: the records checkpoint #%d vouched for up to seq %d (hash %x) were removed, and Vigil has written records %d-%d since",
			anchorSeq, witnessedN, witnessedSeq, witnessedHash, anchorSeq+1, head.Seq)
	}
	if d.Anchor != nil {
		d.Lines = append(d.Lines, fmt.Sprintf("the chain is sound up to %s (hash %x), which still holds", anchorName(d.Anchor), d.Anchor.Hash))
	} else {
		d.Lines = append(d.Lines, "no checkpoint the chain still meets: the whole trail is re-anchored")
	}
	for _, v := range voided {
		state := "the record at its seq is gone"
		if rs, err := t.st.AuditRecords(ctx, v.Seq, 1); err != nil {
			return nil, err
		} else if len(rs) == 1 && rs[0].Seq == v.Seq {
			state = fmt.Sprintf("the record at its seq now has hash %x", rs[0].Hash)
			if bytes.Equal(rs[0].Hash, v.Hash) {
				state = "the record at its seq is still there, but the checkpoint itself is missing from the database"
			}
		}
		d.Lines = append(d.Lines, fmt.Sprintf("checkpoint #%d (%s, signed %s), held by %s, vouched for seq %d with hash %x: %s; it is voided",
			v.N, v.Kind, v.At.Format(time.RFC3339), v.From, v.Seq, v.Hash, state))
	}
	if d.prev != nil {
		for k := anchorN + 1; k < d.prev.N; k++ {
			if !slices.ContainsFunc(voided, func(v Witnessed) bool { return v.N == k }) {
				d.Lines = append(d.Lines, fmt.Sprintf("checkpoint #%d is missing from the trail's database, and no witness holds it; it is voided", k))
			}
		}
	}
	if n > 0 {
		// Which of them were written before the loss and which after
		// cannot be told: the MAC says only that Vigil wrote each.
		d.Lines = append(d.Lines, fmt.Sprintf("records %d-%d, after the sound chain, each have a valid link, hash and MAC (Vigil wrote them, before or after the loss) and are signed by the acknowledgement",
			anchorSeq+1, head.Seq))
	}
	for _, p := range rep.Problems {
		if p.Kind != "changed" && p.Kind != "checkpoint" && p.Kind != "witness" && p.Kind != "truncated" {
			continue
		}
		d.Lines = append(d.Lines, "verify found: "+p.Msg)
	}
	for _, a := range alarms {
		d.Lines = append(d.Lines, "alarm recorded: "+a.Msg)
	}
	for _, p := range rep.Problems {
		if p.Kind == "guard" {
			d.Lines = append(d.Lines, "guard "+p.Msg+": it will be put back")
		}
	}
	return d, nil
}

// meets reports whether the record at c's seq is there with c's hash.
func (t *Trail) meets(ctx context.Context, c *Checkpoint) (bool, error) {
	rs, err := t.st.AuditRecords(ctx, c.Seq, 1)
	if err != nil {
		return false, err
	}
	return len(rs) == 1 && rs[0].Seq == c.Seq && bytes.Equal(rs[0].Hash, c.Hash), nil
}

func anchorName(c *Checkpoint) string {
	if c == nil {
		return "no checkpoint"
	}
	return fmt.Sprintf("checkpoint #%d at seq %d", c.N, c.Seq)
}

// soundAfter checks every record after seq from, whose hash anchor
// vouches for: each links to the one before, hashes to its hash and
// carries a valid MAC. It returns the last record and how many followed
// from, or ErrNotAcknowledgeable naming the first that fails.
func (t *Trail) soundAfter(ctx context.Context, from int64, anchor *Checkpoint) (store.AuditRecord, int64, error) {
	var last store.AuditRecord
	prevHash := zeroHash[:]
	if anchor != nil {
		prevHash = anchor.Hash
		rs, err := t.st.AuditRecords(ctx, from, 1)
		if err != nil {
			return last, 0, err
		}
		last = rs[0] // meets checked it is there
	} else if first, _, err := t.st.AuditBounds(ctx); err != nil {
		return last, 0, err
	} else if first > 1 {
		return last, 0, fmt.Errorf("%w: records before seq %d were removed and no checkpoint the chain still meets says where it starts", ErrNotAcknowledgeable, first)
	}
	var n int64
	var buf []byte
	for next := from + 1; ; {
		rs, err := t.st.AuditRecords(ctx, next, 1000)
		if err != nil {
			return last, n, err
		}
		if len(rs) == 0 {
			return last, n, nil
		}
		for i := range rs {
			r := &rs[i]
			row := chainRow(r)
			var sum [32]byte
			sum, buf = recordHash(buf, r.PrevHash, &row)
			if r.Seq != from+n+1 || !bytes.Equal(r.PrevHash, prevHash) || !bytes.Equal(sum[:], r.Hash) ||
				r.Version != recordVersion || !hmac.Equal(recordMAC(t.mac, r.Hash), r.MAC) {
				return last, n, fmt.Errorf("%w: record %d, after %s, is not one Vigil wrote (its seq, link, hash or MAC does not hold)",
					ErrNotAcknowledgeable, r.Seq, anchorName(anchor))
			}
			last, prevHash = *r, r.Hash
			n++
		}
		next = rs[len(rs)-1].Seq + 1
	}
}

// Acknowledge accepts the damage d describes, on behalf of by, for
// reason: it appends a record (TrailDamageAcknowledged) saying who, why and
// precisely what, and signs a checkpoint over the trail as it now is that
// voids the checkpoints d lists (Checkpoint.Acknowledges), so that Start
// alarms no more for that damage and signs again, and Verify reports it
// as acknowledged rather than unexplained. Both are in the chain and
// signed: changing either afterwards is caught like any other change.
// The witnesses (file, witness database, syslog) are given the new
// checkpoint. The server must be stopped: its own idea of how far the
// trail went would alarm again over the acknowledgement.
func (t *Trail) Acknowledge(ctx context.Context, d *Damage, by, reason string) (*Checkpoint, error) {
	if t.opt.Key == nil {
		return nil, ErrReadOnly
	}
	by, reason = strings.TrimSpace(by), strings.TrimSpace(reason)
	if by == "" || reason == "" {
		return nil, errors.New("audit: an acknowledgement needs who makes it and why")
	}
	// Guards put back first, as Start would, so the trail the
	// acknowledgement signs is protected again.
	restored, err := t.st.RestoreGuards(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: the guard triggers could not be restored: %w", err)
	}
	lines := slices.Clone(d.Lines)
	for _, g := range restored {
		lines = append(lines, "guard "+g.String()+"; it was put back")
	}
	detail := d.Summary + "\n" + strings.Join(lines, "\n")

	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	var cp store.AuditCheckpoint
	var verified int64
	err = t.st.Write(ctx, func(w *store.TrailWriter) error {
		head, _ := w.Head()
		last := w.LastCheckpoint()
		lastN := int64(0)
		if last != nil {
			lastN = last.N
		}
		if head.Seq != d.head.Seq || !bytes.Equal(head.Hash, d.head.Hash) || lastN != d.dbNewest {
			return ErrTrailMoved
		}
		// The sound tail was checked by the plan: the records from here
		// on are this process's own.
		v, err := t.appendIn(w, head.Seq, Entry{Username: by, Action: auditlog.TrailDamageAcknowledged, Reason: reason, Detail: detail})
		if err != nil {
			return err
		}
		rec, _ := w.Head()
		c := store.AuditCheckpoint{N: 1, Seq: rec.Seq, Hash: rec.Hash, At: normal(t.now()), StartSeq: 1, StartPrev: zeroHash[:],
			FirstCheckpoint: 1, Kind: "acknowledge", Prev: zeroHash[:], Acknowledges: 1}
		if last != nil {
			c.StartSeq, c.StartPrev, c.FirstCheckpoint = last.StartSeq, last.StartPrev, last.FirstCheckpoint
		}
		if d.prev != nil {
			// Numbered after every checkpoint any witness holds, and linked
			// to the newest of them, so no witness is left ahead.
			c.N, c.Prev = d.prev.N+1, checkpointHash(d.prev)
		}
		if d.Anchor != nil {
			c.Acknowledges = d.Anchor.N + 1
		} else if last == nil && d.prev != nil {
			c.FirstCheckpoint = c.N
		}
		pub := t.opt.Key.Public().(ed25519.PublicKey)
		c.KeyID = KeyID(pub)
		c.Signature = ed25519.Sign(t.opt.Key, checkpointMessage(&c))
		if err := w.InsertCheckpoint(c); err != nil {
			return err
		}
		cp, verified = c, v
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit: acknowledge: %w", err)
	}
	t.verifiedTo = verified
	t.sealRefused.Store(false)
	t.log.Warn("audit: damage acknowledged", "by", by, "reason", reason, "damage", d.Summary, "checkpoint", cp.N, "seq", cp.Seq)
	t.witness(&cp)
	if t.off != nil {
		t.off.notice(fmt.Sprintf("vigil audit ACKNOWLEDGED by %s at record %d, checkpoint #%d: %s; reason: %s", by, cp.Seq, cp.N, d.Summary, reason))
		if err := t.off.flush(ctx); err != nil {
			return &cp, err
		}
	}
	// The witness database is written by the offsite queue; a failure
	// there is only logged, so check the copy is there.
	if t.opt.WitnessDB != "" {
		if err := t.putWitnessDB(ctx, cp); err != nil {
			return &cp, fmt.Errorf("audit: the acknowledgement is signed, but the witness database could not be given it: %w", err)
		}
	}
	return &cp, nil
}

// acknowledged returns the acknowledgements in the database whose
// signatures hold.
func (t *Trail) acknowledged(ctx context.Context) ([]Checkpoint, error) {
	all, err := t.st.AuditAcknowledgements(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(c Checkpoint) bool { return !t.signatureOK(&c) }), nil
}

// voids reports whether one of acks voids checkpoint n.
func voids(acks []Checkpoint, n int64) bool {
	for _, a := range acks {
		if n >= a.Acknowledges && n < a.N {
			return true
		}
	}
	return false
}
