package live

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"testing"

	"github.com/pion/rtp"

	"github.com/vigil-cctv/vigil/internal/codec"
)

// fuzzSeeds are payloads of both codecs: single units, aggregation
// packets and fragments. They are small, for the fuzzer to minimise new
// inputs quickly; the fuzz targets split at small sizes instead.
func fuzzSeeds() [][]byte {
	body := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + 1)
		}
		return b
	}
	stap := func(hdr []byte, units ...[]byte) []byte {
		p := append([]byte{}, hdr...)
		for _, u := range units {
			p = binary.BigEndian.AppendUint16(p, uint16(len(u)))
			p = append(p, u...)
		}
		return p
	}
	idr := append([]byte{0x65, 0x88}, body(300)...)
	sps := []byte{0x67, 0x4d, 0x00, 0x1e, 0x95, 0xa8, 0x28}
	pps := []byte{0x68, 0xee, 0x3c, 0x80}
	filler := codec.FillerNALU(codec.H264, 90)
	irap := append([]byte{0x28, 0x01, 0xaf}, body(250)...)
	vps := []byte{0x40, 0x01, 0x0c, 0x01}
	return [][]byte{
		idr,
		append([]byte{0x7c, 0x85}, body(200)...), // FU-A start of an IDR
		append([]byte{0x7c, 0x41}, body(150)...), // FU-A end of a slice
		stap([]byte{0x78}, sps, pps, filler, filler, idr[:70]),
		stap([]byte{0x78}, sps, pps),
		irap,
		append([]byte{0x62, 0x01, 0x93}, body(180)...), // FU start of an IRAP
		stap([]byte{0x60, 0x01}, vps, []byte{0x42, 0x01, 1, 2}, []byte{0x44, 0x01, 3}, irap[:100], codec.FillerNALU(codec.H265, 70)),
		{0x65},
		{},
	}
}

// FuzzSplit checks that splitting never panics, never exceeds its size,
// and that what it gives depacketizes to the same NAL units as the
// payload it split.
func FuzzSplit(f *testing.F) {
	for i, s := range fuzzSeeds() {
		f.Add(i < 5, uint8(i*37), s)
	}
	f.Fuzz(func(t *testing.T, h264 bool, size uint8, p []byte) {
		c := codec.H265
		if h264 {
			c = codec.H264
		}
		analyze(c, p)
		max := 8 + int(size)
		var outs []*[]byte
		s := splitter{codec: c, max: max, next: func() *[]byte {
			b := new([]byte)
			outs = append(outs, b)
			return b
		}}
		if !s.split(p) {
			if len(outs) != 0 {
				t.Fatalf("split refused the payload, yet got %d payloads, want none", len(outs))
			}
			return
		}
		if len(outs) == 0 {
			t.Fatal("split: got no payload, want some")
		}
		var pkts []*rtp.Packet
		for i, o := range outs {
			if len(*o) > max || len(*o) == 0 {
				t.Fatalf("payload %d: got %d bytes, want 1..%d", i, len(*o), max)
			}
			pkts = append(pkts, &rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i)}, Payload: *o})
		}
		pkts[len(pkts)-1].Marker = true
		want, err := depacketize(c, []*rtp.Packet{{Header: rtp.Header{Marker: true}, Payload: p}})
		if err != nil || len(want) != 1 {
			return // nothing to compare with
		}
		got, err := depacketize(c, pkts)
		if err != nil || len(got) != 1 {
			t.Fatalf("split payloads: got %d units, error %v, want 1 like the original", len(got), err)
		}
		if len(got[0].NALUs) != len(want[0].NALUs) {
			t.Fatalf("got %d NAL units, want %d", len(got[0].NALUs), len(want[0].NALUs))
		}
		for i := range want[0].NALUs {
			if !bytes.Equal(got[0].NALUs[i], want[0].NALUs[i]) {
				t.Fatalf("NAL unit %d: got %x, want %x", i, got[0].NALUs[i], want[0].NALUs[i])
			}
		}
	})
}

// FuzzWriteRTP feeds arbitrary packets to a hub with a viewer: no panic,
// and every payload queued is the camera's or no larger than the split
// size, here a small one.
func FuzzWriteRTP(f *testing.F) {
	seeds := fuzzSeeds()
	for i := range seeds {
		// A few packets each: keyframe starts, fragments, aggregates.
		var b []byte
		for _, s := range [][]byte{seeds[i], seeds[(i+3)%len(seeds)], seeds[(i+4)%len(seeds)]} {
			b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
			b = append(b, s...)
		}
		f.Add(i%2 == 0, b)
	}
	f.Fuzz(func(t *testing.T, h264 bool, data []byte) {
		name := "H265"
		if h264 {
			name = "H264"
		}
		h := NewHub(name, "sprop-parameter-sets=Z01AHpWoKA==,aO48gA==;sprop-vps=QAEMAQ==;sprop-sps=QgEBAg==;sprop-pps=RAED")
		h.split.max = 64
		v := &viewer{q: make(chan item, 256), done: make(chan struct{}), waiting: true}
		if err := h.add(v); err != nil {
			t.Fatal(err)
		}
		var in [][]byte
		for seq := uint16(0); len(data) >= 2; seq++ {
			n := min(int(binary.BigEndian.Uint16(data)), len(data)-2)
			p := data[2 : 2+n]
			data = data[2+n:]
			in = append(in, p)
			h.WriteRTP(&rtp.Packet{
				Header:  rtp.Header{SequenceNumber: seq * (1 + uint16(n%3)), Timestamp: uint32(seq/2) * 3600, Marker: n%2 == 0, SSRC: uint32(n % 5 / 4)},
				Payload: p,
			})
		}
		for len(v.q) > 0 {
			it := <-v.q
			ok := len(it.b.data) <= h.split.max
			for _, p := range in {
				ok = ok || bytes.Equal(p, it.b.data)
			}
			if !ok {
				t.Fatalf("got a queued payload of %d bytes, neither the camera's nor at most %d", len(it.b.data), h.split.max)
			}
			it.b.release()
		}
	})
}

// FuzzChooseCodec: arbitrary offers give an error or a format the offer
// holds, never a panic.
func FuzzChooseCodec(f *testing.F) {
	f.Add(browserOffer)
	f.Add(strings.ReplaceAll(browserOffer, "packetization-mode=1", "packetization-mode=0"))
	f.Add("v=0\r\nm=video 9 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=zz\r\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, offer string) {
		for _, h := range []*Hub{NewHub("H264", "profile-level-id=4d0028"), NewHub("H265", "")} {
			got, err := chooseCodec(h, []byte(offer))
			if err != nil {
				continue
			}
			if pt := strconv.Itoa(int(got.codec.PayloadType)); !strings.Contains(offer, pt) {
				t.Fatalf("got payload type %s, which the offer does not hold", pt)
			}
		}
	})
}
