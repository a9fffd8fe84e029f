package live

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// TestLive sends a clip through a hub to several WebRTC viewers at once
// over loopback and checks that each receives every packet, from a
// keyframe with its parameter sets, numbered without gaps.
func TestLive(t *testing.T) {
	for _, tc := range []struct {
		name    string
		codec   codec.Codec
		viewers int
		mux     bool
		wantPT  webrtc.PayloadType // of pion's default codecs, the nearest the clip's profile
	}{
		{"H264", codec.H264, 3, false, 127}, // Main, 4d001f
		{"H264 one UDP port", codec.H264, 2, true, 127},
		{"H265", codec.H265, 2, false, 116},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := loadClip(t, tc.codec)
			e := newEnds()
			w := newTestWHEP(t, WHEPOptions{UDPMux: tc.mux, OnEnd: e.onEnd})
			if tc.mux {
				addrs := w.UDPAddrs()
				if len(addrs) != 1 || !strings.HasPrefix(addrs[0].String(), "127.0.0.1:") {
					t.Fatalf("UDPAddrs: got %v, want one address on 127.0.0.1", addrs)
				}
			}
			h := NewHub(tc.codec.String(), cl.fmtp)
			var clients []*client
			var ids []string
			for range tc.viewers {
				c := connect(t, w, h)
				clients = append(clients, c)
				ids = append(ids, c.id)
			}
			eventually(t, "viewers on the hub", func() bool { return h.Viewers() == tc.viewers })

			frames := cl.packetize(codec.NewPacketizer(tc.codec, 96, 0x5eed, 1200), 0, 60, false)
			want := flatten(frames)
			sent := sendTimes{}
			done := make(chan struct{})
			go func() {
				defer close(done)
				feed(h, frames, 25, sent)
			}()

			var latencies []time.Duration
			results := make([][]received, len(clients))
			for i, c := range clients {
				results[i] = c.take(t, len(want))
			}
			<-done
			for i, c := range clients {
				got := make([]*rtp.Packet, len(results[i]))
				for j, r := range results[i] {
					got[j] = r.pkt
				}
				latencies = append(latencies, sent.latencies(results[i])...)
				var cp webrtc.RTPCodecParameters
				select {
				case cp = <-c.codec:
				default:
					t.Fatal("client: got no track, want one")
				}
				if cp.PayloadType != tc.wantPT {
					t.Errorf("viewer %d: got payload type %d (%s %s), want %d", i, cp.PayloadType, cp.MimeType, cp.SDPFmtpLine, tc.wantPT)
				}
				if tc.codec == codec.H264 && !strings.Contains(cp.SDPFmtpLine, "packetization-mode=1") {
					t.Errorf("viewer %d: got fmtp %q, want packetization-mode=1", i, cp.SDPFmtpLine)
				}
				for j, p := range got {
					if p.PayloadType != uint8(cp.PayloadType) || p.SSRC != got[0].SSRC {
						t.Fatalf("viewer %d packet %d: got payload type %d SSRC %x, want %d and %x", i, j, p.PayloadType, p.SSRC, cp.PayloadType, got[0].SSRC)
					}
				}
				samePayloads(t, got, want)
				checkNumbering(t, got)
				aus, err := depacketize(tc.codec, got)
				if err != nil {
					t.Fatalf("viewer %d: depacketizing: got %v, want no error", i, err)
				}
				if len(aus) != len(frames) || aus[0].Timestamp != got[0].Timestamp {
					t.Fatalf("viewer %d: got %d access units, the first at %d, want %d from the first packet's %d",
						i, len(aus), aus[0].Timestamp, len(frames), got[0].Timestamp)
				}
				checkStart(t, tc.codec, aus[0])
			}
			eventually(t, "every packet counted as sent", func() bool {
				for _, s := range w.Sessions() {
					if s.PacketsSent != uint64(len(want)) {
						return false
					}
				}
				return true
			})
			sessions := w.Sessions()
			if len(sessions) != tc.viewers {
				t.Fatalf("Sessions: got %d, want %d", len(sessions), tc.viewers)
			}
			for _, s := range sessions {
				if !slices.Contains(ids, s.ID) || s.Hub != h || !s.Connected || s.PacketsDropped != 0 {
					t.Errorf("session %s: got hub %p connected %v dropped %d, want %p, true, 0", s.ID, s.Hub, s.Connected, s.PacketsDropped, h)
				}
			}
			p50, p99 := percentiles(latencies)
			t.Logf("%d packets to %d viewers; WriteRTP to client track latency p50 %v, p99 %v", len(want), tc.viewers, p50, p99)

			if err := w.Close(); err != nil {
				t.Fatalf("Close: got %v, want nil", err)
			}
			e.await(t, ids...)
			if h.Viewers() != 0 {
				t.Errorf("after Close: got %d viewers, want 0", h.Viewers())
			}
		})
	}
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return d[len(d)/2], d[len(d)*99/100]
}

// h264Fmtp is a camera's fmtp for tests that send no video.
const h264Fmtp = "packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=Z0LgH42NQFAe0IAAAAMAgAAAHkeKFVA=,aM4xsg=="

// TestSessionEnd checks every way a session ends: each removes the
// viewer from the hub and calls OnEnd once.
func TestSessionEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(t *testing.T, w *WHEP, h *Hub, c *client)
	}{
		{"Delete", func(t *testing.T, w *WHEP, h *Hub, c *client) {
			if err := w.Delete(c.id); err != nil {
				t.Fatalf("Delete: got %v, want nil", err)
			}
		}},
		{"client closes its peer", func(t *testing.T, w *WHEP, h *Hub, c *client) { c.pc.Close() }},
		{"hub closes", func(t *testing.T, w *WHEP, h *Hub, c *client) { h.Close() }},
		{"WHEP closes", func(t *testing.T, w *WHEP, h *Hub, c *client) {
			if err := w.Close(); err != nil {
				t.Fatalf("Close: got %v, want nil", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnds()
			w := newTestWHEP(t, WHEPOptions{OnEnd: e.onEnd})
			h := NewHub("H264", h264Fmtp)
			c := connect(t, w, h)
			eventually(t, "viewer on the hub", func() bool { return h.Viewers() == 1 })
			if s := w.Sessions(); len(s) != 1 || s[0].ID != c.id {
				t.Fatalf("Sessions: got %+v, want session %s", s, c.id)
			}
			tc.end(t, w, h, c)
			e.await(t, c.id)
			eventually(t, "viewer leaving the hub", func() bool { return h.Viewers() == 0 })
			if s := w.Sessions(); len(s) != 0 {
				t.Errorf("Sessions: got %d, want 0", len(s))
			}
			if err := w.Delete(c.id); !errors.Is(err, ErrNotFound) {
				t.Errorf("Delete after the end: got %v, want ErrNotFound", err)
			}
			select {
			case id := <-e.ch:
				t.Errorf("OnEnd: got a second call for %s, want one", id)
			default:
			}
		})
	}
}

// TestAudioAndVideoOffer: browsers offer audio too; the answer refuses it
// and video flows.
func TestAudioAndVideoOffer(t *testing.T) {
	cl := loadClip(t, codec.H264)
	w := newTestWHEP(t, WHEPOptions{})
	h := NewHub("H264", cl.fmtp)
	c := connect(t, w, h, webrtc.RTPCodecTypeAudio)
	var audio string
	for _, m := range strings.Split(c.answer, "m=")[1:] {
		if strings.HasPrefix(m, "audio") {
			audio = m
		}
	}
	if audio == "" || !strings.HasPrefix(audio, "audio 0 ") && !strings.Contains(audio, "a=inactive") {
		t.Fatalf("answer: got audio section %q, want it rejected or inactive", audio)
	}
	eventually(t, "viewer on the hub", func() bool { return h.Viewers() == 1 })
	frames := cl.packetize(codec.NewPacketizer(codec.H264, 96, 1, 1200), 0, 5, false)
	feed(h, frames, 25, nil)
	want := flatten(frames)
	got := c.take(t, len(want))
	pkts := make([]*rtp.Packet, len(got))
	for i, r := range got {
		pkts[i] = r.pkt
	}
	samePayloads(t, pkts, want)
}

// TestConnectTimeout: a browser that never connects does not leave its
// session behind.
func TestConnectTimeout(t *testing.T) {
	e := newEnds()
	w := newTestWHEP(t, WHEPOptions{OnEnd: e.onEnd, ConnectTimeout: 100 * time.Millisecond})
	h := NewHub("H264", h264Fmtp)
	pc := newClientPeer(t, defaultCodecs, webrtc.RTPCodecTypeVideo)
	_, id, err := w.Offer(context.Background(), h, offerOf(t, pc))
	if err != nil {
		t.Fatalf("Offer: got %v, want nil", err)
	}
	e.await(t, id)
	if s := w.Sessions(); len(s) != 0 {
		t.Errorf("Sessions: got %d, want 0", len(s))
	}
}

// TestKeyframeRequests: PLI and FIR from the browser are counted, since
// an RTSP camera cannot be asked for a keyframe.
func TestKeyframeRequests(t *testing.T) {
	cl := loadClip(t, codec.H264)
	w := newTestWHEP(t, WHEPOptions{})
	h := NewHub("H264", cl.fmtp)
	c := connect(t, w, h)
	eventually(t, "viewer on the hub", func() bool { return h.Viewers() == 1 })
	frame := cl.packetize(codec.NewPacketizer(codec.H264, 96, 1, 1200), 0, 1, false)[0]
	feed(h, [][]*rtp.Packet{frame}, 25, nil)
	ssrc := c.take(t, len(frame))[0].pkt.SSRC
	err := c.pc.WriteRTCP([]rtcp.Packet{
		&rtcp.PictureLossIndication{MediaSSRC: ssrc},
		&rtcp.PictureLossIndication{MediaSSRC: ssrc},
		&rtcp.FullIntraRequest{MediaSSRC: ssrc, FIR: []rtcp.FIREntry{{SSRC: ssrc, SequenceNumber: 1}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "keyframe requests counted", func() bool {
		s := w.Sessions()
		return len(s) == 1 && s[0].PLIs == 2 && s[0].FIRs == 1
	})
}

// TestAnswerOptions: options that shape the answer's ICE.
func TestAnswerOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opt     WHEPOptions
		want    []string
		notWant []string
	}{
		{"host candidates on 127.0.0.1", WHEPOptions{}, []string{" 127.0.0.1 ", "typ host"}, []string{"a=ice-lite"}},
		{"public IP", WHEPOptions{PublicIPs: []string{"203.0.113.7"}}, []string{" 203.0.113.7 "}, []string{" 127.0.0.1 "}},
		{"ICE lite", WHEPOptions{Lite: true}, []string{"a=ice-lite"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newTestWHEP(t, tc.opt)
			h := NewHub("H264", h264Fmtp)
			answer, _, err := w.Offer(context.Background(), h, offerOf(t, newClientPeer(t, defaultCodecs, webrtc.RTPCodecTypeVideo)))
			if err != nil {
				t.Fatalf("Offer: got %v, want nil", err)
			}
			for _, s := range tc.want {
				if !strings.Contains(string(answer), s) {
					t.Errorf("answer: got no %q, want it:\n%s", s, answer)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(string(answer), s) {
					t.Errorf("answer: got %q, want none:\n%s", s, answer)
				}
			}
		})
	}
}

// registerH264 registers only H.264 formats in packetization mode mode.
func registerH264(mode string) func(*webrtc.MediaEngine) error {
	return func(me *webrtc.MediaEngine) error {
		for i, prof := range []string{"42e01f", "4d001f"} {
			err := me.RegisterCodec(webrtc.RTPCodecParameters{
				RTPCodecCapability: webrtc.RTPCodecCapability{
					MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
					SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=" + mode + ";profile-level-id=" + prof,
				},
				PayloadType: webrtc.PayloadType(100 + i),
			}, webrtc.RTPCodecTypeVideo)
			if err != nil {
				return err
			}
		}
		return nil
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestOfferErrors(t *testing.T) {
	videoOffer := func(register func(*webrtc.MediaEngine) error) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			return offerOf(t, newClientPeer(t, register, webrtc.RTPCodecTypeVideo))
		}
	}
	closedHub := func() *Hub {
		h := NewHub("H264", h264Fmtp)
		h.Close()
		return h
	}
	for _, tc := range []struct {
		name    string
		hub     func() *Hub
		offer   func(t *testing.T) []byte
		opt     WHEPOptions
		before  func(t *testing.T, w *WHEP, h *Hub)
		ctx     context.Context
		want    error
		message string // in the error's text
	}{
		{name: "empty", offer: func(*testing.T) []byte { return nil }, want: ErrBadOffer},
		{name: "garbage", offer: func(*testing.T) []byte { return []byte("hello\x00world") }, want: ErrBadOffer},
		{name: "too large", offer: func(*testing.T) []byte { return make([]byte, maxOfferBytes+1) }, want: ErrBadOffer},
		{name: "audio only", offer: func(t *testing.T) []byte {
			return offerOf(t, newClientPeer(t, defaultCodecs, webrtc.RTPCodecTypeAudio))
		}, want: ErrNoVideo},
		{name: "H.265 camera, browser without H.265", hub: func() *Hub { return NewHub("H265", "") },
			offer: videoOffer(registerH264("1")), want: ErrCodecNotOffered, message: "no H.265"},
		{name: "browser with packetization mode 0 only", offer: videoOffer(registerH264("0")),
			want: ErrCodecNotOffered, message: "packetization-mode=1"},
		{name: "camera codec unknown", hub: func() *Hub { return NewHub("MJPEG", "") },
			offer: videoOffer(defaultCodecs), want: ErrCodecNotOffered, message: "MJPEG"},
		{name: "hub closed", hub: closedHub, offer: videoOffer(defaultCodecs), want: ErrClosed},
		{name: "WHEP closed", offer: videoOffer(defaultCodecs), want: ErrClosed,
			before: func(t *testing.T, w *WHEP, h *Hub) { w.Close() }},
		{name: "too many sessions", offer: videoOffer(defaultCodecs), opt: WHEPOptions{MaxSessions: 1}, want: ErrTooManySessions,
			before: func(t *testing.T, w *WHEP, h *Hub) {
				if _, _, err := w.Offer(context.Background(), h, videoOffer(defaultCodecs)(t)); err != nil {
					t.Fatalf("first offer: got %v, want nil", err)
				}
			}},
		{name: "request gone", offer: videoOffer(defaultCodecs), ctx: canceled(), want: context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newTestWHEP(t, tc.opt)
			h := NewHub("H264", h264Fmtp)
			if tc.hub != nil {
				h = tc.hub()
			}
			if tc.before != nil {
				tc.before(t, w, h)
			}
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			answer, id, err := w.Offer(ctx, h, tc.offer(t))
			if !errors.Is(err, tc.want) || answer != nil || id != "" {
				t.Fatalf("got %v (answer %d bytes, id %q), want %v", err, len(answer), id, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "live: ") || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("got message %q, want it prefixed \"live: \" and holding %q", err, tc.message)
			}
			if n := len(w.Sessions()); n != 0 && tc.want != ErrTooManySessions {
				t.Errorf("Sessions: got %d, want none left by a failed offer", n)
			}
			var ce *CodecError
			if errors.As(err, &ce) != (tc.want == ErrCodecNotOffered) {
				t.Errorf("got %T, want a *CodecError exactly for ErrCodecNotOffered", err)
			}
		})
	}
}

// TestWHEPCloseWaits: once Close has returned, no goroutine WHEP or its
// sessions started is left: not the sessions ended by their browser or
// by Delete before it, nor those Close ended.
func TestWHEPCloseWaits(t *testing.T) {
	w := newTestWHEP(t, WHEPOptions{})
	h := NewHub("H264", h264Fmtp)
	var clients []*client
	for range 3 {
		clients = append(clients, connect(t, w, h))
	}
	eventually(t, "viewers on the hub", func() bool { return h.Viewers() == 3 })
	clients[0].pc.Close()
	if err := w.Delete(clients[1].id); err != nil {
		t.Fatalf("Delete: got %v, want nil", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: got %v, want nil", err)
	}
	for _, c := range clients {
		c.pc.Close() // the test's own peers read the track in this package
	}
	h.Close()
	testkit.AwaitNoGoroutines(t, 2*time.Second, "github.com/vigil-cctv/vigil/internal/live")
}
