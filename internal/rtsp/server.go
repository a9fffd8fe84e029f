package rtsp

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
)

const (
	maxRequestBody     = 64 << 10
	maxSessionsPerConn = 8
	serverReaderSize   = 16 << 10
	serverWriteTimeout = 10 * time.Second
	publicMethods      = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	Listen string                            // e.g. "127.0.0.1:8554"; default ":8554"
	Lookup func(path string) (*Stream, bool) // path is the URL path, e.g. "/cam/1"
	// With Username or Password set, every request needs Digest auth (MD5
	// or SHA-256); Basic is also accepted when BasicAuth is true.
	Username, Password string
	BasicAuth          bool
	Realm              string // default "Vigil"
	Logger             *slog.Logger
	// SessionTimeout is announced in the Session header; UDP sessions that
	// see no request for this long are ended. Default 60 s, at least 1 s.
	SessionTimeout time.Duration
}

// Server serves Streams over RTSP.
type Server struct {
	cfg     ServerConfig
	log     *slog.Logger
	ln      net.Listener
	auth    *serverAuth
	timeout time.Duration

	mu       sync.Mutex
	conns    map[*serverConn]struct{}
	sessions map[string]*serverSession
	closed   bool
	ran      bool

	wg        sync.WaitGroup
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	// onRequest, when set before Run, sees every request; tests use it to
	// await keep-alives and inspect what clients send.
	onRequest func(req *message)
}

// NewServer binds the listener, so that Addr is valid before Run.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Lookup == nil {
		return nil, errors.New("rtsp: ServerConfig.Lookup is nil")
	}
	if cfg.Listen == "" {
		cfg.Listen = ":8554"
	}
	if cfg.Realm == "" {
		cfg.Realm = "Vigil"
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 60 * time.Second
	}
	cfg.SessionTimeout = max(cfg.SessionTimeout.Round(time.Second), time.Second)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("rtsp: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		log:      log,
		ln:       ln,
		timeout:  cfg.SessionTimeout,
		conns:    map[*serverConn]struct{}{},
		sessions: map[string]*serverSession{},
		done:     make(chan struct{}),
	}
	if cfg.Username != "" || cfg.Password != "" {
		s.auth = &serverAuth{user: cfg.Username, pass: cfg.Password, realm: cfg.Realm, basic: cfg.BasicAuth}
		if _, err := rand.Read(s.auth.secret[:]); err != nil {
			ln.Close()
			return nil, fmt.Errorf("rtsp: %w", err)
		}
	}
	return s, nil
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Run serves until ctx is done or Close is called, and returns nil on such
// a clean stop, after every goroutine it started has exited.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.ran {
		s.mu.Unlock()
		return errors.New("rtsp: Server.Run called twice")
	}
	s.ran = true
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()

	var delay time.Duration
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.isClosed() || errors.Is(err, net.ErrClosed) {
				break
			}
			// Typically out of file descriptors: back off instead of spinning.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("rtsp: accept", "err", err, "retry_in", delay)
			t := time.NewTimer(delay)
			select {
			case <-s.done:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		delay = 0
		c := newServerConn(s, nc)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			break
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
	s.Close()
	s.wg.Wait()
	return nil
}

// Close stops the server: the listener, every connection and every session.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.done)
		conns := make([]*serverConn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		sessions := make([]*serverSession, 0, len(s.sessions))
		for _, ss := range s.sessions {
			sessions = append(sessions, ss)
		}
		s.mu.Unlock()
		if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("rtsp: %w", err)
		}
		for _, c := range conns {
			c.nc.Close()
		}
		for _, ss := range sessions {
			ss.end("server closed", false)
		}
	})
	return s.closeErr
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) session(id string) *serverSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

// lookup finds the stream for a request path, also when the path carries
// our track control suffix (SETUP) or a trailing slash (Content-Base).
func (s *Server) lookup(p string) (*Stream, bool) {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		p = "/"
	}
	if st, ok := s.cfg.Lookup(p); ok && st != nil && !st.isClosed() {
		return st, true
	}
	if q, cut := strings.CutSuffix(p, "/"+trackControl); cut {
		return s.lookup(q)
	}
	return nil, false
}

// serverConn is one client's control connection; for TCP sessions it also
// carries the interleaved media.
type serverConn struct {
	srv    *Server
	nc     net.Conn
	remote string
	br     *bufio.Reader

	wmu  sync.Mutex // guards bw, wbuf and writes on nc
	bw   *bufio.Writer
	wbuf []byte

	sessions []*serverSession // guarded by srv.mu
}

func newServerConn(s *Server, nc net.Conn) *serverConn {
	return &serverConn{
		srv:    s,
		nc:     nc,
		remote: nc.RemoteAddr().String(),
		br:     bufio.NewReaderSize(nc, serverReaderSize),
		bw:     bufio.NewWriterSize(nc, 32<<10),
	}
}

func (c *serverConn) serve() {
	defer c.srv.wg.Done()
	defer c.close()
	for {
		// A connection without TCP media must keep talking; one carrying
		// media may be silent for as long as it reads.
		var dl time.Time
		if !c.hasTCPSession() {
			dl = time.Now().Add(2 * c.srv.timeout)
		}
		if c.nc.SetReadDeadline(dl) != nil {
			return
		}
		b, err := c.br.Peek(1)
		if err != nil {
			return
		}
		if b[0] == '$' {
			// RTCP from the client over TCP: it proves the client is alive.
			hdr, err := c.br.Peek(4)
			if err != nil {
				return
			}
			if _, err := c.br.Discard(4 + frameLen(hdr)); err != nil {
				return
			}
			c.touchSessions()
			continue
		}
		req, err := readMessage(c.br, maxRequestBody)
		if err != nil {
			if !isTimeout(err) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
				c.srv.log.Debug("rtsp: bad request", "client", c.remote, "err", err)
				c.write(400, header{}, nil)
			}
			return
		}
		if !req.isRequest() {
			continue // a stray response; we never send requests
		}
		status, h, body, after := c.handle(req)
		if err := c.write(status, h, body); err != nil {
			return
		}
		if after != nil {
			after()
		}
	}
}

func (c *serverConn) write(status int, h header, body []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(serverWriteTimeout))
	c.wbuf = appendResponse(c.wbuf[:0], proto10, status, h, body)
	if _, err := c.bw.Write(c.wbuf); err != nil {
		return err
	}
	return c.bw.Flush()
}

func (c *serverConn) hasTCPSession() bool {
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	for _, ss := range c.sessions {
		if ss.tcp {
			return true
		}
	}
	return false
}

func (c *serverConn) touchSessions() {
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	for _, ss := range c.sessions {
		ss.touch()
	}
}

// close ends the sessions that cannot outlive the connection: TCP ones and
// those not playing. A playing UDP session stays until TEARDOWN or timeout,
// as RFC 2326 lets a client use a new connection for later requests.
func (c *serverConn) close() {
	c.nc.Close()
	c.srv.mu.Lock()
	delete(c.srv.conns, c)
	var ending []*serverSession
	for _, ss := range c.sessions {
		if ss.tcp || !ss.playing {
			ending = append(ending, ss)
		}
	}
	c.srv.mu.Unlock()
	for _, ss := range ending {
		ss.end("connection closed", false)
	}
}

// handle answers one request. after, when not nil, runs once the reply is
// written: PLAY must not send media before its reply.
func (c *serverConn) handle(req *message) (status int, h header, body []byte, after func()) {
	s := c.srv
	cseq := req.header.get("CSeq")
	if req.version != proto10 {
		// 505 (RFC 7826 17.5.6) with our own version in the status line
		// tells a client that can fall back which version to use.
		if cseq != "" {
			h.add("CSeq", cseq)
		}
		h.add("Server", "Vigil")
		return 505, h, nil, nil
	}
	if cseq == "" {
		return 400, h, nil, nil
	}
	h.add("CSeq", cseq)
	h.add("Server", "Vigil")
	if s.onRequest != nil {
		s.onRequest(req)
	}
	if s.auth != nil {
		now := time.Now()
		ok, stale := s.auth.check(req.header.get("Authorization"), req.method, req.uri, now)
		if !ok {
			for _, v := range s.auth.challenges(now, stale) {
				h.add("WWW-Authenticate", v)
			}
			return 401, h, nil, nil
		}
	}
	var ss *serverSession
	if v := req.header.get("Session"); v != "" {
		id, _ := parseSessionHeader(v)
		if ss = s.session(id); ss == nil {
			return 454, h, nil, nil
		}
		ss.touch()
		if req.method != "SETUP" {
			h.add("Session", ss.id)
		}
	}
	switch req.method {
	case "OPTIONS":
		h.add("Public", publicMethods)
		return 200, h, nil, nil
	case "DESCRIBE":
		return c.describe(req, h)
	case "SETUP":
		if ss != nil {
			// One track per stream, so one SETUP per session.
			return 459, h, nil, nil
		}
		return c.setup(req, h)
	case "PLAY":
		if ss == nil {
			return 454, h, nil, nil
		}
		return c.play(ss, h)
	case "PAUSE":
		if ss == nil {
			return 454, h, nil, nil
		}
		ss.paused.Store(true)
		return 200, h, nil, nil
	case "TEARDOWN":
		if ss == nil {
			return 454, h, nil, nil
		}
		ss.end("teardown", false)
		return 200, h, nil, nil
	case "GET_PARAMETER", "SET_PARAMETER":
		return 200, h, nil, nil
	}
	h.add("Public", publicMethods)
	return 501, h, nil, nil
}

func (c *serverConn) describe(req *message, h header) (int, header, []byte, func()) {
	u, err := url.Parse(req.uri)
	if err != nil {
		return 400, h, nil, nil
	}
	st, ok := c.srv.lookup(u.Path)
	if !ok {
		return 404, h, nil, nil
	}
	var id [8]byte
	rand.Read(id[:])
	body, err := streamSDP(st.media, addrOf(c.nc.LocalAddr()).String(), binary.BigEndian.Uint64(id[:])>>1)
	if err != nil {
		c.srv.log.Error("rtsp: building SDP", "err", err)
		return 500, h, nil, nil
	}
	u.User = nil
	base := u.String()
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	h.add("Content-Base", base)
	h.add("Content-Type", "application/sdp")
	return 200, h, body, nil
}

func (c *serverConn) setup(req *message, h header) (int, header, []byte, func()) {
	s := c.srv
	u, err := url.Parse(req.uri)
	if err != nil {
		return 400, h, nil, nil
	}
	st, ok := s.lookup(u.Path)
	if !ok {
		return 404, h, nil, nil
	}
	var chosen *transportSpec
	specs := parseTransports(req.header.get("Transport"))
	for i := range specs {
		t := &specs[i]
		if !t.multicast && (t.tcp || t.hasClientPort && t.clientPort[0] > 0 && t.clientPort[1] > 0) {
			chosen = t
			break
		}
	}
	if chosen == nil {
		return 461, h, nil, nil
	}
	u.User = nil
	ss := &serverSession{
		id:     randomHex(8),
		srv:    s,
		stream: st,
		url:    u.String(),
		owner:  c,
		queue:  make(chan *sharedPacket, sessionQueueLen),
		done:   make(chan struct{}),
	}
	ss.touch()
	var th string
	if chosen.tcp {
		ss.tcp = true
	} else {
		pair, err := listenUDPPair(addrOf(c.nc.LocalAddr()))
		if err != nil {
			s.log.Error("rtsp: opening UDP ports", "err", err)
			return 500, h, nil, nil
		}
		ss.udp = pair
		client := addrOf(c.nc.RemoteAddr())
		ss.dstRTP = netip.AddrPortFrom(client, uint16(chosen.clientPort[0]))
		ss.dstRTCP = netip.AddrPortFrom(client, uint16(chosen.clientPort[1]))
		th = fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d;server_port=%d-%d",
			chosen.clientPort[0], chosen.clientPort[1], pair.port, pair.port+1)
	}

	s.mu.Lock()
	if s.closed || len(c.sessions) >= maxSessionsPerConn {
		s.mu.Unlock()
		if ss.udp != nil {
			ss.udp.close()
		}
		return 503, h, nil, nil
	}
	if ss.tcp {
		ch := [2]int{2 * len(c.sessions), 2*len(c.sessions) + 1}
		if chosen.hasInterleaved {
			ch = chosen.interleaved
		}
		ss.rtpCh, ss.rtcpCh = uint8(ch[0]), uint8(ch[1])
		th = fmt.Sprintf("RTP/AVP/TCP;unicast;interleaved=%d-%d", ch[0], ch[1])
	}
	s.sessions[ss.id] = ss
	c.sessions = append(c.sessions, ss)
	s.mu.Unlock()

	if ssrc, ok := st.currentSSRC(); ok {
		th += fmt.Sprintf(";ssrc=%08X", ssrc)
	}
	h.add("Transport", th)
	h.add("Session", ss.id+";timeout="+strconv.Itoa(int(s.timeout/time.Second)))
	return 200, h, nil, nil
}

func (c *serverConn) play(ss *serverSession, h header) (int, header, []byte, func()) {
	s := c.srv
	s.mu.Lock()
	wasPlaying := ss.playing
	ss.playing = true
	s.mu.Unlock()
	ss.paused.Store(false)
	h.add("Range", "npt=now-")
	if wasPlaying {
		return 200, h, nil, nil
	}
	seq, ts, have, err := ss.stream.attach(ss)
	if err != nil {
		return 454, h, nil, nil
	}
	if have {
		h.add("RTP-Info", fmt.Sprintf("url=%s;seq=%d;rtptime=%d", ss.url, seq, ts))
	}
	return 200, h, nil, func() {
		s.wg.Add(1)
		go ss.writeLoop()
	}
}

// serverSession is one client's session on one stream.
type serverSession struct {
	id     string
	srv    *Server
	stream *Stream
	url    string
	owner  *serverConn
	tcp    bool

	rtpCh, rtcpCh   uint8
	udp             *udpPair
	dstRTP, dstRTCP netip.AddrPort

	queue    chan *sharedPacket
	done     chan struct{}
	endOnce  sync.Once
	lastSeen atomic.Int64
	paused   atomic.Bool
	playing  bool // guarded by srv.mu
}

func (ss *serverSession) touch() { ss.lastSeen.Store(time.Now().UnixNano()) }

// end stops the session for good. closeConn also closes a TCP session's
// connection, which is how a client learns that we gave up on it.
func (ss *serverSession) end(reason string, closeConn bool) {
	ss.endOnce.Do(func() {
		close(ss.done)
		ss.stream.detach(ss)
		s := ss.srv
		s.mu.Lock()
		delete(s.sessions, ss.id)
		for i, o := range ss.owner.sessions {
			if o == ss {
				ss.owner.sessions = append(ss.owner.sessions[:i:i], ss.owner.sessions[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		if ss.udp != nil {
			ss.udp.close()
		}
		if closeConn && ss.tcp {
			ss.owner.nc.Close()
		}
		s.log.Debug("rtsp: session ended", "session", ss.id, "client", ss.owner.remote, "reason", reason)
	})
}

// writeLoop sends the session's queued packets and its sender reports; it
// is the only goroutine a playing session has.
func (ss *serverSession) writeLoop() {
	defer ss.srv.wg.Done()
	defer ss.drain()
	// Expiry is checked more often than reports are sent when the session
	// timeout is short.
	tick := time.NewTicker(min(srInterval, ss.srv.timeout/2))
	defer tick.Stop()
	srSent := ss.sendSR()
	lastSR := time.Now()
	for {
		select {
		case <-ss.done:
			return
		case p := <-ss.queue:
			if err := ss.send(p); err != nil {
				ss.end("write failed: "+err.Error(), true)
				return
			}
			if !srSent {
				srSent = ss.sendSR()
			}
		case now := <-tick.C:
			if !ss.tcp && now.Sub(time.Unix(0, ss.lastSeen.Load())) > ss.srv.timeout {
				ss.end("timed out", false)
				return
			}
			if now.Sub(lastSR) >= srInterval-srInterval/8 {
				ss.sendSR()
				lastSR = now
			}
		}
	}
}

func (ss *serverSession) drain() {
	for {
		select {
		case p := <-ss.queue:
			p.release()
		default:
			return
		}
	}
}

// send writes p and, on TCP, whatever else is already queued, in one flush.
func (ss *serverSession) send(p *sharedPacket) error {
	if !ss.tcp {
		defer p.release()
		if ss.paused.Load() {
			return nil
		}
		if _, err := ss.udp.rtp.WriteToUDPAddrPort(p.buf, ss.dstRTP); errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	}
	c := ss.owner
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(serverWriteTimeout))
	paused := ss.paused.Load()
	var err error
	for i := 0; ; i++ {
		if !paused && err == nil {
			err = c.writeFrame(ss.rtpCh, p.buf)
		}
		p.release()
		if i == 256 {
			break
		}
		select {
		case p = <-ss.queue:
			continue
		default:
		}
		break
	}
	if err != nil {
		return err
	}
	return c.bw.Flush()
}

// writeFrame appends one interleaved frame; the caller holds wmu.
func (c *serverConn) writeFrame(ch uint8, b []byte) error {
	c.bw.WriteByte('$')
	c.bw.WriteByte(ch)
	c.bw.WriteByte(byte(len(b) >> 8))
	c.bw.WriteByte(byte(len(b)))
	_, err := c.bw.Write(b)
	return err
}

func (ss *serverSession) sendSR() bool {
	sr, ok := ss.stream.senderReport(time.Now())
	if !ok {
		return false
	}
	b, err := sr.Marshal()
	if err != nil {
		return false
	}
	ss.sendRTCP(b, false)
	return true
}

func (ss *serverSession) sendBye() {
	ssrc, ok := ss.stream.currentSSRC()
	if !ok {
		return
	}
	b, err := (&rtcp.Goodbye{Sources: []uint32{ssrc}}).Marshal()
	if err == nil {
		ss.sendRTCP(b, true)
	}
}

// sendRTCP writes an RTCP packet; with noWait it gives up rather than wait
// for a TCP writer that may be blocked on a slow client.
func (ss *serverSession) sendRTCP(b []byte, noWait bool) {
	if !ss.tcp {
		ss.udp.rtcp.WriteToUDPAddrPort(b, ss.dstRTCP)
		return
	}
	c := ss.owner
	if noWait {
		if !c.wmu.TryLock() {
			return
		}
	} else {
		c.wmu.Lock()
	}
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(serverWriteTimeout))
	if c.writeFrame(ss.rtcpCh, b) == nil {
		c.bw.Flush()
	}
}
