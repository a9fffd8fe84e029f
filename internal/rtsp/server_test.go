package rtsp

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// rawClient speaks RTSP by hand so that the server's answers can be
// checked header by header.
type rawClient struct {
	t    *testing.T
	c    net.Conn
	br   *bufio.Reader
	cseq int
}

func dialRaw(t *testing.T, srv *Server) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawClient{t: t, c: c, br: bufio.NewReaderSize(c, readerSize)}
}

func (r *rawClient) send(method, uri string, h header) {
	r.t.Helper()
	r.cseq++
	h = append(header{{"CSeq", strconv.Itoa(r.cseq)}}, h...)
	if _, err := r.c.Write(appendRequest(nil, proto10, method, uri, h)); err != nil {
		r.t.Fatalf("write %s: %v", method, err)
	}
}

// next reads the next message or interleaved frame (returned as channel
// and payload).
func (r *rawClient) next() (*message, int, []byte) {
	r.t.Helper()
	b, err := r.br.Peek(4)
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	if b[0] == '$' {
		ch, n := int(b[1]), frameLen(b)
		buf := make([]byte, 4+n)
		if _, err := io.ReadFull(r.br, buf); err != nil {
			r.t.Fatalf("read frame: %v", err)
		}
		return nil, ch, buf[4:]
	}
	m, err := readMessage(r.br, maxBodyBytes)
	if err != nil {
		r.t.Fatalf("read message: %v", err)
	}
	return m, -1, nil
}

func (r *rawClient) do(method, uri string, h header) *message {
	r.t.Helper()
	r.send(method, uri, h)
	m, _, _ := r.next()
	if m == nil {
		r.t.Fatalf("%s: got an interleaved frame, want the reply", method)
	}
	if got := m.header.get("CSeq"); got != strconv.Itoa(r.cseq) {
		r.t.Errorf("%s: got CSeq %q, want %d", method, got, r.cseq)
	}
	return m
}

func TestServerProtocol(t *testing.T) {
	st := testStream()
	srv := startServer(t, ServerConfig{Lookup: oneStream("/cam/1", st)}, nil)
	base := serverURL(srv, "/cam/1")
	r := dialRaw(t, srv)

	m := r.do("OPTIONS", base, nil)
	if m.status != 200 || !listsMethod(m.header.get("Public"), "GET_PARAMETER") || !listsMethod(m.header.get("Public"), "PAUSE") {
		t.Errorf("OPTIONS: got %d Public %q, want 200 listing GET_PARAMETER and PAUSE", m.status, m.header.get("Public"))
	}
	m = r.do("DESCRIBE", base, header{{"Accept", "application/sdp"}})
	if m.status != 200 || m.header.get("Content-Base") != base+"/" || m.header.get("Content-Type") != "application/sdp" {
		t.Errorf("DESCRIBE: got %d Content-Base %q Content-Type %q, want 200 %q application/sdp",
			m.status, m.header.get("Content-Base"), m.header.get("Content-Type"), base+"/")
	}
	for _, want := range []string{"m=video 0 RTP/AVP 96", "a=rtpmap:96 H264/90000", "a=fmtp:96 " + testFmtp, "a=control:trackID=0"} {
		if !bytes.Contains(m.body, []byte(want+"\r\n")) {
			t.Errorf("SDP: got %q, want a line %q", m.body, want)
		}
	}
	dm, err := selectMedia(m.body, m.header.get("Content-Base"))
	if err != nil || dm.media.Control != base+"/trackID=0" {
		t.Errorf("our client reading our SDP: got %+v, %v; want control %q", dm.media, err, base+"/trackID=0")
	}

	m = r.do("SETUP", base+"/trackID=0", header{{"Transport", "RTP/AVP;multicast;port=5000-5001"}})
	if m.status != 461 {
		t.Errorf("SETUP multicast: got %d, want 461", m.status)
	}
	m = r.do("SETUP", base+"/trackID=0", header{{"Transport", "RTP/AVP/TCP;unicast;interleaved=4-5"}})
	id, timeout := parseSessionHeader(m.header.get("Session"))
	if m.status != 200 || id == "" || !strings.HasSuffix(m.header.get("Session"), ";timeout=60") || timeout != 60*time.Second {
		t.Fatalf("SETUP: got %d Session %q, want 200 with ;timeout=60", m.status, m.header.get("Session"))
	}
	if got := m.header.get("Transport"); got != "RTP/AVP/TCP;unicast;interleaved=4-5" {
		t.Errorf("SETUP Transport: got %q, want the client's interleaved channels", got)
	}
	sess := header{{"Session", id}}

	st.WriteRTP(testPacket(100, 10)) // before PLAY: not for this client
	m = r.do("PLAY", base+"/", sess)
	if m.status != 200 || m.header.get("Range") != "npt=now-" {
		t.Errorf("PLAY: got %d Range %q, want 200 npt=now-", m.status, m.header.get("Range"))
	}
	if got, want := m.header.get("RTP-Info"), "url="+base+"/trackID=0;seq=101;rtptime=360000"; got != want {
		t.Errorf("PLAY RTP-Info: got %q, want %q", got, want)
	}
	st.WriteRTP(testPacket(101, 10))
	var gotRTP bool
	for !gotRTP {
		_, ch, b := r.next()
		switch ch {
		case 4:
			var p rtp.Packet
			if err := p.Unmarshal(b); err != nil || p.SequenceNumber != 101 {
				t.Fatalf("first RTP frame: got seq %d (%v), want 101", p.SequenceNumber, err)
			}
			gotRTP = true
		case 5:
			if _, err := rtcp.Unmarshal(b); err != nil {
				t.Errorf("RTCP frame: %v", err)
			}
		default:
			t.Fatalf("got frame on channel %d, want 4 or 5", ch)
		}
	}

	m = r.do("PAUSE", base+"/", sess)
	if m.status != 200 {
		t.Errorf("PAUSE: got %d, want 200", m.status)
	}
	for i := range 10 {
		st.WriteRTP(testPacket(uint16(102+i), 10))
	}
	srv.mu.Lock()
	queue := srv.sessions[id].queue
	srv.mu.Unlock()
	eventually(t, 5*time.Second, "the paused session's queue to drain", func() bool { return len(queue) == 0 })
	// Nothing may have been sent while paused: the next thing read is the
	// reply (SR frames aside).
	r.send("GET_PARAMETER", base+"/", sess)
	for {
		m, ch, _ := r.next()
		if m != nil {
			if m.status != 200 || len(m.body) != 0 {
				t.Errorf("GET_PARAMETER: got %d with %d body bytes, want 200 empty", m.status, len(m.body))
			}
			break
		}
		if ch != 5 {
			t.Fatalf("while paused: got a frame on channel %d, want none", ch)
		}
	}

	m = r.do("TEARDOWN", base+"/", sess)
	if m.status != 200 || st.Sessions() != 0 {
		t.Errorf("TEARDOWN: got %d and %d sessions, want 200 and 0", m.status, st.Sessions())
	}
	if m = r.do("PLAY", base+"/", sess); m.status != 454 {
		t.Errorf("PLAY after TEARDOWN: got %d, want 454", m.status)
	}
	if m = r.do("DESCRIBE", serverURL(srv, "/nope"), nil); m.status != 404 {
		t.Errorf("DESCRIBE unknown path: got %d, want 404", m.status)
	}
	if m = r.do("RECORD", base, nil); m.status != 501 {
		t.Errorf("RECORD: got %d, want 501", m.status)
	}
	r.c.Write([]byte("OPTIONS " + base + " RTSP/1.0\r\n\r\n"))
	if m, _, _ := r.next(); m == nil || m.status != 400 {
		t.Errorf("request without CSeq: got %+v, want 400", m)
	}
}

func TestServerUDPSetup(t *testing.T) {
	st := testStream()
	srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st)}, nil)
	pair, err := listenUDPPair(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer pair.close()
	if pair.port%2 != 0 || pair.rtcp.LocalAddr().(*net.UDPAddr).Port != pair.port+1 {
		t.Fatalf("port pair: got RTP %d RTCP %s, want even and even+1", pair.port, pair.rtcp.LocalAddr())
	}
	r := dialRaw(t, srv)
	m := r.do("SETUP", serverURL(srv, "/cam/trackID=0"), header{{"Transport",
		"RTP/AVP;unicast;client_port=" + strconv.Itoa(pair.port) + "-" + strconv.Itoa(pair.port+1)}})
	specs := parseTransports(m.header.get("Transport"))
	if m.status != 200 || len(specs) != 1 || !specs[0].hasServerPort || specs[0].serverPort[0]%2 != 0 {
		t.Fatalf("SETUP: got %d Transport %q, want 200 with an even server_port pair", m.status, m.header.get("Transport"))
	}
	id, _ := parseSessionHeader(m.header.get("Session"))
	if m = r.do("PLAY", serverURL(srv, "/cam/"), header{{"Session", id}}); m.status != 200 {
		t.Fatalf("PLAY: got %d, want 200", m.status)
	}
	st.WriteRTP(testPacket(7, 10))
	pair.rtp.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	n, from, err := pair.rtp.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("reading RTP: %v", err)
	}
	var p rtp.Packet
	if err := p.Unmarshal(buf[:n]); err != nil || p.SequenceNumber != 7 {
		t.Errorf("RTP: got seq %d (%v), want 7", p.SequenceNumber, err)
	}
	if int(from.Port()) != specs[0].serverPort[0] {
		t.Errorf("RTP source port: got %d, want server_port %d", from.Port(), specs[0].serverPort[0])
	}
	pair.rtcp.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err = pair.rtcp.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("reading RTCP: %v", err)
	}
	pkts, err := rtcp.Unmarshal(buf[:n])
	if sr, ok := firstSR(pkts); err != nil || !ok || sr.SSRC != 0x1234abcd || sr.PacketCount != 1 || sr.OctetCount != 10 {
		t.Errorf("RTCP: got %+v (%v), want an SR for 1234abcd with 1 packet of 10 octets", pkts, err)
	}
	// The session outlives its control connection until TEARDOWN or timeout.
	r.c.Close()
	r2 := dialRaw(t, srv)
	if m = r2.do("GET_PARAMETER", serverURL(srv, "/cam/"), header{{"Session", id}}); m.status != 200 || st.Sessions() != 1 {
		t.Errorf("keep-alive on a new connection: got %d with %d sessions, want 200 and 1", m.status, st.Sessions())
	}
	if m = r2.do("TEARDOWN", serverURL(srv, "/cam/"), header{{"Session", id}}); m.status != 200 || st.Sessions() != 0 {
		t.Errorf("TEARDOWN on a new connection: got %d with %d sessions, want 200 and 0", m.status, st.Sessions())
	}
}

func firstSR(pkts []rtcp.Packet) (*rtcp.SenderReport, bool) {
	for _, p := range pkts {
		if sr, ok := p.(*rtcp.SenderReport); ok {
			return sr, true
		}
	}
	return nil, false
}

func TestSenderReportClock(t *testing.T) {
	st := testStream()
	if _, ok := st.senderReport(time.Now()); ok {
		t.Errorf("senderReport before any packet: got ok, want none")
	}
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	st.SetClock(90000, at)
	st.WriteRTP(testPacket(1, 100))
	sr, ok := st.senderReport(at.Add(2 * time.Second))
	if !ok {
		t.Fatal("senderReport: got none, want one")
	}
	if sr.RTPTime != 90000+2*90000 {
		t.Errorf("RTPTime: got %d, want %d", sr.RTPTime, 90000+2*90000)
	}
	wantNTP := uint64(at.Add(2*time.Second).Unix()+ntpEpochOffset) << 32
	if sr.NTPTime != wantNTP || sr.PacketCount != 1 || sr.OctetCount != 100 {
		t.Errorf("SR: got NTP %x count %d octets %d, want NTP %x, 1, 100", sr.NTPTime, sr.PacketCount, sr.OctetCount, wantNTP)
	}
}

func TestClientIgnoresForeignUDP(t *testing.T) {
	st := testStream()
	srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st)}, nil)
	sess, err := Dial(context.Background(), serverURL(srv, "/cam"), ClientOptions{Transport: "udp"})
	if err != nil {
		t.Fatalf("Dial: got %v, want nil", err)
	}
	defer sess.Close()
	// 127.0.0.2 is loopback too, but it is not the camera.
	intruder, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sess.udp.port})
	if err != nil {
		t.Skipf("cannot bind 127.0.0.2: %v", err)
	}
	defer intruder.Close()
	b, _ := testPacket(999, 10).Marshal()
	if _, err := intruder.Write(b); err != nil {
		t.Fatal(err)
	}
	h := newCollector()
	runSession(context.Background(), sess, h)
	st.WriteRTP(testPacket(1, 10))
	if p := h.nextRTP(t, 5*time.Second); p.SequenceNumber != 1 {
		t.Errorf("first packet: got seq %d, want 1 (the intruder's 999 must be dropped)", p.SequenceNumber)
	}
	if got := sess.Stats(); got.RTPPackets != 1 || got.BadPackets != 0 {
		t.Errorf("Stats: got %+v, want 1 RTP packet and no bad ones", got)
	}
}

func TestReceiverReport(t *testing.T) {
	var r rrState
	now := time.Now()
	// Across the wrap: 0, 3 and 4 are missing and 2 arrives twice.
	for _, seq := range []uint16{65534, 65535, 1, 2, 2, 5} {
		r.received(42, seq, uint32(seq)*3000, 90000, now)
	}
	rr, ok := r.report(now)
	if !ok || len(rr.Reports) != 1 {
		t.Fatalf("report: got %+v, want one reception report", rr)
	}
	got := rr.Reports[0]
	if got.SSRC != 42 || got.LastSequenceNumber != 1<<16+5 {
		t.Errorf("report: got SSRC %d ext seq %d, want 42 and %d", got.SSRC, got.LastSequenceNumber, 1<<16+5)
	}
	// 65534..65541 is 8 expected, 6 received: RFC 3550 A.3 lets the
	// duplicate offset a loss.
	if got.TotalLost != 2 {
		t.Errorf("TotalLost: got %d, want 2", got.TotalLost)
	}
	if got.FractionLost != 2*256/8 {
		t.Errorf("FractionLost: got %d, want %d", got.FractionLost, 2*256/8)
	}
	if rr.SSRC == 0 {
		t.Errorf("our SSRC: got 0, want random non-zero")
	}
}

func TestWriteRTPAllocs(t *testing.T) {
	st := testStream()
	srv := &Server{log: discardLogger(), sessions: map[string]*serverSession{}}
	ss := &serverSession{srv: srv, stream: st, owner: &serverConn{}, queue: make(chan *sharedPacket, 4), done: make(chan struct{})}
	if _, _, _, err := st.attach(ss); err != nil {
		t.Fatal(err)
	}
	pkt := testPacket(1, 1200)
	allocs := testing.AllocsPerRun(1000, func() {
		st.WriteRTP(pkt)
		(<-ss.queue).release()
	})
	if allocs >= 1 {
		t.Errorf("WriteRTP: got %.2f allocations per packet, want 0", allocs)
	}
}

func TestDemuxAllocs(t *testing.T) {
	b, _ := testPacket(1, 1200).Marshal()
	var stream []byte
	for range 1000 {
		stream = append(stream, frame(0, b)...)
	}
	s := &Session{log: discardLogger(), rtpCh: 0, rtcpCh: 1}
	h := nopHandler{}
	br := bufio.NewReaderSize(nil, readerSize)
	rd := bytes.NewReader(stream)
	allocs := testing.AllocsPerRun(20, func() {
		rd.Reset(stream)
		br.Reset(rd)
		s.demux(br, h)
	})
	if allocs > 5 {
		t.Errorf("demux of 1000 frames: got %.0f allocations, want a handful at most", allocs)
	}
}

type nopHandler struct{}

func (nopHandler) HandleRTP(*rtp.Packet, time.Time)    {}
func (nopHandler) HandleRTCP([]rtcp.Packet, time.Time) {}
