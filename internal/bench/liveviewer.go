package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/vigil-cctv/vigil/internal/simcam"
)

// liveViewer is a pion peer standing in for a browser watching one camera
// over WHEP: the codecs and interceptors a browser has (NACKs, receiver
// reports, congestion feedback), ICE on 127.0.0.1 alone.
//
// A measuring viewer reads every packet and, from the camera's stamps,
// times each frame from the camera to the arrival of its last packet. A
// sink viewer is the same peer, but its socket drops the media packets
// as it reads them, before pion would decrypt them: the server does the
// same work for it (ICE, DTLS, sealing and sending every packet, its
// reports), while the viewers' process spends a tenth as much, so that a
// hundred of them fit on the machine beside the server.
type liveViewer struct {
	camera   int64
	pc       *webrtc.PeerConnection
	location string // the WHEP session's URL path
	conn     *viewerConn
	mux      ice.UDPMux // over conn

	first     chan struct{} // closed at the first whole frame, or media packet of a sink
	firstOnce sync.Once
	packets   atomic.Int64
	bytes     atomic.Int64
	frames    atomic.Int64
	unstamped atomic.Int64 // frames without a readable stamp
	e2e       *hist
	e2eOn     *atomic.Bool
	readErr   atomic.Value
}

// newViewerAPI is a pion API with a browser's default codecs and
// interceptors, loopback only, no mDNS, on mux.
func newViewerAPI(mux ice.UDPMux) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		return nil, err
	}
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICEUDPMux(mux)
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// viewerConn is a viewer's UDP socket. A sink's hands pion everything
// but SRTP, which it counts and drops.
type viewerConn struct {
	*net.UDPConn
	v    *liveViewer
	sink bool
}

// viewerReadBuffer is each viewer's socket receive buffer: room for about
// a second of a 4 Mbit/s camera, with the kernel's overheads, so that the
// viewers' process falling behind for a moment costs the server no
// retransmissions.
const viewerReadBuffer = 1 << 20

// isSRTP tells SRTP from SRTCP, STUN and DTLS (RFC 7983, RFC 5761): RTP
// version 2 and a second byte that is no RTCP packet type.
func isSRTP(b []byte) bool {
	return len(b) >= 12 && b[0] >= 128 && b[0] <= 191 && (b[1]&0x7f < 64 || b[1]&0x7f > 95)
}

func (c *viewerConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	for {
		n, addr, err := c.UDPConn.ReadFromUDPAddrPort(b)
		if err != nil || !c.sink || !isSRTP(b[:n]) {
			return n, addr, err
		}
		c.v.packets.Add(1)
		c.v.bytes.Add(int64(n))
		c.v.firstOnce.Do(func() { close(c.v.first) })
	}
}

func (c *viewerConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := c.ReadFromAddrPort(b)
	return n, net.UDPAddrFromAddrPort(addr), err
}

func (c *viewerConn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.UDPConn.WriteToUDPAddrPort(b, addr)
}

// watch makes a viewer, measuring or a sink, and runs the WHEP exchange
// for a camera; the viewer is receiving once first is closed.
func watch(ctx context.Context, base, token string, camera int64, sink bool, e2e *hist, e2eOn *atomic.Bool) (*liveViewer, error) {
	v := &liveViewer{camera: camera, first: make(chan struct{}), e2e: e2e, e2eOn: e2eOn}
	ok := false
	defer func() {
		if !ok {
			v.close()
		}
	}()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	conn.SetReadBuffer(viewerReadBuffer)
	v.conn = &viewerConn{UDPConn: conn, v: v, sink: sink}
	v.mux = ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: v.conn, Logger: logging.NewDefaultLoggerFactory().NewLogger("viewer")})
	api, err := newViewerAPI(v.mux)
	if err != nil {
		return nil, err
	}
	v.pc, err = api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	pc := v.pc
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return nil, err
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
		// Sender reports feed the receiver-report interceptor.
		go func() {
			for {
				if _, _, err := rcv.ReadRTCP(); err != nil {
					return
				}
			}
		}()
		v.read(tr)
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return nil, err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	req, err := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/cameras/%d/whep", base, camera),
		bytes.NewReader([]byte(pc.LocalDescription().SDP)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/sdp")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	answer, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("bench: WHEP offer for camera %d: %d %s", camera, res.StatusCode, answer)
	}
	v.location = res.Header.Get("Location")
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		return nil, err
	}
	ok = true
	return v, nil
}

// read takes the track's packets until it ends. A frame's stamp is in its
// filler, which is its last NAL unit: the frame is whole when the packet
// with the marker bit arrives.
func (v *liveViewer) read(tr *webrtc.TrackRemote) {
	buf := make([]byte, 1600)
	var (
		h       rtp.Header
		ts      uint32
		started bool
		stamp   time.Time
		stamped bool
	)
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			v.readErr.Store(err)
			return
		}
		now := time.Now()
		hl, err := h.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		v.packets.Add(1)
		v.bytes.Add(int64(n - hl))
		if !started || h.Timestamp != ts {
			ts, started, stamped = h.Timestamp, true, false
		}
		if !stamped {
			stamp, stamped = simcam.ReadStamp(buf[hl:n])
		}
		if !h.Marker {
			continue
		}
		v.frames.Add(1)
		v.firstOnce.Do(func() { close(v.first) })
		switch {
		case !stamped:
			v.unstamped.Add(1)
		case v.e2eOn.Load():
			v.e2e.add(now.Sub(stamp))
		}
	}
}

// leave ends the session as a browser closing its tab would, after saying
// so over WHEP.
func (v *liveViewer) leave(ctx context.Context, base, token string) {
	if v.location != "" {
		call(ctx, "DELETE", base+v.location, token, "")
	}
	v.close()
}

func (v *liveViewer) close() {
	if v.pc != nil {
		v.pc.Close()
	}
	if v.mux != nil {
		v.mux.Close() // and the socket
	}
}
