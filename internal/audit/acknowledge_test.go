package audit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/store"
)

// TestAcknowledgeTruncation: records removed from the end with the
// checkpoints over them alarm at start and stop the signing; once the
// loss is acknowledged, the next start alarms no more and signs again,
// the witnesses follow, verify reports the acknowledged damage as a
// warning, and a later, different truncation alarms again. An
// acknowledgement changed afterwards is caught like any record.
func TestAcknowledgeTruncation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		wdsn := filepath.Join(t.TempDir(), "witness.db")
		withDB := func(o *Options) { o.WitnessDB = wdsn }
		e.trail = e.openWith(withDB)
		if err := e.trail.Start(ctx); err != nil {
			t.Fatal(err)
		}
		e.fill(25) // checkpoints #1 at 10, #2 at 20
		if err := e.trail.Close(); err != nil {
			t.Fatal(err) // #3, at 25, in the file and the witness database
		}
		witnessed, err := ReadWitness(e.witness)
		if err != nil || witnessed == nil || witnessed.N != 3 || witnessed.Seq != 25 {
			t.Fatalf("witness before the damage: got %+v, %v, want #3 at seq 25", witnessed, err)
		}
		e.dropGuards()
		e.exec(`DELETE FROM records WHERE seq > 17`)
		e.exec(`DELETE FROM checkpoints WHERE seq > 17`)

		tr := e.openWith(withDB)
		if err := tr.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if !alarmed(tr, "truncated") {
			t.Fatalf("alarms at the start after the damage: got %+v, want truncated", tr.Alarms())
		}
		d, err := tr.PlanAcknowledge(ctx)
		if err != nil {
			t.Fatalf("PlanAcknowledge: got %v, want the damage", err)
		}
		wantSummary := fmt.Sprintf("trail shortened at seq 17: records 18-25 removed from the end; checkpoint #3 vouched for seq 25 with hash %x", witnessed.Hash)
		if d.Summary != wantSummary {
			t.Errorf("summary: got %q, want %q", d.Summary, wantSummary)
		}
		if d.Anchor == nil || d.Anchor.N != 1 || len(d.Voided) != 1 || d.Voided[0].N != 3 ||
			!strings.Contains(d.Voided[0].From, "the witness file") || !strings.Contains(d.Voided[0].From, "the witness database") {
			t.Errorf("plan: got anchor %+v, voided %+v; want anchor #1, checkpoint #3 voided as held by the file and the witness database", d.Anchor, d.Voided)
		}
		ack, err := tr.Acknowledge(ctx, d, "J. Smith (DPO)", "police informed, ref 42/2026; no backup holds the lost records")
		if err != nil {
			t.Fatalf("Acknowledge: got %v, want nil", err)
		}
		if ack.N != 4 || ack.Seq != 18 || ack.Acknowledges != 2 || ack.Kind != "acknowledge" {
			t.Errorf("acknowledgement: got #%d at seq %d voiding from #%d (%s), want #4 at seq 18 voiding from #2 (acknowledge)",
				ack.N, ack.Seq, ack.Acknowledges, ack.Kind)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		wdb, err := store.OpenTrail(ctx, wdsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer wdb.Close()
		for name, read := range map[string]func() (*Checkpoint, error){
			"witness file":     func() (*Checkpoint, error) { return ReadWitness(e.witness) },
			"witness database": func() (*Checkpoint, error) { return wdb.NewestWitness(ctx) },
		} {
			if c, err := read(); err != nil || c == nil || c.N != 4 || c.Acknowledges != 2 {
				t.Errorf("%s after the acknowledgement: got %+v, %v, want checkpoint #4 voiding from #2", name, c, err)
			}
		}

		// The next lifetime appends, crashes; the one after starts clean
		// and signs what the one before wrote.
		e.trail = e.openWith(withDB)
		if err := e.trail.Start(ctx); err != nil {
			t.Fatal(err)
		}
		e.fill(2) // records 19, 20
		if err := e.trail.FlushWitnesses(ctx); err != nil {
			t.Fatal(err)
		}
		tr = e.openWith(withDB)
		if err := tr.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if a := tr.Alarms(); len(a) != 0 {
			t.Errorf("alarms at start after the acknowledgement: got %+v, want none", a)
		}
		if w, err := ReadWitness(e.witness); err != nil || w == nil || w.N != 5 || w.Seq != 20 || w.Kind != "start" {
			t.Errorf("witness file after the next start: got %+v, %v, want the start checkpoint #5 at seq 20", w, err)
		}
		if err := tr.FlushWitnesses(ctx); err != nil {
			t.Fatal(err)
		}
		if c, err := wdb.NewestWitness(ctx); err != nil || c == nil || c.N != 5 {
			t.Errorf("witness database after the next start: got %+v, %v, want #5", c, err)
		}
		rep, err := tr.Verify(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || len(rep.Acknowledged) != 1 {
			t.Fatalf("verify after the acknowledgement: got problems %v, acknowledged %v; want intact with one acknowledgement", rep.Problems, rep.Acknowledged)
		}
		out := rep.String()
		for _, want := range []string{
			"audit trail intact apart from acknowledged damage",
			"WARNING: trail shortened at seq 17: records 18-25 removed from the end",
			"by J. Smith (DPO): police informed, ref 42/2026",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("verify's report: got\n%s\nwant it to contain %q", out, want)
			}
		}
		e.trail = tr

		// The acknowledgement changed afterwards, the hashes after it
		// recomputed: caught.
		e.dropGuards()
		orig := e.record(18)
		e.exec(`UPDATE records SET reason = $1 WHERE seq = 18`, "a routine check")
		e.rehash(18, 20)
		rep, err = e.open().Verify(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || !hasProblem(rep, "changed") || rep.Problems[0].Seq != 18 {
			t.Errorf("verify with the acknowledgement's reason changed: got %v, want record 18 named changed", rep.Problems)
		}
		e.exec(`UPDATE records SET reason = $1 WHERE seq = 18`, orig.Reason)
		e.rehash(18, 20)
		rep, err = e.open().Verify(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range rep.Problems {
			if p.Kind != "guard" { // dropped above, and still out
				t.Fatalf("verify with the acknowledgement put back: got %v, want only the dropped guards", rep.Problems)
			}
		}

		// A later, different truncation alarms again.
		e.exec(`DELETE FROM records WHERE seq > 18`)
		e.exec(`DELETE FROM checkpoints WHERE seq > 18`)
		tr = e.openWith(withDB)
		if err := tr.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if !alarmed(tr, "truncated") {
			t.Errorf("alarms at start after a second truncation: got %+v, want truncated", tr.Alarms())
		}
		rep, err = tr.Verify(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || !hasProblem(rep, "truncated") {
			t.Errorf("verify after a second truncation: got %v, want records from 19 on truncated", rep.Problems)
		}
	})
}

// TestAcknowledgeRefuses: an intact trail has nothing to acknowledge, and
// a record rewritten under a checkpoint that still holds is no loss but a
// forgery, which no acknowledgement seals.
func TestAcknowledgeRefuses(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.fill(25)
		if _, err := e.trail.PlanAcknowledge(ctx); !errors.Is(err, ErrNothingToAcknowledge) {
			t.Errorf("intact trail: got %v, want ErrNothingToAcknowledge", err)
		}
		e.dropGuards()
		e.exec(`UPDATE records SET detail = 'nothing to see' WHERE seq = 5`)
		e.rehash(5, 25)
		if _, err := e.trail.PlanAcknowledge(ctx); !errors.Is(err, ErrNotAcknowledgeable) {
			t.Errorf("record 5 rewritten: got %v, want ErrNotAcknowledgeable", err)
		}
	})
}

// TestAcknowledgeSyslog: the syslog witness hears of the acknowledgement
// and receives its checkpoint.
func TestAcknowledgeSyslog(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx := context.Background()
	e := newEnv(t, filepath.Join(t.TempDir(), "audit.db"), "sqlite")
	e.fill(25)
	if err := e.trail.Close(); err != nil {
		t.Fatal(err)
	}
	e.dropGuards()
	e.exec(`DELETE FROM records WHERE seq > 17`)
	e.exec(`DELETE FROM checkpoints WHERE seq > 17`)
	tr := e.openWith(func(o *Options) { o.Syslog = &SyslogOptions{Network: "udp", Address: pc.LocalAddr().String()} })
	d, err := tr.PlanAcknowledge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tr.Acknowledge(ctx, d, "J. Smith (DPO)", "police informed")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	buf := make([]byte, 8192)
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for _, want := range []string{
		fmt.Sprintf("vigil audit checkpoint n=4 seq=18 hash=%x", c.Hash),
		"vigil audit ACKNOWLEDGED by J. Smith (DPO) at record 18, checkpoint #4: trail shortened at seq 17",
	} {
		for !slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, want) }) {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				t.Fatalf("syslog: got %q, want a line with %q: %v", got, want, err)
			}
			got = append(got, string(buf[:n]))
		}
	}
	if !slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, "acknowledges=2") }) {
		t.Errorf("syslog: got %q, want the checkpoint line to say acknowledges=2", got)
	}
}

// TestAcknowledgeAlarm: records removed from the end while the server
// ran, which it recorded as an alarm: acknowledged, the recorded alarm no
// longer alarms at start, and verify reports it as acknowledged.
func TestAcknowledgeAlarm(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.fill(33) // checkpoint #3 at seq 30
		e.dropGuards()
		e.exec(`DELETE FROM records WHERE seq > 31`)
		if err := e.trail.Close(); err != nil { // records the alarm at 32
			t.Fatal(err)
		}
		tr := e.open()
		if err := tr.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if !alarmed(tr, "alarm") {
			t.Fatalf("alarms at start: got %+v, want the recorded alarm", tr.Alarms())
		}
		d, err := tr.PlanAcknowledge(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Voided) != 0 || !strings.Contains(d.String(), "alarm recorded: record 32 is an alarm raised by Vigil") {
			t.Errorf("plan: got voided %v and\n%s\nwant no checkpoint voided and the recorded alarm listed", d.Voided, d)
		}
		if _, err := tr.Acknowledge(ctx, d, "J. Smith (DPO)", "records 32-33 lost in a disk failure; no backup"); err != nil {
			t.Fatal(err)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		tr = e.open()
		if err := tr.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if a := tr.Alarms(); len(a) != 0 {
			t.Errorf("alarms at start after the acknowledgement: got %+v, want none", a)
		}
		rep, err := tr.Verify(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || len(rep.Acknowledged) != 1 || rep.Acknowledged[0].Record.Seq != 33 {
			t.Errorf("verify: got problems %v, acknowledged %v; want intact with the acknowledgement at record 33", rep.Problems, rep.Acknowledged)
		}
	})
}

// TestAcknowledgeWithoutAnchor: records removed back before the first
// checkpoint, every checkpoint with them: the whole trail is re-anchored
// and the records left, which Vigil wrote, signed again.
func TestAcknowledgeWithoutAnchor(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.fill(25)
		if err := e.trail.Close(); err != nil {
			t.Fatal(err)
		}
		e.dropGuards()
		e.exec(`DELETE FROM records WHERE seq > 5`)
		e.exec(`DELETE FROM checkpoints`)
		tr := e.open()
		d, err := tr.PlanAcknowledge(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tr.Acknowledge(ctx, d, "J. Smith (DPO)", "police informed")
		if err != nil {
			t.Fatal(err)
		}
		if c.N != 4 || c.Acknowledges != 1 || c.FirstCheckpoint != 4 || c.Seq != 6 {
			t.Errorf("acknowledgement: got %+v, want #4 at seq 6 voiding from #1, the first checkpoint kept", c)
		}
		tr.Close()
		tr = e.open()
		if err := tr.Start(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := tr.Verify(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if a := tr.Alarms(); len(a) != 0 || !rep.OK() || len(rep.Acknowledged) != 1 {
			t.Errorf("after the acknowledgement: got alarms %+v, problems %v, acknowledged %d; want none, none, 1", a, rep.Problems, len(rep.Acknowledged))
		}
	})
}
