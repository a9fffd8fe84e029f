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
	"log/slog"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/ingest"
	"github.com/vigil-cctv/vigil/internal/mp4"
	"github.com/vigil-cctv/vigil/internal/segindex"
	"github.com/vigil-cctv/vigil/internal/segstore"
)

// Index is what the recorder needs of the segment index (the store).
type Index interface {
	CreateSegment(ctx context.Context, seg *segindex.Segment) error
	RecordProgress(ctx context.Context, batch []segindex.Progress) error
	AddGap(ctx context.Context, g *segindex.Gap) error
	LastSegment(ctx context.Context, cameraID int64) (segindex.Segment, error)
	DeleteSegment(ctx context.Context, id int64) error
}

// Options configure a Recorder.
type Options struct {
	// Storage keeps the segments and chooses each new one's folder.
	Storage segstore.Store
	// StorageName and StoragePath, when Storage is nil, are the one
	// local folder segments go to (tests and tools).
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
	// stop ends Run like its context's end (Stop closes it); final is
	// the context of the index writes that must outlive that end (the
	// last rows, gaps, segments being opened), cancelled when Stop's
	// deadline passes so that a database that does not answer cannot
	// hold up shutdown for ever.
	stop        chan struct{}
	stopOnce    sync.Once
	final       context.Context
	cancelFinal context.CancelFunc
	unwritten   atomic.Int64 // rows Run gave up on

	mu     sync.Mutex
	queues map[*CameraQueue]struct{}
}

type item struct {
	progress *segindex.Progress
	gap      *segindex.Gap
	flushed  chan struct{}
}

// New makes a Recorder; Run writes its index.
func New(idx Index, opt Options) *Recorder {
	if opt.Storage == nil {
		l, err := segstore.NewLocal([]segstore.Folder{{Name: opt.StorageName, Path: opt.StoragePath}}, segstore.LocalOptions{})
		if err != nil {
			panic(fmt.Sprintf("recording: Options need Storage or a storage folder: %v", err))
		}
		opt.Storage = l
	}
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
	final, cancel := context.WithCancel(context.Background())
	return &Recorder{opt: opt, index: idx, log: opt.Logger, queue: make(chan item, 4096), done: make(chan struct{}),
		stop: make(chan struct{}), final: final, cancelFinal: cancel,
		queues: map[*CameraQueue]struct{}{}}
}

// Run writes queued index rows in batches until ctx ends or Stop is
// called, then writes what is left and returns: with a database that does
// not answer, only once Stop's deadline passes.
func (r *Recorder) Run(ctx context.Context) error {
	defer close(r.done)
	tick := time.NewTicker(r.opt.FlushInterval)
	defer tick.Stop()
	var batch []segindex.Progress
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
			case <-r.final.Done(): // Stop gave up
			case <-time.After(time.Second):
				continue
			}
			if ctx == r.final {
				r.unwritten.Add(int64(len(batch))) // the last write
			}
			return
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
			if err := r.index.AddGap(r.final, it.gap); err != nil {
				r.log.Error("recording a gap failed", "err", err)
			}
		}
		if it.flushed != nil {
			waiters = append(waiters, it.flushed)
		}
	}
	finish := func() {
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
		write(r.final)
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
		case <-r.stop:
			finish()
			return nil
		case <-ctx.Done():
			finish()
			return nil
		}
	}
}

// ErrIndexAbandoned is Stop's error when its deadline passed before the
// recording index's last rows were written. The footage they describe is
// on disk, and Reconcile recovers it at the next start.
var ErrIndexAbandoned = errors.New("recording: the recording index's last writes did not finish")

// Stop ends Run: what is queued is written to the index, and Stop
// returns once it is, or once ctx ends, when the writes still retrying
// are given up (ErrIndexAbandoned; Run then returns at once). Run must
// have been started.
func (r *Recorder) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() { close(r.stop) })
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
	}
	r.cancelFinal()
	<-r.done
	return fmt.Errorf("%w (%d rows left unwritten; Reconcile recovers their footage at the next start): %w",
		ErrIndexAbandoned, r.unwritten.Load(), context.Cause(ctx))
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
		c.folder = seg.Storage // its footage stays together where there is room
		if now := time.Now(); seg.End.After(now.Add(MaxAhead)) {
			// Footage filed in the future (by a version that believed
			// the camera's clock, or before our clock was stepped
			// back): new footage is filed at our time, not after it.
			c.log.Warn("the camera's last footage ends in the future; recording at the present time", "end", seg.End)
			c.lastEnd = now
		}
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
	folder    string // where the camera's last segment went
	lastEnd   time.Time
	gapReason string
	offset    time.Duration
	// inSession: a segment was opened since the stream (re)started, so a
	// discontinuity is the camera's doing (its clock re-anchored, a new
	// SSRC), not a new connection.
	inSession bool
	// cause, when set, is why the camera asked for the next segment (a
	// cause* constant): such segments are limited by starts.
	cause  string
	starts []time.Time // when the last camera-caused segments began, oldest first
	// limited is when the current run of frames dropped for the limit
	// began (zero: none), and limitedFrames how many so far.
	limited       time.Time
	limitedFrames int64
	// jumpLogged is when a jump of the camera's clock was last logged,
	// and jumpsUnlogged how many came since.
	jumpLogged    time.Time
	jumpsUnlogged int64
	stats         Stats
	mu            sync.Mutex // guards stats only
}

// Why a camera asked for a new segment, and the reasons of the gaps left
// when the limit on such segments dropped its video.
const (
	causeParams = "parameters"
	causeClock  = "clock"

	GapParamsChanged  = "not recording: camera changed its codec parameters, video dropped until its next keyframe"
	GapClockJumped    = "not recording: camera's timestamps jumped, video dropped until its next keyframe"
	GapParamsTooOften = "not recording: camera changes its codec parameters too often, video dropped"
	GapClockTooOften  = "not recording: camera's timestamps jump too often, video dropped"
	// GapClockAhead: the camera timed its frames ahead of our clock by
	// more than MaxAhead; its video until the next keyframe is dropped.
	GapClockAhead = "not recording: camera's timestamps ran ahead of Vigil's clock, video dropped until its next keyframe"
)

// MaxAhead is how far ahead of the server's clock a frame may be filed.
// Ingest times frames by the camera's RTP clock from an anchor on ours and
// re-anchors at a keyframe once the two part by a second (its maxDrift),
// so honest cameras stay within about a second plus a GOP's drift; a
// camera that sends faster than real time, or jumps its timestamps
// forward, would otherwise file footage in the future (months ahead, then
// everything after it too), out of reach of retention. Three seconds is
// well clear of honest cameras and small enough that nothing is filed
// noticeably in the future.
const MaxAhead = 3 * time.Second

// maxStepBack is how far a frame's timestamp may fall behind the latest
// in its segment: B-frames come a few frames behind, and ingest
// re-anchors larger steps at keyframes; past it the camera's clock
// jumped back, and the frames would be squeezed onto one instant.
const maxStepBack = 10 * time.Second

// maxCameraSegments bounds the segments a camera may start by its own
// doing (new parameter sets, a discontinuity of its clock within a
// session) in cameraSegmentWindow. An honest camera does so when someone
// reconfigures it, or at a day/night switch: a few times a day. One that
// changes its parameters on every frame started thousands of files a
// minute; six a minute leaves room for a burst of honest changes and
// bounds a hostile camera to 360 small files an hour. Segments started
// on schedule (SegmentDuration) or by a new connection are not counted.
const (
	maxCameraSegments   = 6
	cameraSegmentWindow = time.Minute
)

// Stats count what a camera's recorder did.
type Stats struct {
	Frames, Fragments, Segments, Bytes int64
	WriteErrors                        int64
	// DroppedFrames counts frames a CameraQueue dropped because the
	// storage could not keep up; QueuedBytes is the video it holds.
	DroppedFrames, QueuedBytes int64
	// LastError is the class of the last write failure, for everyone
	// who sees the camera; LastErrorDetail the failure itself, which
	// names the server's files, for those who manage it; LastErrorAt
	// when it happened.
	LastError       ErrorClass
	LastErrorDetail string
	LastErrorAt     time.Time
	// ClockJumps counts the times the camera's timestamps parted from
	// our clock and its footage was re-anchored to ours (by ingest, or
	// here when they ran more than MaxAhead ahead); LastClockJump is
	// the last one's size (positive: the camera's time was ahead) and
	// LastClockJumpAt when it happened.
	ClockJumps      int64
	LastClockJump   time.Duration
	LastClockJumpAt time.Time
	// LimitedFrames counts frames dropped because the camera asked for
	// new segments too often (maxCameraSegments a minute); LimitedCause
	// says why it asked, last time ("parameters" or "clock").
	LimitedFrames int64
	LimitedCause  string
}

// Stats returns the camera's counters.
func (c *CameraRecorder) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

type pendingFrame struct {
	pts  int64
	size int // in AVCC framing
	key  bool
}

type openSegment struct {
	row      segindex.Segment
	w        segstore.Writer
	params   *codec.Params
	size     int64
	firstDTS int64
	lastDTS  int64
	maxPTS   int64 // the latest frame's PTS so far
	seq      uint32
	frameDur int64 // a typical frame duration, for the last sample
	moof     []byte
}

// ClockOffset implements ingest.Sink.
func (c *CameraRecorder) ClockOffset(d time.Duration) { c.offset = d }

// WriteFrame implements ingest.Sink.
func (c *CameraRecorder) WriteFrame(f *ingest.Frame) error {
	now := time.Now()
	c.mu.Lock()
	c.stats.Frames++
	c.mu.Unlock()
	jumped := f.ClockJump != 0 // recorded for this frame
	if jumped {
		c.clockJumped(f.ClockJump, now)
	}
	// Byte-identical parameter sets are the same parameters, whatever
	// pointer holds them: only a real change starts a segment.
	newParams := c.seg != nil && f.Params != c.seg.params && !f.Params.Equal(*c.seg.params)
	if f.Discontinuity || newParams {
		// A new run of frames, or new codec parameters: a new segment.
		c.flush(-1, now)
		c.closeSegment()
		// Until the next keyframe nothing can be recorded: the gap
		// says why, unless the stream's end already did.
		switch {
		case newParams:
			c.cause, c.gapReason = causeParams, GapParamsChanged
		case c.inSession:
			c.cause, c.gapReason = causeClock, GapClockJumped
		}
	}
	if s := c.seg; s != nil {
		// Where the segment's timeline puts this frame: past MaxAhead,
		// the camera's clock is running ahead of ours (faster than
		// real time, or jumped); far before the frames already there,
		// it jumped back. Either way the segment ends here, and the
		// next begins at a keyframe, timed by our clock and after the
		// footage stored.
		at := s.row.Start.Add(ptsDuration(f.PTS - s.firstDTS))
		var jump time.Duration
		var reason string
		switch {
		case at.After(now.Add(MaxAhead - time.Millisecond)):
			// (A millisecond short of the limit: the frame's
			// sample, however shortened, lasts a tick.)
			jump, reason = at.Sub(now), GapClockAhead
		case f.PTS < s.maxPTS-int64(maxStepBack*90000/time.Second):
			jump, reason = ptsDuration(f.PTS-s.maxPTS), GapClockJumped
		}
		if reason != "" {
			c.clockJumped(jump, now)
			jumped = true
			c.flush(-1, now)
			c.closeSegment()
			c.cause, c.gapReason = causeClock, reason
			if !f.Keyframe {
				return ingest.ErrClockJump
			}
		}
	}
	if len(c.frames) > 0 {
		first := c.frames[0]
		long := ptsDuration(f.PTS-first.pts) >= c.r.opt.MaxPart
		if f.Keyframe || long {
			c.flush(f.PTS, now)
		}
	}
	// On the segment's own timeline: a frame's Time may come from a
	// clock the segment no longer follows.
	if f.Keyframe && c.seg != nil && ptsDuration(f.PTS-c.seg.firstDTS) >= c.r.opt.SegmentDuration {
		c.closeSegment()
	}
	if c.seg == nil {
		if !c.limited.IsZero() && (!f.Keyframe || !c.mayStart(now)) {
			// Still too soon after the camera's last changes.
			c.limitedFrames++
			c.mu.Lock()
			c.stats.LimitedFrames++
			c.mu.Unlock()
			return ingest.ErrTooManySegments
		}
		if !f.Keyframe {
			return ingest.ErrAwaitingKeyframe // a segment starts on a keyframe
		}
		if c.cause != "" && !c.mayStart(now) {
			c.limit(now)
			return ingest.ErrTooManySegments
		}
		if d := f.Time.Sub(now); d > MaxAhead-time.Millisecond && !jumped {
			// Timed ahead of our clock: openSegment times it by ours.
			c.clockJumped(d, now)
		}
		if err := c.openSegment(f, now); err != nil {
			c.countError(err)
			c.gapReason = "not recording: " + string(Classify(err))
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
	c.frames = append(c.frames, pendingFrame{pts: f.PTS, size: size, key: f.Keyframe})
	c.seg.maxPTS = max(c.seg.maxPTS, f.PTS)
	return nil
}

// StreamEnded implements ingest.Sink: what was gathered is written and the
// segment closed; the reason explains the gap that follows.
func (c *CameraRecorder) StreamEnded(err error) {
	c.flush(-1, time.Now())
	c.closeSegment()
	// The next segment is a new connection's: not the camera's doing.
	c.endLimit()
	c.inSession, c.cause = false, ""
	switch {
	case err == nil:
		c.gapReason = "stream ended"
	case errors.Is(err, context.Canceled):
		c.gapReason = "not recording: Vigil was stopped"
	default:
		// The class only: the timeline is shown to everyone who plays
		// the camera back, and the failure can quote whatever answered
		// at the camera's address (the log has it).
		c.gapReason = "camera offline: " + string(ingest.Classify(err))
	}
}

// skipped ends the segment before frames that were not recorded: the
// gap that follows gets reason.
func (c *CameraRecorder) skipped(reason string) {
	c.flush(-1, time.Now())
	c.closeSegment()
	c.gapReason = reason
}

// clockJumped records that the camera's timestamps parted from our
// clock by d (positive: theirs ahead) and were re-anchored to ours.
func (c *CameraRecorder) clockJumped(d time.Duration, now time.Time) {
	c.jumpsUnlogged++
	if now.Sub(c.jumpLogged) >= time.Minute {
		// At most a line a minute, however often a camera jumps.
		c.log.Warn("camera's timestamps parted from our clock; its footage is timed by ours from here",
			"camera_ahead_by", d, "times", c.jumpsUnlogged)
		c.jumpLogged, c.jumpsUnlogged = now, 0
	}
	c.mu.Lock()
	c.stats.ClockJumps++
	c.stats.LastClockJump, c.stats.LastClockJumpAt = d, now.UTC()
	c.mu.Unlock()
}

// mayStart says whether the camera may start another segment by its own
// doing now.
func (c *CameraRecorder) mayStart(now time.Time) bool {
	return len(c.starts) < maxCameraSegments || now.Sub(c.starts[0]) >= cameraSegmentWindow
}

// limit begins dropping the camera's video because it asked for new
// segments too often: the gap that follows says why.
func (c *CameraRecorder) limit(now time.Time) {
	c.limited, c.limitedFrames = now, 1
	c.gapReason = GapClockTooOften
	if c.cause == causeParams {
		c.gapReason = GapParamsTooOften
	}
	c.log.Warn("camera asks for new segments too often; dropping its video for a while",
		"cause", c.cause, "limit", maxCameraSegments, "per", cameraSegmentWindow)
	c.mu.Lock()
	c.stats.LimitedFrames++
	c.stats.LimitedCause = c.cause
	c.mu.Unlock()
}

// endLimit ends a run of frames dropped for the limit, if one is going.
func (c *CameraRecorder) endLimit() {
	if c.limited.IsZero() {
		return
	}
	c.log.Info("camera's video recorded again after dropping it for asking for new segments too often",
		"frames", c.limitedFrames, "for", time.Since(c.limited))
	c.limited, c.limitedFrames = time.Time{}, 0
}

func (c *CameraRecorder) countError(err error) {
	c.mu.Lock()
	c.stats.WriteErrors++
	c.stats.LastError, c.stats.LastErrorDetail, c.stats.LastErrorAt = Classify(err), err.Error(), time.Now().UTC()
	c.mu.Unlock()
}

// segmentPath names a segment by camera, day and start time, so the files
// make sense to a person browsing the folder.
func segmentPath(cameraID int64, start time.Time) string {
	return path.Join(fmt.Sprint(cameraID), start.Format("2006-01-02"), start.Format("150405.000")+".mp4")
}

func (c *CameraRecorder) openSegment(f *ingest.Frame, now time.Time) error {
	info, err := f.Params.Info()
	if err != nil {
		return failed(ClassStream, fmt.Errorf("recording: parameter sets: %w", err))
	}
	cfg, err := codec.DecoderConfig(*f.Params)
	if err != nil {
		return failed(ClassStream, fmt.Errorf("recording: decoder configuration: %w", err))
	}
	track := mp4.Track{Codec: "avc1", Config: cfg, Width: info.Width, Height: info.Height, Timescale: 90000}
	if f.Codec == codec.H265 {
		track.Codec = "hvc1"
	}
	at := f.Time
	if at.After(now.Add(MaxAhead - time.Millisecond)) {
		// Timed ahead of our clock (a millisecond short of the limit,
		// as in WriteFrame): timed by ours instead.
		at = now
	}
	start := at
	if start.Before(c.lastEnd) {
		// Never overlap footage already stored (the camera's clock
		// jumped back, say): begin where the last ended. The last
		// ended at most MaxAhead after the time it was written, so this
		// stays within MaxAhead of now unless our own clock was
		// stepped back by more: footage is then filed at our time.
		start = c.lastEnd
		if start.After(now.Add(MaxAhead)) {
			c.log.Warn("our clock is behind the end of the camera's last footage; recording at the present time", "end", c.lastEnd)
			start = at
		}
	}
	var init bytes.Buffer
	if _, err := mp4.WriteInit(&init, track); err != nil {
		return failed(ClassStream, fmt.Errorf("recording: init: %w", err))
	}
	n := int64(init.Len())
	rel := segmentPath(c.id, start)
	var row segindex.Segment
	var w segstore.Writer
	// A folder that fails is passed over by Place (segstore marks it),
	// so each attempt tries another, once each.
	tried := map[string]bool{}
	var lastErr error
	for {
		folder, err := c.r.opt.Storage.Place(c.folder)
		if err != nil {
			return failed(ClassStorage, fmt.Errorf("recording: %w", err))
		}
		if tried[folder] {
			return failed(ClassStorage, fmt.Errorf("recording: %w", lastErr))
		}
		tried[folder] = true
		row = segindex.Segment{
			CameraID: c.id, Storage: folder, Path: rel,
			Start: start, End: start, Size: n, InitSize: n, Codec: info.MIMECodec, Width: info.Width, Height: info.Height,
			ClockOffset: c.offset, Open: true,
		}
		// The row first: a crash before the file exists leaves a row
		// that Reconcile removes, never a file nobody knows of.
		if err := c.r.index.CreateSegment(c.r.final, &row); err != nil {
			return failed(ClassIndex, fmt.Errorf("recording: index segment: %w", err))
		}
		w, err = c.r.opt.Storage.Create(segstore.Ref{Folder: folder, Path: rel}, init.Bytes())
		if err == nil {
			c.folder = folder
			break
		}
		// A full disk, say: take back the row (the store took back the
		// file), so neither is left without the other; then another
		// folder, or the next keyframe.
		if derr := c.r.index.DeleteSegment(c.r.final, row.ID); derr != nil {
			c.log.Error("removing the row of a segment that could not be written", "err", derr)
		}
		lastErr = err
		if len(tried) >= len(c.r.opt.Storage.Folders()) {
			return failed(ClassStorage, fmt.Errorf("recording: %w", err))
		}
	}
	if !c.lastEnd.IsZero() && start.Sub(c.lastEnd) > gapThreshold {
		c.r.enqueue(item{gap: &segindex.Gap{CameraID: c.id, Start: c.lastEnd, End: start, Reason: c.gapReason}})
	}
	c.seg = &openSegment{row: row, w: w, params: f.Params, size: n, firstDTS: f.PTS, lastDTS: f.PTS - 1, maxPTS: f.PTS, frameDur: 3600}
	if c.cause != "" {
		if len(c.starts) == maxCameraSegments {
			c.starts = c.starts[1:]
		}
		c.starts = append(c.starts, now)
	}
	c.endLimit()
	c.inSession, c.cause = true, ""
	c.mu.Lock()
	c.stats.Segments++
	c.mu.Unlock()
	return nil
}

// gapThreshold is the smallest pause between footage recorded as a gap.
const gapThreshold = 250 * time.Millisecond

// flush writes the gathered frames as one fragment. nextPTS is the PTS of
// the frame that follows, or -1 when none does. now is the time the
// caller checked the frames against: the fragment's end is bounded by
// the same clock reading, never a later one, so that the next segment,
// checked against a reading no earlier, always finds the footage's end
// within MaxAhead of it (a reading taken here could be a second later on
// a busy machine, and the next segment would then take our clock for one
// stepped back and overlap the footage).
func (c *CameraRecorder) flush(nextPTS int64, now time.Time) {
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
	base := uint64(dts[0] - s.firstDTS)
	// The last sample's duration is a guess (the next frame's time, or a
	// typical duration): it must not carry the footage's end beyond
	// MaxAhead of our clock, which every frame's start is within.
	var total int64
	for _, sm := range samples {
		total += int64(sm.Duration)
	}
	fragStart := s.row.Start.Add(ptsDuration(int64(base)))
	if over := fragStart.Add(ptsDuration(total)).Sub(now.Add(MaxAhead)); over > 0 {
		last := &samples[n-1]
		cut := min(int64(over/(time.Second/90000))+1, int64(last.Duration)-1)
		last.Duration -= uint32(cut)
		total -= cut
	}
	s.lastDTS = dts[n-1] + int64(samples[n-1].Duration) - 1
	s.seq++
	s.moof = mp4.AppendFragment(s.moof[:0], s.seq, base, samples)
	hdr := len(s.moof)
	size := int64(hdr)
	for _, f := range c.frames {
		size += int64(f.size)
	}
	if err := c.writeFragment(s.w, s.moof); err != nil {
		// A full disk or a failing one: cut the half-written fragment
		// off, so the file stays whole, and end the segment.
		c.log.Error("writing a fragment failed; segment closed", "err", err, "path", s.row.Path)
		s.w.Truncate(s.size)
		c.countError(err)
		c.gapReason = "not recording: " + string(Classify(err))
		c.reset()
		c.closeSegment()
		return
	}
	start := s.row.Start.Add(ptsDuration(int64(base)))
	frag := segindex.Fragment{
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
	c.r.enqueue(item{progress: &segindex.Progress{SegmentID: s.row.ID, End: end, Size: s.size, Fragments: []segindex.Fragment{frag}}})
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
	if err := s.w.Close(); err != nil {
		c.log.Error("closing segment", "err", err)
	}
	end := c.lastEnd
	if end.Before(s.row.Start) {
		end = s.row.Start
	}
	c.r.enqueue(item{progress: &segindex.Progress{SegmentID: s.row.ID, End: end, Size: s.size, Close: true}})
}

// ptsDuration converts 90 kHz ticks to a duration. Whole seconds first:
// d × 10⁹ overflows past 28 hours, a step a camera's timestamps can take.
func ptsDuration(d int64) time.Duration {
	return time.Duration(d/90000)*time.Second + time.Duration(d%90000)*time.Second/90000
}

// writeFragment writes a fragment's header and its NAL units, each after
// its 4-byte length, in one vectored append, without first copying them
// together.
func (c *CameraRecorder) writeFragment(w segstore.Writer, hdr []byte) error {
	c.prefix = c.prefix[:0]
	for _, n := range c.nalus {
		c.prefix = binary.BigEndian.AppendUint32(c.prefix, uint32(len(n)))
	}
	c.iov = append(c.iov[:0], hdr)
	for i, n := range c.nalus {
		c.iov = append(c.iov, c.prefix[4*i:4*i+4], n)
	}
	err := w.Append(c.iov)
	clear(c.iov)
	return err
}
