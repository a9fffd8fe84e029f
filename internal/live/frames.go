package live

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/internal/codec"
)

// defaultFrameQueue is a frame subscriber's queue, in frames, unless
// Frames is given another: about a second at 25 fps. Latency is what a
// live consumer cares for, so a subscriber that falls further behind
// starts again at the next keyframe rather than catching up.
const defaultFrameQueue = 32

// H.265 RASL pictures (RFC 7798 types 8 and 9) and the access unit
// delimiters of both codecs, which must stay first in an access unit.
const (
	h265RASLN = 8
	h265RASLR = 9
	h264AUD   = 9
	h265AUD   = 35
)

// Frame is one access unit of a camera, for consumers that need whole
// pictures rather than packets: fragmented MP4 over a WebSocket, the
// transcoder. Frames are shared by every subscriber and must not be
// modified.
type Frame struct {
	Codec codec.Codec
	// Params are the parameter sets in force, always complete. A change
	// gives a new pointer, so consumers compare pointers to notice it.
	Params *codec.Params
	// Timestamp is the camera's RTP timestamp (90 kHz).
	Timestamp uint32
	// NALUs are the access unit's NAL units. A keyframe's begin (after
	// any access unit delimiter) with the parameter sets, the camera's
	// or, where it did not repeat them, those held by the hub, so that a
	// decoder can start at any keyframe.
	NALUs    [][]byte
	Keyframe bool
	// Discontinuity marks the first frame after frames were lost: the
	// subscriber fell behind, the camera lost packets or restarted its
	// stream. The timestamps of the two sides are not to be joined.
	Discontinuity bool
}

// FrameSubscriber receives a hub's frames through a bounded queue. It
// starts at a keyframe; when the queue is full it drops frames until the
// next keyframe, so a slow consumer never slows the camera, the RTP
// viewers or the other subscribers.
type FrameSubscriber struct {
	hub     *Hub
	q       chan *Frame
	done    chan struct{} // closed when it ends, by Close or the hub closing
	once    sync.Once
	dropped atomic.Uint64

	// Owned by the hub's WriteRTP.
	started    bool
	waiting    bool
	overflowed bool
	skipRASL   bool
}

// Frames subscribes to the camera's access units, queueing at most
// queue frames (0: about a second's worth). The hub depacketises only
// while it has subscribers. ErrClosed when the hub is closed.
func (h *Hub) Frames(queue int) (*FrameSubscriber, error) {
	if h.codec == 0 {
		return nil, fmt.Errorf("live: no frames of codec %q", h.codecName)
	}
	if queue <= 0 {
		queue = defaultFrameQueue
	}
	s := &FrameSubscriber{hub: h, q: make(chan *Frame, queue), done: make(chan struct{}), waiting: true}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	old := *h.frameSubs.Load()
	subs := make([]*FrameSubscriber, len(old), len(old)+1)
	copy(subs, old)
	subs = append(subs, s)
	h.frameSubs.Store(&subs)
	h.notifyLocked()
	return s, nil
}

// Next returns the next frame, waiting for it. ErrClosed once the
// subscriber is closed or the hub closes; ctx's error when it ends.
func (s *FrameSubscriber) Next(ctx context.Context) (*Frame, error) {
	select {
	case <-s.done:
		return nil, ErrClosed
	default:
	}
	select {
	case f := <-s.q:
		return f, nil
	case <-s.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Done is closed when the subscription ends.
func (s *FrameSubscriber) Done() <-chan struct{} { return s.done }

// Dropped counts the frames dropped because the queue was full, and
// those skipped afterwards until a keyframe.
func (s *FrameSubscriber) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription.
func (s *FrameSubscriber) Close() {
	h := s.hub
	h.mu.Lock()
	old := *h.frameSubs.Load()
	subs := make([]*FrameSubscriber, 0, len(old))
	for _, o := range old {
		if o != s {
			subs = append(subs, o)
		}
	}
	if len(subs) != len(old) {
		h.frameSubs.Store(&subs)
		h.notifyLocked()
	}
	h.mu.Unlock()
	s.end()
}

func (s *FrameSubscriber) end() { s.once.Do(func() { close(s.done) }) }

// frameState is the hub's depacketiser for its frame subscribers, owned
// by WriteRTP.
type frameState struct {
	depack *codec.Depacketizer // nil while there are no subscribers
	gen    uint32
	params *codec.Params
}

// writeFrames feeds one camera packet to the frame subscribers.
func (h *Hub) writeFrames(pkt *rtp.Packet, subs []*FrameSubscriber) {
	fr := &h.fr
	if fr.depack == nil || fr.gen != h.gen {
		// A new depacketiser starts at the next picture; after a
		// restart of the camera's stream, every subscriber waits for a
		// keyframe.
		fr.depack, fr.gen = codec.NewDepacketizer(h.codec), h.gen
		for _, s := range subs {
			s.waiting = true
		}
	}
	if fr.params == nil {
		// Those learnt from the SDP and from packets so far.
		fr.params = &codec.Params{Codec: h.codec, VPS: h.params.vps, SPS: h.params.sps, PPS: h.params.pps}
	}
	au, err := fr.depack.Push(pkt)
	if au != nil {
		h.frame(au, subs)
	}
	if err != nil {
		// What follows a loss refers to what was lost.
		for _, s := range subs {
			s.waiting = true
		}
	}
}

// frame hands one access unit to the subscribers.
func (h *Hub) frame(au *codec.AccessUnit, subs []*FrameSubscriber) {
	fr := &h.fr
	p := fr.params
	for _, u := range au.NALUs {
		if codec.IsParameterSet(h.codec, u) {
			np := *p
			if np.Update(u) {
				p = &np
			}
		}
	}
	fr.params = p
	if !p.Complete() {
		return // nothing could decode it
	}
	f := &Frame{Codec: h.codec, Params: p, Timestamp: au.Timestamp, NALUs: au.NALUs, Keyframe: au.Keyframe}
	if au.Keyframe {
		f.NALUs = withParams(h.codec, au.NALUs, p)
	}
	for _, s := range subs {
		s.deliver(f)
	}
}

// deliver queues f for s, or drops it.
func (s *FrameSubscriber) deliver(f *Frame) {
	switch {
	case s.waiting:
		if !f.Keyframe {
			if s.overflowed {
				s.dropped.Add(1)
			}
			return
		}
		if s.started {
			c := *f
			c.Discontinuity = true
			f = &c
		}
		s.started, s.waiting, s.overflowed = true, false, false
		// Leading pictures of a CRA or BLA where decoding starts
		// refer to pictures before it, which the subscriber never had.
		s.skipRASL = f.Codec == codec.H265
	case s.skipRASL:
		if isRASL(f) {
			return
		}
		s.skipRASL = false
	}
	select {
	case s.q <- f:
	default:
		s.dropped.Add(1)
		s.waiting, s.overflowed = true, true
	}
}

// isRASL reports whether an H.265 access unit's picture is a RASL one.
func isRASL(f *Frame) bool {
	for _, u := range f.NALUs {
		if t := codec.NALUType(codec.H265, u); t <= h265VCLLast {
			return t == h265RASLN || t == h265RASLR
		}
	}
	return false
}

// withParams returns a keyframe's NAL units with the parameter sets in
// force first, after any access unit delimiter, and in-band copies of
// them removed.
func withParams(c codec.Codec, nalus [][]byte, p *codec.Params) [][]byte {
	sets := [][]byte{p.SPS, p.PPS}
	aud := uint8(h264AUD)
	if c == codec.H265 {
		sets = [][]byte{p.VPS, p.SPS, p.PPS}
		aud = h265AUD
	}
	out := make([][]byte, 0, len(nalus)+len(sets))
	rest := nalus
	if len(rest) > 0 && codec.NALUType(c, rest[0]) == aud {
		out = append(out, rest[0])
		rest = rest[1:]
	}
	out = append(out, sets...)
	for _, u := range rest {
		if !codec.IsParameterSet(c, u) {
			out = append(out, u)
		}
	}
	return out
}
