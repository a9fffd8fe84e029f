package audit

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/syslog"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/store"
)

// SyslogOptions say where the syslog witness sends its lines: Network
// "udp", "tcp", "unix" or "unixgram" and Address host:port or a socket's
// path; both empty is the system's own syslog socket.
type SyslogOptions struct {
	Network, Address string
}

// offsite sends checkpoints and alarms to the witnesses off this machine
// (the witness database, syslog) on a goroutine of its own, in order: an
// unreachable witness costs a logged error and a retry at the next
// checkpoint, never an append's latency.
type offsite struct {
	t    *Trail
	jobs chan func()
	done chan struct{}
	once sync.Once
	// ctx bounds the witness database's writes; close ends it when the
	// witnesses do not take the last copies in time, and the copies
	// still queued are then dropped.
	ctx     context.Context
	abandon context.CancelFunc

	sys *syslog.Writer // dialled at first use, again after a failure
}

// offsiteQueue bounds what waits for a slow witness; checkpoints come
// minutes apart, so it fills only when a witness hangs.
const offsiteQueue = 256

func startOffsite(t *Trail) *offsite {
	o := &offsite{t: t, jobs: make(chan func(), offsiteQueue), done: make(chan struct{})}
	o.ctx, o.abandon = context.WithCancel(context.Background())
	go func() {
		defer close(o.done)
		for job := range o.jobs {
			if o.ctx.Err() == nil {
				job()
			}
		}
		if o.sys != nil {
			o.sys.Close()
		}
	}()
	return o
}

func (o *offsite) send(job func()) {
	defer func() {
		// Sent after close (a late alarm): nothing left to send it.
		recover()
	}()
	select {
	case o.jobs <- job:
	default:
		o.t.log.Error("audit: a witness off this machine is not keeping up; a copy was dropped")
	}
}

// flush returns once everything queued so far was sent (or failed).
func (o *offsite) flush(ctx context.Context) error {
	ch := make(chan struct{})
	o.send(func() { close(ch) })
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close sends what is queued and returns once the goroutine has ended:
// after wait, the copies not yet sent are dropped (logged) and the
// witness database's write cut short. Only a syslog witness that takes
// a connection and then reads nothing can hold the goroutine longer (the
// standard library's syslog writer has no deadline): it is then left
// behind, logged, after a further second.
func (o *offsite) close(wait time.Duration) {
	o.once.Do(func() { close(o.jobs) })
	defer o.abandon()
	select {
	case <-o.done:
		return
	case <-time.After(wait):
	}
	o.abandon()
	o.t.log.Error("audit: the witnesses off this machine did not take the last copies in time; those not sent are dropped")
	select {
	case <-o.done:
	case <-time.After(time.Second):
		o.t.log.Error("audit: the syslog witness does not answer; its writer is left behind")
	}
}

func (o *offsite) checkpoint(c store.AuditCheckpoint) {
	o.send(func() {
		if o.t.opt.WitnessDB != "" {
			ctx, cancel := context.WithTimeout(o.ctx, 30*time.Second)
			err := o.t.putWitnessDB(ctx, c)
			cancel()
			if err != nil {
				o.t.log.Error("audit: writing the checkpoint to the witness database", "n", c.N, "err", err)
			}
		}
		o.syslog(syslog.LOG_NOTICE, checkpointLine(&c))
	})
}

func (o *offsite) alarm(reason, msg string) {
	o.send(func() { o.syslog(syslog.LOG_ALERT, fmt.Sprintf("vigil audit ALARM reason=%s: %s", reason, msg)) })
}

func (o *offsite) notice(line string) {
	o.send(func() { o.syslog(syslog.LOG_NOTICE, line) })
}

func (o *offsite) syslog(pri syslog.Priority, line string) {
	so := o.t.opt.Syslog
	if so == nil {
		return
	}
	for try := 0; try < 2; try++ {
		if o.sys == nil {
			w, err := syslog.Dial(so.Network, so.Address, syslog.LOG_AUTHPRIV|syslog.LOG_NOTICE, "vigil")
			if err != nil {
				o.t.log.Error("audit: reaching the syslog witness", "network", so.Network, "address", so.Address, "err", err)
				return
			}
			o.sys = w
		}
		var err error
		if pri == syslog.LOG_ALERT {
			err = o.sys.Alert(line)
		} else {
			err = o.sys.Notice(line)
		}
		if err == nil {
			return
		}
		// Dial again once: the server may have restarted.
		o.t.log.Error("audit: writing to the syslog witness", "err", err)
		o.sys.Close()
		o.sys = nil
	}
}

// checkpointLine is a checkpoint as the syslog witness receives it: every
// field, so that the line alone is a copy verify could be given.
func checkpointLine(c *store.AuditCheckpoint) string {
	b64 := base64.StdEncoding.EncodeToString
	line := fmt.Sprintf("vigil audit checkpoint n=%d seq=%d hash=%x at=%s start_seq=%d start_prev=%x first_checkpoint=%d kind=%s prev=%x key_id=%s signature=%s",
		c.N, c.Seq, c.Hash, c.At.UTC().Format(time.RFC3339Nano), c.StartSeq, c.StartPrev, c.FirstCheckpoint, c.Kind, c.Prev, c.KeyID, b64(c.Signature))
	if c.Acknowledges != 0 {
		line += fmt.Sprintf(" acknowledges=%d", c.Acknowledges)
	}
	return line
}

// openWitnessDB connects to the witness database, unless already done.
func (t *Trail) openWitnessDB(ctx context.Context) error {
	t.wdbMu.Lock()
	defer t.wdbMu.Unlock()
	if t.wdb != nil {
		return nil
	}
	// Bounded: a witness that does not answer must not hold up a start
	// for long (it is tried again at the next checkpoint).
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	w, err := store.OpenTrail(ctx, t.opt.WitnessDB, t.log)
	if err != nil {
		return fmt.Errorf("audit: witness database: %w", err)
	}
	t.wdb = w
	return nil
}

func (t *Trail) putWitnessDB(ctx context.Context, c store.AuditCheckpoint) error {
	if err := t.openWitnessDB(ctx); err != nil {
		return err
	}
	t.wdbMu.Lock()
	w := t.wdb
	t.wdbMu.Unlock()
	return w.PutWitness(ctx, c)
}

// FlushWitnesses waits until the witnesses off this machine have been
// sent every checkpoint and alarm so far.
func (t *Trail) FlushWitnesses(ctx context.Context) error {
	if t.off == nil {
		return nil
	}
	return t.off.flush(ctx)
}

// witnessCopies reads the newest checkpoint of each witness that can be
// read back: the file and the witness database.
func (t *Trail) witnessCopies(ctx context.Context) (file *Checkpoint, more []Witnessed, err error) {
	if t.opt.Witness != "" {
		if file, err = ReadWitness(t.opt.Witness); err != nil {
			return nil, nil, err
		}
	}
	if t.opt.WitnessDB != "" {
		t.wdbMu.Lock()
		w := t.wdb
		t.wdbMu.Unlock()
		if w == nil {
			if err := t.openWitnessDB(ctx); err != nil {
				return file, nil, err
			}
			t.wdbMu.Lock()
			w = t.wdb
			t.wdbMu.Unlock()
		}
		c, err := w.NewestWitness(ctx)
		if err != nil {
			return file, nil, fmt.Errorf("audit: witness database: %w", err)
		}
		if c != nil {
			more = append(more, Witnessed{From: "the witness database", Checkpoint: c})
		}
	}
	return file, more, nil
}
