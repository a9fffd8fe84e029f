package rtsp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestClientServerDelivery(t *testing.T) {
	for _, tr := range []string{"tcp", "udp"} {
		t.Run(tr, func(t *testing.T) {
			st := testStream()
			srv := startServer(t, ServerConfig{Lookup: oneStream("/cam/1", st)}, nil)
			ctx := context.Background()
			sess, err := Dial(ctx, serverURL(srv, "/cam/1"), ClientOptions{Transport: tr, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatalf("Dial: got %v, want nil", err)
			}
			defer sess.Close()
			want := Media{EncodingName: "H264", PayloadType: 96, ClockRate: 90000, Fmtp: testFmtp,
				Control: serverURL(srv, "/cam/1/trackID=0")}
			if got := sess.Media(); got != want {
				t.Errorf("Media: got %+v, want %+v", got, want)
			}
			if got := sess.Transport(); got != tr {
				t.Errorf("Transport: got %q, want %q", got, tr)
			}
			if got := st.Sessions(); got != 1 {
				t.Fatalf("Sessions after PLAY: got %d, want 1", got)
			}
			h := newCollector()
			runErr := runSession(ctx, sess, h)

			const n = 300
			for i := range n {
				if err := st.WriteRTP(testPacket(uint16(60000+i), 100+i)); err != nil {
					t.Fatalf("WriteRTP: got %v, want nil", err)
				}
			}
			for i := range n {
				p := h.nextRTP(t, 5*time.Second)
				if got, want := p.SequenceNumber, uint16(60000+i); got != want {
					t.Fatalf("packet %d: got seq %d, want %d", i, got, want)
				}
				if got, want := string(p.Payload), string(testPacket(uint16(60000+i), 100+i).Payload); got != want {
					t.Fatalf("packet %d: payload differs (len got %d, want %d)", i, len(got), len(want))
				}
			}
			sr := h.nextSR(t, 5*time.Second)
			if sr.SSRC != 0x1234abcd || sr.PacketCount == 0 {
				t.Errorf("sender report: got SSRC %08x count %d, want SSRC 1234abcd and count > 0", sr.SSRC, sr.PacketCount)
			}
			if got := sess.Stats(); got.RTPPackets != n || got.BadPackets != 0 || got.Bytes == 0 {
				t.Errorf("Stats: got %+v, want %d RTP packets, none bad, bytes > 0", got, n)
			}

			// Close while Run runs: Run returns ErrClosed and the server
			// forgets the session (TEARDOWN).
			if err := sess.Close(); err != nil {
				t.Errorf("Close: got %v, want nil", err)
			}
			if err := awaitErr(t, runErr, 5*time.Second); !errors.Is(err, ErrClosed) {
				t.Errorf("Run after Close: got %v, want ErrClosed", err)
			}
			if err := sess.Close(); err != nil {
				t.Errorf("second Close: got %v, want nil", err)
			}
			eventually(t, 5*time.Second, "the session to end on the server", func() bool { return st.Sessions() == 0 })
		})
	}
}

func TestClientAuth(t *testing.T) {
	tests := []struct {
		name      string
		offer     []string // digest algorithms the server offers
		basic     bool
		user      string
		pass      string
		inURL     bool
		wantErr   error
		wantAuthz string // prefix of the DESCRIBE Authorization
	}{
		{name: "digest SHA-256 preferred", user: "admin", pass: "s3cret", wantAuthz: "Digest ", offer: nil},
		{name: "digest MD5 only", offer: []string{"MD5"}, user: "admin", pass: "s3cret", wantAuthz: "Digest "},
		{name: "basic only", offer: []string{}, basic: true, user: "admin", pass: "s3cret", wantAuthz: "Basic "},
		{name: "digest beats basic", basic: true, user: "admin", pass: "s3cret", wantAuthz: "Digest "},
		{name: "credentials in URL", user: "admin", pass: "s3cret", inURL: true, wantAuthz: "Digest "},
		{name: "wrong password", user: "admin", pass: "wrong", wantErr: ErrUnauthorized},
		{name: "no credentials", wantErr: ErrUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := testStream()
			var mu sync.Mutex
			var reqs []*message
			srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st), Username: "admin", Password: "s3cret", BasicAuth: tc.basic},
				func(s *Server) {
					if tc.offer != nil {
						s.auth.offer = tc.offer
					}
					s.onRequest = func(m *message) {
						mu.Lock()
						reqs = append(reqs, m)
						mu.Unlock()
					}
				})
			opts := ClientOptions{Timeout: 5 * time.Second, Username: tc.user, Password: tc.pass}
			u := serverURL(srv, "/cam")
			if tc.inURL {
				opts.Username, opts.Password = "", ""
				u = "rtsp://" + tc.user + ":" + tc.pass + "@" + srv.Addr().String() + "/cam"
			}
			sess, err := Dial(context.Background(), u, opts)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Dial: got %v, want %v", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), "401") {
					t.Errorf("error text: got %q, want it to carry the server's 401", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial: got %v, want nil", err)
			}
			defer sess.Close()
			mu.Lock()
			defer mu.Unlock()
			var authz string
			for _, r := range reqs {
				if strings.Contains(r.uri, "s3cret") || strings.Contains(r.uri, "@") {
					t.Errorf("request line: got %q, want no userinfo", r.uri)
				}
				if r.method == "DESCRIBE" && r.header.get("Authorization") != "" {
					authz = r.header.get("Authorization")
				}
			}
			if !strings.HasPrefix(authz, tc.wantAuthz) {
				t.Errorf("DESCRIBE Authorization: got %q, want prefix %q", authz, tc.wantAuthz)
			}
			if tc.wantAuthz == "Digest " {
				wantAlg := "algorithm=SHA-256"
				if len(tc.offer) == 1 && tc.offer[0] == "MD5" {
					wantAlg = "algorithm=MD5"
				}
				if !strings.Contains(authz, wantAlg) || !strings.Contains(authz, "qop=auth") {
					t.Errorf("Authorization: got %q, want %s with qop=auth", authz, wantAlg)
				}
			}
		})
	}
}

func TestClientKeepAlive(t *testing.T) {
	st := testStream()
	keepAlives := make(chan string, 100)
	srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st), SessionTimeout: time.Second}, func(s *Server) {
		s.onRequest = func(m *message) {
			if m.method == "GET_PARAMETER" || m.method == "OPTIONS" {
				keepAlives <- m.method + " " + m.header.get("Session")
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	sess, err := Dial(ctx, serverURL(srv, "/cam"), ClientOptions{Transport: "udp", Timeout: 5 * time.Second, ReadTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("Dial: got %v, want nil", err)
	}
	defer sess.Close()
	<-keepAlives // Dial's OPTIONS
	runErr := runSession(ctx, sess, newCollector())
	// A 1 s session timeout means a keep-alive every 500 ms; after five of
	// them the UDP session has outlived its timeout several times over.
	for i := range 5 {
		select {
		case got := <-keepAlives:
			if want := "GET_PARAMETER " + sess.sessionID; got != want {
				t.Errorf("keep-alive %d: got %q, want %q", i, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("keep-alive %d not received", i)
		}
	}
	if got := st.Sessions(); got != 1 {
		t.Errorf("Sessions with keep-alives: got %d, want 1", got)
	}
	cancel()
	if err := awaitErr(t, runErr, 5*time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel: got %v, want context.Canceled", err)
	}
}

func TestServerExpiresSilentUDPSession(t *testing.T) {
	st := testStream()
	srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st), SessionTimeout: time.Second}, nil)
	sess, err := Dial(context.Background(), serverURL(srv, "/cam"), ClientOptions{Transport: "udp", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Dial: got %v, want nil", err)
	}
	defer sess.Close()
	if got := st.Sessions(); got != 1 {
		t.Fatalf("Sessions: got %d, want 1", got)
	}
	// No Run, hence no keep-alive: the server must give up on the session.
	eventually(t, 5*time.Second, "the UDP session to expire", func() bool { return st.Sessions() == 0 })
}

func TestClientSilence(t *testing.T) {
	for _, tr := range []string{"tcp", "udp"} {
		t.Run(tr, func(t *testing.T) {
			st := testStream() // never written to
			srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st)}, nil)
			sess, err := Dial(context.Background(), serverURL(srv, "/cam"), ClientOptions{Transport: tr, ReadTimeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatalf("Dial: got %v, want nil", err)
			}
			defer sess.Close()
			start := time.Now()
			err = awaitErr(t, runSession(context.Background(), sess, newCollector()), 5*time.Second)
			if !errors.Is(err, ErrSilence) {
				t.Fatalf("Run: got %v, want ErrSilence", err)
			}
			if el := time.Since(start); el < 300*time.Millisecond {
				t.Errorf("Run returned after %v, want at least the 300ms read timeout", el)
			}
		})
	}
}

func TestClientDropSessions(t *testing.T) {
	tests := []struct {
		tr   string
		want error
	}{
		{"tcp", io.EOF},
		{"udp", ErrSilence},
	}
	for _, tc := range tests {
		t.Run(tc.tr, func(t *testing.T) {
			st := testStream()
			srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st)}, nil)
			sess, err := Dial(context.Background(), serverURL(srv, "/cam"), ClientOptions{Transport: tc.tr, ReadTimeout: 500 * time.Millisecond})
			if err != nil {
				t.Fatalf("Dial: got %v, want nil", err)
			}
			defer sess.Close()
			h := newCollector()
			runErr := runSession(context.Background(), sess, h)
			st.WriteRTP(testPacket(1, 50))
			h.nextRTP(t, 5*time.Second)
			st.DropSessions()
			if got := st.Sessions(); got != 0 {
				t.Errorf("Sessions after DropSessions: got %d, want 0", got)
			}
			// Keep writing, as a camera would: nothing may reach the client.
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for i := uint16(2); ; i++ {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
						st.WriteRTP(testPacket(i, 50))
					}
				}
			}()
			if err := awaitErr(t, runErr, 5*time.Second); !errors.Is(err, tc.want) {
				t.Errorf("Run after DropSessions: got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestStreamQueueOverflow(t *testing.T) {
	st := testStream()
	srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st)}, nil)
	sess, err := Dial(context.Background(), serverURL(srv, "/cam"), ClientOptions{Transport: "tcp"})
	if err != nil {
		t.Fatalf("Dial: got %v, want nil", err)
	}
	defer sess.Close()
	// The client never runs, so never reads: once the socket buffers and
	// the session queue are full the server must cut it off, not block.
	// Writing in bursts that the writer is given time to drain shows that
	// it is the stalled reader, not the burst, that overflows the queue.
	srv.mu.Lock()
	var queue chan *sharedPacket
	for _, ss := range srv.sessions {
		queue = ss.queue
	}
	srv.mu.Unlock()
	const limit = 200000
	pkt := testPacket(0, 1400)
	written := 0
	for written < limit && st.Sessions() > 0 {
		for range 256 {
			pkt.SequenceNumber = uint16(written)
			if err := st.WriteRTP(pkt); err != nil {
				t.Fatalf("WriteRTP: got %v, want nil", err)
			}
			written++
		}
		deadline := time.Now().Add(50 * time.Millisecond)
		for len(queue) > 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	if got := st.Sessions(); got != 0 {
		t.Fatalf("Sessions after %d packets to a stalled reader: got %d, want 0", written, got)
	}
	if written < 2*sessionQueueLen {
		t.Errorf("session dropped after %d packets, want more than the queue length %d plus socket buffers", written, sessionQueueLen)
	}
}

func TestStreamClose(t *testing.T) {
	st := testStream()
	srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st)}, nil)
	sess, err := Dial(context.Background(), serverURL(srv, "/cam"), ClientOptions{})
	if err != nil {
		t.Fatalf("Dial: got %v, want nil", err)
	}
	defer sess.Close()
	h := newCollector()
	runErr := runSession(context.Background(), sess, h)
	st.WriteRTP(testPacket(1, 10))
	h.nextRTP(t, 5*time.Second)
	st.Close()
	if err := st.WriteRTP(testPacket(2, 10)); err != nil {
		t.Errorf("WriteRTP after Close: got %v, want nil", err)
	}
	if err := awaitErr(t, runErr, 5*time.Second); !errors.Is(err, io.EOF) {
		t.Errorf("Run after Stream.Close: got %v, want io.EOF", err)
	}
	if _, err := Dial(context.Background(), serverURL(srv, "/cam"), ClientOptions{}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Dial of a closed stream: got %v, want a 404 error", err)
	}
}

// serveFake listens on 127.0.0.1 and runs serve for each connection
// (closing it after), until the test ends.
func serveFake(t *testing.T, serve func(net.Conn)) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				serve(c)
			})
		}
	})
	return ln
}

// fakeRedirector answers OPTIONS with 200 and DESCRIBE with a redirect.
func fakeRedirector(t *testing.T, location func(self string) string) string {
	t.Helper()
	var self string
	ln := serveFake(t, func(c net.Conn) {
		br := bufio.NewReaderSize(c, readerSize)
		for {
			m, err := readMessage(br, maxBodyBytes)
			if err != nil {
				return
			}
			h := header{{"CSeq", m.header.get("CSeq")}}
			status := 200
			if m.method == "DESCRIBE" {
				status = 302
				h.add("Location", location(self))
			}
			if _, err := c.Write(appendResponse(nil, proto10, status, h, nil)); err != nil {
				return
			}
		}
	})
	self = "rtsp://" + ln.Addr().String()
	return self
}

func TestClientRedirect(t *testing.T) {
	st := testStream()
	srv := startServer(t, ServerConfig{Lookup: oneStream("/real", st)}, nil)
	tests := []struct {
		name     string
		location func(self string) string
		wantErr  string
	}{
		{name: "to another server", location: func(string) string { return serverURL(srv, "/real") }},
		{name: "loop", location: func(self string) string { return self + "/again" }, wantErr: "too many redirects"},
		{name: "not rtsp", location: func(string) string { return "http://example.com/" }, wantErr: "unsupported redirect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := fakeRedirector(t, tc.location)
			sess, err := Dial(context.Background(), fake+"/cam", ClientOptions{Timeout: 5 * time.Second})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Dial: got %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial: got %v, want nil", err)
			}
			defer sess.Close()
			if got, want := sess.Media().Control, serverURL(srv, "/real/trackID=0"); got != want {
				t.Errorf("Control: got %q, want %q", got, want)
			}
			if got := st.Sessions(); got != 1 {
				t.Errorf("Sessions on the target: got %d, want 1", got)
			}
		})
	}
}

func TestClientDialErrors(t *testing.T) {
	st := testStream()
	srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st)}, nil)
	tests := []struct {
		name    string
		url     string
		opts    ClientOptions
		wantErr string
	}{
		{"unknown path", serverURL(srv, "/nope"), ClientOptions{}, "404"},
		{"bad scheme", "http://" + srv.Addr().String() + "/cam", ClientOptions{}, "scheme"},
		{"bad transport", serverURL(srv, "/cam"), ClientOptions{Transport: "sctp"}, "transport"},
		{"no host", "rtsp:///cam", ClientOptions{}, "no host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sess, err := Dial(context.Background(), tc.url, tc.opts)
			if err == nil {
				sess.Close()
				t.Fatalf("Dial: got nil error, want one containing %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Dial: got %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestClientDialContextCanceled(t *testing.T) {
	// A server that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, c)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = Dial(ctx, "rtsp://"+ln.Addr().String()+"/x", ClientOptions{Timeout: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial: got %v, want context.DeadlineExceeded", err)
	}
}

func TestClientKeepAliveSessionGone(t *testing.T) {
	st := testStream()
	srv := startServer(t, ServerConfig{Lookup: oneStream("/cam", st), SessionTimeout: time.Second}, nil)
	sess, err := Dial(context.Background(), serverURL(srv, "/cam"), ClientOptions{Transport: "udp", ReadTimeout: time.Minute})
	if err != nil {
		t.Fatalf("Dial: got %v, want nil", err)
	}
	defer sess.Close()
	runErr := runSession(context.Background(), sess, newCollector())
	st.DropSessions()
	// The next keep-alive (every 500 ms) is answered 454: Run must stop
	// then, long before the one-minute silence timeout.
	err = awaitErr(t, runErr, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "454") || errors.Is(err, ErrSilence) {
		t.Errorf("Run after the server forgot the session: got %v, want a 454 error", err)
	}
}
