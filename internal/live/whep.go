package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// Errors of Offer, for the web layer to map to HTTP statuses; match them
// with errors.Is.
var (
	// ErrBadOffer: the body is not an SDP offer we can parse (400).
	ErrBadOffer = errors.New("live: malformed SDP offer")
	// ErrNoVideo: the offer has no video section we can send on (422).
	ErrNoVideo = errors.New("live: the offer has no video the browser would receive")
	// ErrCodecNotOffered: the browser cannot receive the camera's codec
	// (406 or 422); the error is a *CodecError that says which.
	ErrCodecNotOffered = errors.New("live: the browser does not offer the camera's codec")
	// ErrNotFound: no session by that ID (404).
	ErrNotFound = errors.New("live: no such session")
	// ErrClosed: the WHEP endpoint or the camera's hub is closed (503).
	ErrClosed = errors.New("live: closed")
	// ErrTooManySessions: WHEPOptions.MaxSessions reached (503).
	ErrTooManySessions = errors.New("live: too many live sessions")
)

// CodecError reports that the browser's offer lacks a format we can send
// the camera's video in.
type CodecError struct {
	Camera  string   // the camera's codec, as given to NewHub
	Offered []string // the video formats the browser offered, e.g. "H264/90000 packetization-mode=0"
	Reason  string   // what was missing
}

func (e *CodecError) Error() string {
	return fmt.Sprintf("live: the browser cannot receive this camera's %s video: %s (it offered %s)",
		e.Camera, e.Reason, strings.Join(e.Offered, ", "))
}

// Is makes errors.Is(err, ErrCodecNotOffered) true.
func (e *CodecError) Is(target error) bool { return target == ErrCodecNotOffered }

// WHEPOptions configure a WHEP endpoint.
type WHEPOptions struct {
	// HostIPs are the local addresses offered to browsers as ICE host
	// candidates. Empty means every address of the machine's interfaces
	// but loopback; a loopback address listed is offered (tests use
	// 127.0.0.1 alone).
	HostIPs []string
	// UDPMux carries every session on one UDP socket per host address,
	// at UDPPort (0: a port the system picks, see UDPAddrs), rather
	// than a new ephemeral port per session: one port to open in a
	// firewall or map out of a container.
	UDPMux  bool
	UDPPort int
	// PublicIPs, when set, replace the addresses in host candidates: the
	// server's addresses as browsers reach them through 1:1 NAT, such as
	// a container's port mapping.
	PublicIPs []string
	// Lite makes the server an ICE-lite agent (RFC 8445, 2.5), right
	// when its candidates are directly reachable by browsers.
	Lite bool
	// QueueSize is each viewer's queue, in packets (default 512). A
	// viewer whose queue is full drops packets until the next keyframe.
	QueueSize int
	// MaxSessions caps the live sessions at once; 0 is no cap.
	MaxSessions int
	// ConnectTimeout ends a session whose browser has not connected
	// this long after the offer (default 15 s).
	ConnectTimeout time.Duration
	// OnEnd is called once for every session that ends, whatever ended
	// it: Delete, Close, the camera's hub closing, the browser closing
	// its peer connection, ICE failing. From Delete and Close it is
	// called before they return; otherwise from a goroutine of its own.
	OnEnd  func(sessionID string)
	Logger *slog.Logger
}

// SessionInfo describes a live session, for metrics and audit.
type SessionInfo struct {
	ID        string
	Hub       *Hub
	Started   time.Time
	Connected bool // the browser's ICE and DTLS have completed
	// PacketsSent and PacketsDropped count RTP packets: sent to the
	// browser, and dropped for it because its queue overflowed or it
	// waited for a keyframe after an overflow.
	PacketsSent, PacketsDropped uint64
	// Keyframe requests (PLI, FIR) and NACKs from the browser. Keyframes
	// cannot be requested from an RTSP camera, so requests are only
	// counted; NACKs are answered from the recently sent packets.
	PLIs, FIRs, NACKs uint64
}

// WHEP serves WHEP (RFC 9725) live sessions. The web layer owns the HTTP
// routes, authentication and audit, and calls Offer and Delete.
type WHEP struct {
	opt   WHEPOptions
	log   *slog.Logger
	se    webrtc.SettingEngine
	mux   ice.UDPMux
	addrs []net.Addr

	mu       sync.Mutex
	sessions map[string]*session
	pending  int // offers being answered, counted against MaxSessions
	closed   bool

	// bg counts the goroutines sessions start (their RTCP readers, the
	// ends that callbacks may not run in place), for Close to wait for.
	// Once bgStopped is set none is started: Close has ended every
	// session itself.
	bgMu      sync.Mutex
	bg        sync.WaitGroup
	bgStopped bool
}

// goBg runs fn on a goroutine Close waits for, unless Close has begun
// waiting.
func (w *WHEP) goBg(fn func()) {
	w.bgMu.Lock()
	defer w.bgMu.Unlock()
	if !w.bgStopped {
		w.bg.Go(fn)
	}
}

// Session timing. A browser that vanishes without closing is noticed
// after iceDisconnected and ended after iceFailed more.
const (
	defaultConnectTimeout = 15 * time.Second
	iceDisconnected       = 5 * time.Second
	iceFailed             = 10 * time.Second
	iceKeepalive          = 2 * time.Second
	// nackHistory is the packets kept per viewer to answer NACKs: over
	// a second at 4 Mbit/s. A power of two, as pion requires.
	nackHistory = 512
)

// NewWHEP returns a WHEP endpoint.
func NewWHEP(opt WHEPOptions) (*WHEP, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.ConnectTimeout <= 0 {
		opt.ConnectTimeout = defaultConnectTimeout
	}
	if opt.QueueSize <= 0 {
		opt.QueueSize = defaultQueue
	}
	w := &WHEP{opt: opt, log: opt.Logger, sessions: map[string]*session{}}
	logs := pionLogs{opt.Logger}
	se := webrtc.SettingEngine{LoggerFactory: logs}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	// Browsers reach the server, not the other way round: resolving
	// their mDNS candidates is not needed, nor the multicast socket
	// each session would open for it.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(iceDisconnected, iceFailed, iceKeepalive)
	se.SetLite(opt.Lite)

	var hosts []netip.Addr
	loopback := false
	for _, s := range opt.HostIPs {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || !a.Unmap().Is4() {
			return nil, fmt.Errorf("live: host IP %q is not an IPv4 address", s)
		}
		a = a.Unmap()
		hosts = append(hosts, a)
		loopback = loopback || a.IsLoopback()
	}
	if len(hosts) > 0 {
		se.SetIPFilter(func(ip net.IP) bool {
			a, ok := netip.AddrFromSlice(ip)
			return ok && slices.Contains(hosts, a.Unmap())
		})
	}
	se.SetIncludeLoopbackCandidate(loopback)
	if len(opt.PublicIPs) > 0 {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        opt.PublicIPs,
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
		}); err != nil {
			return nil, fmt.Errorf("live: public IPs: %w", err)
		}
	}
	if opt.UDPMux {
		if err := w.listenMux(hosts, loopback, logs); err != nil {
			return nil, err
		}
		se.SetICEUDPMux(w.mux)
	}
	w.se = se
	return w, nil
}

// listenMux opens the shared UDP sockets: one per host address given,
// else one per interface address.
func (w *WHEP) listenMux(hosts []netip.Addr, loopback bool, logs pionLogs) error {
	port := w.opt.UDPPort
	if port < 0 || port > 65535 {
		return fmt.Errorf("live: UDP port %d out of range", port)
	}
	if len(hosts) == 0 {
		opts := []ice.UDPMuxFromPortOption{
			ice.UDPMuxFromPortWithNetworks(ice.NetworkTypeUDP4),
			ice.UDPMuxFromPortWithLogger(logs.NewLogger("udpmux")),
		}
		m, err := ice.NewMultiUDPMuxFromPort(port, opts...)
		if err != nil {
			return fmt.Errorf("live: UDP port %d: %w", port, err)
		}
		w.mux, w.addrs = m, m.GetListenAddresses()
		return nil
	}
	var muxes []ice.UDPMux
	for _, a := range hosts {
		conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, uint16(port))))
		if err != nil {
			for _, m := range muxes {
				m.Close()
			}
			return fmt.Errorf("live: UDP port %d on %s: %w", port, a, err)
		}
		muxes = append(muxes, ice.NewUDPMuxDefault(ice.UDPMuxParams{Logger: logs.NewLogger("udpmux"), UDPConn: conn}))
		w.addrs = append(w.addrs, conn.LocalAddr())
	}
	w.mux = ice.NewMultiUDPMuxDefault(muxes...)
	return nil
}

// UDPAddrs returns the addresses of the shared UDP sockets (UDPMux), or
// nil.
func (w *WHEP) UDPAddrs() []net.Addr { return slices.Clone(w.addrs) }

// Offer answers a browser's SDP offer (application/sdp) to watch camera
// hub h, returning the answer, with every ICE candidate of ours in it,
// and the new session's ID: the web layer replies 201 Created with
// Location .../whep/{sessionID}. The session starts forwarding once the
// browser connects, from the camera's next keyframe.
//
// Errors: ErrBadOffer, ErrNoVideo, ErrCodecNotOffered (a *CodecError),
// ErrTooManySessions, ErrClosed, or ctx's.
func (w *WHEP) Offer(ctx context.Context, h *Hub, offer []byte) (answer []byte, sessionID string, err error) {
	if h == nil {
		return nil, "", errors.New("live: no camera hub")
	}
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("live: %w", err)
	}
	choice, err := chooseCodec(h, offer)
	if err != nil {
		return nil, "", err
	}
	if h.isClosed() {
		return nil, "", ErrClosed
	}
	w.mu.Lock()
	switch {
	case w.closed:
		err = ErrClosed
	case w.opt.MaxSessions > 0 && len(w.sessions)+w.pending >= w.opt.MaxSessions:
		err = ErrTooManySessions
	default:
		w.pending++
	}
	w.mu.Unlock()
	if err != nil {
		return nil, "", err
	}
	s, err := w.newSession(ctx, h, choice, offer)
	w.mu.Lock()
	w.pending--
	if err == nil && w.closed {
		err = ErrClosed
	}
	if err == nil {
		w.sessions[s.id] = s
	}
	w.mu.Unlock()
	if err != nil {
		if s != nil {
			s.end()
		}
		return nil, "", err
	}
	w.log.Info("live session offered", "session", s.id, "codec", choice.codec.MimeType,
		"payload_type", choice.codec.PayloadType, "fmtp", choice.codec.SDPFmtpLine)
	return s.answer, s.id, nil
}

// session is one browser watching one camera.
type session struct {
	w       *WHEP
	id      string
	hub     *Hub
	started time.Time
	pc      *webrtc.PeerConnection
	track   *webrtc.TrackLocalStaticRTP
	answer  []byte

	connected        atomic.Bool
	plis, firs, nack atomic.Uint64

	mu      sync.Mutex
	v       *viewer
	timer   *time.Timer
	ending  bool
	endOnce sync.Once
}

// newSession builds the peer connection and answers. On error the
// session returned, if any, must be ended.
func (w *WHEP) newSession(ctx context.Context, h *Hub, choice codecChoice, offer []byte) (*session, error) {
	var idb [16]byte
	rand.Read(idb[:])
	s := &session{w: w, id: hex.EncodeToString(idb[:]), hub: h, started: time.Now()}

	// A media engine per session holds exactly the browser's format
	// chosen, so pion cannot negotiate another (packetization mode 0,
	// say) and binds the track to this one.
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(choice.codec, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	// Browsers offer audio too, often first. Knowing one audio codec
	// (and, below, a receive-only audio transceiver on each audio mid)
	// lets pion answer those sections inactive rather than reject them,
	// which would also reject the BUNDLE group's tag (RFC 8843): that
	// delayed connections by a second in tests.
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2},
		PayloadType:        111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	ir := &interceptor.Registry{}
	responder, err := nack.NewResponderInterceptor(nack.ResponderSize(nackHistory))
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	ir.Add(responder)
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(w.se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	s.pc = pc
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			s.connect()
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			// Not in place: pion calls this while closing the
			// connection, which end does.
			w.goBg(s.end)
		}
	})
	s.track, err = webrtc.NewTrackLocalStaticRTP(choice.track, "video", "vigil")
	if err != nil {
		return s, fmt.Errorf("live: %w", err)
	}
	sender, err := pc.AddTrack(s.track)
	if err != nil {
		return s, fmt.Errorf("live: %w", err)
	}
	for _, mid := range choice.audioMids {
		// A receive-only transceiver on the mid of a receive-only
		// section is answered inactive.
		tr, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio,
			webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
		if err != nil {
			return s, fmt.Errorf("live: %w", err)
		}
		if err := tr.SetMid(mid); err != nil {
			return s, fmt.Errorf("%w: %v", ErrBadOffer, err)
		}
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
		return s, fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return s, fmt.Errorf("live: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return s, fmt.Errorf("live: %w", ctx.Err())
	}
	if len(sender.GetParameters().Codecs) == 0 || !sendsVideo(pc.LocalDescription().SDP) {
		return s, ErrNoVideo
	}
	s.answer = []byte(pc.LocalDescription().SDP)
	w.goBg(func() { s.readRTCP(sender) })
	s.mu.Lock()
	s.timer = time.AfterFunc(w.opt.ConnectTimeout, func() {
		if !s.connected.Load() {
			w.log.Info("live session never connected", "session", s.id)
			s.end()
		}
	})
	s.mu.Unlock()
	return s, nil
}

// sendsVideo reports whether an answer sends on a video section.
func sendsVideo(answer string) bool {
	video := false
	for _, line := range strings.Split(answer, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "m="):
			video = strings.HasPrefix(line, "m=video ") && !strings.HasPrefix(line, "m=video 0 ")
		case video && (line == "a=sendonly" || line == "a=sendrecv"):
			return true
		}
	}
	return false
}

// readRTCP reads what the browser sends about our stream; reading is
// also what runs the interceptors (NACK responder, reports).
func (s *session) readRTCP(sender *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		n, _, err := sender.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication:
				s.plis.Add(1)
			case *rtcp.FullIntraRequest:
				s.firs.Add(1)
			case *rtcp.TransportLayerNack:
				s.nack.Add(1)
			}
		}
	}
}

// connect starts forwarding once the browser has connected: packets
// written earlier would be lost, the first keyframe with them.
func (s *session) connect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ending || s.v != nil {
		return
	}
	s.connected.Store(true)
	v := newViewer(s.w.opt.QueueSize, s.track.WriteRTP, func() { s.w.goBg(s.end) })
	if err := s.hub.add(v); err != nil {
		v.stop()
		<-v.exited
		s.w.goBg(s.end)
		return
	}
	s.v = v
	s.w.log.Info("live session connected", "session", s.id)
}

// end ends the session once: off the hub, peer connection closed, OnEnd
// called if Offer had returned it.
func (s *session) end() {
	s.endOnce.Do(func() {
		s.mu.Lock()
		s.ending = true
		v := s.v
		if s.timer != nil {
			s.timer.Stop()
		}
		s.mu.Unlock()
		w := s.w
		w.mu.Lock()
		registered := w.sessions[s.id] == s
		delete(w.sessions, s.id)
		w.mu.Unlock()
		if v != nil {
			s.hub.remove(v)
		}
		if s.pc != nil {
			if err := s.pc.Close(); err != nil {
				w.log.Debug("closing peer connection", "session", s.id, "err", err)
			}
		}
		if v != nil {
			// Its writes fail now the connection is closed.
			<-v.exited
		}
		if registered {
			w.log.Info("live session ended", "session", s.id)
			if w.opt.OnEnd != nil {
				w.opt.OnEnd(s.id)
			}
		}
	})
}

// Delete ends a session (DELETE on its URL); OnEnd is called before it
// returns. ErrNotFound when the session is unknown or already ended.
func (w *WHEP) Delete(sessionID string) error {
	w.mu.Lock()
	s := w.sessions[sessionID]
	w.mu.Unlock()
	if s == nil {
		return ErrNotFound
	}
	s.end()
	return nil
}

// Sessions lists the live sessions, oldest first.
func (w *WHEP) Sessions() []SessionInfo {
	w.mu.Lock()
	list := make([]*session, 0, len(w.sessions))
	for _, s := range w.sessions {
		list = append(list, s)
	}
	w.mu.Unlock()
	out := make([]SessionInfo, 0, len(list))
	for _, s := range list {
		info := SessionInfo{
			ID: s.id, Hub: s.hub, Started: s.started, Connected: s.connected.Load(),
			PLIs: s.plis.Load(), FIRs: s.firs.Load(), NACKs: s.nack.Load(),
		}
		s.mu.Lock()
		if s.v != nil {
			info.PacketsSent, info.PacketsDropped = s.v.sent.Load(), s.v.dropped.Load()
		}
		s.mu.Unlock()
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b SessionInfo) int {
		if c := a.Started.Compare(b.Started); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Close ends every session (calling OnEnd for each), refuses further
// offers and releases the shared UDP sockets.
func (w *WHEP) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	list := make([]*session, 0, len(w.sessions))
	for _, s := range w.sessions {
		list = append(list, s)
	}
	w.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range list {
		wg.Go(s.end)
	}
	wg.Wait()
	w.bgMu.Lock()
	w.bgStopped = true
	w.bgMu.Unlock()
	w.bg.Wait()
	if w.mux != nil {
		return w.mux.Close()
	}
	return nil
}
