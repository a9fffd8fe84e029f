package live

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/internal/codec"
)

// TestJoinAtKeyframe: a viewer joining mid-GOP gets nothing until the
// next keyframe, then everything.
func TestJoinAtKeyframe(t *testing.T) {
	for _, c := range []codec.Codec{codec.H264, codec.H265} {
		t.Run(c.String(), func(t *testing.T) {
			cl := loadClip(t, c)
			h := NewHub(c.String(), cl.fmtp)
			s := addSink(t, h, 4096, nil)
			frames := cl.packetize(codec.NewPacketizer(c, 96, 1, 1200), 10, 80, false)
			for _, p := range flatten(frames) {
				h.WriteRTP(p)
			}
			want := flatten(frames[40:]) // frame 50 on
			got := s.take(t, len(want))
			samePayloads(t, got, want)
			checkNumbering(t, got)
			aus, err := depacketize(c, got)
			if err != nil || len(aus) != 30 {
				t.Fatalf("got %d access units, error %v, want 30, nil", len(aus), err)
			}
			checkStart(t, c, aus[0])
			if d := s.v.dropped.Load(); d != 0 {
				t.Errorf("got %d dropped, want 0: waiting for the first keyframe is no drop", d)
			}
		})
	}
}

// TestInjectParams: when the camera does not repeat its parameter sets
// before keyframes, the hub sends them itself, from the SDP or from what
// the camera sent in band earlier.
func TestInjectParams(t *testing.T) {
	for _, c := range []codec.Codec{codec.H264, codec.H265} {
		for _, tc := range []struct {
			name   string
			sdp    bool // sprop parameter sets in the fmtp
			strip  bool // parameter sets removed from access units
			inject int  // packets the hub adds
		}{
			{"in band", true, false, 0},
			{"from the SDP", true, true, 3},
			{"learnt in band before the viewer came", false, true, 2},
		} {
			t.Run(c.String()+"/"+tc.name, func(t *testing.T) {
				cl := loadClip(t, c)
				fmtp := ""
				if tc.sdp {
					fmtp = cl.fmtp
				}
				h := NewHub(c.String(), fmtp)
				pz := codec.NewPacketizer(c, 96, 1, 1200)
				from := 0
				if !tc.sdp {
					// The camera sends its sets once, before any
					// viewer; the viewer joins at frame 50.
					for _, p := range flatten(cl.packetize(pz, 0, 1, false)) {
						h.WriteRTP(p)
					}
					from = 50
				}
				s := addSink(t, h, 4096, nil)
				frames := cl.packetize(pz, from, 101, tc.strip)
				for _, p := range flatten(frames) {
					h.WriteRTP(p)
				}
				want := flatten(frames)
				// A joining viewer skips what precedes the keyframe in
				// its access unit: an SEI here, once the sets are gone.
				for !analyze(c, want[0].Payload).keyStart() {
					want = want[1:]
				}
				got := s.take(t, len(want)+tc.inject)
				checkNumbering(t, got)
				if tc.inject > 0 {
					first := got[0]
					if first.Timestamp != got[1].Timestamp || first.Marker {
						t.Fatalf("injected packet: got timestamp %d marker %v, want the keyframe's %d, false", first.Timestamp, first.Marker, got[1].Timestamp)
					}
					if info := analyze(c, first.Payload); info.params != h.need || info.vclStart {
						t.Fatalf("injected packet: got parameter sets %b, slices %v, want %b, false", info.params, info.vclStart, h.need)
					}
				}
				// Every keyframe decodes from its own access unit.
				aus, err := depacketize(c, got)
				if err != nil || len(aus) != len(frames) {
					t.Fatalf("got %d access units, error %v, want %d, nil", len(aus), err, len(frames))
				}
				for i, au := range aus {
					if au.Keyframe {
						checkStart(t, c, au)
					} else if i == 0 {
						t.Fatal("first access unit: got no keyframe, want one")
					}
				}
				var rest []*rtp.Packet
				for _, p := range got {
					if tc.inject == 0 || len(h.inject) != 1 || !bytes.Equal(p.Payload, h.inject[0].data) {
						rest = append(rest, p)
					}
				}
				samePayloads(t, rest, want)
			})
		}
	}
}

// TestSlowViewer: a viewer that stops taking packets does not slow
// WriteRTP or the other viewers; it loses packets, counted, and resumes
// at a keyframe with its numbering continuous.
func TestSlowViewer(t *testing.T) {
	cl := loadClip(t, codec.H264)
	e := newEnds()
	w := newTestWHEP(t, WHEPOptions{OnEnd: e.onEnd})
	h := NewHub("H264", cl.fmtp)
	stalled := connect(t, w, h) // a browser that stops reading
	close(stalled.stall)
	gate := make(chan struct{})
	slow := addSink(t, h, 64, gate)
	fast := addSink(t, h, 4096, nil)
	eventually(t, "viewers on the hub", func() bool { return h.Viewers() == 3 })

	pz := codec.NewPacketizer(codec.H264, 96, 1, 1200)
	// Frames up to one before a keyframe, at least 1000 packets.
	phase1 := cl.packetize(pz, 0, 499, false)
	p1 := flatten(phase1)
	if len(p1) < 1000 {
		t.Fatalf("got %d packets, want at least 1000", len(p1))
	}
	// The slow viewer's writer takes the first packet and waits at the
	// gate before the rest come, so its queue's 64 fill behind it and
	// overflow at once: without this, a writer slow to start frees a
	// place after the overflow, and a keyframe within phase 1 takes it.
	h.WriteRTP(p1[0])
	select {
	case <-slow.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("slow viewer: got no first packet within 10 s, want it")
	}
	start := time.Now()
	for _, p := range p1[1:] {
		h.WriteRTP(p)
	}
	took := time.Since(start)
	t.Logf("WriteRTP: %d packets in %v (%v each) with a stalled viewer", len(p1), took, took/time.Duration(len(p1)))
	if took > 500*time.Millisecond {
		t.Errorf("WriteRTP: got %v for %d packets, want well under 500ms", took, len(p1))
	}
	droppedBefore := slow.v.dropped.Load()
	if droppedBefore == 0 {
		t.Fatalf("slow viewer: got no drops, want some")
	}
	accepted := uint64(len(p1)) - droppedBefore
	if accepted != 65 {
		t.Fatalf("slow viewer: got %d packets accepted, want the one being written and its queue's 64", accepted)
	}

	close(gate)
	// Frame 499 is dropped while the slow viewer waits; it resumes at
	// frame 500, a keyframe.
	phase2 := cl.packetize(pz, 499, 505, false)
	feed(h, phase2, 25, nil)
	resumed := flatten(phase2[1:])
	got := slow.take(t, int(accepted)+len(resumed))
	samePayloads(t, got[:accepted], p1[:accepted])
	samePayloads(t, got[accepted:], resumed)
	for i := 1; i < len(got); i++ {
		if got[i].SequenceNumber != got[i-1].SequenceNumber+1 {
			t.Fatalf("packet %d: got sequence number %d after %d, want no gap for dropped packets", i, got[i].SequenceNumber, got[i-1].SequenceNumber)
		}
	}
	if !analyze(codec.H264, got[accepted].Payload).keyStart() {
		t.Errorf("first packet after the drops: got no keyframe start, want one")
	}
	wantDropped := uint64(len(p1)) - accepted + uint64(len(phase2[0]))
	if d := slow.v.dropped.Load(); d != wantDropped {
		t.Errorf("dropped: got %d, want %d", d, wantDropped)
	}
	all := append(p1, flatten(phase2)...)
	samePayloads(t, fast.take(t, len(all)), all)
	if ss := w.Sessions(); len(ss) != 1 || !ss[0].Connected {
		t.Errorf("stalled browser's session: got %+v, want one, connected", ss)
	}
}

// TestRestart: when the camera's stream restarts (new SSRC, numbering),
// viewers resume at its first keyframe with their own numbering going on.
func TestRestart(t *testing.T) {
	cl := loadClip(t, codec.H264)
	h := NewHub("H264", cl.fmtp)
	s := addSink(t, h, 4096, nil)
	first := flatten(cl.packetize(codec.NewPacketizer(codec.H264, 96, 1, 1200), 0, 30, false))
	second := cl.packetize(codec.NewPacketizer(codec.H264, 96, 2, 1200), 20, 60, false)
	for _, f := range second {
		for _, p := range f {
			p.Timestamp += 0x12345678
		}
	}
	for _, p := range append(first, flatten(second)...) {
		h.WriteRTP(p)
	}
	want := append(first, flatten(second[30:])...)
	got := s.take(t, len(want))
	samePayloads(t, got, want)
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		step := uint32(3600)
		if i == len(first) {
			step = rebaseGap
		}
		if b.SequenceNumber != a.SequenceNumber+1 || b.Timestamp != a.Timestamp && b.Timestamp-a.Timestamp != step {
			t.Fatalf("packet %d: got sequence %d timestamp %d after %d %d, want the next and a step of 0 or %d",
				i, b.SequenceNumber, b.Timestamp, a.SequenceNumber, a.Timestamp, step)
		}
	}
	if d := s.v.dropped.Load(); d != 0 {
		t.Errorf("got %d dropped, want 0: a restart is not the viewer's loss", d)
	}
}

// TestSplit: packets larger than maxPayload reach viewers split, carrying
// exactly the same NAL units.
func TestSplit(t *testing.T) {
	for _, c := range []codec.Codec{codec.H264, codec.H265} {
		t.Run(c.String(), func(t *testing.T) {
			cl := loadClip(t, c)
			h := NewHub(c.String(), cl.fmtp)
			s := addSink(t, h, 8192, nil)
			var in []*rtp.Packet
			var aus []codec.AccessUnit
			pz := codec.NewPacketizer(c, 96, 1, 4000)
			for i := range 60 {
				au := cl.aus[i]
				au.Timestamp = uint32(i) * 3600
				// Filler units of many sizes make aggregation packets
				// larger than maxPayload, to be regrouped.
				au.NALUs = append([][]byte{}, au.NALUs...)
				for j := range i % 7 {
					au.NALUs = append(au.NALUs, codec.FillerNALU(c, 100+j*400+i))
				}
				aus = append(aus, au)
				in = append(in, pz.Packetize(au)...)
			}
			big := 0
			for _, p := range in {
				if len(p.Payload) > maxPayload {
					big++
				}
				h.WriteRTP(p)
			}
			if big == 0 {
				t.Fatal("got no packet over maxPayload to split, want some")
			}
			// The count is unknown until the last marker arrives.
			var got []*rtp.Packet
			for frames := 0; frames < len(aus); {
				p := s.take(t, 1)[0]
				if len(p.Payload) > maxPayload {
					t.Fatalf("got a payload of %d bytes, want at most %d", len(p.Payload), maxPayload)
				}
				if p.Marker {
					frames++
				}
				got = append(got, p)
			}
			checkNumbering(t, got)
			out, err := depacketize(c, got)
			if err != nil || len(out) != len(aus) {
				t.Fatalf("got %d access units, error %v, want %d, nil", len(out), err, len(aus))
			}
			for i := range aus {
				if len(out[i].NALUs) != len(aus[i].NALUs) {
					t.Fatalf("unit %d: got %d NAL units, want %d", i, len(out[i].NALUs), len(aus[i].NALUs))
				}
				for j := range aus[i].NALUs {
					if !bytes.Equal(out[i].NALUs[j], aus[i].NALUs[j]) {
						t.Fatalf("unit %d NAL unit %d: got %d bytes, want the camera's %d", i, j, len(out[i].NALUs[j]), len(aus[i].NALUs[j]))
					}
				}
			}
		})
	}
}

// TestHubClose: closing a hub ends its viewers and refuses new ones.
func TestHubClose(t *testing.T) {
	h := NewHub("H264", h264Fmtp)
	ended := make(chan struct{})
	v := newViewer(8, func(*rtp.Packet) error { return nil }, func() { close(ended) })
	if err := h.add(v); err != nil {
		t.Fatal(err)
	}
	h.Close()
	<-ended
	<-v.exited
	if n := h.Viewers(); n != 0 {
		t.Errorf("Viewers: got %d, want 0", n)
	}
	v2 := newViewer(8, func(*rtp.Packet) error { return nil }, nil)
	defer v2.stop()
	if err := h.add(v2); err != ErrClosed {
		t.Errorf("add after Close: got %v, want ErrClosed", err)
	}
	h.WriteRTP(&rtp.Packet{Payload: []byte{0x65, 0x88}})
}

func TestUnknownCodec(t *testing.T) {
	h := NewHub("MJPEG", "")
	s := addSink(t, h, 8, nil)
	h.WriteRTP(&rtp.Packet{Payload: []byte{0x65, 0x88, 1, 2}})
	if h.Codec() != "MJPEG" || len(s.pkts) != 0 {
		t.Errorf("got codec %q and %d packets, want MJPEG and none", h.Codec(), len(s.pkts))
	}
}

// TestTrace: with a trace set, each viewer reports every packet it wrote
// with the time it was read from the camera (WriteRTPReceived), or the
// time it was written to the hub (WriteRTP); parameter sets the hub
// injects are no camera packet and are not reported.
func TestTrace(t *testing.T) {
	cl := loadClip(t, codec.H264)
	for _, tc := range []struct {
		name     string
		received bool
		strip    bool // the hub injects parameter sets
	}{
		{"read time", true, false},
		{"hub time", false, false},
		{"injected", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHub("H264", cl.fmtp)
			traced := make(chan time.Time, 4096)
			h.SetTrace(func(read time.Time) { traced <- read })
			s := addSink(t, h, 4096, nil)
			pkts := flatten(cl.packetize(codec.NewPacketizer(codec.H264, 96, 1, 1200), 0, 5, tc.strip))
			read := time.Unix(1795000000, 0)
			before := time.Now()
			for _, p := range pkts {
				if tc.received {
					h.WriteRTPReceived(p, read)
				} else {
					h.WriteRTP(p)
				}
			}
			// The viewer starts at the keyframe (skipping an SEI before
			// it once the sets are gone), with the sets injected if the
			// camera left them out: one aggregation packet.
			want := pkts
			for !analyze(codec.H264, want[0].Payload).keyStart() {
				want = want[1:]
			}
			inject := 0
			if tc.strip {
				inject = 1
			}
			got := s.take(t, len(want)+inject)
			for i := range len(want) {
				var at time.Time
				select {
				case at = <-traced:
				case <-time.After(10 * time.Second):
					t.Fatalf("got %d traces of %d packets written, want one each", i, len(got))
				}
				if tc.received && !at.Equal(read) || !tc.received && (at.Before(before.Truncate(time.Microsecond)) || at.After(time.Now())) {
					t.Fatalf("trace %d: got read time %v, want %v (read) or a time since %v", i, at, read, before)
				}
			}
			select {
			case at := <-traced:
				t.Errorf("got a trace (%v) more than the %d camera packets sent", at, len(want))
			default:
			}
		})
	}
}
