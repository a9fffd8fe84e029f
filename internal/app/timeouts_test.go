package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/vigil-cctv/vigil/internal/config"
)

// TestHTTPTimeouts runs a server whose HTTP timeouts are 1 s (2 s to
// write): slow request bodies and idle connections are cut off, while a
// footage download and a live WebSocket that last several times as long
// go on, and a download whose client stops reading is still cut off.
func TestHTTPTimeouts(t *testing.T) {
	sec := config.Duration{Duration: time.Second}
	h := start(t, harnessOptions{httpTimeouts: &config.HTTPTimeouts{ReadHeader: sec, Read: sec, Write: config.Duration{Duration: 2 * time.Second}, Idle: sec},
		bitrate: 16_000_000})
	id := h.addCamera("Timeouts", h.cams.URL(1), nil)

	t.Run("slow body", func(t *testing.T) {
		c := dialRaw(t, h, 0)
		fmt.Fprintf(c, "POST /api/v1/cameras HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", h.app.Addr(), h.token)
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			io.Copy(io.Discard, c)
		}()
		began := time.Now()
		// One byte every quarter second: never a second's silence, so
		// only a bound on the whole request stops it.
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for sent := 0; ; sent++ {
			select {
			case <-closed:
				if d := time.Since(began); d > 5*time.Second {
					t.Errorf("the connection ended after %s, want about 1 s", d)
				}
				return
			case <-tick.C:
				if sent > 40 {
					t.Fatalf("a body sent one byte at a time is still being read after %s, want it cut off after the 1 s read timeout", time.Since(began))
				}
				c.Write([]byte("{"))
			}
		}
	})

	t.Run("idle keep-alive", func(t *testing.T) {
		c := dialRaw(t, h, 0)
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", h.app.Addr())
		br := bufio.NewReader(c)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Close {
			t.Fatalf("healthz: got %d, close %v, want 200 on a kept-alive connection", res.StatusCode, res.Close)
		}
		idle := time.Now()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := br.ReadByte(); err != io.EOF {
			t.Fatalf("reading the idle connection: got %v, want the server to close it (EOF)", err)
		}
		if d := time.Since(idle); d < 500*time.Millisecond || d > 5*time.Second {
			t.Errorf("the idle connection was closed after %s, want about the 1 s idle timeout", d)
		}
	})

	t.Run("live WebSocket", func(t *testing.T) {
		h.awaitFootage(id, time.Second, 30*time.Second)
		s, _, err := h.dialLive(id, "", "")
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		if m := s.text(); m.Type != "init" {
			t.Fatalf("first message: got %+v, want an init", m)
		}
		n := 0
		for time.Since(began) < 4*time.Second {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, _, err := s.conn.Read(ctx)
			cancel()
			if err != nil {
				t.Fatalf("after %s and %d messages of live video: %v, want the stream to outlast the 1 s timeouts", time.Since(began), n, err)
			}
			n++
		}
		s.conn.Close(websocket.StatusNormalClosure, "")
	})

	// Six seconds at 16 Mbit/s: far more than the kernel's socket
	// buffers hold, so the server is still writing while the client
	// reads.
	r := h.awaitFootage(id, 6*time.Second, 60*time.Second)
	span := r.Spans[len(r.Spans)-1]
	path := fmt.Sprintf("/api/v1/cameras/%d/video.mp4?start=%s&end=%s", id, span.Start.Format(time.RFC3339Nano), span.End.Format(time.RFC3339Nano))

	t.Run("long download", func(t *testing.T) {
		res, br := getRaw(t, h, path)
		began := time.Now()
		got, buf := int64(0), make([]byte, 64<<10)
		var err error
		for {
			var n int
			n, err = br.Read(buf)
			got += int64(n)
			if err != nil {
				break
			}
			// At most 3 MB/s: the server's writes wait on the client, and
			// its socket buffer drains fast enough for a 2 s stall time.
			time.Sleep(20 * time.Millisecond)
		}
		if got != res.ContentLength {
			t.Fatalf("read %d of %d bytes in %s (%v), want the whole file however long it takes", got, res.ContentLength, time.Since(began), err)
		}
		if d := time.Since(began); d < 3*time.Second {
			t.Fatalf("the download took %s, want it to outlast the timeouts for the test to mean anything", d)
		}
	})

	t.Run("stalled download", func(t *testing.T) {
		res, br := getRaw(t, h, path)
		time.Sleep(4 * time.Second) // reads nothing: the server must give up
		got, _ := io.Copy(io.Discard, br)
		if got >= res.ContentLength {
			t.Errorf("read all %d bytes after stalling 4 s, want the server to have cut the stalled client off", got)
		}
	})
}

// dialRaw connects to the server, with a receive buffer of rcvbuf bytes
// when not 0.
func dialRaw(t *testing.T, h *harness, rcvbuf int) net.Conn {
	t.Helper()
	d := net.Dialer{}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) })
			return serr
		}
	}
	c, err := d.Dial("tcp", h.app.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// getRaw sends a GET on a connection with a small receive buffer, so that
// the server can only write as fast as the test reads, and returns the
// response, whose body is read from the returned reader.
func getRaw(t *testing.T, h *harness, path string) (*http.Response, io.Reader) {
	t.Helper()
	c := dialRaw(t, h, 256<<10)
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", path, h.app.Addr(), h.token)
	c.SetReadDeadline(time.Now().Add(60 * time.Second))
	br := bufio.NewReaderSize(c, 64<<10)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.ContentLength < 4<<20 {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 500))
		t.Fatalf("GET video.mp4: got %d with %d bytes %s, want 200 with several MB of footage", res.StatusCode, res.ContentLength, b)
	}
	if strings.Contains(res.Header.Get("Transfer-Encoding"), "chunked") {
		t.Fatal("got a chunked response, want a Content-Length")
	}
	return res, res.Body
}
