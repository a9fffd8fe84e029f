package rtsp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// banner listens on loopback and answers every connection with line,
// then reads until the client goes, as a non-RTSP service does.
func banner(t *testing.T, line string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Write([]byte(line))
				bufio.NewReader(c).ReadString('\n')
			}()
		}
	}()
	return ln.Addr().String()
}

func TestClassifyDialErrors(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	refuse := func(netip.Addr) error { return errors.New("not for cameras") }
	for _, tc := range []struct {
		name   string
		url    string
		check  func(netip.Addr) error
		want   Class
		secret string // in the raw error, never in the class
	}{
		{"ssh", "rtsp://" + banner(t, "SSH-2.0-OpenSSH_9.6 secret-build\r\n") + "/x", nil, ClassNotRTSP, "OpenSSH_9.6"},
		{"redis", "rtsp://" + banner(t, "-ERR unknown command 'OPTIONS'\r\n") + "/x", nil, ClassNotRTSP, "unknown command"},
		{"http", "rtsp://" + banner(t, "HTTP/1.1 400 Bad Request\r\n\r\n") + "/x", nil, ClassNotRTSP, "400 Bad Request"},
		{"refused", "rtsp://" + refused + "/x", nil, ClassRefused, ""},
		{"address refused", "rtsp://" + banner(t, "SSH-2.0-x\r\n") + "/x", refuse, ClassNotAllowed, "not for cameras"},
		{"name refused", "rtsp://localhost:" + strings.Split(banner(t, "SSH-2.0-x\r\n"), ":")[1] + "/x", refuse, ClassNotAllowed, "not for cameras"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := Dial(ctx, tc.url, ClientOptions{Timeout: 5 * time.Second, CheckAddress: tc.check})
			if err == nil {
				s.Close()
				t.Fatal("Dial: got a session, want an error")
			}
			if got := Classify(err); got != tc.want {
				t.Errorf("Classify(%v): got %q, want %q", err, got, tc.want)
			}
			if !strings.Contains(err.Error(), tc.secret) {
				t.Errorf("raw error %q: want it to keep %q for the log", err, tc.secret)
			}
			if tc.secret != "" && strings.Contains(string(tc.want), tc.secret) {
				t.Errorf("class %q quotes the far end", tc.want)
			}
		})
	}
	if c := Classify(nil); c != "" {
		t.Errorf("Classify(nil): got %q, want none", c)
	}
	if c := Classify(ErrSilence); c != ClassSilent {
		t.Errorf("Classify(ErrSilence): got %q, want %q", c, ClassSilent)
	}
}

// TestStatus: the status line a camera refused with is found however the
// refusal is wrapped; other failures have none.
func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		code   int
		reason string
	}{
		{"not found", fmt.Errorf("dial: %w", &statusError{method: "DESCRIBE", code: 404, reason: "Not Found"}), 404, "Not Found"},
		{"credentials refused", fmt.Errorf("%w: DESCRIBE: 401 Unauthorized", ErrUnauthorized), 401, "Unauthorized"},
		{"version", &versionError{method: "OPTIONS", proto: proto10, reason: "RTSP Version Not Supported"}, 505, "RTSP Version Not Supported"},
		{"no answer", errors.New("connection refused"), 0, ""},
	} {
		code, reason, ok := Status(tc.err)
		if code != tc.code || reason != tc.reason || ok != (tc.code != 0) {
			t.Errorf("%s: got %d %q %v, want %d %q", tc.name, code, reason, ok, tc.code, tc.reason)
		}
	}
}
