// Package transcode makes an H.264 live view of an H.265 camera for
// browsers that cannot decode H.265. An ffmpeg process, started when the
// first viewer needs it and stopped a while after the last one leaves,
// turns the camera's access units into H.264, which feeds a live.Hub of
// its own; viewers of that hub are served like those of any camera.
// Recordings never pass through it: this is the one place Vigil
// transcodes, and only while someone watches.
package transcode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/live"
)

// Errors of Hub; match them with errors.Is.
var (
	// ErrDisabled: the server's live transcoder is off (live_transcoder
	// is "off").
	ErrDisabled = errors.New("transcode: the live transcoder is off")
	// ErrNotInstalled: the transcoder's program is not installed.
	ErrNotInstalled = errors.New("transcode: the live transcoder is not installed")
	// ErrClosed: the transcoder is closed; its camera has stopped.
	ErrClosed = errors.New("transcode: closed")
	// ErrEnded: the H.264 view ended (the camera's stream ended, or the
	// transcoder failed or was stopped) before it was ready.
	ErrEnded = errors.New("transcode: the H.264 view ended")
)

// Why a run stopped, other than a failure.
var (
	errIdle        = errors.New("transcode: stopped: no viewers")
	errSourceEnded = errors.New("transcode: the camera's stream ended")
)

// Defaults of Options.
const (
	DefaultIdleTimeout  = 30 * time.Second
	DefaultStartTimeout = 20 * time.Second
	DefaultStallTimeout = 10 * time.Second
	defaultQueue        = 50 // frames from the camera: two seconds at 25 fps
	defaultMaxHeight    = 1080
)

// Options configure a Transcoder.
type Options struct {
	// Command is the ffmpeg to run: a path, or a name looked up in PATH.
	Command string
	// IdleTimeout is how long ffmpeg runs on once the H.264 view has
	// no viewer (default 30 s), so that a page reloaded or a viewer
	// switching back finds it running.
	IdleTimeout time.Duration
	// StartTimeout bounds the wait for the first H.264 frame (default
	// 20 s): the camera's next keyframe, then ffmpeg's start.
	StartTimeout time.Duration
	// StallTimeout ends a view whose ffmpeg has turned no frame given it
	// into video for this long (default 10 s): its viewers get an end
	// rather than a picture frozen for ever.
	StallTimeout time.Duration
	// MaxHeight scales larger pictures down (default 1080): a browser
	// window needs no more, and encoding costs CPU by the pixel.
	MaxHeight int
	Logger    *slog.Logger
}

// Transcoder makes the H.264 view of one camera. It is idle, with no
// process, until Hub is called.
type Transcoder struct {
	opt    Options
	source func() *live.Hub
	log    *slog.Logger
	ctx    context.Context // the runs' parent, ended by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	cur    *run
	closed bool
}

// New returns the transcoder of the camera whose live hub source
// returns (nil while it is not connected).
func New(source func() *live.Hub, opt Options) *Transcoder {
	if opt.Command == "" {
		opt.Command = "ffmpeg"
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = DefaultIdleTimeout
	}
	if opt.StartTimeout <= 0 {
		opt.StartTimeout = DefaultStartTimeout
	}
	if opt.StallTimeout <= 0 {
		opt.StallTimeout = DefaultStallTimeout
	}
	if opt.MaxHeight <= 0 {
		opt.MaxHeight = defaultMaxHeight
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Transcoder{opt: opt, source: source, log: opt.Logger, ctx: ctx, cancel: cancel}
}

// Command resolves a live_transcoder setting: "off" gives ErrDisabled,
// a program not found ErrNotInstalled; otherwise its path.
func Command(setting string) (string, error) {
	if setting == "off" {
		return "", ErrDisabled
	}
	p, err := exec.LookPath(setting)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	return p, nil
}

// Run keeps the transcoder until ctx ends, then closes it.
func (t *Transcoder) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-t.ctx.Done():
	}
	return t.Close()
}

// Close stops ffmpeg, ends the H.264 view's viewers and returns once
// everything has stopped. Hub fails afterwards.
func (t *Transcoder) Close() error {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.cancel()
	t.wg.Wait()
	return nil
}

// Hub returns the hub of the camera's H.264 view, starting ffmpeg if it
// is not running, and waiting (at most StartTimeout, or until ctx ends)
// for its first frame. Viewers of the hub keep it running; IdleTimeout
// after the last leaves, ffmpeg stops and the hub closes.
func (t *Transcoder) Hub(ctx context.Context) (*live.Hub, error) {
	for attempt := 0; ; attempt++ {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return nil, ErrClosed
		}
		r := t.cur
		if r == nil || r.ended() {
			r = t.start()
			t.cur = r
		}
		r.touch()
		t.mu.Unlock()
		select {
		case <-r.ready:
		case <-r.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		select {
		case <-r.done:
			if errors.Is(r.err, errIdle) && attempt == 0 {
				continue // it stopped just as it was asked for: start anew
			}
			return nil, fmt.Errorf("%w: %w", ErrEnded, r.err)
		default:
			return r.hub, nil
		}
	}
}

// Running reports whether an H.264 view is running (or starting).
func (t *Transcoder) Running() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cur != nil && !t.cur.ended()
}

// start begins a run; t.mu is held.
func (t *Transcoder) start() *run {
	ctx, cancel := context.WithCancel(t.ctx)
	r := &run{
		t: t, ctx: ctx, stop: cancel,
		ready: make(chan struct{}), done: make(chan struct{}), demand: make(chan struct{}, 1),
	}
	t.wg.Add(2)
	go func() {
		defer t.wg.Done()
		r.loop()
	}()
	go func() {
		defer t.wg.Done()
		r.watch()
	}()
	return r
}

// run is one H.264 view: from its start on demand to its end, through
// as many ffmpeg processes as the camera's parameter changes need.
type run struct {
	t      *Transcoder
	ctx    context.Context
	stop   context.CancelFunc
	ready  chan struct{} // closed once hub has its first frame
	done   chan struct{} // closed once it has ended, err set
	demand chan struct{} // Hub was called: the idle time starts again
	hub    *live.Hub     // set before ready is closed
	err    error

	failMu  sync.Mutex
	failErr error // the first reason to stop, if not the process's own

	cmdMu sync.Mutex
	cmd   *exec.Cmd // the ffmpeg running now
}

func (r *run) ended() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (r *run) isReady() bool {
	select {
	case <-r.ready:
		return true
	default:
		return false
	}
}

func (r *run) touch() {
	select {
	case r.demand <- struct{}{}:
	default:
	}
}

// fail stops the run for err, unless it is already stopping for another
// reason.
func (r *run) fail(err error) {
	r.failMu.Lock()
	if r.failErr == nil {
		r.failErr = err
	}
	r.failMu.Unlock()
	r.stop()
}

func (r *run) process() *exec.Cmd {
	r.cmdMu.Lock()
	defer r.cmdMu.Unlock()
	return r.cmd
}

// loop runs the view to its end, then closes its hub: its viewers see
// the end at once, whatever the cause.
func (r *run) loop() {
	defer close(r.done)
	defer r.stop()
	log := r.t.log
	timer := time.AfterFunc(r.t.opt.StartTimeout, func() {
		if !r.isReady() {
			r.fail(fmt.Errorf("transcode: no H.264 video within %s", r.t.opt.StartTimeout))
		}
	})
	defer timer.Stop()
	log.Info("live transcoder starting", "command", r.t.opt.Command)
	err := r.transcode()
	r.failMu.Lock()
	if r.failErr != nil {
		err = r.failErr
	}
	r.failMu.Unlock()
	if err == nil {
		err = errors.New("transcode: stopped")
	}
	r.err = err
	switch {
	case errors.Is(err, errIdle), errors.Is(err, errSourceEnded), errors.Is(err, context.Canceled) && r.t.ctx.Err() != nil:
		log.Info("live transcoder stopped", "reason", err)
	default:
		log.Error("live transcoder failed; its viewers are ended", "err", err)
	}
	if r.hub != nil {
		r.hub.Close()
	}
}

// transcode feeds ffmpeg processes from the camera until the run stops.
func (r *run) transcode() error {
	src := r.t.source()
	if src == nil {
		return errors.New("transcode: the camera is not connected")
	}
	if c, _ := codec.ParseCodec(src.Codec()); c != codec.H265 {
		return fmt.Errorf("transcode: the camera sends %s, not H.265", src.Codec())
	}
	sub, err := src.Frames(defaultQueue)
	if err != nil {
		return fmt.Errorf("transcode: %w", err)
	}
	defer sub.Close()
	out := newOutput(r)
	var first *live.Frame
	for {
		next, err := r.runProcess(sub, out, first)
		if err != nil || next == nil || r.ctx.Err() != nil {
			if err == nil {
				err = r.ctx.Err()
			}
			return err
		}
		// The camera's parameters changed: a new process starts with
		// them, feeding the same hub.
		r.t.log.Info("live transcoder restarting for the camera's new parameters")
		first = next
	}
}

// watch stops the run once it has had no viewer, and no call of Hub, for
// IdleTimeout after it became ready; until then StartTimeout rules.
func (r *run) watch() {
	select {
	case <-r.ready:
	case <-r.ctx.Done():
		return
	}
	idle := time.NewTimer(r.t.opt.IdleTimeout)
	defer idle.Stop()
	for {
		n, changed := r.hub.WatchViewers()
		if n > 0 {
			idle.Stop()
		} else {
			idle.Reset(r.t.opt.IdleTimeout)
		}
		select {
		case <-r.ctx.Done():
			return
		case <-changed:
		case <-r.demand:
		case <-idle.C:
			if n == 0 {
				r.fail(fmt.Errorf("%w for %s", errIdle, r.t.opt.IdleTimeout))
				return
			}
		}
	}
}
