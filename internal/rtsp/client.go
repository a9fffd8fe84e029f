package rtsp

import (
	"bufio"
	"context"
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
	"syscall"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

var (
	// ErrSilence ends Run when no RTP or RTCP arrived for ReadTimeout.
	ErrSilence = errors.New("rtsp: no packets within the read timeout")
	// ErrUnauthorized is returned (wrapped, with the server's status text)
	// when the camera refuses our credentials or we have none to offer.
	ErrUnauthorized = errors.New("rtsp: unauthorized")
	// ErrClosed is returned by Run when Close ended the session.
	ErrClosed = errors.New("rtsp: session closed")
)

const (
	maxRedirects      = 5
	maxSkippedReplies = 16
	maxSessionIDLen   = 256
	maxTeardownWait   = 2 * time.Second
	rrInterval        = 5 * time.Second
	defaultRTSPPort   = "554"
)

// aLongTimeAgo is a deadline in the past, used to interrupt blocked reads.
var aLongTimeAgo = time.Unix(1, 0)

// ClientOptions tunes Dial.
type ClientOptions struct {
	Transport   string        // "tcp" (interleaved, default) or "udp"
	Timeout     time.Duration // each request/response exchange and dial; default 10s
	ReadTimeout time.Duration // silence: no RTP/RTCP for this long ends Run with ErrSilence; default 10s
	UserAgent   string        // default "Vigil"
	// Batch, over TCP, lets about this much media queue in the socket
	// before Run wakes to read it (SO_RCVLOWAT, tuned to the stream's
	// bitrate): far fewer wake-ups and system calls for a recorder, at
	// the cost of up to Batch of latency. 0 reads every packet at once.
	Batch time.Duration
	// Username and Password override the URL's userinfo. Credentials are
	// never sent in a request line.
	Username, Password string
	// Version is the RTSP version: "1.0" or "2.0" (RFC 7826) forces it;
	// "" speaks 1.0, which every camera knows, and switches to 2.0 only
	// when the camera answers 505 RTSP Version Not Supported.
	Version string
	Logger  *slog.Logger // may be nil
	// CheckAddress, when set, is asked about every address the session
	// would send to: each TCP connection's, at dial time (so a name that
	// resolves somewhere else later, or a redirect, is checked too), and
	// the source address a camera names for UDP. A refusal ends Dial with
	// an *AddressError.
	CheckAddress func(netip.Addr) error
}

// Media describes the track a Session receives.
type Media struct {
	EncodingName string // "H264" or "H265" (a camera's "HEVC" is reported as "H265")
	PayloadType  uint8
	ClockRate    uint32
	Fmtp         string // a=fmtp value without the payload type prefix
	Control      string // absolute control URL used in SETUP
}

// PacketHandler receives a Session's packets on Run's goroutine.
type PacketHandler interface {
	// HandleRTP gets one packet. pkt and its Payload are only valid during
	// the call: they are reused for the next packet, so the handler copies
	// what it keeps.
	HandleRTP(pkt *rtp.Packet, received time.Time)
	// HandleRTCP gets one compound RTCP packet; the slice is the handler's.
	HandleRTCP(pkts []rtcp.Packet, received time.Time)
}

// Stats counts what a Session received. Bytes counts every RTP and RTCP
// packet received, including those counted in BadPackets.
type Stats struct{ RTPPackets, RTCPPackets, BadPackets, Bytes uint64 }

// Session is a playing RTSP session with one camera.
type Session struct {
	opts ClientOptions
	log  *slog.Logger

	conn net.Conn
	br   *bufio.Reader

	// wmu serializes writes on conn, and guards cseq, auth and wbuf, since
	// keep-alives and Close write while Run reads.
	wmu  sync.Mutex
	wbuf []byte
	cseq int
	auth clientAuth
	// proto (proto10 or proto20) is settled before Run and then only read.
	proto string

	url          *url.URL // the URL that was described, without userinfo
	aggregate    string
	media        Media
	sessionID    string
	keepAlive    time.Duration
	getParameter bool

	transport     string
	rtpCh, rtcpCh uint8
	udp           *udpPair
	camIP         netip.Addr
	serverRTCP    netip.AddrPort

	// tcpRun makes connReader apply Run's deadline logic, and readAt is
	// when connReader's last read returned; only Run's goroutine (Dial's
	// before) touches them.
	tcpRun *runState
	readAt time.Time
	pkt    rtp.Packet
	big    []byte // an interleaved frame larger than the reader, gathered
	rr     rrState
	rtcpQ  chan rtcpItem

	rtpPackets, rtcpPackets, badPackets, bytes atomic.Uint64
	lastPacket                                 atomic.Int64 // unix nanoseconds
	batch                                      batchState

	mu       sync.Mutex
	ran      bool
	running  bool
	closed   bool
	fatalErr error

	closeOnce     sync.Once
	teardownCSeq  atomic.Int64
	teardownAck   chan struct{}
	ackOnce       sync.Once
	keepAliveCSeq atomic.Int64
	kick          chan struct{}
}

type runState struct {
	ctx context.Context
	h   PacketHandler
}

type rtcpItem struct {
	pkts []rtcp.Packet
	at   time.Time
}

// statusError is a non-success reply to one of our requests.
type statusError struct {
	method string
	code   int
	reason string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("rtsp: %s: %d %s", e.method, e.code, e.reason)
}

// versionError is a 505 reply: the camera does not speak our version.
type versionError struct {
	method, proto, reason string
}

func (e *versionError) Error() string {
	return fmt.Sprintf("rtsp: %s: camera does not support %s: 505 %s", e.method, e.proto, e.reason)
}

// Dial connects and runs OPTIONS, DESCRIBE, SETUP of the first H.264 or
// H.265 video track, and PLAY. See ClientOptions for the knobs. Redirects
// are followed (at most 5, also to another host), 401 challenges are
// answered with the strongest scheme the camera offers, and a camera that
// refuses RTSP/1.0 with 505 is asked again in RTSP/2.0 unless Version
// forces one.
func Dial(ctx context.Context, rawURL string, opts ClientOptions) (*Session, error) {
	opts.Transport = strings.ToLower(opts.Transport)
	switch opts.Transport {
	case "":
		opts.Transport = "tcp"
	case "tcp", "udp":
	default:
		return nil, fmt.Errorf("rtsp: unknown transport %q", opts.Transport)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 10 * time.Second
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "Vigil"
	}
	proto := proto10
	switch opts.Version {
	case "", "1.0":
	case "2.0":
		proto = proto20
	default:
		return nil, fmt.Errorf("rtsp: unknown RTSP version %q", opts.Version)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, err := parseRTSPURL(rawURL)
	if err != nil {
		return nil, err
	}
	s := &Session{
		opts:        opts,
		log:         log,
		teardownAck: make(chan struct{}),
		kick:        make(chan struct{}, 1),
		keepAlive:   30 * time.Second,
		proto:       proto,
	}
	s.teardownCSeq.Store(-1)
	s.keepAliveCSeq.Store(-1)
	s.setCredentials(u)
	ok := false
	defer func() {
		if !ok {
			s.closeSockets()
		}
	}()
	err = s.open(ctx, u)
	var ve *versionError
	if err != nil && opts.Version == "" && errors.As(err, &ve) {
		s.log.Debug("rtsp: camera refused RTSP/1.0, trying RTSP/2.0", "url", u.String())
		s.reset(proto20)
		err = s.open(ctx, u)
	}
	if err != nil {
		return nil, err
	}
	if err := s.conn.SetDeadline(time.Time{}); err != nil {
		return nil, fmt.Errorf("rtsp: %w", err)
	}
	ok = true
	s.log.Debug("rtsp: playing", "url", s.url.String(), "encoding", s.media.EncodingName,
		"transport", s.transport, "session", s.sessionID, "version", s.Version())
	return s, nil
}

// open runs the exchange from OPTIONS to PLAY.
func (s *Session) open(ctx context.Context, u *url.URL) error {
	body, base, err := s.describe(ctx, u)
	if err != nil {
		return err
	}
	dm, err := selectMedia(body, base)
	if err != nil {
		return err
	}
	s.media, s.aggregate = dm.media, dm.aggregate
	if err := s.setup(ctx); err != nil {
		return err
	}
	return s.play(ctx)
}

// reset forgets what a failed open learned so that it can start over in
// another protocol version. Credentials stay.
func (s *Session) reset(proto string) {
	s.closeSockets()
	s.udp = nil
	s.wmu.Lock()
	s.proto = proto
	s.sessionID = ""
	s.auth.kind = authNone
	s.wmu.Unlock()
	s.getParameter = false
}

// Version returns "1.0" or "2.0", the RTSP version in use.
func (s *Session) Version() string { return strings.TrimPrefix(s.proto, "RTSP/") }

// Media returns the track being received.
func (s *Session) Media() Media { return s.media }

// Transport returns "tcp" or "udp", whichever the camera accepted.
func (s *Session) Transport() string { return s.transport }

// Stats returns the packet counters; safe to call at any time.
func (s *Session) Stats() Stats {
	return Stats{
		RTPPackets:  s.rtpPackets.Load(),
		RTCPPackets: s.rtcpPackets.Load(),
		BadPackets:  s.badPackets.Load(),
		Bytes:       s.bytes.Load(),
	}
}

func parseRTSPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("rtsp: bad URL: %w", err)
	}
	if !strings.EqualFold(u.Scheme, "rtsp") {
		return nil, fmt.Errorf("rtsp: unsupported URL scheme %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("rtsp: URL has no host")
	}
	u.Scheme = "rtsp"
	return u, nil
}

// setCredentials takes the options' credentials, else the URL's, and
// strips the userinfo from u.
func (s *Session) setCredentials(u *url.URL) {
	a := &s.auth
	switch {
	case s.opts.Username != "" || s.opts.Password != "":
		a.user, a.pass = s.opts.Username, s.opts.Password
	case u.User != nil:
		a.user = u.User.Username()
		a.pass, _ = u.User.Password()
	}
	a.haveCreds = a.user != "" || a.pass != ""
	u.User = nil
}

func (s *Session) connect(ctx context.Context, u *url.URL) error {
	s.closeConn()
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), defaultRTSPPort)
	}
	d := net.Dialer{Timeout: s.opts.Timeout}
	if check := s.opts.CheckAddress; check != nil {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return &AddressError{Host: u.Hostname(), Err: err}
			}
			if err := check(ap.Addr().Unmap()); err != nil {
				return &AddressError{Host: u.Hostname(), Addr: ap.Addr().Unmap(), Err: err}
			}
			return nil
		}
	}
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("rtsp: dial %s: %w", host, err)
	}
	s.conn = c
	s.br = bufio.NewReaderSize(connReader{s, c}, clientReaderSize)
	s.url = u
	return nil
}

func (s *Session) closeConn() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

func (s *Session) closeSockets() {
	s.closeConn()
	if s.udp != nil {
		s.udp.close()
	}
}

// describe runs OPTIONS and DESCRIBE, following redirects. It returns the
// SDP and the base URL for resolving control URLs.
func (s *Session) describe(ctx context.Context, u *url.URL) (body []byte, base string, err error) {
	for redirects := 0; ; redirects++ {
		if err := s.connect(ctx, u); err != nil {
			return nil, "", err
		}
		resp, err := s.do(ctx, "OPTIONS", u.String(), nil)
		if err != nil {
			return nil, "", err
		}
		if !isRedirect(resp.status) {
			if resp.status/100 == 2 {
				s.getParameter = listsMethod(resp.header.get("Public"), "GET_PARAMETER")
			} else {
				// Plenty of cameras fail OPTIONS yet stream fine.
				s.log.Debug("rtsp: OPTIONS failed", "status", resp.status, "reason", resp.reason)
			}
			resp, err = s.do(ctx, "DESCRIBE", u.String(), header{{"Accept", "application/sdp"}})
			if err != nil {
				return nil, "", err
			}
		}
		if isRedirect(resp.status) {
			if redirects >= maxRedirects {
				return nil, "", errors.New("rtsp: too many redirects")
			}
			next, err := s.redirectTarget(u, resp)
			if err != nil {
				return nil, "", err
			}
			s.log.Debug("rtsp: redirected", "from", u.String(), "to", next.String())
			u = next
			continue
		}
		if resp.status != 200 {
			return nil, "", &statusError{"DESCRIBE", resp.status, resp.reason}
		}
		if len(resp.body) == 0 {
			return nil, "", errors.New("rtsp: DESCRIBE reply has no body")
		}
		return resp.body, contentBase(resp, u), nil
	}
}

func isRedirect(code int) bool {
	switch code {
	case 301, 302, 303, 305, 307, 308:
		return true
	}
	return false
}

func (s *Session) redirectTarget(cur *url.URL, resp *message) (*url.URL, error) {
	loc := strings.TrimSpace(resp.header.get("Location"))
	if loc == "" {
		return nil, fmt.Errorf("rtsp: %d redirect without Location", resp.status)
	}
	next, err := cur.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("rtsp: bad redirect Location: %w", err)
	}
	if !strings.EqualFold(next.Scheme, "rtsp") || next.Hostname() == "" {
		return nil, fmt.Errorf("rtsp: unsupported redirect to %q", next.Redacted())
	}
	next.Scheme = "rtsp"
	if next.User != nil && s.opts.Username == "" && s.opts.Password == "" {
		s.setCredentials(next)
	}
	next.User = nil
	// Credentials stay; the challenge state belongs to the old server.
	s.auth.kind = authNone
	return next, nil
}

func listsMethod(public, method string) bool {
	for m := range strings.SplitSeq(public, ",") {
		if strings.EqualFold(strings.TrimSpace(m), method) {
			return true
		}
	}
	return false
}

// contentBase applies RFC 2326 C.1.1: Content-Base, else Content-Location,
// else the request URL.
func contentBase(resp *message, reqURL *url.URL) string {
	for _, h := range []string{"Content-Base", "Content-Location"} {
		v := strings.TrimSpace(resp.header.get(h))
		if v == "" {
			continue
		}
		if b, err := reqURL.Parse(v); err == nil && strings.EqualFold(b.Scheme, "rtsp") {
			b.User = nil
			return b.String()
		}
	}
	return reqURL.String()
}

// do sends a request and returns the reply, answering 401 challenges.
func (s *Session) do(ctx context.Context, method, uri string, extra header) (*message, error) {
	for retries := 0; ; retries++ {
		resp, err := s.roundTrip(ctx, method, uri, extra)
		if err != nil {
			return nil, err
		}
		if resp.status == 505 {
			return nil, &versionError{method, s.proto, resp.reason}
		}
		if resp.status != 401 {
			return resp, nil
		}
		chs := parseChallenges(resp.header.values("WWW-Authenticate"))
		// One retry per challenge; a second only when the server says our
		// answer was right but its nonce had expired.
		if !s.auth.haveCreds || retries >= 2 || (retries == 1 && !isStale(chs)) {
			return nil, fmt.Errorf("%w: %s: %d %s", ErrUnauthorized, method, resp.status, resp.reason)
		}
		s.wmu.Lock()
		ok := s.auth.accept(chs)
		s.wmu.Unlock()
		if !ok {
			return nil, fmt.Errorf("%w: %s: %d %s (no supported authentication scheme)", ErrUnauthorized, method, resp.status, resp.reason)
		}
		if strings.EqualFold(strings.TrimSpace(resp.header.get("Connection")), "close") {
			if err := s.connect(ctx, s.url); err != nil {
				return nil, err
			}
		}
	}
}

func isStale(chs []challenge) bool {
	for _, c := range chs {
		if c.scheme == "digest" && strings.EqualFold(c.params["stale"], "true") {
			return true
		}
	}
	return false
}

// roundTrip writes one request and reads its reply, skipping interleaved
// frames and stale replies, within ctx and the exchange timeout.
func (s *Session) roundTrip(ctx context.Context, method, uri string, extra header) (*message, error) {
	deadline := time.Now().Add(s.opts.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn := s.conn
	if err := conn.SetDeadline(deadline); err != nil {
		return nil, fmt.Errorf("rtsp: %s: %w", method, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(aLongTimeAgo) })
	defer stop()
	cseq, err := s.writeRequest(method, uri, extra, deadline, nil)
	if err != nil {
		return nil, exchangeError(ctx, method, err)
	}
	for skipped := 0; ; skipped++ {
		m, err := s.readControl()
		if err != nil {
			return nil, exchangeError(ctx, method, err)
		}
		if skipped >= maxSkippedReplies {
			return nil, fmt.Errorf("rtsp: %s: no reply with CSeq %d", method, cseq)
		}
		if m.isRequest() {
			s.answerServerRequest(m)
			continue
		}
		if c := m.cseq(); c >= 0 && c != cseq {
			continue
		}
		return m, nil
	}
}

func exchangeError(ctx context.Context, method string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("rtsp: %s: %w", method, ctx.Err())
	}
	// The connection deadline may fire a moment before ctx notices its own.
	if d, ok := ctx.Deadline(); ok && isTimeout(err) && !time.Now().Before(d) {
		return fmt.Errorf("rtsp: %s: %w", method, context.DeadlineExceeded)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	if isTimeout(err) {
		return fmt.Errorf("rtsp: %s: timed out: %w", method, err)
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("rtsp: %s: connection closed by camera: %w", method, err)
	}
	if strings.HasPrefix(err.Error(), "rtsp: ") {
		return fmt.Errorf("%w (%s)", err, method)
	}
	return fmt.Errorf("rtsp: %s: %w", method, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// writeRequest sends a request and returns its CSeq. When track is not nil
// the CSeq is stored there before the write, so the reader, which may see
// the reply before we return, can recognize it.
func (s *Session) writeRequest(method, uri string, extra header, deadline time.Time, track *atomic.Int64) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.conn == nil {
		return 0, ErrClosed
	}
	s.cseq++
	h := header{{"CSeq", strconv.Itoa(s.cseq)}, {"User-Agent", s.opts.UserAgent}}
	if s.sessionID != "" {
		h.add("Session", s.sessionID)
	}
	if a := s.auth.authorization(method, uri); a != "" {
		h.add("Authorization", a)
	}
	h = append(h, extra...)
	s.wbuf = appendRequest(s.wbuf[:0], s.proto, method, uri, h)
	if track != nil {
		track.Store(int64(s.cseq))
	}
	if err := s.conn.SetWriteDeadline(deadline); err != nil {
		return 0, err
	}
	_, err := s.conn.Write(s.wbuf)
	return s.cseq, err
}

// answerServerRequest replies to a request the server sent us (RFC 2326
// allows server-to-client OPTIONS, GET_PARAMETER, SET_PARAMETER...).
func (s *Session) answerServerRequest(m *message) {
	status := 501
	switch m.method {
	case "OPTIONS", "GET_PARAMETER", "SET_PARAMETER", "PLAY_NOTIFY":
		status = 200
	}
	h := header{}
	if c := m.header.get("CSeq"); c != "" {
		h.add("CSeq", c)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.conn == nil {
		return
	}
	s.wbuf = appendResponse(s.wbuf[:0], s.proto, status, h, nil)
	s.conn.SetWriteDeadline(time.Now().Add(s.opts.Timeout))
	if _, err := s.conn.Write(s.wbuf); err != nil {
		s.log.Debug("rtsp: replying to server request", "err", err)
	}
}

// readControl reads the next RTSP message, skipping interleaved frames.
func (s *Session) readControl() (*message, error) {
	for {
		b, err := s.br.Peek(1)
		if err != nil {
			return nil, err
		}
		if b[0] != '$' {
			return readMessage(s.br, maxBodyBytes)
		}
		hdr, err := s.br.Peek(4)
		if err != nil {
			return nil, err
		}
		if _, err := s.br.Discard(4 + frameLen(hdr)); err != nil {
			return nil, err
		}
	}
}

// setup sends SETUP with the preferred transport and, when the camera
// answers 461 Unsupported Transport, once more with the other one.
func (s *Session) setup(ctx context.Context) error {
	tr := s.opts.Transport
	for attempt := 0; ; attempt++ {
		err := s.setupWith(ctx, tr)
		var se *statusError
		if err == nil || attempt > 0 || !errors.As(err, &se) || se.code != 461 {
			return err
		}
		if tr == "tcp" {
			tr = "udp"
		} else {
			tr = "tcp"
		}
		s.log.Info("rtsp: camera refused transport, trying the other", "now", tr)
	}
}

func (s *Session) setupWith(ctx context.Context, tr string) (err error) {
	var th string
	if tr == "tcp" {
		th = "RTP/AVP/TCP;unicast;interleaved=0-1"
	} else {
		local := addrOf(s.conn.LocalAddr())
		pair, err := listenUDPPair(local)
		if err != nil {
			return err
		}
		s.udp = pair
		defer func() {
			if err != nil {
				pair.close()
				s.udp = nil
			}
		}()
		rtpPort, rtcpPort := strconv.Itoa(pair.port), strconv.Itoa(pair.port+1)
		th = "RTP/AVP;unicast;client_port=" + rtpPort + "-" + rtcpPort
		if s.proto == proto20 {
			// RFC 7826 18.54 replaced client_port with dest_addr; a host-less
			// address means the one this request comes from. client_port
			// stays for servers that only half moved to 2.0 (GStreamer 1.22
			// ignores dest_addr), and 2.0 servers ignore what they do not know.
			th = `RTP/AVP;unicast;dest_addr=":` + rtpPort + `"/":` + rtcpPort + `";client_port=` + rtpPort + "-" + rtcpPort
		}
	}
	extra := header{{"Transport", th}}
	if s.proto == proto20 {
		// RFC 7826 18.5: a 2.0 client lists the range formats it knows.
		extra.add("Accept-Ranges", "npt")
	}
	resp, err := s.do(ctx, "SETUP", s.media.Control, extra)
	if err != nil {
		return err
	}
	if resp.status != 200 {
		return &statusError{"SETUP", resp.status, resp.reason}
	}
	id, timeout := parseSessionHeader(resp.header.get("Session"))
	if id == "" || len(id) > maxSessionIDLen {
		return errors.New("rtsp: SETUP reply has no usable Session header")
	}
	specs := parseTransports(resp.header.get("Transport"))
	if tr == "tcp" {
		s.rtpCh, s.rtcpCh = 0, 1
		if len(specs) > 0 {
			if !specs[0].tcp {
				return errors.New("rtsp: camera answered a TCP SETUP with a UDP transport")
			}
			if specs[0].hasInterleaved {
				s.rtpCh, s.rtcpCh = uint8(specs[0].interleaved[0]), uint8(specs[0].interleaved[1])
			}
		}
	} else {
		s.camIP = addrOf(s.conn.RemoteAddr())
		if len(specs) > 0 {
			if specs[0].tcp {
				return errors.New("rtsp: camera answered a UDP SETUP with a TCP transport")
			}
			sp := &specs[0]
			src := sp.source
			if src == "" {
				src = sp.srcHost // RFC 7826 src_addr
			}
			if ip, err := netip.ParseAddr(src); err == nil {
				// The camera may name another source, and we send our
				// receiver reports there: only where we may connect.
				if check := s.opts.CheckAddress; check == nil || check(ip.Unmap()) == nil {
					s.camIP = ip.Unmap()
				} else {
					s.log.Warn("rtsp: ignoring a source address the camera network policy refuses", "source", ip)
				}
			}
			switch {
			case sp.hasServerPort && sp.serverPort[1] > 0:
				s.serverRTCP = netip.AddrPortFrom(s.camIP, uint16(sp.serverPort[1]))
			case sp.srcRTCPPort > 0:
				s.serverRTCP = netip.AddrPortFrom(s.camIP, uint16(sp.srcRTCPPort))
			}
		}
	}
	s.wmu.Lock()
	s.sessionID = id
	s.wmu.Unlock()
	s.keepAlive = max(timeout/2, 500*time.Millisecond)
	s.transport = tr
	return nil
}

func (s *Session) play(ctx context.Context) error {
	resp, err := s.do(ctx, "PLAY", s.aggregate, header{{"Range", "npt=0.000-"}})
	if err != nil {
		return err
	}
	if resp.status != 200 {
		return &statusError{"PLAY", resp.status, resp.reason}
	}
	return nil
}

func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// connReader sits under the control connection's bufio.Reader. During a
// TCP Run it turns read timeouts into Run's wake-up checks, so a deadline
// can interrupt a read without losing bytes already buffered. It notes
// when each read returned: the time the packets in it were received.
type connReader struct {
	s *Session
	c net.Conn
}

func (r connReader) Read(p []byte) (int, error) {
	for {
		n, err := r.c.Read(p)
		if n > 0 || err == nil {
			r.s.readAt = time.Now()
			return n, nil
		}
		rs := r.s.tcpRun
		if rs == nil || !isTimeout(err) {
			return 0, err
		}
		if err := r.s.afterTimeout(rs, r.c.SetReadDeadline); err != nil {
			return 0, err
		}
	}
}

// udpPair is an RTP socket on an even port and the RTCP socket above it
// (RFC 3550 section 11).
type udpPair struct {
	rtp, rtcp *net.UDPConn
	port      int
}

func (p *udpPair) close() {
	p.rtp.Close()
	p.rtcp.Close()
}

func listenUDPPair(ip netip.Addr) (*udpPair, error) {
	if !ip.IsValid() {
		ip = netip.IPv4Unspecified()
	}
	listen := func(port int) (*net.UDPConn, error) {
		return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
	}
	var lastErr error
	for range 64 {
		a, err := listen(0)
		if err != nil {
			return nil, fmt.Errorf("rtsp: udp: %w", err)
		}
		p := a.LocalAddr().(*net.UDPAddr).Port
		if p%2 == 0 && p < 65535 {
			b, err := listen(p + 1)
			if err == nil {
				a.SetReadBuffer(1 << 20)
				return &udpPair{rtp: a, rtcp: b, port: p}, nil
			}
			lastErr = err
		} else if p%2 == 1 {
			b, err := listen(p - 1)
			if err == nil {
				b.SetReadBuffer(1 << 20)
				return &udpPair{rtp: b, rtcp: a, port: p - 1}, nil
			}
			lastErr = err
		}
		a.Close()
	}
	return nil, fmt.Errorf("rtsp: no free UDP port pair: %w", lastErr)
}
