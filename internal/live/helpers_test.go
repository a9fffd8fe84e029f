package live

import (
	"bytes"
	"context"
	"hash/fnv"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/testkit"
)

// testClip is a clip's access units, timestamped 3600 apart (25 fps).
type testClip struct {
	codec  codec.Codec
	aus    []codec.AccessUnit
	params codec.Params
	fmtp   string // as a camera would announce it
}

var (
	clipMu    sync.Mutex
	clipCache = map[codec.Codec]*testClip{}
)

// loadClip reads ../simcam/clips/h26x.mp4 with ffmpeg into access units.
func loadClip(t testing.TB, c codec.Codec) *testClip {
	t.Helper()
	testkit.NeedTool(t, "ffmpeg")
	clipMu.Lock()
	defer clipMu.Unlock()
	if cl := clipCache[c]; cl != nil {
		return cl
	}
	path, bsf, format := "../simcam/clips/h264.mp4", "h264_mp4toannexb", "h264"
	if c == codec.H265 {
		path, bsf, format = "../simcam/clips/h265.mp4", "hevc_mp4toannexb", "hevc"
	}
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-c", "copy", "-bsf:v", bsf, "-f", format, "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	cl := &testClip{codec: c, params: codec.Params{Codec: c}}
	var cur [][]byte
	afterVCL := false
	flush := func() {
		if len(cur) == 0 {
			return
		}
		au := codec.AccessUnit{Timestamp: uint32(len(cl.aus)) * 3600, NALUs: cur}
		for _, u := range cur {
			au.Keyframe = au.Keyframe || codec.IsKeyframe(c, u)
		}
		cl.aus = append(cl.aus, au)
		cur, afterVCL = nil, false
	}
	for _, u := range codec.SplitAnnexB(out) {
		t := codec.NALUType(c, u)
		var vcl, first bool
		if c == codec.H265 {
			vcl = t <= h265VCLLast
			first = vcl && len(u) > 2 && u[2]&0x80 != 0
		} else {
			vcl = t >= 1 && t <= 5
			first = vcl && len(u) > 1 && u[1]&0x80 != 0
		}
		if afterVCL && (!vcl || first) {
			flush()
		}
		if codec.IsParameterSet(c, u) {
			cl.params.Update(u)
		}
		cur = append(cur, u)
		afterVCL = afterVCL || vcl
	}
	flush()
	if len(cl.aus) != 250 || !cl.aus[0].Keyframe || !cl.params.Complete() {
		t.Fatalf("clip %s: got %d access units (first keyframe %v, params complete %v), want 250, true, true",
			path, len(cl.aus), cl.aus[0].Keyframe, cl.params.Complete())
	}
	cl.fmtp = codec.NewPacketizer(c, 96, 0, 1200).SDPFmtp(cl.params)
	clipCache[c] = cl
	return cl
}

// packetize turns access units [from, to) of the clip into RTP packets,
// one slice of packets per unit, with continuous numbering from pz.
func (cl *testClip) packetize(pz *codec.Packetizer, from, to int, strip bool) [][]*rtp.Packet {
	var frames [][]*rtp.Packet
	for i := from; i < to; i++ {
		au := cl.aus[i%len(cl.aus)]
		au.Timestamp = uint32(i) * 3600
		if strip {
			au.NALUs = slices.DeleteFunc(slices.Clone(au.NALUs), func(u []byte) bool { return codec.IsParameterSet(cl.codec, u) })
		}
		frames = append(frames, pz.Packetize(au))
	}
	return frames
}

func flatten(frames [][]*rtp.Packet) []*rtp.Packet {
	var out []*rtp.Packet
	for _, f := range frames {
		out = append(out, f...)
	}
	return out
}

// payloadKey identifies a payload, to match what a client receives with
// what was written.
func payloadKey(p []byte) uint64 {
	h := fnv.New64a()
	h.Write(p)
	return h.Sum64()
}

// sendTimes records when each payload was written, in order, as a
// payload may repeat when a clip loops.
type sendTimes map[uint64][]time.Time

// latencies returns, for each packet a client received, the time since
// it was written.
func (s sendTimes) latencies(rs []received) []time.Duration {
	seen := map[uint64]int{}
	var out []time.Duration
	for _, r := range rs {
		k := payloadKey(r.pkt.Payload)
		if at := s[k]; seen[k] < len(at) {
			out = append(out, r.at.Sub(at[seen[k]]))
			seen[k]++
		}
	}
	return out
}

// feed writes frames to h at fps, each frame's packets back to back as a
// camera sends them, recording when each payload was written. It returns
// when all are written.
func feed(h *Hub, frames [][]*rtp.Packet, fps int, sent sendTimes) {
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	for i, f := range frames {
		if i > 0 {
			<-tick.C
		}
		for _, p := range f {
			if sent != nil {
				k := payloadKey(p.Payload)
				sent[k] = append(sent[k], time.Now())
			}
			h.WriteRTP(p)
		}
	}
}

// eventually polls cond until it holds or 10 s pass; for states that
// announce no event.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("got no %s within 10 s, want it", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sink is a viewer of a hub without WebRTC: it keeps copies of what it
// is given, and blocks while gate is set and not closed. entered tells
// that its writer has taken a packet from its queue, so a test can hold
// the writer at the gate before it fills the queue.
type sink struct {
	v       *viewer
	pkts    chan *rtp.Packet
	entered chan struct{}
}

func addSink(t testing.TB, h *Hub, queue int, gate chan struct{}) *sink {
	t.Helper()
	s := &sink{pkts: make(chan *rtp.Packet, 1<<16), entered: make(chan struct{}, 1)}
	s.v = newViewer(queue, func(p *rtp.Packet) error {
		select {
		case s.entered <- struct{}{}:
		default:
		}
		if gate != nil {
			<-gate
		}
		s.pkts <- p.Clone()
		return nil
	}, nil)
	if err := h.add(s.v); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.remove(s.v) })
	return s
}

// take returns the next n packets the sink got, failing after 10 s.
func (s *sink) take(t testing.TB, n int) []*rtp.Packet {
	t.Helper()
	out := make([]*rtp.Packet, 0, n)
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case p := <-s.pkts:
			out = append(out, p)
		case <-timeout:
			t.Fatalf("got %d packets within 10 s, want %d", len(out), n)
		}
	}
	return out
}

// depacketize returns the access units of pkts and the first error.
func depacketize(c codec.Codec, pkts []*rtp.Packet) ([]*codec.AccessUnit, error) {
	d := codec.NewDepacketizer(c)
	var aus []*codec.AccessUnit
	var first error
	for _, p := range pkts {
		au, err := d.Push(p)
		if au != nil {
			aus = append(aus, au)
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return aus, first
}

// checkStart checks that an access unit begins a decodable stream: a
// keyframe whose parameter sets all precede its first slice.
func checkStart(t testing.TB, c codec.Codec, au *codec.AccessUnit) {
	t.Helper()
	if !au.Keyframe {
		t.Fatalf("first access unit: got no keyframe, want one")
	}
	p := codec.Params{Codec: c}
	for _, u := range au.NALUs {
		if codec.IsParameterSet(c, u) {
			p.Update(u)
		}
		if codec.IsKeyframe(c, u) {
			break
		}
	}
	if !p.Complete() {
		t.Fatalf("first keyframe: got parameter sets VPS %d SPS %d PPS %d bytes before its slice, want all",
			len(p.VPS), len(p.SPS), len(p.PPS))
	}
}

// checkNumbering checks that sequence numbers run on without a gap and
// timestamps advance by 3600 from frame to frame.
func checkNumbering(t testing.TB, pkts []*rtp.Packet) {
	t.Helper()
	for i := 1; i < len(pkts); i++ {
		a, b := pkts[i-1], pkts[i]
		if b.SequenceNumber != a.SequenceNumber+1 {
			t.Fatalf("packet %d: got sequence number %d after %d, want %d", i, b.SequenceNumber, a.SequenceNumber, a.SequenceNumber+1)
		}
		if d := b.Timestamp - a.Timestamp; d != 0 && d != 3600 {
			t.Fatalf("packet %d: got timestamp step %d, want 0 or 3600", i, d)
		}
		if b.Timestamp != a.Timestamp && !a.Marker {
			t.Fatalf("packet %d: got a new timestamp after a packet without marker, want the marker on each frame's last packet", i)
		}
	}
}

// samePayloads checks that got carries want's payloads, in order.
func samePayloads(t testing.TB, got, want []*rtp.Packet) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d packets, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Payload, want[i].Payload) || got[i].Marker != want[i].Marker {
			t.Fatalf("packet %d: got payload of %d bytes (marker %v), want the camera's %d bytes (marker %v)",
				i, len(got[i].Payload), got[i].Marker, len(want[i].Payload), want[i].Marker)
		}
	}
}

// received is a packet as the browser side got it.
type received struct {
	pkt *rtp.Packet
	at  time.Time
}

// client is the browser side of a WHEP session: a pion peer with a
// receive-only video transceiver, the default codecs (several H.264
// profiles in both packetization modes, H.265, VP8, VP9, AV1) and
// pion's default interceptors (NACK generator, reports, TWCC).
type client struct {
	pc        *webrtc.PeerConnection
	id        string
	answer    string
	pkts      chan received
	codec     chan webrtc.RTPCodecParameters
	stall     chan struct{} // closed: stop reading the track
	connected chan struct{}
}

// newClientPeer returns a fresh loopback peer with the codecs register
// adds and a receive-only transceiver of each kind.
func newClientPeer(t testing.TB, register func(*webrtc.MediaEngine) error, kinds ...webrtc.RTPCodecType) *webrtc.PeerConnection {
	t.Helper()
	return testkit.WebRTCPeer(t, register, kinds...)
}

// offerOf makes pc's offer, with its candidates.
func offerOf(t testing.TB, pc *webrtc.PeerConnection) []byte {
	t.Helper()
	return testkit.WebRTCOffer(t, pc)
}

func defaultCodecs(me *webrtc.MediaEngine) error { return me.RegisterDefaultCodecs() }

// connect runs a WHEP exchange for hub h and waits until the client's
// peer connection is connected. The client receives video, and the
// other kinds given.
func connect(t testing.TB, w *WHEP, h *Hub, kinds ...webrtc.RTPCodecType) *client {
	t.Helper()
	pc := newClientPeer(t, defaultCodecs, append(kinds, webrtc.RTPCodecTypeVideo)...)
	c := &client{
		pc:        pc,
		pkts:      make(chan received, 1<<16),
		codec:     make(chan webrtc.RTPCodecParameters, 1),
		stall:     make(chan struct{}),
		connected: make(chan struct{}),
	}
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(c.connected) })
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		c.codec <- tr.Codec()
		for {
			select {
			case <-c.stall:
				return
			default:
			}
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			c.pkts <- received{p, time.Now()}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	answer, id, err := w.Offer(ctx, h, offerOf(t, pc))
	if err != nil {
		t.Fatalf("Offer: got %v, want no error", err)
	}
	c.id, c.answer = id, string(answer)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		t.Fatalf("setting the answer: %v\n%s", err, answer)
	}
	select {
	case <-c.connected:
	case <-time.After(10 * time.Second):
		t.Fatalf("client: got no connection within 10 s, want one")
	}
	return c
}

// take returns the next n packets the client received, failing when
// none comes for 10 s.
func (c *client) take(t testing.TB, n int) []received {
	t.Helper()
	out := make([]received, 0, n)
	idle := time.NewTimer(10 * time.Second)
	defer idle.Stop()
	for len(out) < n {
		select {
		case r := <-c.pkts:
			out = append(out, r)
			idle.Reset(10 * time.Second)
		case <-idle.C:
			t.Fatalf("client got %d packets, then none for 10 s, want %d", len(out), n)
		}
	}
	return out
}

// ends collects OnEnd calls.
type ends struct{ ch chan string }

func newEnds() *ends { return &ends{ch: make(chan string, 64)} }

func (e *ends) onEnd(id string) { e.ch <- id }

// await waits for OnEnd of each of ids, in any order.
func (e *ends) await(t testing.TB, ids ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	timeout := time.After(15 * time.Second)
	for len(want) > 0 {
		select {
		case id := <-e.ch:
			if !want[id] {
				t.Fatalf("OnEnd: got session %s, want one of %v", id, ids)
			}
			delete(want, id)
		case <-timeout:
			t.Fatalf("OnEnd: got no call for %d of the sessions within 15 s, want one each", len(want))
		}
	}
}

// newTestWHEP returns a WHEP on 127.0.0.1 closed with the test.
func newTestWHEP(t testing.TB, opt WHEPOptions) *WHEP {
	t.Helper()
	opt.HostIPs = []string{"127.0.0.1"}
	w, err := NewWHEP(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: got %v, want nil", err)
		}
	})
	return w
}
