// Package recording writes cameras' frames to fragmented MP4 segment files
// and indexes every segment, keyframe and gap in the store; it also
// reconciles files and index after a crash and enforces retention.
//
// A segment file is ftyp+moov followed by one moof+mdat per GOP (or per
// part of at most a second where the GOP is longer). A fragment is written
// with a single write once complete, so a killed process leaves at most the
// fragment being written half on disk, and Reconcile cuts it off.
package recording

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/mp4"
	"github.com/vigil-cctv/vigil/internal/store"
)

// Index is what the recorder needs of the store.
type Index interface {
	CreateSegment(ctx context.Context, seg *store.Segment) error
	RecordProgress(ctx context.Context, batch []store.Progress) error
	AddGap(ctx context.Context, g *store.Gap) error
	LastSegment(ctx context.Context, cameraID int64) (store.Segment, error)
	DeleteSegment(ctx context.Context, id int64) error
}

// Options configure a Recorder.
type Options struct {
	// Storage is the folder new segments go to.
	StorageName, StoragePath string
	SegmentDuration          time.Duration
	// MaxPart bounds a fragment's length where the GOP is longer.
	MaxPart time.Duration
	// FlushInterval is how often the index is written.
	FlushInterval time.Duration
	// QueueBytes and QueueDelay bound each CameraQueue: the video it
	// holds, and how long its oldest frame may wait for the storage.
	QueueBytes int64
	QueueDelay time.Duration
	Logger     *slog.Logger
	// Metrics count the frames a camera's queue drops on its own
	// goroutine (nil: not counted); those dropped as they come, ingest
	// counts.
	Metrics *ingest.Metrics
}

// Recorder writes every camera's segments and owns the goroutine that
// batches their index rows into the store.
type Recorder struct {
	opt   Options
	index Index
	log   *slog.Logger

	queue chan item
	done  chan struct{}

	mu      sync.Mutex
	pending int
	queues  map[*CameraQueue]struct{}
}

type item struct {
	progress *store.Progress
	gap      *store.Gap
	flushed  chan struct{}
}

// New makes a Recorder; Run writes its index.
func New(idx Index, opt Options) *Recorder {
	if opt.SegmentDuration <= 0 {
		opt.SegmentDuration = time.Minute
	}
	if opt.MaxPart <= 0 {
		opt.MaxPart = time.Second
	}
	if opt.FlushInterval <= 0 {
		opt.FlushInterval = 500 * time.Millisecond
	}
	if opt.QueueBytes <= 0 {
		// 16 s of an 8 Mbit/s camera: QueueDelay binds first for most,
		// this for a camera far busier than expected.
		opt.QueueBytes = 16 << 20
	}
	if opt.QueueDelay <= 0 {
		opt.QueueDelay = 5 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Recorder{opt: opt, index: idx, log: opt.Logger, queue: make(chan item, 4096), done: make(chan struct{}),
		queues: map[*CameraQueue]struct{}{}}
}

// Run writes queued index rows in batches until ctx ends, then writes what
// is left and returns.
func (r *Recorder) Run(ctx context.Context) error {
	defer close(r.done)
	tick := time.NewTicker(r.opt.FlushInterval)
	defer tick.Stop()
	var batch []store.Progress
	var waiters []chan struct{}
	write := func(ctx context.Context) {
		for len(batch) > 0 {
			err := r.index.RecordProgress(ctx, batch)
			if err == nil {
				batch = batch[:0]
				break
			}
			r.log.Error("writing the recording index failed; retrying", "err", err, "rows", len(batch))
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
		for _, w := range waiters {
			close(w)
		}
		waiters = waiters[:0]
	}
	take := func(it item) {
		switch {
		case it.progress != nil:
			batch = append(batch, *it.progress)
		case it.gap != nil:
			if err := r.index.AddGap(context.WithoutCancel(ctx), it.gap); err != nil {
				r.log.Error("recording a gap failed", "err", err)
			}
		}
		if it.flushed != nil {
			waiters = append(waiters, it.flushed)
		}
	}
	for {
		select {
		case it := <-r.queue:
			take(it)
			if len(batch) >= 2000 || it.flushed != nil {
				write(ctx)
			}
		case <-tick.C:
			write(ctx)
		case <-ctx.Done():
			// Drain what cameras queued while stopping.
			for {
				select {
				case it := <-r.queue:
					take(it)
					continue
				default:
				}
				break
			}
			write(context.WithoutCancel(ctx))
			return nil
		}
	}
}

// Flush waits until everything queued so far, cameras' queued frames
// included, is on disk and in the store.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	queues := make([]*CameraQueue, 0, len(r.queues))
	for q := range r.queues {
		queues = append(queues, q)
	}
	r.mu.Unlock()
	for _, q := range queues {
		if err := q.Sync(ctx); err != nil && !errors.Is(err, errQueueClosed) {
			return err
		}
	}
	ch := make(chan struct{})
	select {
	case r.queue <- item{flushed: ch}:
	case <-ctx.Done():
		return ctx.Err()
	case <-r.done:
		return errors.New("recording: recorder stopped")
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-r.done:
		return nil
	}
}

func (r *Recorder) enqueue(it item) {
	select {
	case r.queue <- it:
	case <-r.done:
	}
}

// Camera returns the sink that records one camera. lastEnd is when its
// footage last ended (zero if never), so the first new footage records the
// gap since.
func (r *Recorder) Camera(ctx context.Context, cameraID int64) *CameraRecorder {
	c := &CameraRecorder{r: r, id: cameraID, log: r.log.With("camera", cameraID), gapReason: "not recording: Vigil was not running"}
	if seg, err := r.index.LastSegment(ctx, cameraID); err == nil {
		c.lastEnd = seg.End
	}
	return c
}

// CameraRecorder records one camera: it implements ingest.Sink. Its
// methods are called from one goroutine at a time (the camera's, or its
// CameraQueue's), except Stats.
type CameraRecorder struct {
	r   *Recorder
	id  int64
	log *slog.Logger

	// The fragment being gathered: its frames and their NAL units.
	frames []pendingFrame
	nalus  [][]byte
	iov    [][]byte // reused for writev
	prefix []byte   // the NAL units' length prefixes, reused

	seg       *openSegment
	lastEnd   time.Time
	gapReason string
	offset    time.Duration
	stats     Stats
	mu        sync.Mutex // guards stats only
}

// Stats count what a camera's recorder did.
type Stats struct {
	Frames, Fragments, Segments, Bytes int64
	WriteErrors                        int64
	// DroppedFrames counts frames a CameraQueue dropped because the
	// storage could not keep up; QueuedBytes is the video it holds.
	DroppedFrames, QueuedBytes int64
	// LastError is the last write failure, and when it happened.
	LastError   string
	LastErrorAt time.Time
}

// Stats returns the camera's counters.
func (c *CameraRecorder) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

type pendingFrame struct {
	pts  int64
	time time.Time
	size int // in AVCC framing
	key  bool
}

type openSegment struct {
	row      store.Segment
	file     *os.File
	params   *codec.Params
	size     int64
	firstDTS int64
	lastDTS  int64
	seq      uint32
	frameDur int64 // a typical frame duration, for the last sample
	moof     []byte
}

// ClockOffset implements ingest.Sink.
func (c *CameraRecorder) ClockOffset(d time.Duration) { c.offset = d }

// WriteFrame implements ingest.Sink.
func (c *CameraRecorder) WriteFrame(f *ingest.Frame) error {
	c.mu.Lock()
	c.stats.Frames++
	c.mu.Unlock()
	if f.Discontinuity || (c.seg != nil && f.Params != c.seg.params && !f.Params.Equal(*c.seg.params)) {
		// A new run of frames, or new codec parameters: a new segment.
		c.flush(-1)
		c.closeSegment()
	}
	if len(c.frames) > 0 {
		first := c.frames[0]
		long := f.Time.Sub(first.time) >= c.r.opt.MaxPart
		if f.Keyframe || long {
			c.flush(f.PTS)
		}
	}
	if f.Keyframe && c.seg != nil && f.Time.Sub(c.seg.row.Start) >= c.r.opt.SegmentDuration {
		c.closeSegment()
	}
	if c.seg == nil {
		if !f.Keyframe {
			return ingest.ErrAwaitingKeyframe // a segment starts on a keyframe
		}
		if err := c.openSegment(f); err != nil {
			c.countError(err)
			c.gapReason = "not recording: " + err.Error()
			return err
		}
	}
	// The frame's NAL units are kept as they are (a Sink may keep them)
	// and written with their length prefixes in one writev: no copy.
	size := 0
	for _, n := range f.NALUs {
		size += 4 + len(n)
	}
	c.nalus = append(c.nalus, f.NALUs...)
	c.frames = append(c.frames, pendingFrame{pts: f.PTS, time: f.Time, size: size, key: f.Keyframe})
	return nil
}

// StreamEnded implements ingest.Sink: what was gathered is written and the
// segment closed; the reason explains the gap that follows.
func (c *CameraRecorder) StreamEnded(err error) {
	c.flush(-1)
	c.closeSegment()
	switch {
	case err == nil:
		c.gapReason = "stream ended"
	case errors.Is(err, context.Canceled):
		c.gapReason = "not recording: Vigil was stopped"
	default:
		c.gapReason = "camera offline: " + err.Error()
	}
}

// skipped ends the segment before frames that were not recorded: the
// gap that follows gets reason.
func (c *CameraRecorder) skipped(reason string) {
	c.flush(-1)
	c.closeSegment()
	c.gapReason = reason
}

func (c *CameraRecorder) countError(err error) {
	c.mu.Lock()
	c.stats.WriteErrors++
	c.stats.LastError, c.stats.LastErrorAt = err.Error(), time.Now().UTC()
	c.mu.Unlock()
}

// segmentPath names a segment by camera, day and start time, so the files
// make sense to a person browsing the folder.
func segmentPath(cameraID int64, start time.Time) string {
	return filepath.Join(fmt.Sprint(cameraID), start.Format("2006-01-02"), start.Format("150405.000")+".mp4")
}

func (c *CameraRecorder) openSegment(f *ingest.Frame) error {
	info, err := f.Params.Info()
	if err != nil {
		return fmt.Errorf("recording: parameter sets: %w", err)
	}
	cfg, err := codec.DecoderConfig(*f.Params)
	if err != nil {
		return fmt.Errorf("recording: decoder configuration: %w", err)
	}
	track := mp4.Track{Codec: "avc1", Config: cfg, Width: info.Width, Height: info.Height, Timescale: 90000}
	if f.Codec == codec.H265 {
		track.Codec = "hvc1"
	}
	start := f.Time
	if start.Before(c.lastEnd) {
		// Never overlap footage already stored (our clock was stepped
		// back, say): begin where the last ended.
		start = c.lastEnd
	}
	rel := segmentPath(c.id, start)
	abs := filepath.Join(c.r.opt.StoragePath, rel)
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	var init bytes.Buffer
	if _, err := mp4.WriteInit(&init, track); err != nil {
		return fmt.Errorf("recording: init: %w", err)
	}
	n := int64(init.Len())
	row := store.Segment{
		CameraID: c.id, Storage: c.r.opt.StorageName, Path: rel,
		Start: start, End: start, Size: n, InitSize: n, Codec: info.MIMECodec, Width: info.Width, Height: info.Height,
		ClockOffset: c.offset, Open: true,
	}
	// The row first: a crash before the file exists leaves a row that
	// Reconcile removes, never a file nobody knows of.
	if err := c.r.index.CreateSegment(context.Background(), &row); err != nil {
		return fmt.Errorf("recording: index segment: %w", err)
	}
	file, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err == nil {
		if _, err = file.Write(init.Bytes()); err != nil {
			file.Close()
		}
	}
	if err != nil {
		// A full disk, say: take back the row and the file, so neither
		// is left without the other, and try again at the next keyframe.
		os.Remove(abs)
		if derr := c.r.index.DeleteSegment(context.Background(), row.ID); derr != nil {
			c.log.Error("removing the row of a segment that could not be written", "err", derr)
		}
		return fmt.Errorf("recording: %w", err)
	}
	if !c.lastEnd.IsZero() && start.Sub(c.lastEnd) > gapThreshold {
		c.r.enqueue(item{gap: &store.Gap{CameraID: c.id, Start: c.lastEnd, End: start, Reason: c.gapReason}})
	}
	c.seg = &openSegment{row: row, file: file, params: f.Params, size: n, firstDTS: f.PTS, lastDTS: f.PTS - 1, frameDur: 3600}
	c.mu.Lock()
	c.stats.Segments++
	c.mu.Unlock()
	return nil
}

// gapThreshold is the smallest pause between footage recorded as a gap.
const gapThreshold = 250 * time.Millisecond

// flush writes the gathered frames as one fragment. nextPTS is the PTS of
// the frame that follows, or -1 when none does.
func (c *CameraRecorder) flush(nextPTS int64) {
	if len(c.frames) == 0 || c.seg == nil {
		c.reset()
		return
	}
	s := c.seg
	n := len(c.frames)
	// Decode times: the presentation times in order (B-frames arrive in
	// decode order with their presentation times), never going backwards.
	pts := make([]int64, n)
	for i, f := range c.frames {
		pts[i] = f.pts
	}
	dts := slices.Clone(pts)
	slices.Sort(dts)
	for i := range dts {
		if dts[i] <= s.lastDTS {
			dts[i] = s.lastDTS + 1
		}
		s.lastDTS = dts[i]
	}
	samples := make([]mp4.Sample, n)
	for i, f := range c.frames {
		var dur int64
		switch {
		case i+1 < n:
			dur = dts[i+1] - dts[i]
		case nextPTS > dts[i]:
			dur = nextPTS - dts[i]
		default:
			dur = s.frameDur
		}
		if dur <= 0 || dur > 90000*10 {
			dur = s.frameDur
		}
		if i+1 < n {
			s.frameDur = dur
		}
		samples[i] = mp4.Sample{Duration: uint32(dur), CompositionOffset: int32(pts[i] - dts[i]), Size: uint32(f.size), Keyframe: f.key}
	}
	var total int64
	for _, sm := range samples {
		total += int64(sm.Duration)
	}
	s.lastDTS = dts[n-1] + int64(samples[n-1].Duration) - 1
	base := uint64(dts[0] - s.firstDTS)
	s.seq++
	s.moof = mp4.AppendFragment(s.moof[:0], s.seq, base, samples)
	hdr := len(s.moof)
	size := int64(hdr)
	for _, f := range c.frames {
		size += int64(f.size)
	}
	if err := c.writeFragment(s.file, s.moof); err != nil {
		// A full disk or a failing one: cut the half-written fragment
		// off, so the file stays whole, and end the segment.
		c.log.Error("writing a fragment failed; segment closed", "err", err, "path", s.row.Path)
		s.file.Truncate(s.size)
		c.countError(err)
		c.gapReason = "not recording: " + err.Error()
		c.reset()
		c.closeSegment()
		return
	}
	start := s.row.Start.Add(ptsDuration(int64(base)))
	frag := store.Fragment{
		SegmentID:  s.row.ID,
		Start:      start,
		Duration:   ptsDuration(total),
		Offset:     s.size,
		Size:       size,
		DataOffset: s.size + int64(hdr),
		Samples:    n,
		Keyframe:   c.frames[0].key,
	}
	s.size += size
	end := start.Add(frag.Duration)
	c.lastEnd = end
	c.r.enqueue(item{progress: &store.Progress{SegmentID: s.row.ID, End: end, Size: s.size, Fragments: []store.Fragment{frag}}})
	c.mu.Lock()
	c.stats.Fragments++
	c.stats.Bytes += size
	c.mu.Unlock()
	c.reset()
}

// reset forgets the gathered fragment, letting go of its NAL units.
func (c *CameraRecorder) reset() {
	clear(c.nalus)
	c.frames, c.nalus = c.frames[:0], c.nalus[:0]
}

func (c *CameraRecorder) closeSegment() {
	s := c.seg
	if s == nil {
		return
	}
	c.seg = nil
	if err := s.file.Close(); err != nil {
		c.log.Error("closing segment", "err", err)
	}
	end := c.lastEnd
	if end.Before(s.row.Start) {
		end = s.row.Start
	}
	c.r.enqueue(item{progress: &store.Progress{SegmentID: s.row.ID, End: end, Size: s.size, Close: true}})
}

func ptsDuration(d int64) time.Duration { return time.Duration(d) * time.Second / 90000 }

// writeFragment writes a fragment's header and its NAL units, each after
// its 4-byte length, in as few system calls as writev allows, without
// first copying them together.
func (c *CameraRecorder) writeFragment(f *os.File, hdr []byte) error {
	c.prefix = c.prefix[:0]
	for _, n := range c.nalus {
		c.prefix = binary.BigEndian.AppendUint32(c.prefix, uint32(len(n)))
	}
	c.iov = append(c.iov[:0], hdr)
	for i, n := range c.nalus {
		c.iov = append(c.iov, c.prefix[4*i:4*i+4], n)
	}
	bufs := c.iov
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	for len(bufs) > 0 {
		var n int
		var werr error
		chunk := bufs[:min(len(bufs), iovMax)]
		if err := rc.Write(func(fd uintptr) bool {
			n, werr = unix.Writev(int(fd), chunk)
			return werr != unix.EAGAIN
		}); err != nil {
			return err
		}
		if werr == unix.EINTR {
			continue
		}
		if werr != nil {
			return werr
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		for n > 0 {
			if n >= len(bufs[0]) {
				n -= len(bufs[0])
				bufs = bufs[1:]
			} else {
				bufs[0] = bufs[0][n:]
				n = 0
			}
		}
		for len(bufs) > 0 && len(bufs[0]) == 0 {
			bufs = bufs[1:]
		}
	}
	clear(c.iov)
	return nil
}

// iovMax is the most buffers one writev takes (IOV_MAX on Linux).
const iovMax = 1024
