package codec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp"
)

func filled(header []byte, size int) []byte {
	b := make([]byte, size)
	copy(b, header)
	for i := len(header); i < size; i++ {
		b[i] = byte(i)
	}
	return b
}

// describe summarises packets as "type[S|E|M]" strings: the payload type,
// the FU start and end bits, the marker bit.
func describe(c Codec, pkts []*rtp.Packet) []string {
	var out []string
	for _, p := range pkts {
		var s string
		switch t := NALUType(c, p.Payload); {
		case c == H264 && t == h264TypeFUA, c == H265 && t == h265TypeFU:
			fu := p.Payload[1]
			if c == H265 {
				fu = p.Payload[2]
			}
			s = "FU"
			if fu&0x80 != 0 {
				s += "S"
			}
			if fu&0x40 != 0 {
				s += "E"
			}
		case c == H264 && t == h264TypeSTAPA, c == H265 && t == h265TypeAP:
			s = "AGG"
		default:
			s = fmt.Sprint(t)
		}
		if p.Marker {
			s += "M"
		}
		out = append(out, s)
	}
	return out
}

func TestPacketize(t *testing.T) {
	tests := []struct {
		name  string
		codec Codec
		mtu   int
		nalus [][]byte
		want  string
	}{
		{"h264 params aggregated, slice fragmented", H264, 1200,
			[][]byte{filled([]byte{0x67}, 25), filled([]byte{0x68}, 4), filled([]byte{0x06}, 692), filled([]byte{0x65}, 5923)},
			"[AGG FUS FU FU FU FUEM]"},
		{"h264 single small unit sent alone", H264, 1200, [][]byte{filled([]byte{0x41}, 300)}, "[1M]"},
		{"h264 unit exactly mtu", H264, 100, [][]byte{filled([]byte{0x41}, 100)}, "[1M]"},
		{"h264 unit one over mtu", H264, 100, [][]byte{filled([]byte{0x41}, 101)}, "[FUS FUEM]"},
		{"h264 aggregation limit", H264, 100,
			[][]byte{filled([]byte{0x09}, 40), filled([]byte{0x06}, 40), filled([]byte{0x06}, 40), filled([]byte{0x41}, 20)},
			"[AGG AGGM]"},
		{"h264 empty units skipped", H264, 100, [][]byte{{}, filled([]byte{0x41}, 20), nil}, "[1M]"},
		{"h265 params aggregated, slice fragmented", H265, 1200,
			[][]byte{filled([]byte{0x40, 0x01}, 24), filled([]byte{0x42, 0x01}, 42), filled([]byte{0x44, 0x01}, 7), filled([]byte{0x28, 0x01}, 2500)},
			"[AGG FUS FU FUEM]"},
		{"h265 short units skipped", H265, 100, [][]byte{{0x02}, filled([]byte{0x02, 0x01}, 20)}, "[1M]"},
		{"tiny mtu raised to minimum", H264, 1, [][]byte{filled([]byte{0x41}, 15)}, "[FUS FU FUEM]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPacketizer(tt.codec, 96, 0xabc, tt.mtu)
			pkts := p.Packetize(AccessUnit{Timestamp: 1234, NALUs: tt.nalus})
			if got := fmt.Sprint(describe(tt.codec, pkts)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			for i, q := range pkts {
				if q.Version != 2 || q.PayloadType != 96 || q.SSRC != 0xabc || q.Timestamp != 1234 {
					t.Errorf("packet %d: got header %+v, want version 2, pt 96, ssrc 0xabc, ts 1234", i, q.Header)
				}
				if q.SequenceNumber != pkts[0].SequenceNumber+uint16(i) {
					t.Errorf("packet %d: got seq %d, want %d", i, q.SequenceNumber, pkts[0].SequenceNumber+uint16(i))
				}
				if len(q.Payload) > max(tt.mtu, minMTU) {
					t.Errorf("packet %d: got %d bytes, want at most %d", i, len(q.Payload), tt.mtu)
				}
				if _, err := q.Marshal(); err != nil {
					t.Errorf("packet %d: Marshal: got %v, want no error", i, err)
				}
			}
		})
	}

	p := NewPacketizer(H264, 96, 1, 1400)
	a := p.Packetize(AccessUnit{NALUs: [][]byte{{0x41, 0x80}}})
	b := p.Packetize(AccessUnit{NALUs: [][]byte{{0x41, 0x80}}})
	if b[0].SequenceNumber != a[0].SequenceNumber+1 {
		t.Errorf("got seq %d after %d, want consecutive across calls", b[0].SequenceNumber, a[0].SequenceNumber)
	}
	if got := p.Packetize(AccessUnit{NALUs: [][]byte{nil}}); got != nil {
		t.Errorf("unit without NAL units: got %d packets, want none", len(got))
	}
}

func TestAggregationHeaders(t *testing.T) {
	t.Run("STAP-A takes highest NRI and F", func(t *testing.T) {
		p := NewPacketizer(H264, 96, 1, 1400)
		pkts := p.Packetize(AccessUnit{NALUs: [][]byte{{0x06, 1}, {0x68, 2}, {0x41, 3}}})
		if len(pkts) != 1 || pkts[0].Payload[0] != 0x78 {
			t.Fatalf("got % x, want one STAP-A with header 0x78", pkts[0].Payload)
		}
	})
	t.Run("AP takes lowest layer and temporal id", func(t *testing.T) {
		p := NewPacketizer(H265, 96, 1, 1400)
		pkts := p.Packetize(AccessUnit{NALUs: [][]byte{{0x40, 0x03, 1}, {0x42, 0x02, 2}, {0x03, 0x0b, 3}}})
		if len(pkts) != 1 || pkts[0].Payload[0] != 0x60 || pkts[0].Payload[1] != 0x02 {
			t.Fatalf("got % x, want one AP with header 60 02", pkts[0].Payload)
		}
	})
}

// TestPacketizeRoundTripRandom checks, over random units and MTUs, that
// what Packetizer produces Depacketizer takes back unchanged.
func TestPacketizeRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []Codec{H264, H265} {
		t.Run(c.String(), func(t *testing.T) {
			for round := 0; round < 300; round++ {
				mtu := minMTU + rng.IntN(1500)
				p := NewPacketizer(c, 96, 1, mtu)
				d := NewDepacketizer(c)
				want := AccessUnit{Timestamp: uint32(round)}
				// Any mix of units, ending with a slice as every
				// picture does.
				for n := 1 + rng.IntN(6); n > 0; n-- {
					var hdr []byte
					if c == H264 {
						hdr = []byte{[]byte{0x67, 0x68, 0x06, 0x41, 0x65}[rng.IntN(5)]}
						if n == 1 {
							hdr[0] = 0x41
						}
					} else {
						hdr = []byte{[]byte{0x40, 0x42, 0x44, 0x4e, 0x02, 0x28}[rng.IntN(6)], 0x01}
						if n == 1 {
							hdr[0] = 0x28
						}
					}
					size := len(hdr) + rng.IntN(3*mtu)
					u := filled(hdr, size)
					if len(u) > len(hdr) {
						u[len(hdr)] |= 0x80 // first slice of the picture
					}
					want.NALUs = append(want.NALUs, u)
					want.Keyframe = want.Keyframe || IsKeyframe(c, u)
				}
				if _, ok := hdrFirstStarts(c, want.NALUs[0]); !ok {
					continue
				}
				var got *AccessUnit
				for _, q := range p.Packetize(want) {
					if len(q.Payload) > mtu {
						t.Fatalf("mtu %d: got a %d-byte payload", mtu, len(q.Payload))
					}
					au, err := d.Push(q)
					if err != nil {
						t.Fatalf("mtu %d: got %v, want no error", mtu, err)
					}
					if au != nil {
						got = au
					}
				}
				if got == nil || fmt.Sprintf("%x", got.NALUs) != fmt.Sprintf("%x", want.NALUs) || got.Keyframe != want.Keyframe {
					var sizes []string
					for _, u := range want.NALUs {
						sizes = append(sizes, fmt.Sprintf("%d:%d", NALUType(c, u), len(u)))
					}
					t.Fatalf("mtu %d: got %v, want %v: %v", mtu, got, sizes, describe(c, p.Packetize(want)))
				}
			}
		})
	}
}

// hdrFirstStarts reports whether a unit whose first NAL unit is u can be
// picked up by a fresh depacketizer.
func hdrFirstStarts(c Codec, u []byte) (uint8, bool) {
	t := NALUType(c, u)
	if c == H264 {
		return t, h264Starts(t, u[1:])
	}
	return t, h265Starts(t, u[2:])
}

func TestSDPFmtp(t *testing.T) {
	p264 := Params{Codec: H264, SPS: []byte{0x67, 0x4d, 0x40, 0x1e, 0xda}, PPS: []byte{0x68, 0xee, 0x3c, 0x80}}
	p265 := Params{Codec: H265, VPS: []byte{0x40, 0x01, 0x0c}, SPS: []byte{0x42, 0x01, 0x01}, PPS: []byte{0x44, 0x01, 0xc1}}
	tests := []struct {
		name   string
		params Params
		want   string
	}{
		{"h264", p264, "packetization-mode=1;profile-level-id=4d401e;sprop-parameter-sets=Z01AHto=,aO48gA=="},
		{"h264 without sets", Params{Codec: H264}, "packetization-mode=1"},
		{"h265", p265, "sprop-vps=QAEM;sprop-sps=QgEB;sprop-pps=RAHB"},
		{"h265 without vps", Params{Codec: H265, SPS: p265.SPS, PPS: p265.PPS}, "sprop-sps=QgEB;sprop-pps=RAHB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewPacketizer(tt.params.Codec, 96, 1, 1400).SDPFmtp(tt.params)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			back, err := ParamsFromFmtp(tt.params.Codec, got)
			if err != nil || !back.Equal(tt.params) {
				t.Errorf("ParamsFromFmtp: got %x, %v, want %x", back, err, tt.params)
			}
		})
	}
}

// TestAllocations holds the hot paths to a few allocations per access
// unit, whatever its number of packets.
func TestAllocations(t *testing.T) {
	nalus := [][]byte{filled([]byte{0x06}, 50), filled([]byte{0x41, 0x80}, 20000)}
	p := NewPacketizer(H264, 96, 1, 1400)
	if n := testing.AllocsPerRun(50, func() { p.Packetize(AccessUnit{NALUs: nalus}) }); n > 3 {
		t.Errorf("Packetize: got %.0f allocations per unit, want at most 3", n)
	}
	pkts := p.Packetize(AccessUnit{NALUs: nalus})
	d := NewDepacketizer(H264)
	seq, ts := pkts[0].SequenceNumber, uint32(0)
	n := testing.AllocsPerRun(50, func() {
		ts += 3600
		for _, q := range pkts {
			q.SequenceNumber, q.Timestamp = seq, ts
			seq++
			if _, err := d.Push(q); err != nil {
				t.Fatal(err)
			}
		}
	})
	if n > 3 {
		t.Errorf("Depacketizer: got %.0f allocations per unit of %d packets, want at most 3", n, len(pkts))
	}
	r := NewReorderer(64)
	if n := testing.AllocsPerRun(50, func() {
		for _, q := range pkts {
			q.SequenceNumber = seq
			seq++
			r.Push(q)
		}
	}); n > 0 {
		t.Errorf("Reorderer: got %.0f allocations per run, want none", n)
	}
}
