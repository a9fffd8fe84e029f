package rtsp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const fake2SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=fake\r\nt=0 0\r\na=control:*\r\n" +
	"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:trackID=0\r\n"

// fake2Packets is how many RTP packets the fake sends after PLAY; the
// last one has the marker bit.
const fake2Packets = 5

var destAddrRE = regexp.MustCompile(`dest_addr=":(\d+)"/":(\d+)"`)

// fake2Server is an RTSP 2.0-only camera: it answers any other version
// with 505, and serves just enough 2.0 to play a few packets.
type fake2Server struct {
	t   *testing.T
	ln  net.Listener
	url string

	mu       sync.Mutex
	requests []string // "METHOD RTSP/x.y" in arrival order
	setup    *message // the 2.0 SETUP request
}

func startFake2Server(t *testing.T) *fake2Server {
	t.Helper()
	f := &fake2Server{t: t}
	f.ln = serveFake(t, f.serve)
	f.url = "rtsp://" + f.ln.Addr().String() + "/cam"
	return f
}

func (f *fake2Server) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func (f *fake2Server) serve(c net.Conn) {
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReaderSize(c, readerSize)
	var udp net.Conn
	defer func() {
		if udp != nil {
			udp.Close()
		}
	}()
	for {
		if b, err := br.Peek(1); err == nil && b[0] == '$' {
			// Our client's RTCP over TCP.
			hdr, err := br.Peek(4)
			if err != nil {
				return
			}
			br.Discard(4 + frameLen(hdr))
			continue
		}
		m, err := readMessage(br, maxBodyBytes)
		if err != nil || !m.isRequest() {
			return
		}
		f.mu.Lock()
		f.requests = append(f.requests, m.method+" "+m.version)
		f.mu.Unlock()
		h := header{{"CSeq", m.header.get("CSeq")}}
		status := 200
		var body []byte
		var after func()
		switch {
		case m.version != proto20:
			status = 505
		case m.method == "OPTIONS":
			h.add("Public", "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER")
		case m.method == "DESCRIBE":
			h.add("Content-Type", "application/sdp")
			h.add("Content-Base", f.url+"/")
			body = []byte(fake2SDP)
		case m.method == "SETUP":
			f.mu.Lock()
			f.setup = m
			f.mu.Unlock()
			h.add("Session", "fake2sess;timeout=60")
			h.add("Media-Properties", "Random-Access=2.5, Unlimited, Immutable")
			tr := m.header.get("Transport")
			if strings.HasPrefix(tr, "RTP/AVP/TCP") {
				h.add("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=1234ABCD")
				break
			}
			sub := destAddrRE.FindStringSubmatch(tr)
			if sub == nil {
				status = 461
				break
			}
			udp, err = net.Dial("udp", "127.0.0.1:"+sub[1])
			if err != nil {
				status = 500
				break
			}
			src := udp.LocalAddr().(*net.UDPAddr).Port
			h.add("Transport", `RTP/AVP;unicast;dest_addr=":`+sub[1]+`"/":`+sub[2]+
				`";src_addr="127.0.0.1:`+strconv.Itoa(src)+`"/"127.0.0.1:`+strconv.Itoa(src+1)+`"`)
		case m.method == "PLAY":
			h.add("Session", "fake2sess")
			h.add("Range", "npt=0-")
			h.add("Media-Range", "npt=0-")
			h.add("Seek-Style", "RAP")
			h.add("RTP-Info", `url="`+f.url+`/trackID=0" ssrc=1234ABCD:seq=1;rtptime=3600`)
			after = func() { f.sendPackets(c, udp) }
		}
		if _, err := c.Write(appendResponse(nil, proto20, status, h, body)); err != nil {
			return
		}
		if after != nil {
			after()
		}
	}
}

func (f *fake2Server) sendPackets(c, udp net.Conn) {
	for i := 1; i <= fake2Packets; i++ {
		p := testPacket(uint16(i), 100)
		p.Marker = i == fake2Packets
		b, err := p.Marshal()
		if err != nil {
			f.t.Errorf("marshal: %v", err)
			return
		}
		if udp != nil {
			udp.Write(b)
		} else {
			c.Write(frame(0, b))
		}
	}
}

func TestClientRTSP2(t *testing.T) {
	tests := []struct {
		name, version, transport string
		wantSeen                 []string
	}{
		{"auto falls back tcp", "", "tcp", []string{"OPTIONS RTSP/1.0", "OPTIONS RTSP/2.0", "DESCRIBE RTSP/2.0", "SETUP RTSP/2.0", "PLAY RTSP/2.0"}},
		{"auto falls back udp", "", "udp", []string{"OPTIONS RTSP/1.0", "OPTIONS RTSP/2.0", "DESCRIBE RTSP/2.0", "SETUP RTSP/2.0", "PLAY RTSP/2.0"}},
		{"forced", "2.0", "tcp", []string{"OPTIONS RTSP/2.0", "DESCRIBE RTSP/2.0", "SETUP RTSP/2.0", "PLAY RTSP/2.0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := startFake2Server(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sess, err := Dial(ctx, f.url, ClientOptions{Version: tc.version, Transport: tc.transport, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatalf("Dial: got %v, want nil", err)
			}
			defer sess.Close()
			if got := sess.Version(); got != "2.0" {
				t.Errorf("Version: got %q, want 2.0", got)
			}
			if got := sess.Transport(); got != tc.transport {
				t.Errorf("Transport: got %q, want %q", got, tc.transport)
			}
			if got := strings.Join(f.seen(), ", "); got != strings.Join(tc.wantSeen, ", ") {
				t.Errorf("requests: got %s, want %s", got, strings.Join(tc.wantSeen, ", "))
			}
			f.mu.Lock()
			setup := f.setup
			f.mu.Unlock()
			if got := setup.header.get("Accept-Ranges"); got != "npt" {
				t.Errorf("SETUP Accept-Ranges: got %q, want npt", got)
			}
			if tc.transport == "udp" {
				if tr := setup.header.get("Transport"); !destAddrRE.MatchString(tr) {
					t.Errorf("SETUP Transport: got %q, want dest_addr=\":p\"/\":p+1\"", tr)
				}
				if got, want := sess.serverRTCP.Addr().String(), "127.0.0.1"; got != want || sess.serverRTCP.Port() == 0 {
					t.Errorf("RTCP destination from src_addr: got %v, want %s with a port", sess.serverRTCP, want)
				}
			}
			h := newCollector()
			runErr := runSession(ctx, sess, h)
			for i := 1; i <= fake2Packets; i++ {
				if p := h.nextRTP(t, 5*time.Second); p.SequenceNumber != uint16(i) {
					t.Errorf("packet %d: got seq %d, want %d", i, p.SequenceNumber, i)
				}
			}
			if got := h.markerCount(); got != 1 {
				t.Errorf("markers: got %d, want 1", got)
			}
			cancel()
			if err := awaitErr(t, runErr, 5*time.Second); !errors.Is(err, context.Canceled) {
				t.Errorf("Run after cancel: got %v, want context.Canceled", err)
			}
		})
	}
	t.Run("forced 1.0", func(t *testing.T) {
		f := startFake2Server(t)
		_, err := Dial(context.Background(), f.url, ClientOptions{Version: "1.0", Timeout: 5 * time.Second})
		if err == nil || !strings.Contains(err.Error(), "RTSP/1.0") || !strings.Contains(err.Error(), "505") {
			t.Errorf("Dial: got %v, want an error naming RTSP/1.0 and 505", err)
		}
	})
}

// TestServerRejectsRTSP2 checks our 1.0-only server in reverse: a 2.0
// request gets 505, a client forced to 2.0 fails clearly, and the default
// client stays on 1.0.
func TestServerRejectsRTSP2(t *testing.T) {
	st := testStream()
	srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st)}, nil)
	url := serverURL(srv, "/cam")

	t.Run("raw 2.0 request", func(t *testing.T) {
		r := dialRaw(t, srv)
		if _, err := r.c.Write(appendRequest(nil, proto20, "OPTIONS", url, header{{"CSeq", "7"}})); err != nil {
			t.Fatal(err)
		}
		m, _, _ := r.next()
		if m == nil {
			t.Fatalf("got no reply, want 505")
		}
		if m.version != proto10 || m.status != 505 || m.reason != "RTSP Version Not Supported" || m.cseq() != 7 {
			t.Errorf("reply: got %s %d %s CSeq %d, want RTSP/1.0 505 RTSP Version Not Supported CSeq 7", m.version, m.status, m.reason, m.cseq())
		}
		// The connection stays usable in 1.0.
		if m := r.do("OPTIONS", url, nil); m.status != 200 {
			t.Errorf("1.0 OPTIONS after 505: got %d, want 200", m.status)
		}
	})
	t.Run("client forced to 2.0", func(t *testing.T) {
		_, err := Dial(context.Background(), url, ClientOptions{Version: "2.0", Timeout: 5 * time.Second})
		var ve *versionError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "RTSP/2.0") {
			t.Errorf("Dial: got %v, want an error saying RTSP/2.0 is not supported", err)
		}
	})
	t.Run("auto client", func(t *testing.T) {
		sess, err := Dial(context.Background(), url, ClientOptions{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("Dial: got %v, want nil", err)
		}
		defer sess.Close()
		if got := sess.Version(); got != "1.0" {
			t.Errorf("Version: got %q, want 1.0", got)
		}
	})
	t.Run("bad version option", func(t *testing.T) {
		if _, err := Dial(context.Background(), url, ClientOptions{Version: "1.1"}); err == nil || !strings.Contains(err.Error(), "1.1") {
			t.Errorf("Dial: got %v, want an error naming 1.1", err)
		}
	})
}
