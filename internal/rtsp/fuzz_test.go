package rtsp

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"
)

func FuzzReadResponse(f *testing.F) {
	f.Add([]byte("RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n"))
	f.Add([]byte("RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Base: rtsp://c/x/\r\nContent-Length: 4\r\n\r\nv=0\n"))
	f.Add([]byte("RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"r\",\r\n nonce=\"n\"\r\n\r\n"))
	f.Add([]byte("\r\nRTSP/1.0 302 Found\nLocation: rtsp://x/\n\n"))
	f.Add([]byte("SET_PARAMETER rtsp://c/ RTSP/1.0\r\nContent-Length: 3\r\n\r\nabc"))
	f.Add([]byte("RTSP/1.0 200 OK\r\nContent-Length: 99999999999\r\n\r\n"))
	f.Add([]byte("RTSP/2.0 200 OK\r\nCSeq: 3\r\nTransport: RTP/AVP;unicast;src_addr=\"[::1]:6256\"/\":6257\"\r\nSession: a;timeout=9\r\n\r\n"))
	f.Add([]byte("RTSP/2.0 505 RTSP Version Not Supported\r\nCSeq: 1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), readerSize)
		for range 4 {
			m, err := readMessage(br, maxBodyBytes)
			if err != nil {
				return
			}
			if len(m.body) > maxBodyBytes || len(m.header) > maxHeaderLines {
				t.Fatalf("message exceeds limits: body %d, %d header lines", len(m.body), len(m.header))
			}
			if !m.isRequest() && (m.status < 100 || m.status > 999) {
				t.Fatalf("status %d accepted", m.status)
			}
			m.cseq()
			parseSessionHeader(m.header.get("Session"))
			parseTransports(m.header.get("Transport"))
			contentBase(m, mustURL("rtsp://cam/x"))
		}
	})
}

func FuzzParseSDP(f *testing.F) {
	f.Add([]byte(hikvisionSDP), "rtsp://192.168.1.64/Streaming/Channels/101")
	f.Add([]byte("v=0\nm=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\na=fmtp:96 packetization-mode=1\na=control:trackID=1\n"), "rtsp://c/")
	f.Add([]byte("m=video 0 RTP/AVP 98\na=rtpmap:98 HEVC/90000\na=control:/abs\n"), "rtsp://c:1/x")
	f.Add([]byte("m=video 0/2 RTP/AVP/TCP 96 97\na=rtpmap:97\na=rtpmap:96 H265/0/1\n"), "rtsp://c")
	f.Fuzz(func(t *testing.T, data []byte, base string) {
		dm, err := selectMedia(data, base)
		if err != nil {
			return
		}
		if dm.media.EncodingName != "H264" && dm.media.EncodingName != "H265" {
			t.Fatalf("selected encoding %q, want H264 or H265", dm.media.EncodingName)
		}
		if dm.media.ClockRate == 0 || dm.media.PayloadType > 127 {
			t.Fatalf("selected clock %d pt %d", dm.media.ClockRate, dm.media.PayloadType)
		}
	})
}

func FuzzInterleaved(f *testing.F) {
	pkt, _ := testPacket(1, 30).Marshal()
	f.Add(append(frame(0, pkt), frame(1, []byte{0x80, 200, 0, 1, 0, 0, 0, 1})...))
	f.Add(append([]byte("RTSP/1.0 200 OK\r\nCSeq: 3\r\n\r\n"), frame(0, pkt)...))
	f.Add([]byte("$\x00\xff\xff"))
	f.Add(append(frame(7, []byte("x")), "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"...))
	f.Add([]byte("RTSP/1.0 454 Session Not Found\r\nCSeq: 3\r\n\r\n"))
	f.Add([]byte("RTSP/1.0 401 Unauthorized\r\nCSeq: 3\r\nWWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &Session{log: discardLogger(), rtpCh: 0, rtcpCh: 1, teardownAck: make(chan struct{}), kick: make(chan struct{}, 1)}
		s.auth = clientAuth{user: "u", pass: "p", haveCreds: true}
		s.teardownCSeq.Store(-1)
		s.keepAliveCSeq.Store(3)
		h := &countingHandler{}
		if err := s.demux(bufio.NewReaderSize(bytes.NewReader(data), readerSize), h); err == nil {
			t.Fatalf("demux of a finite stream returned nil")
		}
		st := s.Stats()
		if st.RTPPackets != uint64(h.rtp) || st.RTCPPackets != uint64(h.rtcp) {
			t.Fatalf("stats %+v disagree with handler %d/%d", st, h.rtp, h.rtcp)
		}
		if st.Bytes > uint64(len(data)) {
			t.Fatalf("counted %d bytes of %d", st.Bytes, len(data))
		}
	})
}

func FuzzDigestChallenge(f *testing.F) {
	f.Add(`Digest realm="cam", nonce="abc", qop="auth,auth-int", algorithm=SHA-256, Basic realm="cam"`)
	f.Add(`Digest realm="r", nonce="n", opaque="o", algorithm=MD5-sess, stale=true`)
	f.Add(`Basic YWRtaW46czNjcmV0`)
	f.Add(`Digest realm="unterminated`)
	f.Add(`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`)
	srv := &serverAuth{user: "u", pass: "p", realm: "r", basic: true}
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, v string) {
		chs := parseChallenges([]string{v})
		if len(chs) > maxChallenges {
			t.Fatalf("%d challenges, want at most %d", len(chs), maxChallenges)
		}
		for _, c := range chs {
			if len(c.params) > maxChallengeParam {
				t.Fatalf("%d params, want at most %d", len(c.params), maxChallengeParam)
			}
		}
		a := clientAuth{user: "u", pass: "p", haveCreds: true}
		if a.accept(chs) {
			authz := a.authorization("DESCRIBE", "rtsp://c/x")
			if strings.ContainsAny(authz, "\r\n") && !strings.ContainsAny(v, "\r\n") {
				t.Fatalf("authorization %q has a line break", authz)
			}
		}
		// The same grammar is the server's Authorization parser.
		if ok, _ := srv.check(v, "DESCRIBE", "rtsp://c/x", now); ok && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "basic") {
			t.Fatalf("server accepted forged credentials %q", v)
		}
	})
}

func FuzzReadRequest(f *testing.F) {
	f.Add([]byte("SETUP rtsp://h/cam/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n"))
	f.Add([]byte("PLAY rtsp://h/cam/ RTSP/1.0\r\nCSeq: 4\r\nSession: 1234;timeout=60\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := readMessage(bufio.NewReaderSize(bytes.NewReader(data), serverReaderSize), maxRequestBody)
		if err != nil {
			return
		}
		if len(m.body) > maxRequestBody {
			t.Fatalf("body of %d bytes accepted", len(m.body))
		}
		for _, tr := range parseTransports(m.header.get("Transport")) {
			if tr.clientPort[0] > 65535 || tr.clientPort[1] > 65535 || tr.interleaved[1] > 255 {
				t.Fatalf("out of range transport %+v", tr)
			}
		}
	})
}
