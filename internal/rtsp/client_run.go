package rtsp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pion/rtcp"
)

const rtcpQueueLen = 16

func frameLen(hdr []byte) int { return int(hdr[2])<<8 | int(hdr[3]) }

// Run reads packets and calls h on this goroutine until ctx is done
// (ctx.Err()), the camera closes the connection (an error wrapping io.EOF),
// nothing arrives for ReadTimeout (ErrSilence), Close is called (ErrClosed)
// or the camera breaks the protocol. It keeps the session alive with
// GET_PARAMETER (or OPTIONS when the camera did not list GET_PARAMETER) at
// half the session timeout. Run may be called once.
func (s *Session) Run(ctx context.Context, h PacketHandler) error {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return ErrClosed
	case s.ran:
		s.mu.Unlock()
		return errors.New("rtsp: Run called twice")
	}
	s.ran, s.running = true, true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()

	rs := &runState{ctx: ctx, h: h}
	now := time.Now()
	s.lastPacket.Store(now.UnixNano())
	// Arm the silence deadline before ctx can wake us, so that a wake-up is
	// never overwritten.
	if s.udp == nil {
		s.conn.SetReadDeadline(now.Add(s.opts.ReadTimeout))
	} else {
		s.udp.rtp.SetReadDeadline(now.Add(s.opts.ReadTimeout))
	}
	helperCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	// One goroutine both keeps the session alive and, reading TCP in
	// batches, follows the bitrate: a goroutine, and its stack, per camera
	// fewer than one for each.
	batch := s.udp == nil && s.opts.Batch > 0
	go func() {
		defer wg.Done()
		s.keepAliveLoop(helperCtx, batch)
	}()
	stopWake := context.AfterFunc(ctx, s.wake)

	var err error
	if s.udp == nil {
		s.tcpRun = rs
		err = s.demux(s.br, h)
		s.tcpRun = nil
	} else {
		s.rtcpQ = make(chan rtcpItem, rtcpQueueLen)
		wg.Add(2)
		go func() {
			defer wg.Done()
			s.readRTCPLoop(helperCtx)
		}()
		go func() {
			defer wg.Done()
			s.controlReadLoop(helperCtx)
		}()
		err = s.runUDP(rs)
	}
	stopWake()
	cancel()
	// Interrupt the helpers' blocking reads; Close may read again later
	// with its own deadline.
	s.conn.SetReadDeadline(aLongTimeAgo)
	if s.udp != nil {
		s.udp.rtcp.SetReadDeadline(aLongTimeAgo)
	}
	wg.Wait()
	if s.udp != nil {
		s.udp.rtcp.SetReadDeadline(time.Time{})
	}

	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s.isClosed() {
		return ErrClosed
	}
	return runError(err)
}

func runError(err error) error {
	if errors.Is(err, ErrSilence) || errors.Is(err, ErrClosed) {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("rtsp: camera closed the connection: %w", io.EOF)
	}
	if strings.HasPrefix(err.Error(), "rtsp: ") {
		return err
	}
	return fmt.Errorf("rtsp: %w", err)
}

func (s *Session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Session) setFatal(err error) {
	s.mu.Lock()
	if s.fatalErr == nil {
		s.fatalErr = err
	}
	s.mu.Unlock()
	s.wake()
}

func (s *Session) fatal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fatalErr
}

// wake interrupts Run's blocking read so it looks at ctx, helper errors
// and queued RTCP. Wakers set their condition first, then call wake.
func (s *Session) wake() {
	if s.udp != nil {
		s.udp.rtp.SetReadDeadline(aLongTimeAgo)
	} else if s.conn != nil {
		s.conn.SetReadDeadline(aLongTimeAgo)
	}
}

// afterTimeout runs on Run's goroutine when the data read timed out,
// either because wake was called or because nothing arrived. It returns
// nil after re-arming the deadline when reading should go on.
func (s *Session) afterTimeout(rs *runState, setDeadline func(time.Time) error) error {
	for {
		if err := rs.ctx.Err(); err != nil {
			return err
		}
		if err := s.fatal(); err != nil {
			return err
		}
		s.deliverRTCP(rs.h)
		last := time.Unix(0, s.lastPacket.Load())
		dl := last.Add(s.opts.ReadTimeout)
		if !time.Now().Before(dl) {
			return ErrSilence
		}
		if err := setDeadline(dl); err != nil {
			return err
		}
		// A waker that acted between the checks above and the new deadline
		// had its wake-up overwritten: look once more.
		if rs.ctx.Err() == nil && s.fatal() == nil && len(s.rtcpQ) == 0 {
			return nil
		}
	}
}

// demux reads a TCP connection carrying interleaved frames ($, channel,
// length, data) mixed with RTSP messages.
func (s *Session) demux(br *bufio.Reader, h PacketHandler) error {
	for {
		hdr, err := br.Peek(4)
		if err != nil {
			if errors.Is(err, io.EOF) && br.Buffered() > 0 {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if hdr[0] == '$' {
			ch, n := hdr[1], frameLen(hdr)
			var frame []byte
			peeked := 4+n <= br.Size()
			if peeked {
				frame, err = br.Peek(4 + n)
			} else {
				// Larger than the reader (clientReaderSize), which
				// cameras' packets seldom are: gathered apart.
				s.big = slices.Grow(s.big[:0], 4+n)[:4+n]
				_, err = io.ReadFull(br, s.big)
				frame = s.big
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
			// Received when the read that completed the frame returned,
			// not when it is parsed after the frames before it.
			now := s.readAt
			if now.IsZero() {
				now = time.Now()
			}
			switch ch {
			case s.rtpCh:
				s.handleRTP(frame[4:], h, now)
			case s.rtcpCh:
				s.handleRTCP(frame[4:], h, now)
			}
			if peeked {
				br.Discard(4 + n)
			}
			continue
		}
		m, err := readMessage(br, maxBodyBytes)
		if err != nil {
			return err
		}
		s.handleControl(m)
	}
}

func (s *Session) handleRTP(b []byte, h PacketHandler, now time.Time) {
	s.bytes.Add(uint64(len(b)))
	if err := s.pkt.Unmarshal(b); err != nil || s.pkt.Version != 2 {
		s.badPackets.Add(1)
		return
	}
	s.rtpPackets.Add(1)
	s.lastPacket.Store(now.UnixNano())
	if s.udp != nil {
		s.rr.received(s.pkt.SSRC, s.pkt.SequenceNumber, s.pkt.Timestamp, s.media.ClockRate, now)
	}
	h.HandleRTP(&s.pkt, now)
}

func (s *Session) handleRTCP(b []byte, h PacketHandler, now time.Time) {
	s.bytes.Add(uint64(len(b)))
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		s.badPackets.Add(1)
		return
	}
	s.rtcpPackets.Add(1)
	s.lastPacket.Store(now.UnixNano())
	h.HandleRTCP(pkts, now)
}

// handleControl deals with an RTSP message that arrived while playing:
// replies to keep-alives and TEARDOWN, or a request from the server.
func (s *Session) handleControl(m *message) {
	if m.isRequest() {
		s.answerServerRequest(m)
		return
	}
	c := int64(m.cseq())
	switch {
	case c >= 0 && c == s.teardownCSeq.Load():
		s.ackOnce.Do(func() { close(s.teardownAck) })
	case c >= 0 && c == s.keepAliveCSeq.Load():
		if m.status == 401 && s.auth.haveCreds {
			// The nonce expired: answer the new challenge right away rather
			// than letting the session time out.
			s.wmu.Lock()
			ok := s.auth.accept(parseChallenges(m.header.values("WWW-Authenticate")))
			s.wmu.Unlock()
			if ok {
				select {
				case s.kick <- struct{}{}:
				default:
				}
			}
		}
		if m.status == 454 {
			// The camera forgot us; nothing more will come.
			s.setFatal(fmt.Errorf("rtsp: keep-alive: %d %s", m.status, m.reason))
		} else if m.status/100 != 2 {
			s.log.Warn("rtsp: keep-alive refused", "status", m.status, "reason", m.reason)
		}
	}
}

// keepAliveLoop sends keep-alives (and, over UDP, receiver reports) and,
// when batch is set, sets the receive low-water mark (batcher) until ctx
// ends.
func (s *Session) keepAliveLoop(ctx context.Context, batch bool) {
	ka := time.NewTicker(s.keepAlive)
	defer ka.Stop()
	var rrC <-chan time.Time
	if s.udp != nil && s.serverRTCP.IsValid() {
		rr := time.NewTicker(rrInterval)
		defer rr.Stop()
		rrC = rr.C
	}
	var batchC <-chan time.Time
	var b *batcher
	if batch {
		if b = s.newBatcher(); b != nil {
			t := time.NewTicker(b.every)
			defer t.Stop()
			batchC = t.C
		}
	}
	kicked := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-batchC:
			b.tick()
		case <-ka.C:
			kicked = false
			s.sendKeepAlive()
		case <-s.kick:
			// At most one immediate retry between regular keep-alives.
			if !kicked {
				kicked = true
				s.sendKeepAlive()
			}
		case <-rrC:
			s.sendRR()
		}
	}
}

func (s *Session) sendKeepAlive() {
	method := "OPTIONS"
	if s.getParameter {
		method = "GET_PARAMETER"
	}
	_, err := s.writeRequest(method, s.aggregate, nil, time.Now().Add(s.opts.Timeout), &s.keepAliveCSeq)
	if err != nil {
		s.log.Debug("rtsp: keep-alive", "err", err)
	}
}

// controlReadLoop reads the control connection during a UDP Run, where
// only keep-alive replies (and the camera closing it) are expected.
func (s *Session) controlReadLoop(ctx context.Context) {
	for {
		m, err := s.readControl()
		if err != nil {
			if ctx.Err() == nil {
				if errors.Is(err, io.ErrUnexpectedEOF) {
					err = io.EOF
				}
				s.setFatal(fmt.Errorf("rtsp: control connection: %w", err))
			}
			return
		}
		s.handleControl(m)
	}
}

func (s *Session) runUDP(rs *runState) error {
	conn := s.udp.rtp
	buf := make([]byte, 65536)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if !isTimeout(err) {
				return err
			}
			if err := s.afterTimeout(rs, conn.SetReadDeadline); err != nil {
				return err
			}
			continue
		}
		if from.Addr().Unmap() != s.camIP {
			continue
		}
		s.handleRTP(buf[:n], rs.h, time.Now())
		if len(s.rtcpQ) > 0 {
			s.deliverRTCP(rs.h)
		}
	}
}

// readRTCPLoop parses RTCP from the camera and queues it for Run's
// goroutine, which is the only one that calls the handler.
func (s *Session) readRTCPLoop(ctx context.Context) {
	buf := make([]byte, 8192)
	for {
		n, from, err := s.udp.rtcp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) || isTimeout(err) {
				return
			}
			continue
		}
		if from.Addr().Unmap() != s.camIP {
			continue
		}
		now := time.Now()
		s.bytes.Add(uint64(n))
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			s.badPackets.Add(1)
			continue
		}
		s.rtcpPackets.Add(1)
		s.lastPacket.Store(now.UnixNano())
		s.rr.senderReport(pkts, now)
		select {
		case s.rtcpQ <- rtcpItem{pkts, now}:
		default: // Run is far behind; RTCP is advisory
		}
		s.wake()
	}
}

func (s *Session) deliverRTCP(h PacketHandler) {
	for {
		select {
		case it := <-s.rtcpQ:
			h.HandleRTCP(it.pkts, it.at)
		default:
			return
		}
	}
}

func (s *Session) sendRR() {
	rr, ok := s.rr.report(time.Now())
	if !ok {
		return
	}
	b, err := rr.Marshal()
	if err != nil {
		return
	}
	s.udp.rtcp.WriteToUDPAddrPort(b, s.serverRTCP)
}

// Close sends TEARDOWN (best effort, waiting at most 2 s for the reply) and
// closes the sockets. It is safe to call twice and while Run runs, which
// then returns ErrClosed.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		running := s.running
		s.mu.Unlock()
		s.teardown(running)
		s.conn.Close()
		if s.udp != nil {
			s.udp.close()
		}
	})
	return nil
}

func (s *Session) teardown(running bool) {
	wait := min(s.opts.Timeout, maxTeardownWait)
	deadline := time.Now().Add(wait)
	if _, err := s.writeRequest("TEARDOWN", s.aggregate, nil, deadline, &s.teardownCSeq); err != nil {
		return
	}
	if running {
		// Run's goroutine reads the reply and signals it.
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-s.teardownAck:
		case <-t.C:
		}
		return
	}
	if s.conn.SetReadDeadline(deadline) != nil {
		return
	}
	for range maxSkippedReplies {
		m, err := s.readControl()
		if err != nil {
			return
		}
		if !m.isRequest() && int64(m.cseq()) == s.teardownCSeq.Load() {
			return
		}
	}
}

// rrState follows reception for RTCP receiver reports (RFC 3550 A.1, A.3
// and A.8), fed by Run's goroutine and read by the keep-alive goroutine.
type rrState struct {
	mu      sync.Mutex
	ourSSRC uint32
	lastSR  uint32
	srAt    time.Time
	st      rrSource
}

// rrSource is what is known about the sender being received.
type rrSource struct {
	started     bool
	ssrc        uint32
	baseSeq     uint32
	maxSeq      uint16
	cycles      uint32
	count       uint32
	expPrior    uint32
	recvPrior   uint32
	start       time.Time
	lastTransit float64
	jitter      float64
}

func (r *rrState) received(ssrc uint32, seq uint16, ts uint32, clock uint32, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := &r.st
	if !st.started || ssrc != st.ssrc {
		*st = rrSource{started: true, ssrc: ssrc, baseSeq: uint32(seq), maxSeq: seq, start: now}
		if r.ourSSRC == 0 {
			r.ourSSRC = rand.Uint32() | 1
		}
	} else if d := seq - st.maxSeq; d != 0 && d < 0x8000 {
		if seq < st.maxSeq {
			st.cycles += 1 << 16
		}
		st.maxSeq = seq
	}
	st.count++
	arrival := now.Sub(st.start).Seconds() * float64(clock)
	transit := arrival - float64(ts)
	if st.count > 1 {
		d := math.Abs(transit - st.lastTransit)
		if d < float64(clock)*10 { // a timestamp jump is not jitter
			st.jitter += (d - st.jitter) / 16
		}
	}
	st.lastTransit = transit
}

func (r *rrState) senderReport(pkts []rtcp.Packet, now time.Time) {
	for _, p := range pkts {
		if sr, ok := p.(*rtcp.SenderReport); ok {
			r.mu.Lock()
			r.lastSR = uint32(sr.NTPTime >> 16)
			r.srAt = now
			r.mu.Unlock()
		}
	}
}

func (r *rrState) report(now time.Time) (*rtcp.ReceiverReport, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := &r.st
	if !st.started {
		return nil, false
	}
	extMax := st.cycles + uint32(st.maxSeq)
	expected := extMax - st.baseSeq + 1
	lost := max(min(int64(expected)-int64(st.count), 0x7fffff), 0)
	expInt := expected - st.expPrior
	recvInt := st.count - st.recvPrior
	st.expPrior, st.recvPrior = expected, st.count
	var fraction uint8
	if expInt > 0 && expInt > recvInt {
		fraction = uint8((uint64(expInt-recvInt) << 8) / uint64(expInt))
	}
	var delay uint32
	if r.lastSR != 0 {
		delay = uint32(now.Sub(r.srAt).Seconds() * 65536)
	}
	return &rtcp.ReceiverReport{
		SSRC: r.ourSSRC,
		Reports: []rtcp.ReceptionReport{{
			SSRC:               st.ssrc,
			FractionLost:       fraction,
			TotalLost:          uint32(lost),
			LastSequenceNumber: extMax,
			Jitter:             uint32(st.jitter),
			LastSenderReport:   r.lastSR,
			Delay:              delay,
		}},
	}, true
}

// maxLowat bounds a batch: read in two reads of the buffered reader
// (clientReaderSize) at most.
const maxLowat = 48 << 10

// batcher sets the socket's receive low-water mark to about Batch of
// the stream at its measured bitrate, so the reader wakes once per batch
// rather than per packet. It follows the bitrate, so a slow camera is
// never held back past Batch and never looks silent. keepAliveLoop runs
// it every batchEvery.
type batcher struct {
	s     *Session
	every time.Duration
	last  uint64 // bytes received at the last tick
}

// newBatcher starts batching reads, or returns nil where the connection
// cannot (not TCP).
func (s *Session) newBatcher() *batcher {
	tc, ok := s.conn.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	s.batch.mu.Lock()
	s.batch.rc = rc
	s.batch.mu.Unlock()
	return &batcher{s: s, every: batchEvery, last: s.bytes.Load()}
}

func (b *batcher) tick() {
	s := b.s
	now := s.bytes.Load()
	rate := float64(now-b.last) / b.every.Seconds()
	b.last = now
	want := int(rate * s.opts.Batch.Seconds())
	want = max(1, min(want, maxLowat))
	s.batch.mu.Lock()
	// Only a real change is worth a system call.
	if w := s.batch.want; want > w*5/4 || want < w*3/4 {
		s.batch.want = want
		s.batch.apply()
	}
	s.batch.mu.Unlock()
}

// batchEvery is how often the batcher measures the bitrate; a variable for
// tests.
var batchEvery = 2 * time.Second

// batchState is the low-water mark the batcher wants and the one set.
type batchState struct {
	mu     sync.Mutex
	rc     syscall.RawConn // nil until the batcher starts
	want   int
	set    int
	paused bool
}

// apply sets the low-water mark wanted, or 1 while paused; under mu.
func (b *batchState) apply() {
	want := max(b.want, 1)
	if b.paused {
		want = 1
	}
	if b.rc == nil || want == max(b.set, 1) {
		return
	}
	b.rc.Control(func(fd uintptr) {
		if syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, want) == nil {
			b.set = want
		}
	})
}

// PauseBatch stops or resumes batching reads (ClientOptions.Batch): while
// paused, every packet is read as it comes, for someone watching live.
// Resuming takes effect at once; so does pausing, though packets already
// held back by the batch wait for the next read. It may be called from
// any goroutine, the PacketHandler's included.
func (s *Session) PauseBatch(pause bool) {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	if s.batch.paused == pause {
		return
	}
	s.batch.paused = pause
	s.batch.apply()
}
