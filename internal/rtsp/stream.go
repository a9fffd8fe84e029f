package rtsp

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

const (
	// sessionQueueLen bounds what a slow reader can hold back: about 5 s
	// of a 4 Mbit/s camera. A session that falls further behind is cut off
	// rather than slowing the producer or every other session.
	sessionQueueLen = 2048
	srInterval      = 2 * time.Second
	maxRTPSize      = 65535 // the interleaved length field is 16 bits
	ntpEpochOffset  = 2208988800
)

// StreamMedia is the media description a Stream advertises.
type StreamMedia struct {
	EncodingName string // "H264" / "H265"
	PayloadType  uint8
	ClockRate    uint32 // 0 means 90000
	Fmtp         string
}

// Stream is one published media, fanned out to every playing session.
// Its methods are safe for concurrent use.
type Stream struct {
	media StreamMedia

	mu       sync.Mutex
	sessions []*serverSession // playing
	closed   bool

	// Sender state for RTCP sender reports.
	have     bool
	ssrc     uint32
	lastSeq  uint16
	lastTS   uint32
	packets  uint32
	octets   uint32
	clockSet bool
	clockRTP uint32
	clockAt  time.Time
}

// NewStream returns a stream advertising m.
func NewStream(m StreamMedia) *Stream {
	if m.ClockRate == 0 {
		m.ClockRate = 90000
	}
	return &Stream{media: m}
}

// sharedPacket is a marshaled RTP packet shared by every session queue it
// was put on; the last holder returns it to the pool.
type sharedPacket struct {
	buf  []byte
	refs atomic.Int32
}

var packetPool = sync.Pool{New: func() any { return &sharedPacket{buf: make([]byte, 0, 1500)} }}

func getPacket(size int) *sharedPacket {
	p := packetPool.Get().(*sharedPacket)
	if cap(p.buf) < size {
		p.buf = make([]byte, size)
	}
	p.buf = p.buf[:size]
	return p
}

func (p *sharedPacket) release() {
	if p.refs.Add(-1) == 0 {
		packetPool.Put(p)
	}
}

// WriteRTP sends the packet to every playing session. It marshals once and
// never blocks: a session whose queue is full is disconnected. After Close
// it does nothing. The caller keeps ownership of pkt.
func (st *Stream) WriteRTP(pkt *rtp.Packet) error {
	size := pkt.MarshalSize()
	if size > maxRTPSize {
		return fmt.Errorf("rtsp: RTP packet of %d bytes exceeds %d", size, maxRTPSize)
	}
	p := getPacket(size)
	p.refs.Store(1)
	if _, err := pkt.MarshalTo(p.buf); err != nil {
		p.release()
		return fmt.Errorf("rtsp: marshal RTP: %w", err)
	}
	now := time.Now()
	var ovBuf [4]*serverSession
	overflow := ovBuf[:0]

	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		p.release()
		return nil
	}
	st.have = true
	st.ssrc = pkt.SSRC
	st.lastSeq = pkt.SequenceNumber
	st.lastTS = pkt.Timestamp
	st.packets++
	st.octets += uint32(len(pkt.Payload))
	if !st.clockSet {
		st.clockRTP, st.clockAt = pkt.Timestamp, now
	}
	p.refs.Add(int32(len(st.sessions)))
	for _, ss := range st.sessions {
		select {
		case ss.queue <- p:
		default:
			p.refs.Add(-1)
			overflow = append(overflow, ss)
		}
	}
	st.mu.Unlock()

	for _, ss := range overflow {
		ss.srv.log.Warn("rtsp: session queue overflow, disconnecting", "session", ss.id, "client", ss.owner.remote)
		ss.end("queue overflow", true)
	}
	p.release()
	return nil
}

// SetClock tells the stream which wall-clock instant an RTP timestamp
// corresponds to, for sender reports. Without it, the time of each WriteRTP
// is taken as the packet's capture time.
func (st *Stream) SetClock(rtpTime uint32, at time.Time) {
	st.mu.Lock()
	st.clockSet = true
	st.clockRTP, st.clockAt = rtpTime, at
	st.mu.Unlock()
}

// Sessions returns the number of playing sessions.
func (st *Stream) Sessions() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.sessions)
}

// DropSessions abruptly closes the connection of every playing TCP session
// and forgets every UDP session, as a crashing camera would. It exists for
// fault injection.
func (st *Stream) DropSessions() {
	for _, ss := range st.snapshot(false) {
		if ss.tcp {
			ss.owner.nc.Close()
		}
		ss.end("dropped", false)
	}
}

// Close ends every session, saying goodbye with RTCP BYE where that does
// not block. Later WriteRTP calls do nothing.
func (st *Stream) Close() {
	for _, ss := range st.snapshot(true) {
		ss.sendBye()
		ss.end("stream closed", true)
	}
}

func (st *Stream) snapshot(closing bool) []*serverSession {
	st.mu.Lock()
	defer st.mu.Unlock()
	if closing {
		st.closed = true
	}
	return append([]*serverSession(nil), st.sessions...)
}

func (st *Stream) isClosed() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.closed
}

// attach starts fanning packets out to ss and returns what the client's
// first packet will carry, for RTP-Info.
func (st *Stream) attach(ss *serverSession) (seq uint16, ts uint32, have bool, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return 0, 0, false, errors.New("rtsp: stream closed")
	}
	select {
	case <-ss.done:
		// end already ran its detach; attaching now would leak ss.
		return 0, 0, false, errors.New("rtsp: session ended")
	default:
	}
	st.sessions = append(st.sessions, ss)
	return st.lastSeq + 1, st.lastTS, st.have, nil
}

func (st *Stream) detach(ss *serverSession) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for i, s := range st.sessions {
		if s == ss {
			st.sessions = slices.Delete(st.sessions, i, i+1)
			return
		}
	}
}

// senderReport describes the stream now: the RTP time is the clock
// mapping extrapolated to now, so receivers can place packets on the wall
// clock.
func (st *Stream) senderReport(now time.Time) (rtcp.SenderReport, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.have {
		return rtcp.SenderReport{}, false
	}
	elapsed := now.Sub(st.clockAt).Seconds() * float64(st.media.ClockRate)
	return rtcp.SenderReport{
		SSRC:        st.ssrc,
		NTPTime:     ntpTime(now),
		RTPTime:     st.clockRTP + uint32(int64(elapsed)),
		PacketCount: st.packets,
		OctetCount:  st.octets,
	}, true
}

func (st *Stream) currentSSRC() (uint32, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.ssrc, st.have
}

func ntpTime(t time.Time) uint64 {
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := (uint64(t.Nanosecond()) << 32) / 1e9
	return secs<<32 | frac
}
