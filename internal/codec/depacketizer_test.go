package codec

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/pion/rtp"
)

type depStep struct {
	seq     uint16
	ts      uint32
	marker  bool
	payload []byte
	want    [][]byte // NAL units of the unit returned, nil for none
	wantTS  uint32
	wantKey bool
	wantErr error // nil, ErrPacketLoss or ErrMalformed
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func u16(n int) []byte { return []byte{byte(n >> 8), byte(n)} }

// NAL units used below. Slices open a picture when the bit after their
// header is 1.
var (
	h264SPSUnit   = []byte{0x67, 0x4d, 0x40, 0x1e}
	h264PPSUnit   = []byte{0x68, 0xee, 0x3c, 0x80}
	h264IDR       = []byte{0x65, 0x88, 0x84, 0x00, 0x33, 0xff}
	h264P         = []byte{0x41, 0x9a, 0x02}
	h264PSecond   = []byte{0x41, 0x1a, 0x05} // first_mb_in_slice != 0
	h265VPSUnit   = []byte{0x40, 0x01, 0x0c}
	h265SPSUnit   = []byte{0x42, 0x01, 0x01}
	h265PPSUnit   = []byte{0x44, 0x01, 0xc1}
	h265IDR       = []byte{0x26, 0x01, 0xaf, 0x01, 0x02, 0x03, 0x04}
	h265P         = []byte{0x02, 0x01, 0xd0, 0x05}
	h265PSecond   = []byte{0x02, 0x01, 0x50, 0x06}
	h264IDRFrags  = [][]byte{{0x7c, 0x85, 0x88, 0x84}, {0x7c, 0x05, 0x00}, {0x7c, 0x45, 0x33, 0xff}}
	h265IDRFrags  = [][]byte{{0x62, 0x01, 0x93, 0xaf, 0x01}, {0x62, 0x01, 0x13, 0x02}, {0x62, 0x01, 0x53, 0x03, 0x04}}
	h264STAPSPSPS = cat([]byte{0x78}, u16(len(h264SPSUnit)), h264SPSUnit, u16(len(h264PPSUnit)), h264PPSUnit)
	h265APParams  = cat([]byte{0x60, 0x01}, u16(3), h265VPSUnit, u16(3), h265SPSUnit, u16(3), h265PPSUnit)
)

func runDepSteps(t *testing.T, c Codec, steps []depStep) {
	t.Helper()
	d := NewDepacketizer(c)
	for i, s := range steps {
		pkt := &rtp.Packet{Header: rtp.Header{SequenceNumber: s.seq, Timestamp: s.ts, Marker: s.marker}, Payload: s.payload}
		au, err := d.Push(pkt)
		switch {
		case s.wantErr == nil && err != nil:
			t.Errorf("step %d: got error %v, want none", i, err)
		case s.wantErr != nil && !errors.Is(err, s.wantErr):
			t.Errorf("step %d: got error %v, want %v", i, err, s.wantErr)
		}
		if s.want == nil {
			if au != nil {
				t.Errorf("step %d: got unit %x, want none", i, au.NALUs)
			}
			continue
		}
		if au == nil {
			t.Errorf("step %d: got no unit, want %x", i, s.want)
			continue
		}
		if au.Timestamp != s.wantTS || au.Keyframe != s.wantKey || fmt.Sprintf("%x", au.NALUs) != fmt.Sprintf("%x", s.want) {
			t.Errorf("step %d: got ts %d key %v %x, want ts %d key %v %x", i, au.Timestamp, au.Keyframe, au.NALUs, s.wantTS, s.wantKey, s.want)
		}
	}
}

func TestDepacketizerH264(t *testing.T) {
	idr := [][]byte{h264SPSUnit, h264PPSUnit, h264IDR}
	tests := []struct {
		name  string
		steps []depStep
	}{
		{"single NAL", []depStep{
			{seq: 1, ts: 100, marker: true, payload: h264P, want: [][]byte{h264P}, wantTS: 100},
		}},
		{"STAP-A then FU-A", []depStep{
			{seq: 1, ts: 100, payload: h264STAPSPSPS},
			{seq: 2, ts: 100, payload: h264IDRFrags[0]},
			{seq: 3, ts: 100, payload: h264IDRFrags[1]},
			{seq: 4, ts: 100, marker: true, payload: h264IDRFrags[2], want: idr, wantTS: 100, wantKey: true},
		}},
		{"FU-A with start and end in one packet", []depStep{
			{seq: 1, ts: 100, marker: true, payload: []byte{0x7c, 0xc5, 0x88}, want: [][]byte{{0x65, 0x88}}, wantTS: 100, wantKey: true},
		}},
		{"FU-A missing start", []depStep{
			{seq: 1, ts: 100, marker: true, payload: h264P, want: [][]byte{h264P}, wantTS: 100},
			{seq: 2, ts: 200, payload: h264IDRFrags[1], wantErr: ErrMalformed},
			{seq: 3, ts: 200, marker: true, payload: h264IDRFrags[2]},
			{seq: 4, ts: 300, marker: true, payload: h264P, want: [][]byte{h264P}, wantTS: 300},
		}},
		{"FU-A restarted", []depStep{
			{seq: 1, ts: 100, payload: h264IDRFrags[0]},
			{seq: 2, ts: 100, payload: h264IDRFrags[0], wantErr: ErrMalformed},
		}},
		{"FU-A type changes", []depStep{
			{seq: 1, ts: 100, payload: h264IDRFrags[0]},
			{seq: 2, ts: 100, payload: []byte{0x7c, 0x01, 0x00}, wantErr: ErrMalformed},
		}},
		{"marker inside FU-A", []depStep{
			{seq: 1, ts: 100, payload: h264IDRFrags[0]},
			{seq: 2, ts: 100, marker: true, payload: h264IDRFrags[1], wantErr: ErrMalformed},
			{seq: 3, ts: 200, marker: true, payload: h264P, want: [][]byte{h264P}, wantTS: 200},
		}},
		{"single NAL inside FU-A", []depStep{
			{seq: 1, ts: 100, payload: h264IDRFrags[0]},
			{seq: 2, ts: 100, payload: h264P, wantErr: ErrMalformed},
		}},
		{"loss mid FU-A", []depStep{
			{seq: 10, ts: 100, payload: h264STAPSPSPS},
			{seq: 11, ts: 100, payload: h264IDRFrags[0]},
			{seq: 13, ts: 100, marker: true, payload: h264IDRFrags[2], wantErr: ErrPacketLoss},
			{seq: 14, ts: 200, marker: true, payload: h264P, want: [][]byte{h264P}, wantTS: 200},
		}},
		{"loss then same picture's later slice is skipped", []depStep{
			{seq: 1, ts: 100, payload: h264P},
			{seq: 3, ts: 100, payload: h264PSecond, wantErr: ErrPacketLoss},
			{seq: 4, ts: 100, marker: true, payload: h264PSecond},
			{seq: 5, ts: 200, payload: h264PSecond},
			{seq: 6, ts: 200, marker: true, payload: h264PSecond},
			{seq: 7, ts: 300, marker: true, payload: h264P, want: [][]byte{h264P}, wantTS: 300},
		}},
		{"loss at unit boundary keeps the next unit", []depStep{
			{seq: 1, ts: 100, marker: true, payload: h264P, want: [][]byte{h264P}, wantTS: 100},
			{seq: 5, ts: 300, payload: h264STAPSPSPS, wantErr: ErrPacketLoss},
			{seq: 6, ts: 300, marker: true, payload: h264IDR, want: idr, wantTS: 300, wantKey: true},
		}},
		{"STAP-A truncated size", []depStep{
			{seq: 1, ts: 100, marker: true, payload: cat([]byte{0x78}, u16(4), h264SPSUnit, []byte{0}), wantErr: ErrMalformed},
		}},
		{"STAP-A size beyond payload", []depStep{
			{seq: 1, ts: 100, marker: true, payload: cat([]byte{0x78}, u16(9), h264SPSUnit), wantErr: ErrMalformed},
		}},
		{"STAP-A zero size", []depStep{
			{seq: 1, ts: 100, marker: true, payload: cat([]byte{0x78}, u16(0)), wantErr: ErrMalformed},
		}},
		{"STAP-A empty", []depStep{
			{seq: 1, ts: 100, marker: true, payload: []byte{0x78}, wantErr: ErrMalformed},
		}},
		{"STAP-A nested", []depStep{
			{seq: 1, ts: 100, marker: true, payload: cat([]byte{0x78}, u16(2), []byte{0x78, 0}), wantErr: ErrMalformed},
		}},
		{"zero-length payload", []depStep{
			{seq: 1, ts: 100, payload: h264P},
			{seq: 2, ts: 100, marker: true, payload: nil, wantErr: ErrMalformed},
			{seq: 3, ts: 200, marker: true, payload: h264P, want: [][]byte{h264P}, wantTS: 200},
		}},
		{"forbidden bit", []depStep{
			{seq: 1, ts: 100, marker: true, payload: []byte{0xc1, 0x9a}, wantErr: ErrMalformed},
		}},
		{"reserved and unsupported types", []depStep{
			{seq: 1, ts: 100, marker: true, payload: h264P, want: [][]byte{h264P}, wantTS: 100},
			{seq: 2, ts: 200, marker: true, payload: []byte{0x1e, 0}, wantErr: ErrMalformed},
			{seq: 3, ts: 300, marker: true, payload: []byte{0x00, 0}, wantErr: ErrMalformed},
			{seq: 4, ts: 400, marker: true, payload: []byte{0x19, 0, 1, 0x41}, wantErr: ErrMalformed},
			{seq: 5, ts: 500, marker: true, payload: []byte{0x1d, 0x85, 0, 0, 1}, wantErr: ErrMalformed},
			{seq: 6, ts: 600, marker: true, payload: []byte{0x1c}, wantErr: ErrMalformed},
			{seq: 7, ts: 700, marker: true, payload: []byte{0x1c, 0x98}, wantErr: ErrMalformed},
		}},
		{"sequence wrap", []depStep{
			{seq: 65534, ts: 100, payload: h264IDRFrags[0]},
			{seq: 65535, ts: 100, payload: h264IDRFrags[1]},
			{seq: 0, ts: 100, marker: true, payload: h264IDRFrags[2], want: [][]byte{h264IDR}, wantTS: 100, wantKey: true},
			{seq: 1, ts: 200, marker: true, payload: h264P, want: [][]byte{h264P}, wantTS: 200},
		}},
		{"timestamp change without marker", []depStep{
			{seq: 1, ts: 100, payload: h264STAPSPSPS},
			{seq: 2, ts: 100, payload: h264IDR},
			{seq: 3, ts: 200, payload: h264P, want: idr, wantTS: 100, wantKey: true},
			{seq: 4, ts: 200, payload: h264PSecond},
			{seq: 5, ts: 300, payload: h264P, want: [][]byte{h264P, h264PSecond}, wantTS: 200},
		}},
		{"timestamp change and marker at once", []depStep{
			{seq: 1, ts: 100, payload: h264P},
			{seq: 2, ts: 200, marker: true, payload: h264IDR, want: [][]byte{h264P}, wantTS: 100},
			{seq: 3, ts: 300, marker: true, payload: h264P, want: [][]byte{h264IDR}, wantTS: 200, wantKey: true},
			{seq: 4, ts: 400, marker: true, payload: h264P, want: [][]byte{h264P}, wantTS: 300},
		}},
		{"loss with a completed unit pending", []depStep{
			{seq: 1, ts: 100, payload: h264P},
			{seq: 2, ts: 200, marker: true, payload: h264IDR, want: [][]byte{h264P}, wantTS: 100},
			{seq: 9, ts: 300, marker: true, payload: h264PSecond, want: [][]byte{h264IDR}, wantTS: 200, wantKey: true, wantErr: ErrPacketLoss},
		}},
		{"marker on parameter sets ignored", []depStep{
			{seq: 1, ts: 100, marker: true, payload: h264SPSUnit},
			{seq: 2, ts: 100, marker: true, payload: h264PPSUnit},
			{seq: 3, ts: 100, marker: true, payload: h264IDR, want: idr, wantTS: 100, wantKey: true},
		}},
		{"timestamp change inside FU-A", []depStep{
			{seq: 1, ts: 100, payload: h264IDRFrags[0]},
			{seq: 2, ts: 200, marker: true, payload: h264P, want: [][]byte{h264P}, wantTS: 200, wantErr: ErrMalformed},
		}},
		{"starts only at a picture start", []depStep{
			{seq: 1, ts: 100, payload: h264IDRFrags[1]},
			{seq: 2, ts: 100, marker: true, payload: h264IDRFrags[2]},
			{seq: 3, ts: 200, marker: true, payload: h264PSecond},
			{seq: 4, ts: 300, payload: []byte{0x09, 0xf0}},
			{seq: 5, ts: 300, marker: true, payload: h264P, want: [][]byte{{0x09, 0xf0}, h264P}, wantTS: 300},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runDepSteps(t, H264, tt.steps) })
	}
}

func TestDepacketizerH265(t *testing.T) {
	idr := [][]byte{h265VPSUnit, h265SPSUnit, h265PPSUnit, h265IDR}
	tests := []struct {
		name  string
		steps []depStep
	}{
		{"AP then FU", []depStep{
			{seq: 1, ts: 100, payload: h265APParams},
			{seq: 2, ts: 100, payload: h265IDRFrags[0]},
			{seq: 3, ts: 100, payload: h265IDRFrags[1]},
			{seq: 4, ts: 100, marker: true, payload: h265IDRFrags[2], want: idr, wantTS: 100, wantKey: true},
		}},
		{"single NAL", []depStep{
			{seq: 1, ts: 100, marker: true, payload: h265P, want: [][]byte{h265P}, wantTS: 100},
		}},
		{"FU missing start", []depStep{
			{seq: 1, ts: 100, marker: true, payload: h265P, want: [][]byte{h265P}, wantTS: 100},
			{seq: 2, ts: 200, payload: h265IDRFrags[1], wantErr: ErrMalformed},
			{seq: 3, ts: 200, marker: true, payload: h265IDRFrags[2]},
			{seq: 4, ts: 300, marker: true, payload: h265P, want: [][]byte{h265P}, wantTS: 300},
		}},
		{"loss mid FU", []depStep{
			{seq: 1, ts: 100, payload: h265IDRFrags[0]},
			{seq: 3, ts: 100, marker: true, payload: h265IDRFrags[2], wantErr: ErrPacketLoss},
			{seq: 4, ts: 200, marker: true, payload: h265PSecond},
			{seq: 5, ts: 300, marker: true, payload: h265P, want: [][]byte{h265P}, wantTS: 300},
		}},
		{"sequence wrap", []depStep{
			{seq: 65535, ts: 100, payload: h265IDRFrags[0]},
			{seq: 0, ts: 100, payload: h265IDRFrags[1]},
			{seq: 1, ts: 100, marker: true, payload: h265IDRFrags[2], want: [][]byte{h265IDR}, wantTS: 100, wantKey: true},
		}},
		{"AP truncated", []depStep{
			{seq: 1, ts: 100, marker: true, payload: cat([]byte{0x60, 0x01}, u16(3), h265VPSUnit, []byte{0}), wantErr: ErrMalformed},
		}},
		{"AP unit shorter than a header", []depStep{
			{seq: 1, ts: 100, marker: true, payload: cat([]byte{0x60, 0x01}, u16(1), []byte{0x40}), wantErr: ErrMalformed},
		}},
		{"AP holds an FU", []depStep{
			{seq: 1, ts: 100, marker: true, payload: cat([]byte{0x60, 0x01}, u16(3), []byte{0x62, 0x01, 0x93}), wantErr: ErrMalformed},
		}},
		{"bad headers and types", []depStep{
			{seq: 1, ts: 100, marker: true, payload: h265P, want: [][]byte{h265P}, wantTS: 100},
			{seq: 2, ts: 200, marker: true, payload: []byte{0x82, 0x01, 0xd0}, wantErr: ErrMalformed},    // forbidden bit
			{seq: 3, ts: 300, marker: true, payload: []byte{0x02, 0x00, 0xd0}, wantErr: ErrMalformed},    // temporal id 0
			{seq: 4, ts: 400, marker: true, payload: []byte{0x64, 0x01, 0, 0}, wantErr: ErrMalformed},    // PACI
			{seq: 5, ts: 500, marker: true, payload: []byte{0x66, 0x01, 0}, wantErr: ErrMalformed},       // reserved 51
			{seq: 6, ts: 600, marker: true, payload: []byte{0x02}, wantErr: ErrMalformed},                // short
			{seq: 7, ts: 700, marker: true, payload: []byte{0x62, 0x01}, wantErr: ErrMalformed},          // short FU
			{seq: 8, ts: 800, marker: true, payload: []byte{0x62, 0x01, 0xb0, 0}, wantErr: ErrMalformed}, // FU of an AP
			{seq: 9, ts: 900, marker: true, payload: nil, wantErr: ErrMalformed},
		}},
		{"timestamp change without marker", []depStep{
			{seq: 1, ts: 100, payload: h265APParams},
			{seq: 2, ts: 100, payload: h265IDR},
			{seq: 3, ts: 200, payload: h265P, want: idr, wantTS: 100, wantKey: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runDepSteps(t, H265, tt.steps) })
	}
}

func TestDepacketizerCaps(t *testing.T) {
	t.Run("NAL unit count", func(t *testing.T) {
		d := NewDepacketizer(H264)
		var err error
		for i := 0; i <= MaxAccessUnitNALUs && err == nil; i++ {
			_, err = d.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i), Timestamp: 1}, Payload: h264P})
		}
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("got %v after %d NAL units, want ErrMalformed", err, MaxAccessUnitNALUs+1)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		d := NewDepacketizer(H264)
		chunk := make([]byte, 1<<20)
		chunk[0], chunk[1], chunk[2] = 0x7c, 0x85, 0x80
		var err error
		pushed := 0
		for i := 0; i < 20 && err == nil; i++ {
			_, err = d.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i), Timestamp: 1}, Payload: chunk})
			chunk[1] = 0x05
			pushed += len(chunk) - 2
		}
		if !errors.Is(err, ErrMalformed) || pushed <= MaxAccessUnitBytes {
			t.Errorf("got %v after %d bytes, want ErrMalformed past %d", err, pushed, MaxAccessUnitBytes)
		}
	})
}

// TestDepacketizerUnitsIndependent checks that a returned unit is not
// overwritten by later ones, though the depacketizer reuses its buffer.
func TestDepacketizerUnitsIndependent(t *testing.T) {
	d := NewDepacketizer(H264)
	first, err := d.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: 1, Timestamp: 1, Marker: true}, Payload: []byte{0x41, 0x80, 1, 2, 3}})
	if err != nil || first == nil {
		t.Fatalf("got %v, %v, want a unit", first, err)
	}
	for i := 2; i < 10; i++ {
		if _, err := d.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i), Timestamp: uint32(i), Marker: true}, Payload: []byte{0x41, 0x80, 9, 9, 9}}); err != nil {
			t.Fatal(err)
		}
	}
	if want := []byte{0x41, 0x80, 1, 2, 3}; !bytes.Equal(first.NALUs[0], want) {
		t.Errorf("got % x, want % x", first.NALUs[0], want)
	}
}

func BenchmarkDepacketize(b *testing.B) {
	nalu := make([]byte, 20000)
	nalu[0], nalu[1] = 0x41, 0x80
	pz := NewPacketizer(H264, 96, 1, 1400)
	var pkts []*rtp.Packet
	for i := 0; i < 10; i++ {
		pkts = append(pkts, pz.Packetize(AccessUnit{Timestamp: uint32(i * 3600), NALUs: [][]byte{nalu}})...)
	}
	d := NewDepacketizer(H264)
	b.ReportAllocs()
	b.SetBytes(int64(10 * len(nalu)))
	seq := pkts[0].SequenceNumber
	for b.Loop() {
		for _, p := range pkts {
			p.SequenceNumber = seq
			p.Timestamp += 36000
			seq++
			if _, err := d.Push(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
