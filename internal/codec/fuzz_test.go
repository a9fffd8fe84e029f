package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/pion/rtp"
)

// FuzzDepacketizer reads the input as a sequence of packets: a 2-byte
// length, then a flags byte (marker, sequence step, timestamp change) and
// the payload. Whatever the input, Push must not panic, errors must be
// ErrPacketLoss or ErrMalformed, and units must respect the caps.
func FuzzDepacketizer(f *testing.F) {
	pkt := func(flags byte, payload []byte) []byte {
		b := binary.BigEndian.AppendUint16(nil, uint16(len(payload)+1))
		return append(append(b, flags), payload...)
	}
	f.Add(byte(1), cat(pkt(0, h264STAPSPSPS), pkt(0, h264IDRFrags[0]), pkt(0, h264IDRFrags[1]), pkt(1, h264IDRFrags[2]), pkt(5, h264P)))
	f.Add(byte(2), cat(pkt(0, h265APParams), pkt(0, h265IDRFrags[0]), pkt(0, h265IDRFrags[1]), pkt(1, h265IDRFrags[2]), pkt(5, h265P)))
	f.Add(byte(1), cat(pkt(0, h264P), pkt(2, h264PSecond), pkt(4, h264P), pkt(1, []byte{0x78, 0, 9})))
	f.Add(byte(2), cat(pkt(0, []byte{0x60, 0x01, 0, 2, 0x40}), pkt(1, h265IDRFrags[1])))
	f.Fuzz(func(t *testing.T, codec byte, data []byte) {
		c := H264
		if codec&1 == 0 {
			c = H265
		}
		d := NewDepacketizer(c)
		var seq uint16 = 65530
		var ts uint32
		// Every unit returned, with a copy of its bytes: later units
		// must never overwrite earlier ones.
		type kept struct{ got, want [][]byte }
		var units []kept
		defer func() {
			for i, u := range units {
				for j := range u.got {
					if !bytes.Equal(u.got[j], u.want[j]) {
						t.Fatalf("unit %d NAL unit %d changed after later packets: got % x, want % x", i, j, u.got[j], u.want[j])
					}
				}
			}
		}()
		for len(data) >= 3 {
			n := int(binary.BigEndian.Uint16(data))
			data = data[2:]
			if n == 0 || n > len(data) {
				return
			}
			flags, payload := data[0], data[1:n]
			data = data[n:]
			seq += 1 + uint16(flags>>1&1)
			if flags&4 != 0 {
				ts += 3000
			}
			au, err := d.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: flags&1 != 0}, Payload: payload})
			if err != nil && !errors.Is(err, ErrPacketLoss) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("got error %v, want ErrPacketLoss or ErrMalformed", err)
			}
			if au == nil {
				continue
			}
			if len(au.NALUs) == 0 || len(au.NALUs) > MaxAccessUnitNALUs {
				t.Fatalf("got a unit of %d NAL units, want 1..%d", len(au.NALUs), MaxAccessUnitNALUs)
			}
			k := kept{got: au.NALUs}
			for _, u := range au.NALUs {
				if len(u) == 0 {
					t.Fatalf("got an empty NAL unit")
				}
				k.want = append(k.want, bytes.Clone(u))
			}
			units = append(units, k)
		}
	})
}

// FuzzParseSPS checks that the SPS parsers never panic and that what they
// accept yields a sane picture size.
func FuzzParseSPS(f *testing.F) {
	f.Add(byte(1), buildH264SPS(h264SPSFields{profile: 77, level: 40, pocType: 1, pocCycle: []int64{1, -2},
		widthMBs: 120, heightMapUnits: 68, frameMBsOnly: true, crop: &[4]uint64{0, 0, 0, 4}}))
	f.Add(byte(1), buildH264SPS(h264SPSFields{profile: 244, level: 41, chroma: 3,
		scalingLists: [][]int64{nil, nil, nil, nil, nil, nil, scalingList64, nil, scalingListDefault, nil, nil, scalingList64},
		widthMBs:     20, heightMapUnits: 10, frameMBsOnly: false}))
	f.Add(byte(1), []byte{0x67, 0x4d, 0x40, 0x1e, 0xda, 0x02, 0x80, 0xbf, 0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x58, 0xba, 0x80})
	f.Add(byte(2), buildH265SPS(h265SPSFields{subLayers: 3, profilePresent: []bool{true, false, true}, levelPresent: []bool{false, true, true},
		chroma: 1, width: 1920, height: 1088, window: &[4]uint64{0, 0, 0, 4}, profileIDC: 1}))
	f.Add(byte(2), buildH265SPS(h265SPSFields{chroma: 3, separatePlanes: true, width: 360, height: 208, profileIDC: 4}))
	f.Fuzz(func(t *testing.T, codec byte, sps []byte) {
		c := H264
		if codec&1 == 0 {
			c = H265
		}
		p := Params{Codec: c, SPS: sps}
		info, err := p.Info()
		if err != nil {
			return
		}
		if info.Width <= 0 || info.Height <= 0 || info.Width > maxDimension || info.Height > maxDimension || info.MIMECodec == "" {
			t.Fatalf("got %+v, want a positive size within %d and a codecs string", info, maxDimension)
		}
		p.PPS = []byte{0x68, 0xee}
		if c == H265 {
			p.VPS, p.PPS = []byte{0x40, 0x01}, []byte{0x44, 0x01}
		}
		dc, err := DecoderConfig(p)
		if err != nil {
			t.Fatalf("DecoderConfig after a successful Info: got %v", err)
		}
		back, err := ParseDecoderConfig(c, dc)
		if err != nil {
			t.Fatalf("ParseDecoderConfig of our record: got %v", err)
		}
		if !back.Equal(p) {
			t.Fatalf("round trip: got %x, want %x", back, p)
		}
	})
}

// FuzzParseDecoderConfig checks that avcC/hvcC parsing never panics and
// that what it accepts rebuilds into a record that parses to the same
// sets.
func FuzzParseDecoderConfig(f *testing.F) {
	f.Add(byte(1), []byte{0x01, 0x4d, 0x40, 0x1e, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x4d, 0x40, 0x1e, 0xda, 0x02, 0x80, 0xbf,
		0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x58, 0xba, 0x80, 0x01, 0x00, 0x04, 0x68, 0xef, 0x3c, 0x80})
	hvcc, _ := DecoderConfig(Params{Codec: H265, VPS: h265VPSUnit, PPS: h265PPSUnit,
		SPS: buildH265SPS(h265SPSFields{chroma: 1, width: 64, height: 64, profileIDC: 1})})
	f.Add(byte(2), hvcc)
	f.Add(byte(2), append(append(make([]byte, 21), 0x0f, 2, 0xa7, 0, 1, 0, 3, 0x4e, 0x01, 5), 0x20, 0, 1, 0, 3, 0x40, 0x01, 0x0c))
	f.Fuzz(func(t *testing.T, codec byte, body []byte) {
		c := H264
		if codec&1 == 0 {
			c = H265
		}
		p, err := ParseDecoderConfig(c, body)
		if err != nil {
			return
		}
		if p.Codec != c {
			t.Fatalf("got codec %v, want %v", p.Codec, c)
		}
		for _, s := range [][]byte{p.VPS, p.SPS, p.PPS} {
			if len(s) > len(body) {
				t.Fatalf("got a %d-byte set from a %d-byte record", len(s), len(body))
			}
		}
		if _, err := p.Info(); err != nil {
			return
		}
		dc, err := DecoderConfig(p)
		if err != nil {
			if p.Complete() {
				t.Fatalf("DecoderConfig of complete params: got %v", err)
			}
			return
		}
		back, err := ParseDecoderConfig(c, dc)
		if err != nil || !back.Equal(p) {
			t.Fatalf("round trip: got %x, %v, want %x", back, err, p)
		}
	})
}

// FuzzReorderer checks that, whatever arrives, the reorderer never
// delivers a packet twice or goes backwards within one SSRC and stays
// within its window.
func FuzzReorderer(f *testing.F) {
	f.Add([]byte{0, 10, 0, 12, 0, 11, 0, 13, 0xff, 0xff, 0, 0})
	f.Add([]byte{0x9c, 0x40, 0x9c, 0x41, 0, 100, 0, 101})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReorderer(8)
		var last uint16
		started := false
		for i := 0; i+1 < len(data); i += 2 {
			seq := binary.BigEndian.Uint16(data[i:])
			out := r.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq, SSRC: 1}})
			if len(out) > 9+1 {
				t.Fatalf("got %d packets from one push, want at most the window plus two", len(out))
			}
			for _, p := range out {
				// A confirmed restart may jump anywhere; otherwise
				// delivery moves forward.
				if started && int16(p.SequenceNumber-last) <= 0 && int16(p.SequenceNumber-last) > -maxMisorder-8 {
					t.Fatalf("got %d after %d, want forward progress", p.SequenceNumber, last)
				}
				last, started = p.SequenceNumber, true
			}
		}
	})
}

// FuzzParamsFromFmtp checks the fmtp parser never panics and that what it
// accepts survives SDPFmtp.
func FuzzParamsFromFmtp(f *testing.F) {
	f.Add(byte(1), "packetization-mode=1;profile-level-id=4d401e;sprop-parameter-sets=Z01AHto=,aO48gA==")
	f.Add(byte(2), "sprop-vps=QAEM;sprop-sps=QgEB;sprop-pps=RAHB")
	f.Add(byte(1), "96 sprop-parameter-sets=Z01AHto,aO48gA")
	f.Fuzz(func(t *testing.T, codec byte, fmtp string) {
		c := H264
		if codec&1 == 0 {
			c = H265
		}
		p, err := ParamsFromFmtp(c, fmtp)
		if err != nil {
			return
		}
		back, err := ParamsFromFmtp(c, NewPacketizer(c, 96, 1, 1400).SDPFmtp(p))
		if err != nil || !back.Equal(p) {
			t.Fatalf("round trip: got %x, %v, want %x", back, err, p)
		}
	})
}
