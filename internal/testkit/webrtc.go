package testkit

import (
	"net"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// WebRTCPeer returns a pion peer standing in for a browser: the codecs
// register adds, pion's default interceptors, ICE over IPv4 UDP on
// 127.0.0.1 alone (tests never reach for another address), and a
// receive-only transceiver of each kind. It is closed when the test ends.
func WebRTCPeer(t testing.TB, register func(*webrtc.MediaEngine) error, kinds ...webrtc.RTPCodecType) *webrtc.PeerConnection {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := register(me); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) })
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	for _, kind := range kinds {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	return pc
}

// WebRTCOffer makes pc's offer with all its candidates, as a WHEP client
// without trickle ICE sends it.
func WebRTCOffer(t testing.TB, pc *webrtc.PeerConnection) []byte {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return []byte(pc.LocalDescription().SDP)
}
