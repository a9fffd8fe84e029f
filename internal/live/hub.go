// Package live shows cameras in browsers with sub-second latency: WebRTC
// with WHEP signalling (RFC 9725), forwarding each camera's H.264 or H.265
// RTP packets as they arrive, without transcoding; and, where WebRTC
// cannot connect, fragmented MP4 of the same video for Media Source
// Extensions.
//
// A Hub belongs to one camera and is fed from its ingest goroutine, the
// same RTSP session that feeds the recorder: viewers never open a session
// of their own. Each viewer has a bounded queue, so a slow browser loses
// packets (and resumes at the next keyframe) rather than slowing the
// camera or the other viewers. WHEP turns browser offers into sessions
// that pull from a Hub. Frame subscribers (Hub.Frames) take whole access
// units instead, on the same terms, and FMP4 turns them into one MP4
// fragment per frame.
package live

import (
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/internal/codec"
)

// defaultQueue is a viewer's queue, in packets, unless WHEPOptions says
// otherwise: about a second of a 4 Mbit/s camera, room for a keyframe's
// burst.
const defaultQueue = 512

// Large jumps in the camera's numbering mean a new stream (an encoder or
// RTSP restart): viewers then restart at the next keyframe, their own
// numbering continuing.
const (
	maxSeqJump = 1000
	maxTSJump  = 10 * 90000
	// rebaseGap is the timestamp step given across such a restart: a
	// frame at 30 fps.
	rebaseGap = 3000
)

// Hub fans one camera's RTP packets out to its live viewers.
type Hub struct {
	codec     codec.Codec // 0 when NewHub was given a codec it does not know
	codecName string

	viewers   atomic.Pointer[[]*viewer]          // copy on write, under mu
	frameSubs atomic.Pointer[[]*FrameSubscriber] // copy on write, under mu
	done      chan struct{}                      // closed by Close

	mu      sync.Mutex
	closed  bool
	changed chan struct{} // closed and replaced when viewers come or go
	profile [3]byte       // H.264 profile-level-id, or H.265 profile and tier in [0]
	hasProf bool

	// State of the camera's goroutine, the only caller of WriteRTP.
	need     uint8 // the parameter sets an access unit must carry before a keyframe
	params   paramSets
	inject   []*pbuf // the parameter sets as payloads, sent before keyframes without them
	auTS     uint32
	auParams uint8
	auValid  bool
	last     struct {
		valid bool
		ssrc  uint32
		seq   uint16
		ts    uint32
	}
	gen   uint32 // counts the camera's stream restarts
	items []*pbuf
	split splitter
	fr    frameState

	// trace and readAt serve SetTrace and WriteRTPReceived.
	trace  func(read time.Time)
	readAt int64
}

// NewHub returns the hub of a camera sending codec ("H264" or "H265";
// "HEVC" is accepted) with the a=fmtp of its SDP, from which the
// parameter sets (sprop-parameter-sets; sprop-vps, -sps, -pps) are taken
// for the first keyframes and the profile for choosing among the
// browser's formats. A hub of an unknown codec drops every packet and
// WHEP offers for it fail with a CodecError.
func NewHub(codecName, fmtp string) *Hub {
	h := &Hub{codecName: codecName, done: make(chan struct{}), changed: make(chan struct{})}
	h.viewers.Store(new([]*viewer))
	h.frameSubs.Store(new([]*FrameSubscriber))
	c, ok := codec.ParseCodec(codecName)
	if !ok {
		return h
	}
	h.codec = c
	h.need = setSPS | setPPS
	if c == codec.H265 {
		h.need |= setVPS
	}
	h.split = splitter{codec: c, max: maxPayload, next: h.nextItem}
	if p, err := codec.ParamsFromFmtp(c, fmtp); err == nil {
		for _, u := range [][]byte{p.VPS, p.SPS, p.PPS} {
			if len(u) > 0 {
				h.params.update(c, u)
			}
		}
		h.paramsChanged()
	}
	if c == codec.H264 {
		for _, f := range strings.Split(fmtp, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
			if strings.EqualFold(strings.TrimSpace(k), "profile-level-id") {
				if b, ok := parseProfileLevelID(strings.TrimSpace(v)); ok {
					h.profile, h.hasProf = b, true
				}
			}
		}
	}
	return h
}

// SetTrace has each viewer's goroutine call fn right after every write
// of a camera's packet to the viewer returns, with the time the packet was
// read from the camera (WriteRTPReceived; WriteRTP's own time otherwise).
// It is for measuring latency; call it before the hub is shared. Unset,
// it costs a comparison per packet.
func (h *Hub) SetTrace(fn func(read time.Time)) { h.trace = fn }

// WriteRTPReceived is WriteRTP for a packet read from the camera at
// received, the time a trace (SetTrace) measures from.
func (h *Hub) WriteRTPReceived(pkt *rtp.Packet, received time.Time) {
	if h.trace != nil {
		h.readAt = received.UnixNano()
	}
	h.WriteRTP(pkt)
	h.readAt = 0
}

// Codec returns the camera's codec as given to NewHub.
func (h *Hub) Codec() string { return h.codecName }

// paramsChanged rebuilds the injected payload and the profile after the
// parameter sets changed.
func (h *Hub) paramsChanged() {
	h.inject = h.inject[:0]
	if p := h.params.injection(h.codec); len(p) > h.split.max {
		// Sets too large for one packet go in several.
		sp := splitter{codec: h.codec, max: h.split.max, next: func() *[]byte {
			b := &pbuf{static: true}
			h.inject = append(h.inject, b)
			return &b.data
		}}
		if !sp.split(p) {
			h.inject = h.inject[:0]
		}
	} else if p != nil {
		h.inject = append(h.inject, &pbuf{static: true, data: p})
	}
	sps := h.params.sps
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.codec == codec.H264 && len(sps) >= 4:
		h.profile, h.hasProf = [3]byte{sps[1], sps[2], sps[3]}, true
	case h.codec == codec.H265 && len(sps) >= 4:
		// profile_tier_level follows the NAL unit header and one byte
		// of ids: profile space (2 bits), tier (1), profile idc (5).
		h.profile, h.hasProf = [3]byte{sps[3]}, true
	}
}

// cameraProfile returns the profile bytes for codec negotiation.
func (h *Hub) cameraProfile() ([3]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.profile, h.hasProf
}

// Viewers returns the number of viewers receiving the camera: RTP
// viewers and frame subscribers.
func (h *Hub) Viewers() int { return len(*h.viewers.Load()) + len(*h.frameSubs.Load()) }

// WatchViewers returns Viewers and a channel closed when that number
// next changes or the hub closes, for components that act when the last
// viewer leaves.
func (h *Hub) WatchViewers() (int, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.Viewers(), h.changed
}

// notifyLocked wakes the watchers of the number of viewers.
func (h *Hub) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// Done is closed when the hub closes.
func (h *Hub) Done() <-chan struct{} { return h.done }

// Close ends every viewer and frame subscriber; later ones are refused.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	old := h.viewers.Swap(new([]*viewer))
	subs := h.frameSubs.Swap(new([]*FrameSubscriber))
	close(h.done)
	h.notifyLocked()
	h.mu.Unlock()
	for _, v := range *old {
		v.stop()
		if v.onHubClose != nil {
			v.onHubClose()
		}
	}
	for _, s := range *subs {
		s.end()
	}
}

func (h *Hub) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

func (h *Hub) add(v *viewer) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	old := *h.viewers.Load()
	vs := make([]*viewer, len(old), len(old)+1)
	copy(vs, old)
	v.trace = h.trace
	vs = append(vs, v)
	h.viewers.Store(&vs)
	h.notifyLocked()
	return nil
}

// remove takes v off the hub and stops it.
func (h *Hub) remove(v *viewer) {
	h.mu.Lock()
	old := *h.viewers.Load()
	vs := make([]*viewer, 0, len(old))
	for _, o := range old {
		if o != v {
			vs = append(vs, o)
		}
	}
	if len(vs) != len(old) {
		h.viewers.Store(&vs)
		h.notifyLocked()
	}
	h.mu.Unlock()
	v.stop()
}

// WriteRTP forwards one of the camera's packets to every viewer. It is
// called from the camera's goroutine, for every packet in order, never
// concurrently. It does not block on viewers, costs next to nothing when
// there are none, and keeps nothing of pkt.
func (h *Hub) WriteRTP(pkt *rtp.Packet) {
	p := pkt.Payload
	if h.codec == 0 || len(p) == 0 || len(p) > maxCameraPayload {
		return
	}
	l := &h.last
	if l.valid && (pkt.SSRC != l.ssrc || absInt(int(int16(pkt.SequenceNumber-l.seq))) > maxSeqJump ||
		absInt(int(int32(pkt.Timestamp-l.ts))) > maxTSJump) {
		h.gen++
	}
	l.valid, l.ssrc, l.seq, l.ts = true, pkt.SSRC, pkt.SequenceNumber, pkt.Timestamp
	if !h.auValid || pkt.Timestamp != h.auTS {
		h.auValid, h.auTS, h.auParams = true, pkt.Timestamp, 0
	}
	if subs := *h.frameSubs.Load(); len(subs) > 0 {
		h.writeFrames(pkt, subs)
	} else if h.fr.depack != nil {
		// The next subscriber starts afresh, with the sets then in force.
		h.fr = frameState{}
	}
	vs := *h.viewers.Load()
	if len(vs) == 0 {
		// Parameter sets are still tracked, so that a viewer joining
		// later gets those in use, not stale ones from the SDP. Only
		// the packet types that can carry them are looked into.
		if h.mayCarryParams(p) {
			h.noteParams(p, analyze(h.codec, p))
		}
		return
	}
	info := analyze(h.codec, p)
	h.noteParams(p, info)

	items := h.items[:0]
	if info.irapStart && h.auParams&h.need != h.need {
		// The camera does not repeat its parameter sets before this
		// keyframe; a browser joining here needs them in band.
		items = append(items, h.inject...)
	}
	h.items = items
	if len(p) <= h.split.max || !h.split.split(p) {
		b := h.nextItem()
		*b = append(*b, p...)
	}
	items = h.items
	items[len(items)-1].marker = pkt.Marker
	if h.trace != nil {
		at := h.readAt
		if at == 0 {
			at = time.Now().UnixNano()
		}
		for _, b := range items {
			if !b.static { // shared by every packet: no stamp of its own
				b.read = at
			}
		}
	}
	for _, v := range vs {
		h.deliver(v, items, info, pkt.SequenceNumber, pkt.Timestamp)
	}
	for i, b := range items {
		b.release()
		items[i] = nil
	}
	h.items = items[:0]
}

// nextItem starts a new outgoing payload for the current packet.
func (h *Hub) nextItem() *[]byte {
	b := getBuf()
	h.items = append(h.items, b)
	return &b.data
}

func (h *Hub) mayCarryParams(p []byte) bool {
	t := codec.NALUType(h.codec, p)
	if h.codec == codec.H265 {
		return t == h265VPS || t == h265SPS || t == h265PPS || t == h265AP
	}
	return t == h264SPS || t == h264PPS || t == h264STAPA
}

func (h *Hub) noteParams(p []byte, info pktInfo) {
	if info.params == 0 {
		return
	}
	h.auParams |= info.params
	if h.params.learn(h.codec, p) {
		h.paramsChanged()
	}
}

// deliver queues a packet's payloads (items) for viewer v, or drops them.
func (h *Hub) deliver(v *viewer, items []*pbuf, info pktInfo, seq uint16, ts uint32) {
	if v.started && v.gen != h.gen {
		v.gen, v.waiting, v.rebase, v.provisional = h.gen, true, true, false
	}
	if v.provisional && info.vclStart && !info.irapStart {
		// It started on parameter sets, but this picture is no
		// keyframe: wait for one.
		v.waiting, v.provisional = true, false
	}
	if v.waiting {
		if !info.keyStart() {
			if v.overflowed {
				v.dropped.Add(1)
			}
			return
		}
		switch {
		case !v.started:
			v.started, v.gen = true, h.gen
			v.seqOff = uint16(rand.Uint32()) - seq
			v.tsOff = rand.Uint32() - ts
		case v.rebase:
			v.seqOff = v.lastSeq + 1 - seq
			v.tsOff = v.lastTS + rebaseGap - ts
		default:
			// Resuming after an overflow: what was dropped leaves no
			// gap, so the browser does not ask for it again.
			v.seqOff = v.lastSeq + 1 - seq
		}
		v.waiting, v.overflowed, v.rebase = false, false, false
		v.provisional = !info.irapStart
	}
	if info.irapStart {
		v.provisional = false
	}
	out, outTS := seq+v.seqOff, ts+v.tsOff
	for i, b := range items {
		b.retain()
		select {
		case v.q <- item{b: b, seq: out + uint16(i), ts: outTS}:
			v.lastSeq, v.lastTS = out+uint16(i), outTS
		default:
			b.release()
			v.dropped.Add(1)
			v.waiting, v.overflowed, v.provisional = true, true, false
			return
		}
	}
	v.seqOff += uint16(len(items) - 1)
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// pbuf is one outgoing payload, shared by every viewer it is queued for.
// The last to release it returns it to the pool; static ones (the
// injected parameter sets) are never recycled.
type pbuf struct {
	refs   atomic.Int32
	static bool
	marker bool
	read   int64 // Unix nanoseconds, while the hub has a trace
	data   []byte
}

// Buffers that grew past this are left to the collector rather than the
// pool, so one huge packet does not pin memory.
const poolMaxCap = 4096

var bufPool = sync.Pool{New: func() any { return &pbuf{data: make([]byte, 0, 1500)} }}

func getBuf() *pbuf {
	b := bufPool.Get().(*pbuf)
	b.refs.Store(1)
	b.marker = false
	b.data = b.data[:0]
	return b
}

func (b *pbuf) retain() {
	if !b.static {
		b.refs.Add(1)
	}
}

func (b *pbuf) release() {
	if b.static || b.refs.Add(-1) != 0 {
		return
	}
	if cap(b.data) <= poolMaxCap {
		bufPool.Put(b)
	}
}

// item is a payload queued for one viewer, with that viewer's numbering.
type item struct {
	b   *pbuf
	seq uint16
	ts  uint32
}

// viewer is one receiver of a hub's packets: a queue and the goroutine
// that empties it into write.
type viewer struct {
	q          chan item
	done       chan struct{}
	exited     chan struct{}
	stopOnce   sync.Once
	write      func(*rtp.Packet) error
	onHubClose func()
	trace      func(read time.Time) // the hub's, set before the viewer is added

	sent, dropped atomic.Uint64

	// Owned by the hub's WriteRTP.
	started     bool // has received its first keyframe
	waiting     bool // drops packets until a keyframe
	overflowed  bool // waits because its queue overflowed: drops are counted
	rebase      bool // the camera's stream restarted: renumber from the last sent
	provisional bool // started on parameter sets, the keyframe slice not seen yet
	gen         uint32
	seqOff      uint16
	tsOff       uint32
	lastSeq     uint16
	lastTS      uint32
}

// newViewer makes a viewer with a queue of size packets that writes with
// write; onHubClose, if set, is called when the hub closes. Its goroutine
// runs until stop.
func newViewer(size int, write func(*rtp.Packet) error, onHubClose func()) *viewer {
	if size <= 0 {
		size = defaultQueue
	}
	v := &viewer{
		q:          make(chan item, size),
		done:       make(chan struct{}),
		exited:     make(chan struct{}),
		write:      write,
		onHubClose: onHubClose,
		waiting:    true,
	}
	go v.run()
	return v
}

func (v *viewer) run() {
	defer close(v.exited)
	var pkt rtp.Packet
	for {
		select {
		case it := <-v.q:
			pkt.Header = rtp.Header{Version: 2, Marker: it.b.marker, SequenceNumber: it.seq, Timestamp: it.ts}
			pkt.Payload = it.b.data
			err := v.write(&pkt)
			if v.trace != nil && !it.b.static {
				v.trace(time.Unix(0, it.b.read))
			}
			pkt.Payload = nil
			it.b.release()
			if err == nil {
				v.sent.Add(1)
			}
		case <-v.done:
			for {
				select {
				case it := <-v.q:
					it.b.release()
				default:
					return
				}
			}
		}
	}
}

// stop ends the viewer's goroutine. Packets the hub queues afterwards are
// left to the collector.
func (v *viewer) stop() {
	v.stopOnce.Do(func() { close(v.done) })
}
