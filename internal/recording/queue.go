package recording

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-cctv/vigil/internal/ingest"
)

// CameraQueue records one camera on a goroutine of its own: it implements
// ingest.Sink by handing each frame to a bounded queue, so the camera's
// goroutine, which also forwards the camera's packets to live viewers,
// never waits for a disk write, an fsync or the index. A CameraRecorder
// called directly writes on the caller's goroutine instead; importers and
// tests that want every frame whatever the disk does use that.
//
// The queue holds at most QueueBytes of video or QueueDelay of waiting.
// Should the storage stall for longer, frames are dropped (counted, and
// logged once per stall) until the queue has room again, and recording
// resumes at the next keyframe with a gap giving the reason: live
// viewers keep their video and memory stays bounded.
//
// The writer is woken for a keyframe, for a control call (the stream's
// end, Sync, Close), or once the oldest frame not yet handed to it has
// waited wakeEvery (MaxPart, at most a quarter of QueueDelay, and not
// counted in the wait QueueDelay bounds): the
// recorder writes a fragment only at a keyframe or once a part reaches
// MaxPart, so waking it for every frame, as a channel send did, bought
// nothing but thousands of goroutine wake-ups a second across a few
// hundred cameras. The queue is a slice that grows with what it holds,
// not a channel of queueItems slots allocated up front for each camera
// (which the garbage collector scanned, and counted towards its heap
// goal, whether used or not).
type CameraQueue struct {
	cr  *CameraRecorder
	r   *Recorder
	log *slog.Logger

	// mu guards pending and closed.
	mu      sync.Mutex
	pending []queued
	closed  bool
	wake    chan struct{} // capacity 1: the writer has work
	done    chan struct{}

	wakeEvery time.Duration

	// Shared with the writing goroutine.
	bytes  atomic.Int64 // bytes of video queued or being written
	frames atomic.Int64 // frames queued or being written
	// headAt is when the oldest frame not yet written was queued (Unix
	// ns): set by the camera's goroutine when a frame finds the queue
	// empty, and by the writer as it takes each frame. Measuring from
	// the writer's takes alone made the second frame of a session look
	// late by the time since the writer last took one: decades before
	// its first, the whole time offline after a reconnection.
	headAt  atomic.Int64
	refused atomic.Int64 // key of the last frame the recorder refused for want of a keyframe
	dropped atomic.Int64

	// The camera's goroutine only.
	keys      int64 // keyframes queued so far: a frame's key is this count
	dropping  bool
	dropStart time.Time
	dropCount int64
	unwoken   time.Time // when the oldest frame queued since the writer was last woken came (zero: none)
}

// queued is a frame, or a control call when ctl is set.
type queued struct {
	frame *ingest.Frame
	size  int64
	key   int64
	at    int64 // Unix ns
	gap   bool  // the keyframe that resumes recording after a drop
	ctl   *control
}

type control struct {
	offset *time.Duration
	ended  *error
	synced chan struct{}
}

// queueItems bounds the number of queued frames, whatever their size.
const queueItems = 4096

// Queued returns a CameraQueue recording one camera; Close ends it.
func (r *Recorder) Queued(ctx context.Context, cameraID int64) *CameraQueue {
	q := &CameraQueue{
		cr: r.Camera(ctx, cameraID), r: r, log: r.log.With("camera", cameraID),
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		wakeEvery: min(r.opt.MaxPart, r.opt.QueueDelay/4),
	}
	q.refused.Store(-1)
	r.mu.Lock()
	r.queues[q] = struct{}{}
	r.mu.Unlock()
	go q.run()
	return q
}

func (q *CameraQueue) run() {
	defer close(q.done)
	var batch []queued
	for range q.wake {
		q.mu.Lock()
		batch, q.pending = q.pending, batch[:0]
		closed := q.closed
		q.mu.Unlock()
		for i := range batch {
			q.take(&batch[i])
		}
		clear(batch) // let go of the frames
		if cap(batch) > 256 && len(batch) < cap(batch)/4 {
			batch = nil // what a stall grew, given back
		}
		if closed {
			return
		}
	}
}

// take writes one queued frame, or carries out a control call.
func (q *CameraQueue) take(it *queued) {
	if it.ctl == nil {
		q.headAt.Store(it.at)
		if it.gap {
			q.cr.skipped(GapStorageTooSlow)
		}
		err := q.cr.WriteFrame(it.frame)
		if err != nil {
			// The camera's goroutine has long returned: the frame
			// dropped is counted here.
			q.r.opt.Metrics.Dropped(q.cr.id, err)
		}
		if errors.Is(err, ingest.ErrAwaitingKeyframe) {
			q.refused.Store(it.key)
		} else if err != nil && !ingest.IsDrop(err) {
			q.log.Error("recording refused frame", "err", err)
		}
		q.bytes.Add(-it.size)
		q.frames.Add(-1)
		return
	}
	switch c := it.ctl; {
	case c.offset != nil:
		q.cr.ClockOffset(*c.offset)
	case c.ended != nil:
		q.cr.StreamEnded(*c.ended)
	}
	if it.ctl.synced != nil {
		close(it.ctl.synced)
	}
}

// push queues an item, waking the writer if wake; false if closed.
func (q *CameraQueue) push(it queued, wake bool) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.pending = append(q.pending, it)
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	return true
}

func (q *CameraQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default: // already woken: it takes everything pending
	}
}

// WriteFrame implements ingest.Sink: it queues the frame and returns at
// once, whether or not the storage keeps up: ingest.ErrStorageTooSlow if
// it dropped the frame instead.
func (q *CameraQueue) WriteFrame(f *ingest.Frame) error {
	if f.Keyframe {
		q.keys++
	} else if q.refused.Load() == q.keys {
		// The recorder refused a frame since the last keyframe queued:
		// it has no segment open, and will take none before a keyframe.
		return ingest.ErrAwaitingKeyframe
	}
	var size int64
	for _, n := range f.NALUs {
		size += 4 + int64(len(n))
	}
	now := time.Now()
	opt := q.r.opt
	if q.dropping {
		if !f.Keyframe || !q.room(size, now, opt.QueueBytes/2, opt.QueueDelay/2) {
			return q.drop()
		}
	} else if !q.room(size, now, opt.QueueBytes, opt.QueueDelay) {
		q.dropping, q.dropStart = true, now
		q.log.Warn("recording cannot keep up with its storage; dropping video until it does",
			"queued_bytes", q.bytes.Load(), "queued_frames", q.frames.Load(), "waiting", now.Sub(time.Unix(0, q.headAt.Load())))
		return q.drop()
	}
	it := queued{frame: f, size: size, key: q.keys, at: now.UnixNano()}
	if q.dropping {
		q.log.Warn("recording resumed after dropping video", "frames", q.dropCount, "for", now.Sub(q.dropStart))
		it.gap = true
		q.dropping, q.dropCount = false, 0
	}
	if q.frames.Load() == 0 {
		// The writer holds no frame and takes none before this one is
		// queued: this frame is the oldest.
		q.headAt.Store(it.at)
	}
	if q.unwoken.IsZero() {
		q.unwoken = now
	}
	wake := f.Keyframe || now.Sub(q.unwoken) >= q.wakeEvery
	q.bytes.Add(size)
	q.frames.Add(1)
	if !q.push(it, wake) {
		q.bytes.Add(-size)
		q.frames.Add(-1)
		return errQueueClosed
	}
	if wake {
		q.unwoken = time.Time{}
	}
	return nil
}

// GapStorageTooSlow is the reason of a gap left by video dropped because
// the storage could not keep up.
const GapStorageTooSlow = "not recording: storage too slow, video dropped"

// room says whether a frame of size bytes fits the queue's bounds.
func (q *CameraQueue) room(size int64, now time.Time, maxBytes int64, maxWait time.Duration) bool {
	n := q.frames.Load()
	if n == 0 {
		return true // an empty queue always takes a frame
	}
	if n >= queueItems {
		return false
	}
	if q.bytes.Load()+size > maxBytes {
		return false
	}
	// The writer is left to sleep up to wakeEvery by design: only the
	// wait past that is the storage's doing.
	return now.Sub(time.Unix(0, q.headAt.Load())) <= maxWait+q.wakeEvery
}

// drop counts a frame dropped; ingest counts the error it returns in
// vigil_camera_dropped_total.
func (q *CameraQueue) drop() error {
	q.dropCount++
	q.dropped.Add(1)
	return ingest.ErrStorageTooSlow
}

// ClockOffset implements ingest.Sink. It matters for the next segment
// only, so it does not wake the writer.
func (q *CameraQueue) ClockOffset(d time.Duration) {
	q.push(queued{ctl: &control{offset: &d}}, false)
}

// StreamEnded implements ingest.Sink: the end is queued behind the
// session's frames, which are written first.
func (q *CameraQueue) StreamEnded(err error) {
	if q.dropping {
		q.log.Warn("stream ended while dropping video", "frames", q.dropCount, "for", time.Since(q.dropStart))
		q.dropping, q.dropCount = false, 0
	}
	q.unwoken = time.Time{}
	q.push(queued{ctl: &control{ended: &err}}, true)
}

// Sync waits until everything queued so far is written to disk and handed
// to the index goroutine (Recorder.Flush then stores it).
func (q *CameraQueue) Sync(ctx context.Context) error {
	ch := make(chan struct{})
	if !q.push(queued{ctl: &control{synced: ch}}, true) {
		return errQueueClosed
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes what is queued, the last fragment included, closes the
// segment and returns once done. The camera must have stopped writing.
func (q *CameraQueue) Close() {
	q.StreamEnded(context.Canceled)
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
	<-q.done
	q.r.mu.Lock()
	delete(q.r.queues, q)
	q.r.mu.Unlock()
}

var errQueueClosed = errors.New("recording: camera queue closed")

// Stats returns the camera's counters, those of frames still queued not
// yet among them.
func (q *CameraQueue) Stats() Stats {
	s := q.cr.Stats()
	s.DroppedFrames = q.dropped.Load()
	s.QueuedBytes = q.bytes.Load()
	return s
}
