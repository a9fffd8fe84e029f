package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// Start checks the trail as the server starts, and then signs a
// checkpoint over it, so that a crash never leaves more than one
// interval's records unsigned however often the server restarts:
//
//   - that the chain still reaches every checkpoint a witness holds (the
//     file, the witness database) and the newest checkpoint in the
//     database: the record at its seq is there and has its hash;
//   - the newest StartWindow records, with the checkpoints over them and
//     the MACs of those after the last (a bounded check, so a start on
//     ten million records stays quick; the whole trail is vigil audit
//     verify's);
//   - the guard triggers: any removed, disabled or changed is put back,
//     and alarmed.
//
// Checkpoints an acknowledgement voided (vigil audit acknowledge) are not
// held against the trail, nor the alarms recorded before it: that damage
// was accepted, and the trail is signed again from the acknowledgement.
//
// Whatever is wrong raises an alarm (Alarms, the log at error level,
// syslog). When records a checkpoint or witness vouched for are missing
// or changed, no checkpoint is signed, now or later in this process, so
// the damaged trail is never sealed as if sound. The server goes on
// recording either way: refusing to start would stop the record of who
// sees footage.
func (t *Trail) Start(ctx context.Context) error {
	if t.opt.Key == nil {
		return ErrReadOnly
	}
	o, err := t.verifyOptions(ctx)
	if err != nil {
		t.alarm("witness", fmt.Sprintf("a witness could not be read, so truncation past it is not checked: %v", err))
		o = VerifyOptions{MACKey: t.mac}
		for _, k := range t.keys {
			o.Keys = append(o.Keys, k)
		}
	}
	o.Window = t.opt.StartWindow

	damage, err := t.vouchedDamage(ctx, o)
	if err != nil {
		return err
	}
	damaged := len(damage) > 0
	for _, a := range damage {
		t.alarm(a.Reason, a.Msg)
	}

	rep, err := Verify(ctx, t.st, o)
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		switch p.Kind {
		case "guard":
			// Restored below, or the restoring fails, which is alarmed.
			continue
		case "forged", "alarm":
			// A record Vigil did not write is never signed (checkpoints
			// stop before it), and an alarm the trail records is history:
			// neither is a reason to stop signing what Vigil writes.
		default:
			damaged = true
		}
		t.alarm(p.Kind, p.Msg)
	}
	// The guards last, so that the alarms about records come first.
	restored, err := t.st.RestoreGuards(ctx)
	if err != nil {
		t.alarm("guard", fmt.Sprintf("the guard triggers could not be checked or restored: %v", err))
	}
	for _, g := range restored {
		t.alarm("guard", g.String()+"; it was put back")
	}
	if damaged {
		t.sealRefused.Store(true)
		t.log.Error("audit: records the trail's checkpoints or witnesses vouched for are missing or changed: no checkpoint will be signed over the damaged trail; run vigil audit verify")
		return nil
	}
	if err := t.Checkpoint(ctx, "start"); err != nil {
		return err
	}
	return nil
}

// vouchedDamage checks that the record each witness's checkpoint and the
// newest checkpoint in the database vouch for is still in the trail with
// the hash they give, and says what is not: the quick part of Start's
// checks, which every process that writes the trail also makes at Open.
func (t *Trail) vouchedDamage(ctx context.Context, o VerifyOptions) ([]Alarm, error) {
	vouched := []Witnessed{}
	if o.Witness != nil {
		vouched = append(vouched, Witnessed{From: "the witness file", Checkpoint: o.Witness})
	}
	vouched = append(vouched, o.Witnesses...)
	if c, err := t.newestSigned(ctx); err != nil {
		return nil, err
	} else if c != nil {
		vouched = append(vouched, Witnessed{From: "the trail's newest checkpoint", Checkpoint: c})
	}
	// Checkpoints an acknowledgement voided vouch for nothing any more:
	// the damage to them was investigated and accepted (a witness the
	// acknowledgement could not update may still hold one).
	acks, err := t.acknowledged(ctx)
	if err != nil {
		return nil, err
	}
	var out []Alarm
	for _, w := range vouched {
		if !t.signatureOK(w.Checkpoint) || voids(acks, w.N) {
			continue // Verify says so, or it was acknowledged
		}
		rs, err := t.st.AuditRecords(ctx, w.Seq, 1)
		if err != nil {
			return nil, err
		}
		switch {
		case len(rs) == 0 || rs[0].Seq != w.Seq:
			out = append(out, Alarm{Reason: "truncated", Msg: fmt.Sprintf("record %d, which checkpoint #%d in %s vouches for, is no longer in the trail: records were removed",
				w.Seq, w.N, w.From)})
		case !bytes.Equal(rs[0].Hash, w.Hash):
			out = append(out, Alarm{Reason: "changed", Msg: fmt.Sprintf("record %d no longer has the hash checkpoint #%d in %s vouches for: the trail was rewritten",
				w.Seq, w.N, w.From)})
		}
	}
	return out, nil
}

// newestSigned is the newest checkpoint in the database whose signature
// holds, or nil.
func (t *Trail) newestSigned(ctx context.Context) (*Checkpoint, error) {
	var out *Checkpoint
	err := t.st.EachAuditCheckpoint(ctx, true, func(c *Checkpoint) error {
		if t.signatureOK(c) {
			cc := *c
			out = &cc
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return out, nil
}
