// Package ingest pulls video from cameras over RTSP and turns it into frames
// stamped with wall-clock time. One Camera owns one RTSP session at a time,
// reconnects forever with capped exponential backoff, and hands every frame
// to its Sink (the recorder today, live viewers later): one camera
// connection feeds everything, never a second session per consumer.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/live"
	"github.com/vigil-cctv/vigil/internal/rtsp"
)

// State is where a camera's connection stands.
type State string

// The states a camera can be in.
const (
	StateConnecting State = "connecting"
	StateRecording  State = "recording"
	StateOffline    State = "offline"
	StateStopped    State = "stopped"
)

// Frame is one access unit with its times. Params points at the stream's
// parameter sets; a change of parameters gives a new pointer, so a sink can
// compare pointers to notice it.
type Frame struct {
	Codec    codec.Codec
	Params   *codec.Params
	PTS      int64     // RTP timestamp, unwrapped, 90 kHz
	Time     time.Time // our UTC wall clock for PTS
	NALUs    [][]byte
	Keyframe bool
	// Discontinuity marks the first frame after a reconnection or a
	// re-anchoring of the clock: the sink must not join it to what came
	// before.
	Discontinuity bool
	// ClockJump, on a frame where the clock was re-anchored, is how far
	// the camera's timestamps had parted from our clock (positive: the
	// camera's time was ahead), for the sink to record; 0 otherwise.
	ClockJump time.Duration
}

// Sink receives a camera's frames, from the camera's own goroutine.
type Sink interface {
	// WriteFrame takes a frame; NALUs stay valid after it returns.
	WriteFrame(f *Frame) error
	// StreamEnded is called when a session ends, with the reason.
	StreamEnded(err error)
	// ClockOffset reports the camera's clock minus ours, from RTCP.
	ClockOffset(d time.Duration)
}

// Options configure a Camera.
type Options struct {
	ID        int64
	URL       string
	Username  string
	Password  string
	Transport string // "tcp" or "udp"
	// Timeout bounds each RTSP step and silence on the stream.
	Timeout time.Duration
	// Batch lets about this much video queue before the camera's
	// goroutine wakes to read it (TCP): fewer wake-ups per camera, at
	// the cost of that much latency. Batching pauses while the camera
	// has live viewers, for whom the latency matters.
	Batch time.Duration
	// BatchWhileLive keeps batching while the camera has live viewers:
	// for measuring what batching would cost them.
	BatchWhileLive bool
	// MinBackoff and MaxBackoff bound the wait between reconnections.
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
	Metrics                *Metrics
	// CheckAddress, when set, is asked about every address the camera's
	// sessions connect to, at dial time (rtsp.ClientOptions): a refusal
	// leaves the camera offline with the class "address not allowed".
	CheckAddress func(netip.Addr) error
	// LiveTrace, for benchmarks, is given to each of the camera's live
	// hubs (live.Hub.SetTrace): it hears, after every write of a packet
	// to a live viewer, when that packet was read from the camera.
	LiveTrace func(read time.Time)
}

// Status is a camera's state as the API shows it.
type Status struct {
	State State `json:"state"`
	// LastError is the class of the last failure ("connection refused",
	// "not an RTSP server"...): what every operator may see.
	LastError rtsp.Class `json:"last_error,omitempty"`
	// LastErrorDetail is the failure as it happened, which can quote
	// what the far end sent (another service's banner, say): for the log
	// and those who manage the camera, so never in JSON by itself.
	LastErrorDetail string    `json:"-"`
	Since           time.Time `json:"since"`
	Codec           string    `json:"codec,omitempty"`
	Width           int       `json:"width,omitempty"`
	Height          int       `json:"height,omitempty"`
	// ClockOffsetMS is the camera's clock minus ours, in milliseconds.
	ClockOffsetMS int64 `json:"clock_offset_ms"`
	Reconnects    int   `json:"reconnects"`
}

// Camera keeps one camera's stream flowing into its sink.
type Camera struct {
	opt     Options
	sink    Sink
	log     *slog.Logger
	hubFmtp string // the media the hub was made for (camera goroutine only)

	mu     sync.Mutex
	status Status
	// hub fans the camera's packets out to live viewers; it is replaced
	// when the camera comes back with another codec.
	hub atomic.Pointer[live.Hub]
}

// Hub is the camera's live view hub, or nil before its first session.
func (c *Camera) Hub() *live.Hub { return c.hub.Load() }

// liveHub returns a hub for this session's media, keeping the current
// one (and its viewers) when the codec and parameters are unchanged.
func (c *Camera) liveHub(codecName, fmtp string) *live.Hub {
	if h := c.hub.Load(); h != nil && h.Codec() == codecName && c.hubFmtp == fmtp {
		return h
	}
	h := live.NewHub(codecName, fmtp)
	if c.opt.LiveTrace != nil {
		h.SetTrace(c.opt.LiveTrace)
	}
	if old := c.hub.Swap(h); old != nil {
		old.Close()
	}
	c.hubFmtp = fmtp
	return h
}

// New makes a Camera; Run starts it.
func New(opt Options, sink Sink) *Camera {
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = time.Second
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 30 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Camera{opt: opt, sink: sink, log: opt.Logger.With("camera", opt.ID)}
	c.setState(StateConnecting, nil)
	return c
}

// Status returns the camera's current state.
func (c *Camera) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

func (c *Camera) setState(s State, err error) {
	c.mu.Lock()
	if c.status.State != s {
		c.status.Since = time.Now().UTC()
	}
	c.status.State = s
	if err != nil {
		c.status.LastError, c.status.LastErrorDetail = Classify(err), err.Error()
	}
	c.mu.Unlock()
	c.opt.Metrics.setState(c.opt.ID, s)
}

// Run connects and reconnects until ctx ends. It returns nil then.
func (c *Camera) Run(ctx context.Context) error {
	defer func() {
		// A stopped camera ends its live viewers' sessions.
		if h := c.hub.Swap(nil); h != nil {
			h.Close()
		}
	}()
	backoff := c.opt.MinBackoff
	for {
		c.setState(StateConnecting, nil)
		started := time.Now()
		err := c.session(ctx)
		if ctx.Err() != nil {
			c.sink.StreamEnded(context.Canceled)
			c.setState(StateStopped, nil)
			return nil
		}
		c.sink.StreamEnded(err)
		c.setState(StateOffline, err)
		c.log.Warn("camera offline", "err", err)
		c.mu.Lock()
		c.status.Reconnects++
		c.mu.Unlock()
		c.opt.Metrics.reconnect(c.opt.ID)
		// A session that streamed for a while earns a fresh, short wait.
		if time.Since(started) > 2*c.opt.MaxBackoff {
			backoff = c.opt.MinBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		backoff = min(backoff*2, c.opt.MaxBackoff)
		select {
		case <-ctx.Done():
			c.setState(StateStopped, nil)
			return nil
		case <-time.After(wait):
		}
	}
}

// session runs one RTSP session to its end.
func (c *Camera) session(ctx context.Context) error {
	sess, err := rtsp.Dial(ctx, c.opt.URL, rtsp.ClientOptions{
		Transport:   c.opt.Transport,
		Batch:       c.opt.Batch,
		Timeout:     c.opt.Timeout,
		ReadTimeout: c.opt.Timeout,
		Username:    c.opt.Username,
		Password:    c.opt.Password,
		Logger:      c.log,

		CheckAddress: c.opt.CheckAddress,
	})
	if err != nil {
		return err
	}
	defer sess.Close()
	m := sess.Media()
	cd, ok := codec.ParseCodec(m.EncodingName)
	if !ok {
		return fmt.Errorf("%w: camera offers %q, not H.264 or H.265", ErrUnsupported, m.EncodingName)
	}
	if m.ClockRate != 90000 {
		return fmt.Errorf("%w: video clock rate %d, want 90000", ErrUnsupported, m.ClockRate)
	}
	params, err := codec.ParamsFromFmtp(cd, m.Fmtp)
	if err != nil {
		c.log.Warn("ignoring bad parameter sets in SDP", "err", err)
		params = codec.Params{Codec: cd}
	}
	h := &handler{
		hub:      c.liveHub(cd.String(), m.Fmtp),
		cam:      c,
		sess:     sess,
		codec:    cd,
		params:   &params,
		depack:   codec.NewDepacketizer(cd),
		reord:    codec.NewReorderer(128),
		first:    true,
		counters: c.opt.Metrics.counters(c.opt.ID),
	}
	h.updateInfo()
	h.lastRTP.Store(time.Now().UnixNano())
	// RTCP alone does not keep a session alive: a camera whose encoder
	// stalled may still send sender reports, and records nothing.
	runCtx, cancel := context.WithCancel(ctx)
	var silent atomic.Bool
	// The watchdog, a timer rather than a goroutine of its own, fires at
	// the instant the camera would have been silent for the timeout, and
	// sets itself again if video came meanwhile.
	var (
		dogMu   sync.Mutex
		dogDone bool
		dog     *time.Timer
	)
	dogMu.Lock() // dog is set before it can fire
	dog = time.AfterFunc(c.opt.Timeout, func() {
		dogMu.Lock()
		defer dogMu.Unlock()
		if dogDone {
			return
		}
		now := time.Now()
		due := time.Unix(0, h.lastRTP.Load()).Add(c.opt.Timeout)
		if !now.Before(due) {
			silent.Store(true)
			cancel()
			return
		}
		dog.Reset(due.Sub(now))
	})
	dogMu.Unlock()
	// The session returns only once its watchdog has: it neither fires
	// nor sets itself again after.
	defer func() {
		dogMu.Lock()
		dogDone = true
		dog.Stop()
		dogMu.Unlock()
		cancel()
	}()
	err = sess.Run(runCtx, h)
	if silent.Load() && ctx.Err() == nil {
		return fmt.Errorf("%w: no video from the camera for %s", ErrSilent, c.opt.Timeout)
	}
	if h.err != nil {
		err = h.err
	}
	return err
}

// handler turns one session's packets into frames.
type handler struct {
	hub      *live.Hub
	cam      *Camera
	sess     *rtsp.Session
	live     bool // the hub had viewers at the last packet
	codec    codec.Codec
	params   *codec.Params
	depack   *codec.Depacketizer
	reord    *codec.Reorderer
	unwrap   codec.Unwrapper
	counters *cameraCounters

	ssrc       uint32
	haveSSRC   bool
	first      bool // next frame is the first of a run: anchor the clock
	waitKey    bool // after loss, drop frames until a keyframe
	anchorPTS  int64
	anchorTime time.Time
	lastPTS    int64
	received   time.Time
	lastRTP    atomic.Int64 // unix nanoseconds of the last RTP packet
	err        error
	recording  bool
}

// maxDrift is how far our clock and the camera's RTP clock may part before
// frames are re-anchored to our clock.
const maxDrift = time.Second

// maxJump is the largest step of the camera's timestamps from one frame
// to the next taken as footage (a camera silent for this long is
// reconnected first): a larger one, either way, is a jump of its clock.
const maxJump = 90000 * 10

func (h *handler) HandleRTP(pkt *rtp.Packet, received time.Time) {
	if h.err != nil {
		return
	}
	h.received = received
	h.lastRTP.Store(received.UnixNano())
	if h.haveSSRC && pkt.SSRC != h.ssrc {
		// A new SSRC is a new stream from the camera's point of view
		// (an encoder restart): start afresh.
		h.cam.log.Info("camera changed SSRC", "old", h.ssrc, "new", pkt.SSRC)
		h.depack = codec.NewDepacketizer(h.codec)
		h.unwrap = codec.Unwrapper{}
		h.first = true
		h.waitKey = true
	}
	h.ssrc, h.haveSSRC = pkt.SSRC, true
	if live := h.hub.Viewers() > 0; live != h.live && h.cam.opt.Batch > 0 && !h.cam.opt.BatchWhileLive {
		// A viewer's first packets wait for at most one batch; the
		// rest come as the camera sends them.
		h.live = live
		h.sess.PauseBatch(live)
	}
	for _, p := range h.reord.Push(pkt) {
		// Live viewers get the packets as they come, in order: no
		// waiting for a whole frame.
		h.hub.WriteRTPReceived(p, received)
		au, err := h.depack.Push(p)
		// A unit comes back whole even when the packet that followed it
		// was bad: keep it, then wait for a keyframe.
		if au != nil {
			h.frame(au)
		}
		if err != nil {
			h.cam.opt.Metrics.dropped(h.cam.opt.ID, err)
			h.waitKey = true
			if !errors.Is(err, codec.ErrPacketLoss) {
				h.cam.log.Debug("bad packet", "err", err)
			}
		}
	}
}

func (h *handler) frame(au *codec.AccessUnit) {
	// The unit is this handler's alone: its NAL units other than
	// parameter sets are gathered in place.
	vcl := au.NALUs[:0]
	changed := false
	for _, n := range au.NALUs {
		if codec.IsParameterSet(h.codec, n) {
			if h.params.Codec == 0 {
				h.params.Codec = h.codec
			}
			p := *h.params
			if p.Update(n) {
				changed = true
				h.params = &p
			}
			continue
		}
		vcl = append(vcl, n)
	}
	if changed {
		h.updateInfo()
	}
	if len(vcl) == 0 {
		return
	}
	if !h.params.Complete() {
		// Without parameter sets nothing we store could be decoded.
		h.cam.opt.Metrics.dropped(h.cam.opt.ID, errNoParams)
		return
	}
	if h.waitKey || h.first {
		if !au.Keyframe {
			h.cam.opt.Metrics.dropped(h.cam.opt.ID, errWaitKey)
			return
		}
		h.waitKey = false
	}
	pts := h.unwrap.Unwrap(au.Timestamp)
	disc := false
	if h.first {
		h.anchorPTS, h.anchorTime = pts, h.received
		h.first, disc = false, true
	}
	t := h.anchorTime.Add(ptsDuration(pts - h.anchorPTS))
	jumped := !disc && (pts < h.lastPTS-maxJump || pts > h.lastPTS+maxJump)
	var jump time.Duration
	if d := h.received.Sub(t); au.Keyframe && (d > maxDrift || d < -maxDrift || jumped) {
		// The camera's clock ran away from ours, or jumped: trust ours,
		// from a keyframe, where a new segment can start.
		h.anchorPTS, h.anchorTime = pts, h.received
		t = h.received
		disc, jump = true, -d
		if jump == 0 {
			jump = 1 // a jump that landed on our time is still one
		}
	} else if jumped {
		// Between keyframes a jump cannot be re-anchored: the frame
		// has no time we could trust, nor have those after it until
		// the next keyframe.
		h.cam.opt.Metrics.dropped(h.cam.opt.ID, errClockJump)
		h.waitKey = true
		return
	}
	h.lastPTS = pts
	if !h.recording {
		h.recording = true
		h.cam.setState(StateRecording, nil)
	}
	f := &Frame{
		Codec:         h.codec,
		Params:        h.params,
		PTS:           pts,
		Time:          t.UTC(),
		NALUs:         vcl,
		Keyframe:      au.Keyframe,
		Discontinuity: disc,
		ClockJump:     jump,
	}
	h.counters.frame(vcl)
	if err := h.cam.sink.WriteFrame(f); err != nil {
		h.cam.opt.Metrics.Dropped(h.cam.opt.ID, err)
		if !IsDrop(err) {
			h.cam.log.Error("sink refused frame", "err", err)
		}
	}
}

func (h *handler) updateInfo() {
	info, err := h.params.Info()
	if err != nil {
		return
	}
	h.cam.mu.Lock()
	h.cam.status.Codec = info.MIMECodec
	h.cam.status.Width, h.cam.status.Height = info.Width, info.Height
	h.cam.mu.Unlock()
}

func (h *handler) HandleRTCP(pkts []rtcp.Packet, received time.Time) {
	for _, p := range pkts {
		sr, ok := p.(*rtcp.SenderReport)
		if !ok || h.first || !h.haveSSRC || sr.SSRC != h.ssrc {
			continue
		}
		// Where our clock puts this RTP instant, against where the
		// camera's clock puts it.
		rtpTime := h.lastPTS + int64(int32(sr.RTPTime-uint32(h.lastPTS)))
		ours := h.anchorTime.Add(ptsDuration(rtpTime - h.anchorPTS))
		theirs := ntpTime(sr.NTPTime)
		off := theirs.Sub(ours)
		h.cam.mu.Lock()
		h.cam.status.ClockOffsetMS = off.Milliseconds()
		h.cam.mu.Unlock()
		h.cam.sink.ClockOffset(off)
	}
}

// The reasons a sink gives for a frame it did not record. WriteFrame
// returns one, wrapped or not, and ingest counts the frame under the
// reason in vigil_camera_dropped_total; a sink that drops a frame after
// WriteFrame returned (on a goroutine of its own) counts it itself, with
// Metrics.Dropped. Every frame dropped is counted once.
var (
	// ErrAwaitingKeyframe: the sink cannot use the frame until the next
	// keyframe (a segment must begin with one).
	ErrAwaitingKeyframe = errors.New("ingest: awaiting a keyframe")
	// ErrStorageTooSlow: the frame waited longer than allowed for the
	// storage, or would have.
	ErrStorageTooSlow = errors.New("ingest: frame dropped: storage too slow")
	// ErrTooManySegments: the camera asks for new segments (new
	// parameter sets, jumps of its clock) faster than they are made.
	ErrTooManySegments = errors.New("ingest: frame dropped: the camera starts new segments too often")
	// ErrClockJump: the frame's timestamp parted from our clock (ran
	// ahead of it by more than is allowed, or jumped back), and it is no
	// keyframe at which to start again.
	ErrClockJump = errors.New("ingest: frame dropped: the camera's timestamps jumped")
)

// dropReasons label vigil_camera_dropped_total for a sink's reasons.
var dropReasons = []struct {
	err   error
	label string
}{
	{ErrAwaitingKeyframe, "awaiting_keyframe"},
	{ErrStorageTooSlow, "storage_too_slow"},
	{ErrTooManySegments, "too_many_segments"},
	{ErrClockJump, "clock_jump"},
}

// IsDrop reports whether err is one of the reasons a sink gives for a
// frame it dropped, rather than a failure.
func IsDrop(err error) bool {
	for _, r := range dropReasons {
		if errors.Is(err, r.err) {
			return true
		}
	}
	return false
}

var (
	// ErrUnsupported ends a session whose video Vigil cannot record.
	ErrUnsupported = errors.New("ingest: unsupported video")
	// ErrSilent ends a session whose camera sent no video for the
	// timeout, though it may still answer.
	ErrSilent = errors.New("ingest: camera silent")
)

// Classify is the class of a session's failure, as operators are shown
// it: rtsp.Classify, and the classes of ingest's own failures.
func Classify(err error) rtsp.Class {
	switch {
	case errors.Is(err, ErrUnsupported):
		return rtsp.ClassUnsupported
	case errors.Is(err, ErrSilent):
		return rtsp.ClassSilent
	}
	return rtsp.Classify(err)
}

var (
	errNoParams = errors.New("no parameter sets yet")
	errWaitKey  = errors.New("waiting for keyframe")
	// errClockJump: a frame between keyframes whose timestamp jumped.
	errClockJump = errors.New("camera's timestamps jumped")
)

// ptsDuration converts 90 kHz ticks to a duration. Whole seconds first:
// d × 10⁹ overflows past 28 hours, a step a camera's timestamps can take.
func ptsDuration(d int64) time.Duration {
	return time.Duration(d/90000)*time.Second + time.Duration(d%90000)*time.Second/90000
}

// ntpTime converts a 64-bit NTP timestamp (RFC 5905) to time.Time.
func ntpTime(v uint64) time.Time {
	const ntpToUnix = 2208988800
	secs := int64(v>>32) - ntpToUnix
	frac := int64(v&0xffffffff) * 1e9 >> 32
	return time.Unix(secs, frac).UTC()
}
