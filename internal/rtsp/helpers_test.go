package rtsp

import (
	"context"
	"log/slog"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

const testFmtp = "packetization-mode=1;profile-level-id=42C01E;sprop-parameter-sets=Z0LAHtkAoC/5ZQAAAwABAAADADIPFi6g,aMuMsg=="

// startServer runs a server on 127.0.0.1 and stops it when the test ends,
// checking that Run returns nil.
func startServer(t *testing.T, cfg ServerConfig, tweak func(*Server)) *Server {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: got %v, want nil", err)
	}
	if tweak != nil {
		tweak(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Server.Run: got %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Server.Run did not return after cancel")
		}
	})
	return srv
}

func oneStream(path string, st *Stream) func(string) (*Stream, bool) {
	return func(p string) (*Stream, bool) {
		if p == path {
			return st, true
		}
		return nil, false
	}
}

func testStream() *Stream {
	return NewStream(StreamMedia{EncodingName: "H264", PayloadType: 96, ClockRate: 90000, Fmtp: testFmtp})
}

func serverURL(srv *Server, path string) string {
	return "rtsp://" + srv.Addr().String() + path
}

// collector is a PacketHandler that hands packets to the test through
// channels, so the test awaits them instead of sleeping.
type collector struct {
	rtp chan *rtp.Packet
	sr  chan *rtcp.SenderReport
	bye chan struct{}

	mu      sync.Mutex
	markers int
}

func newCollector() *collector {
	return &collector{
		rtp: make(chan *rtp.Packet, 100000),
		sr:  make(chan *rtcp.SenderReport, 64),
		bye: make(chan struct{}, 64),
	}
}

func (c *collector) HandleRTP(pkt *rtp.Packet, _ time.Time) {
	if pkt.Marker {
		c.mu.Lock()
		c.markers++
		c.mu.Unlock()
	}
	select {
	case c.rtp <- pkt.Clone():
	default:
	}
}

func (c *collector) HandleRTCP(pkts []rtcp.Packet, _ time.Time) {
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			select {
			case c.sr <- p:
			default:
			}
		case *rtcp.Goodbye:
			select {
			case c.bye <- struct{}{}:
			default:
			}
		}
	}
}

func (c *collector) markerCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.markers
}

// nextRTP awaits one packet or fails the test.
func (c *collector) nextRTP(t *testing.T, timeout time.Duration) *rtp.Packet {
	t.Helper()
	select {
	case p := <-c.rtp:
		return p
	case <-time.After(timeout):
		t.Fatalf("no RTP packet within %v", timeout)
		return nil
	}
}

func (c *collector) nextSR(t *testing.T, timeout time.Duration) *rtcp.SenderReport {
	t.Helper()
	select {
	case p := <-c.sr:
		return p
	case <-time.After(timeout):
		t.Fatalf("no RTCP sender report within %v", timeout)
		return nil
	}
}

// runSession starts Run and returns a channel with its result.
func runSession(ctx context.Context, s *Session, h PacketHandler) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- s.Run(ctx, h) }()
	return ch
}

func awaitErr(t *testing.T, ch <-chan error, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(timeout):
		t.Fatalf("Run did not return within %v", timeout)
		return nil
	}
}

// eventually polls cond for state changes that have no event to await.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testPacket(seq uint16, size int) *rtp.Packet {
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(int(seq) + i)
	}
	return &rtp.Packet{
		Header: rtp.Header{
			Version:        2,
			PayloadType:    96,
			SequenceNumber: seq,
			Timestamp:      uint32(seq) * 3600,
			SSRC:           0x1234abcd,
			Marker:         seq%4 == 0,
		},
		Payload: payload,
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
