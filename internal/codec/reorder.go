package codec

import "github.com/pion/rtp"

// Limits of Reorderer's window, and how far a sequence number may move
// before it is taken as the sender restarting rather than loss or
// reordering (after RFC 3550 Appendix A.1).
const (
	maxReorderWindow = 16384
	maxDropout       = 3000
	maxMisorder      = 100
)

// Reorderer puts RTP packets received over UDP back in sequence order,
// handling 16-bit wrap-around. It is not safe for concurrent use.
type Reorderer struct {
	window int
	ring   []*rtp.Packet // ring[(head+i)%len(ring)] holds sequence number next+i
	head   int
	count  int
	next   uint16
	ssrc   uint32
	have   bool

	// A packet far from the expected sequence number is held on probation:
	// if its successor follows, the sender has restarted its sequence.
	probe *rtp.Packet

	out []*rtp.Packet
}

// NewReorderer returns a reorderer buffering up to window packets (at
// least 1, at most 16384; 64 suits most networks).
func NewReorderer(window int) *Reorderer {
	window = min(max(window, 1), maxReorderWindow)
	// Slot 0, for next, is only ever filled to be delivered at once, so
	// window+1 slots buffer window packets.
	return &Reorderer{window: window, ring: make([]*rtp.Packet, window+1)}
}

// Push returns the packets now deliverable in order: possibly none,
// possibly several. The slice is reused by the next call.
//
// Duplicates and packets older than the last delivered are dropped. A
// packet too far ahead to fit the window makes the oldest missing sequence
// numbers be skipped, delivering what was buffered behind them (the
// depacketizer then sees the gap). An SSRC change delivers whatever was
// buffered, then starts afresh with the new packet, delivered at once; so
// does a sequence number jump confirmed by a second, consecutive packet.
func (r *Reorderer) Push(pkt *rtp.Packet) []*rtp.Packet {
	r.out = r.out[:0]
	seq := pkt.SequenceNumber
	if !r.have || pkt.SSRC != r.ssrc {
		r.flush()
		r.restart(pkt)
		return r.out
	}
	d := int(int16(seq - r.next))
	switch {
	case d >= 0 && d <= r.window:
		r.probe = nil
		r.store(d, pkt)
	case d > r.window && d <= r.window+maxDropout:
		r.probe = nil
		r.advance(d - r.window)
		r.store(r.window, pkt)
	case d < 0 && d >= -(r.window+maxMisorder):
		// late or duplicate
	default:
		if r.probe != nil && seq == r.probe.SequenceNumber+1 {
			first := r.probe
			r.flush()
			r.restart(first)
			r.store(0, pkt)
			return r.out
		}
		r.probe = pkt
	}
	return r.out
}

func (r *Reorderer) restart(pkt *rtp.Packet) {
	r.have, r.ssrc = true, pkt.SSRC
	r.head, r.count, r.probe = 0, 0, nil
	r.next = pkt.SequenceNumber + 1
	r.out = append(r.out, pkt)
}

// store puts pkt at offset i from next and delivers the run that is now
// complete from next onwards.
func (r *Reorderer) store(i int, pkt *rtp.Packet) {
	slot := (r.head + i) % len(r.ring)
	if r.ring[slot] != nil {
		return // duplicate
	}
	r.ring[slot] = pkt
	r.count++
	for r.ring[r.head] != nil {
		r.out = append(r.out, r.ring[r.head])
		r.ring[r.head] = nil
		r.count--
		r.head = (r.head + 1) % len(r.ring)
		r.next++
	}
}

// advance skips n sequence numbers, delivering the packets buffered among
// them.
func (r *Reorderer) advance(n int) {
	for i := 0; i < n && r.count > 0; i++ {
		slot := (r.head + i) % len(r.ring)
		if p := r.ring[slot]; p != nil {
			r.out = append(r.out, p)
			r.ring[slot] = nil
			r.count--
		}
	}
	r.head = (r.head + n) % len(r.ring)
	r.next += uint16(n)
}

// flush delivers every buffered packet in order.
func (r *Reorderer) flush() {
	for i := 0; i < len(r.ring) && r.count > 0; i++ {
		slot := (r.head + i) % len(r.ring)
		if p := r.ring[slot]; p != nil {
			r.out = append(r.out, p)
			r.ring[slot] = nil
			r.count--
		}
	}
	r.count = 0
}

// Unwrapper extends 32-bit RTP timestamps to int64 across wrap-around. The
// zero value is ready to use.
type Unwrapper struct {
	last    int64
	started bool
}

// Unwrap returns int64(ts) on the first call; later calls return the value
// congruent to ts modulo 2^32 nearest the previous result, so the sequence
// crosses wrap-around in either direction.
func (u *Unwrapper) Unwrap(ts uint32) int64 {
	if !u.started {
		u.started = true
		u.last = int64(ts)
		return u.last
	}
	u.last += int64(int32(ts - uint32(u.last)))
	return u.last
}
