package rtsp

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

func TestReadMessage(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantStatus int
		wantMethod string
		wantHeader map[string]string
		wantBody   string
		wantErr    error // nil: any error when errSub is set
		errSub     string
	}{
		{
			name:       "response with body",
			in:         "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n",
			wantStatus: 200, wantHeader: map[string]string{"cseq": "2", "CONTENT-TYPE": "application/sdp"}, wantBody: "v=0\r\n",
		},
		{
			name:       "bare LF and leading blank lines",
			in:         "\r\n\nRTSP/1.0 404 Not Found\nCSeq: 3\n\n",
			wantStatus: 404, wantHeader: map[string]string{"CSeq": "3"},
		},
		{
			name:       "folded header",
			in:         "RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"x\",\r\n  nonce=\"y\"\r\n\r\n",
			wantStatus: 401, wantHeader: map[string]string{"WWW-Authenticate": `Digest realm="x", nonce="y"`},
		},
		{
			name:       "request",
			in:         "OPTIONS rtsp://h/x RTSP/1.0\r\nCSeq: 1\r\n\r\n",
			wantMethod: "OPTIONS", wantHeader: map[string]string{"CSeq": "1"},
		},
		{name: "line too long", in: "RTSP/1.0 200 OK\r\nX: " + strings.Repeat("a", maxLineBytes) + "\r\n\r\n", wantErr: errLineTooLong},
		{name: "header too long", in: "RTSP/1.0 200 OK\r\n" + strings.Repeat("X: "+strings.Repeat("a", 1000)+"\r\n", 70) + "\r\n", wantErr: errHeaderTooLong},
		{name: "body too long", in: "RTSP/1.0 200 OK\r\nContent-Length: 1048577\r\n\r\n", wantErr: errBodyTooLong},
		{name: "negative length", in: "RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n", errSub: "Content-Length"},
		{name: "conflicting lengths", in: "RTSP/1.0 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", errSub: "conflicting"},
		{name: "truncated body", in: "RTSP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nabc", wantErr: io.ErrUnexpectedEOF},
		{name: "truncated header", in: "RTSP/1.0 200 OK\r\nCSeq: 1", wantErr: io.ErrUnexpectedEOF},
		{name: "bad status", in: "RTSP/1.0 2x0 OK\r\n\r\n", errSub: "status"},
		{name: "bad version", in: "HTTP/1.1 200 OK\r\n\r\n", errSub: "not an RTSP server"},
		{name: "header without colon", in: "RTSP/1.0 200 OK\r\nnonsense\r\n\r\n", errSub: "malformed header"},
		{name: "continuation first", in: "RTSP/1.0 200 OK\r\n folded\r\n\r\n", errSub: "continuation"},
		{name: "too many blank lines", in: strings.Repeat("\r\n", 20), errSub: "empty lines"},
		{name: "empty", in: "", wantErr: io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := readMessage(bufio.NewReaderSize(strings.NewReader(tc.in), readerSize), maxBodyBytes)
			if tc.wantErr != nil || tc.errSub != "" {
				if err == nil {
					t.Fatalf("readMessage: got nil error, want %v%s", tc.wantErr, tc.errSub)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Errorf("readMessage: got %v, want %v", err, tc.wantErr)
				}
				if tc.errSub != "" && !strings.Contains(err.Error(), tc.errSub) {
					t.Errorf("readMessage: got %v, want error containing %q", err, tc.errSub)
				}
				return
			}
			if err != nil {
				t.Fatalf("readMessage: got %v, want nil", err)
			}
			if m.status != tc.wantStatus || m.method != tc.wantMethod {
				t.Errorf("start line: got status %d method %q, want %d %q", m.status, m.method, tc.wantStatus, tc.wantMethod)
			}
			for k, v := range tc.wantHeader {
				if got := m.header.get(k); got != v {
					t.Errorf("header %s: got %q, want %q", k, got, v)
				}
			}
			if string(m.body) != tc.wantBody {
				t.Errorf("body: got %q, want %q", m.body, tc.wantBody)
			}
		})
	}
}

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []challenge
	}{
		{
			name:   "two challenges in one header",
			values: []string{`Digest realm="cam", nonce="abc", qop="auth,auth-int", algorithm=SHA-256, Basic realm="cam"`},
			want: []challenge{
				{scheme: "digest", params: map[string]string{"realm": "cam", "nonce": "abc", "qop": "auth,auth-int", "algorithm": "SHA-256"}},
				{scheme: "basic", params: map[string]string{"realm": "cam"}},
			},
		},
		{
			name:   "one per header, escapes",
			values: []string{`Basic realm="a \"quoted\" realm"`, `DIGEST realm=r,nonce=n , stale=TRUE`},
			want: []challenge{
				{scheme: "basic", params: map[string]string{"realm": `a "quoted" realm`}},
				{scheme: "digest", params: map[string]string{"realm": "r", "nonce": "n", "stale": "TRUE"}},
			},
		},
		{
			name:   "token68 credentials",
			values: []string{"Basic YWRtaW46czNjcmV0"},
			want:   []challenge{{scheme: "basic", params: map[string]string{}, token: "YWRtaW46czNjcmV0"}},
		},
		{
			name:   "token68 with padding",
			values: []string{"Basic YQ=="},
			want:   []challenge{{scheme: "basic", params: map[string]string{}, token: "YQ=="}},
		},
		{
			name:   "garbage is skipped",
			values: []string{`,,, "oops" Digest nonce="x`},
			want: []challenge{
				{scheme: "oops", params: map[string]string{}},
				{scheme: "digest", params: map[string]string{"nonce": "x"}},
			},
		},
		{name: "empty", values: []string{""}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseChallenges(tc.values)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d challenges %+v, want %d %+v", len(got), got, len(tc.want), tc.want)
			}
			for i := range got {
				if got[i].scheme != tc.want[i].scheme || got[i].token != tc.want[i].token {
					t.Errorf("challenge %d: got %q/%q, want %q/%q", i, got[i].scheme, got[i].token, tc.want[i].scheme, tc.want[i].token)
				}
				if len(got[i].params) != len(tc.want[i].params) {
					t.Errorf("challenge %d params: got %v, want %v", i, got[i].params, tc.want[i].params)
				}
				for k, v := range tc.want[i].params {
					if got[i].params[k] != v {
						t.Errorf("challenge %d param %s: got %q, want %q", i, k, got[i].params[k], v)
					}
				}
			}
		})
	}
}

// The examples of RFC 2617 section 3.5 and RFC 7616 section 3.9.1. The
// MD5 value printed in RFC 7616 is wrong; this is the one of its erratum 4897.
func TestDigestResponseVectors(t *testing.T) {
	tests := []struct {
		name                                                   string
		alg                                                    string
		user, realm, pass, nonce, cnonce, nc, qop, method, uri string
		want                                                   string
	}{
		{"RFC 2617 MD5", "MD5", "Mufasa", "testrealm@host.com", "Circle Of Life", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
			"0a4f113b", "00000001", "auth", "GET", "/dir/index.html", "6629fae49393a05397450978507c4ef1"},
		{"RFC 7616 MD5", "MD5", "Mufasa", "http-auth@example.org", "Circle of Life", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
			"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "00000001", "auth", "GET", "/dir/index.html", "8ca523f5e9506fed4657c9700eebdbec"},
		{"RFC 7616 SHA-256", "SHA-256", "Mufasa", "http-auth@example.org", "Circle of Life", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
			"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "00000001", "auth", "GET", "/dir/index.html", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			newHash, sess, ok := digestAlgorithm(tc.alg)
			if !ok {
				t.Fatalf("digestAlgorithm(%q): got unsupported, want supported", tc.alg)
			}
			got := digestResponse(newHash, sess, tc.user, tc.realm, tc.pass, tc.nonce, tc.cnonce, tc.nc, tc.qop, tc.method, tc.uri)
			if got != tc.want {
				t.Errorf("response: got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDigestAlgorithm(t *testing.T) {
	tests := []struct {
		in       string
		wantSize int
		wantSess bool
		wantOK   bool
	}{
		{"", md5.Size, false, true},
		{"md5", md5.Size, false, true},
		{"MD5-sess", md5.Size, true, true},
		{"SHA-256", sha256.Size, false, true},
		{"SHA-256-SESS", sha256.Size, true, true},
		{"SHA-512-256", 0, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			h, sess, ok := digestAlgorithm(tc.in)
			if ok != tc.wantOK || sess != tc.wantSess || ok && h().Size() != tc.wantSize {
				t.Errorf("got ok=%v sess=%v, want ok=%v sess=%v size %d", ok, sess, tc.wantOK, tc.wantSess, tc.wantSize)
			}
		})
	}
}

// TestAuthRoundTrip runs our client's answers through our server's check.
func TestAuthRoundTrip(t *testing.T) {
	now := time.Now()
	srv := &serverAuth{user: "admin", pass: "pw", realm: "Vigil", basic: true}
	nonce := srv.makeNonce(now)
	old := srv.makeNonce(now.Add(-2 * nonceLifetime))
	const uri = "rtsp://127.0.0.1/cam"
	tests := []struct {
		name      string
		challenge string
		pass      string
		basicOK   bool
		wantOK    bool
		wantStale bool
	}{
		{name: "SHA-256 qop", challenge: `Digest realm="Vigil", nonce="` + nonce + `", algorithm=SHA-256, qop="auth"`, pass: "pw", wantOK: true},
		{name: "MD5 qop", challenge: `Digest realm="Vigil", nonce="` + nonce + `", algorithm=MD5, qop="auth"`, pass: "pw", wantOK: true},
		{name: "MD5 legacy no qop", challenge: `Digest realm="Vigil", nonce="` + nonce + `"`, pass: "pw", wantOK: true},
		{name: "MD5-sess", challenge: `Digest realm="Vigil", nonce="` + nonce + `", algorithm=MD5-sess, qop="auth"`, pass: "pw", wantOK: true},
		{name: "SHA-256-sess", challenge: `Digest realm="Vigil", nonce="` + nonce + `", algorithm=SHA-256-sess, qop="auth"`, pass: "pw", wantOK: true},
		{name: "wrong password", challenge: `Digest realm="Vigil", nonce="` + nonce + `", qop="auth"`, pass: "nope"},
		{name: "wrong realm", challenge: `Digest realm="Other", nonce="` + nonce + `", qop="auth"`, pass: "pw"},
		{name: "forged nonce", challenge: `Digest realm="Vigil", nonce="00000000000000000000000000000000000000ff", qop="auth"`, pass: "pw"},
		{name: "expired nonce", challenge: `Digest realm="Vigil", nonce="` + old + `", qop="auth"`, pass: "pw", wantStale: true},
		{name: "basic", challenge: `Basic realm="Vigil"`, pass: "pw", wantOK: true},
		{name: "basic wrong", challenge: `Basic realm="Vigil"`, pass: "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := clientAuth{user: "admin", pass: tc.pass, haveCreds: true}
			if !a.accept(parseChallenges([]string{tc.challenge})) {
				t.Fatalf("accept(%q): got false, want true", tc.challenge)
			}
			authz := a.authorization("DESCRIBE", uri)
			ok, stale := srv.check(authz, "DESCRIBE", uri, now)
			if ok != tc.wantOK || stale != tc.wantStale {
				t.Errorf("check(%q): got ok=%v stale=%v, want ok=%v stale=%v", authz, ok, stale, tc.wantOK, tc.wantStale)
			}
			// The same answer must not authorize another method.
			if ok, _ := srv.check(authz, "TEARDOWN", uri, now); ok && !strings.HasPrefix(authz, "Basic") {
				t.Errorf("check with another method: got ok, want refused")
			}
		})
	}
	t.Run("basic disabled", func(t *testing.T) {
		noBasic := &serverAuth{user: "admin", pass: "pw", realm: "Vigil"}
		a := clientAuth{user: "admin", pass: "pw", kind: authBasic}
		if ok, _ := noBasic.check(a.authorization("OPTIONS", uri), "OPTIONS", uri, now); ok {
			t.Errorf("Basic with BasicAuth off: got accepted, want refused")
		}
	})
}

func TestClientAuthPrefersStrongest(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		want    int
		wantAlg string
	}{
		{"sha256 over md5", []string{`Digest realm="r", nonce="n", algorithm=MD5`, `Digest realm="r", nonce="n", algorithm=SHA-256`}, authDigest, "SHA-256"},
		{"digest over basic", []string{`Basic realm="r"`, `Digest realm="r", nonce="n"`}, authDigest, ""},
		{"unknown algorithm skipped", []string{`Digest realm="r", nonce="n", algorithm=SHA-512-256`, `Basic realm="r"`}, authBasic, ""},
		{"digest without nonce skipped", []string{`Digest realm="r"`}, authNone, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a clientAuth
			ok := a.accept(parseChallenges(tc.values))
			if ok != (tc.want != authNone) || a.kind != tc.want || a.algorithm != tc.wantAlg {
				t.Errorf("got ok=%v kind=%d alg=%q, want kind=%d alg=%q", ok, a.kind, a.algorithm, tc.want, tc.wantAlg)
			}
		})
	}
}

const hikvisionSDP = "v=0\r\no=- 1109162014219182 1109162014219192 IN IP4 x.y.z.w\r\ns=Media Presentation\r\n" +
	"e=NONE\r\nb=AS:5050\r\nt=0 0\r\na=control:rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast\r\n" +
	"m=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\nb=AS:5000\r\na=recvonly\r\na=x-dimensions:1920,1080\r\n" +
	"a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast\r\n" +
	"a=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z01AKI2NQDwBE/LCAAAOEAACvyAI,aO44gA==\r\n" +
	"m=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2?transportmode=unicast\r\n"

func TestSelectMedia(t *testing.T) {
	tests := []struct {
		name     string
		sdp      string
		base     string
		want     Media
		wantAggr string
		errSub   string
	}{
		{
			name: "hikvision absolute controls",
			sdp:  hikvisionSDP,
			base: "rtsp://192.168.1.64/Streaming/Channels/101",
			want: Media{EncodingName: "H264", PayloadType: 96, ClockRate: 90000,
				Fmtp:    "profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z01AKI2NQDwBE/LCAAAOEAACvyAI,aO44gA==",
				Control: "rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast"},
			wantAggr: "rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast",
		},
		{
			name: "audio first, HEVC, relative control, disordered session lines",
			sdp: "v=0\na=control:*\ns=x\nm=audio 0 RTP/AVP 0\na=control:trackID=0\n" +
				"m=video 0 RTP/AVP 98\na=control:trackID=1\na=rtpmap:98 HEVC/90000\na=fmtp:98 sprop-vps=QAE;sprop-sps=QgE;sprop-pps=RAE\n",
			base:     "rtsp://cam/live/",
			want:     Media{EncodingName: "H265", PayloadType: 98, ClockRate: 90000, Fmtp: "sprop-vps=QAE;sprop-sps=QgE;sprop-pps=RAE", Control: "rtsp://cam/live/trackID=1"},
			wantAggr: "rtsp://cam/live/",
		},
		{
			name:     "base without slash, first of several formats unknown",
			sdp:      "v=0\r\no=- 0 0 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=video 0 RTP/AVP 97 96\r\na=rtpmap:97 MP4V-ES/90000\r\na=rtpmap:96 h264/90000\r\na=control:track1\r\n",
			base:     "rtsp://cam/stream",
			want:     Media{EncodingName: "H264", PayloadType: 96, ClockRate: 90000, Control: "rtsp://cam/stream/track1"},
			wantAggr: "rtsp://cam/stream",
		},
		{
			name:     "no control, missing clock rate, junk lines",
			sdp:      "garbage\r\nv=0\r\nm=video 0 RTP/AVP 96\r\nc=IN IP4 bogus bogus\r\nb=junk\r\nzz\r\na=rtpmap:96 H265\r\n",
			base:     "rtsp://cam/x",
			want:     Media{EncodingName: "H265", PayloadType: 96, ClockRate: 90000, Control: "rtsp://cam/x"},
			wantAggr: "rtsp://cam/x",
		},
		{
			name:     "absolute path control",
			sdp:      "m=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\na=control:/other/track\n",
			base:     "rtsp://cam:8554/x/y",
			want:     Media{EncodingName: "H264", PayloadType: 96, ClockRate: 90000, Control: "rtsp://cam:8554/other/track"},
			wantAggr: "rtsp://cam:8554/x/y",
		},
		{name: "only audio", sdp: "v=0\nm=audio 0 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n", base: "rtsp://c/", errSub: "no H264"},
		{name: "video without rtpmap", sdp: "v=0\nm=video 0 RTP/AVP 96\n", base: "rtsp://c/", errSub: "no H264"},
		{name: "MJPEG static type", sdp: "v=0\nm=video 0 RTP/AVP 26\n", base: "rtsp://c/", errSub: "no H264"},
		{name: "bad media line", sdp: "v=0\nm=video x RTP/AVP 96\na=rtpmap:96 H264/90000\n", base: "rtsp://c/", errSub: "no H264"},
		{name: "empty", sdp: "", base: "rtsp://c/", errSub: "no H264"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := selectMedia([]byte(tc.sdp), tc.base)
			if tc.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSub) {
					t.Fatalf("selectMedia: got %v, want error containing %q", err, tc.errSub)
				}
				return
			}
			if err != nil {
				t.Fatalf("selectMedia: got %v, want nil", err)
			}
			if got.media != tc.want {
				t.Errorf("media: got %+v, want %+v", got.media, tc.want)
			}
			if got.aggregate != tc.wantAggr {
				t.Errorf("aggregate: got %q, want %q", got.aggregate, tc.wantAggr)
			}
		})
	}
}

func TestResolveControl(t *testing.T) {
	tests := []struct{ base, control, want string }{
		{"rtsp://h/a/", "trackID=0", "rtsp://h/a/trackID=0"},
		{"rtsp://h/a", "trackID=0", "rtsp://h/a/trackID=0"},
		{"rtsp://h/a", "*", "rtsp://h/a"},
		{"rtsp://h/a", "", "rtsp://h/a"},
		{"rtsp://h/a", "RTSP://other:554/b", "RTSP://other:554/b"},
		{"rtsp://h/a", "rtsp://u:p@other/b", "rtsp://other/b"},
		{"rtsp://h:1/a/b", "/c", "rtsp://h:1/c"},
	}
	for _, tc := range tests {
		t.Run(tc.base+"+"+tc.control, func(t *testing.T) {
			if got := resolveControl(tc.base, tc.control); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseTransports(t *testing.T) {
	tests := []struct {
		in   string
		want []transportSpec
	}{
		{"RTP/AVP/TCP;unicast;interleaved=2-3", []transportSpec{{tcp: true, interleaved: [2]int{2, 3}, hasInterleaved: true}}},
		{"RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;source=10.0.0.1;ssrc=1234ABCD",
			[]transportSpec{{clientPort: [2]int{5000, 5001}, hasClientPort: true, serverPort: [2]int{6970, 6971}, hasServerPort: true, source: "10.0.0.1"}}},
		{"RTP/AVP/UDP;multicast, RTP/AVP;client_port=7000", []transportSpec{{multicast: true}, {clientPort: [2]int{7000, 7001}, hasClientPort: true}}},
		{"RAW/RAW/UDP;unicast, rtp/avp/tcp;interleaved=0", []transportSpec{{tcp: true, interleaved: [2]int{0, 1}, hasInterleaved: true}}},
		{"RTP/AVP;client_port=99999-5;interleaved=x", []transportSpec{{}}},
		{"", nil},
		// RFC 7826 18.54 src_addr in place of source and server_port.
		{`RTP/AVP;unicast;src_addr="192.0.2.10:6256"/"192.0.2.10:6257";ssrc=1`, []transportSpec{{srcHost: "192.0.2.10", srcRTCPPort: 6257}}},
		{`RTP/AVP;src_addr="[2001:db8::1]:6000"`, []transportSpec{{srcHost: "2001:db8::1", srcRTCPPort: 6001}}},
		{`RTP/AVP;src_addr=":6000"/":6001"`, []transportSpec{{srcRTCPPort: 6001}}},
		{`RTP/AVP;src_addr="cam.example"/"cam.example:99999"`, []transportSpec{{srcHost: "cam.example"}}},
		{`RTP/AVP;src_addr="x:65535"`, []transportSpec{{srcHost: "x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := parseTransports(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("spec %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestParseSessionHeader(t *testing.T) {
	tests := []struct {
		in          string
		wantID      string
		wantTimeout time.Duration
	}{
		{"12345678;timeout=30", "12345678", 30 * time.Second},
		{" abc ; Timeout = 5 ", "abc", 5 * time.Second},
		{"abc", "abc", 60 * time.Second},
		{"abc;timeout=0", "abc", 60 * time.Second},
		{"abc;timeout=999999999", "abc", 60 * time.Second},
		{"", "", 60 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			id, to := parseSessionHeader(tc.in)
			if id != tc.wantID || to != tc.wantTimeout {
				t.Errorf("got %q %v, want %q %v", id, to, tc.wantID, tc.wantTimeout)
			}
		})
	}
}

type countingHandler struct {
	rtp, rtcp int
	seqs      []uint16
	big       []byte // the largest payload
}

func (c *countingHandler) HandleRTP(p *rtp.Packet, _ time.Time) {
	c.rtp++
	c.seqs = append(c.seqs, p.SequenceNumber)
	if len(p.Payload) > len(c.big) {
		c.big = bytes.Clone(p.Payload)
	}
}
func (c *countingHandler) HandleRTCP([]rtcp.Packet, time.Time) { c.rtcp++ }

func frame(ch byte, b []byte) []byte {
	return append([]byte{'$', ch, byte(len(b) >> 8), byte(len(b))}, b...)
}

func TestDemux(t *testing.T) {
	rtpBytes := func(seq uint16) []byte {
		b, err := testPacket(seq, 20).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sr, _ := (&rtcp.SenderReport{SSRC: 1}).Marshal()
	var stream []byte
	stream = append(stream, frame(0, rtpBytes(7))...)
	stream = append(stream, frame(1, sr)...)
	stream = append(stream, "RTSP/1.0 200 OK\r\nCSeq: 9\r\n\r\n"...)
	stream = append(stream, frame(4, []byte("unknown channel"))...)
	stream = append(stream, frame(0, []byte{0x80})...)     // too short: bad
	stream = append(stream, frame(0, make([]byte, 12))...) // version 0: bad
	stream = append(stream, frame(1, []byte{1, 2, 3})...)  // bad RTCP
	stream = append(stream, "GET_PARAMETER rtsp://c/ RTSP/1.0\r\nCSeq: 1\r\n\r\n"...)
	stream = append(stream, frame(0, rtpBytes(8))...)
	// Larger than a camera session's reader: gathered apart.
	big, err := testPacket(9, 60000).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	stream = append(stream, frame(0, big)...)
	stream = append(stream, frame(0, rtpBytes(10))...)

	for _, size := range []int{readerSize, clientReaderSize} {
		t.Run(fmt.Sprint("reader=", size), func(t *testing.T) {
			s := &Session{log: discardLogger(), rtpCh: 0, rtcpCh: 1, teardownAck: make(chan struct{})}
			s.teardownCSeq.Store(9)
			h := &countingHandler{}
			err := s.demux(bufio.NewReaderSize(strings.NewReader(string(stream)), size), h)
			if !errors.Is(err, io.EOF) {
				t.Errorf("demux at end: got %v, want io.EOF", err)
			}
			if h.rtp != 4 || h.rtcp != 1 || !slices.Equal(h.seqs, []uint16{7, 8, 9, 10}) {
				t.Errorf("handler: got %d RTP %v and %d RTCP, want 4 RTP [7 8 9 10] and 1 RTCP", h.rtp, h.seqs, h.rtcp)
			}
			if want := testPacket(9, 60000).Payload; !bytes.Equal(h.big, want) {
				t.Errorf("the large packet's payload: got %d bytes, want the %d sent", len(h.big), len(want))
			}
			if st := s.Stats(); st.RTPPackets != 4 || st.RTCPPackets != 1 || st.BadPackets != 3 {
				t.Errorf("Stats: got %+v, want 4 RTP, 1 RTCP, 3 bad", st)
			}
			select {
			case <-s.teardownAck:
			default:
				t.Errorf("TEARDOWN reply (CSeq 9) was not recognized")
			}

			// A frame cut short is an unexpected EOF, not a clean one.
			for _, cut := range [][]byte{frame(0, rtpBytes(1))[:10], frame(0, big)[:50000]} {
				err = s.demux(bufio.NewReaderSize(strings.NewReader(string(cut)), size), h)
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("truncated frame of %d bytes: got %v, want io.ErrUnexpectedEOF", len(cut), err)
				}
			}
		})
	}
}
