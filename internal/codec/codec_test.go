package codec

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func TestCodecNames(t *testing.T) {
	tests := []struct {
		name string
		want Codec
		ok   bool
	}{
		{"H264", H264, true},
		{"h264", H264, true},
		{"H265", H265, true},
		{"h265", H265, true},
		{"HEVC", H265, true},
		{"hevc", H265, true},
		{"VP8", 0, false},
		{"", 0, false},
		{"H2644", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseCodec(tt.name)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseCodec(%q): got %v, %v, want %v, %v", tt.name, got, ok, tt.want, tt.ok)
			}
		})
	}
	for c, want := range map[Codec]string{H264: "H264", H265: "H265", 9: "Codec(9)"} {
		if got := c.String(); got != want {
			t.Errorf("String: got %q, want %q", got, want)
		}
	}
}

func TestNALUClassification(t *testing.T) {
	tests := []struct {
		name          string
		codec         Codec
		nalu          []byte
		key, paramSet bool
		wantType      uint8
	}{
		{"h264 idr", H264, []byte{0x65, 0x88}, true, false, 5},
		{"h264 non-idr", H264, []byte{0x41, 0x9a}, false, false, 1},
		{"h264 sps", H264, []byte{0x67, 0x4d}, false, true, 7},
		{"h264 pps", H264, []byte{0x68, 0xee}, false, true, 8},
		{"h264 sei", H264, []byte{0x06, 0x05}, false, false, 6},
		{"h264 empty", H264, nil, false, false, 0},
		{"h265 idr_w_radl", H265, []byte{0x26, 0x01}, true, false, 19},
		{"h265 idr_n_lp", H265, []byte{0x28, 0x01}, true, false, 20},
		{"h265 cra", H265, []byte{0x2a, 0x01}, true, false, 21},
		{"h265 bla", H265, []byte{0x20, 0x01}, true, false, 16},
		{"h265 reserved irap 23", H265, []byte{0x2e, 0x01}, true, false, 23},
		{"h265 trail_r", H265, []byte{0x02, 0x01}, false, false, 1},
		{"h265 rsv_vcl24", H265, []byte{0x30, 0x01}, false, false, 24},
		{"h265 vps", H265, []byte{0x40, 0x01}, false, true, 32},
		{"h265 sps", H265, []byte{0x42, 0x01}, false, true, 33},
		{"h265 pps", H265, []byte{0x44, 0x01}, false, true, 34},
		{"h265 aud", H265, []byte{0x46, 0x01}, false, false, 35},
		{"unknown codec", 7, []byte{0x65}, false, false, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsKeyframe(tt.codec, tt.nalu); got != tt.key {
				t.Errorf("IsKeyframe: got %v, want %v", got, tt.key)
			}
			if got := IsParameterSet(tt.codec, tt.nalu); got != tt.paramSet {
				t.Errorf("IsParameterSet: got %v, want %v", got, tt.paramSet)
			}
			if got := NALUType(tt.codec, tt.nalu); got != tt.wantType {
				t.Errorf("NALUType: got %d, want %d", got, tt.wantType)
			}
		})
	}
}

func TestFillerNALU(t *testing.T) {
	tests := []struct {
		codec    Codec
		size     int
		want     []byte
		wantSize int
	}{
		{H264, 3, []byte{0x0c, 0xff, 0x80}, 3},
		{H264, 5, []byte{0x0c, 0xff, 0xff, 0xff, 0x80}, 5},
		{H265, 3, []byte{0x4c, 0x01, 0x80}, 3},
		{H265, 6, []byte{0x4c, 0x01, 0xff, 0xff, 0xff, 0x80}, 6},
		{H264, 0, []byte{0x0c, 0xff, 0x80}, 3},
		{H265, -5, []byte{0x4c, 0x01, 0x80}, 3},
		{H264, 100000, nil, 100000},
	}
	for _, tt := range tests {
		t.Run(tt.codec.String(), func(t *testing.T) {
			got := FillerNALU(tt.codec, tt.size)
			if len(got) != tt.wantSize {
				t.Fatalf("got %d bytes, want %d", len(got), tt.wantSize)
			}
			if tt.want != nil && !bytes.Equal(got, tt.want) {
				t.Errorf("got % x, want % x", got, tt.want)
			}
			wantType := map[Codec]uint8{H264: h264TypeFiller, H265: h265TypeFiller}[tt.codec]
			if NALUType(tt.codec, got) != wantType || got[len(got)-1] != 0x80 {
				t.Errorf("got type %d ending %#x, want type %d ending 0x80", NALUType(tt.codec, got), got[len(got)-1], wantType)
			}
			if IsKeyframe(tt.codec, got) || IsParameterSet(tt.codec, got) {
				t.Errorf("filler classified as keyframe or parameter set")
			}
		})
	}
}

func TestAVCC(t *testing.T) {
	nalus := [][]byte{{0x67, 1, 2}, {0x68}, bytes.Repeat([]byte{0x65}, 300)}
	b := AppendAVCC([]byte("prefix"), nalus)
	if !bytes.HasPrefix(b, []byte("prefix\x00\x00\x00\x03\x67\x01\x02\x00\x00\x00\x01\x68\x00\x00\x01\x2c")) {
		t.Fatalf("got % x, want prefix then length-prefixed units", b[:24])
	}
	got, err := SplitAVCC(b[len("prefix"):])
	if err != nil {
		t.Fatalf("got %v, want no error", err)
	}
	if len(got) != len(nalus) {
		t.Fatalf("got %d NAL units, want %d", len(got), len(nalus))
	}
	for i := range nalus {
		if !bytes.Equal(got[i], nalus[i]) {
			t.Errorf("NAL unit %d: got % x, want % x", i, got[i], nalus[i])
		}
	}
	// Appending to one result must not overwrite the next.
	_ = append(got[0], 0xAA)
	if got[1][0] != 0x68 {
		t.Errorf("append to a result clobbered its neighbour")
	}

	bad := []struct {
		name string
		in   []byte
	}{
		{"truncated prefix", []byte{0, 0, 1}},
		{"length beyond data", []byte{0, 0, 0, 5, 1, 2}},
		{"huge length", []byte{0xff, 0xff, 0xff, 0xff, 1}},
		{"zero length", []byte{0, 0, 0, 0, 0, 0, 0, 1, 9}},
		{"trailing bytes", []byte{0, 0, 0, 1, 9, 0}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := SplitAVCC(tt.in); err == nil {
				t.Errorf("got %x, want an error", got)
			}
		})
	}
	if got, err := SplitAVCC(nil); err != nil || len(got) != 0 {
		t.Errorf("empty input: got %v, %v, want no units and no error", got, err)
	}
}

func TestSplitAnnexB(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want [][]byte
	}{
		{"3 and 4 byte codes", []byte{0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2, 0, 0, 0, 1, 0x65, 3}, [][]byte{{0x67, 1}, {0x68, 2}, {0x65, 3}}},
		{"trailing zeros dropped", []byte{0, 0, 1, 0x09, 0xf0, 0, 0, 0, 0, 0, 1, 0x67, 0}, [][]byte{{0x09, 0xf0}, {0x67}}},
		{"leading garbage", []byte{7, 7, 0, 0, 1, 0x41}, [][]byte{{0x41}}},
		{"no start code", []byte{1, 2, 3, 4}, nil},
		{"empty units skipped", []byte{0, 0, 1, 0, 0, 1, 0x41, 0, 0, 1}, [][]byte{{0x41}}},
		{"escaped not split", []byte{0, 0, 1, 0x41, 0, 0, 3, 1, 5}, [][]byte{{0x41, 0, 0, 3, 1, 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SplitAnnexB(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("got %x, want %x", got, tt.want)
			}
			for i := range got {
				if !bytes.Equal(got[i], tt.want[i]) {
					t.Errorf("unit %d: got % x, want % x", i, got[i], tt.want[i])
				}
			}
			if again := SplitAnnexB(AppendAnnexB(nil, got)); len(again) != len(got) {
				t.Errorf("AppendAnnexB round trip: got %d units, want %d", len(again), len(got))
			}
		})
	}
}

func TestUnwrapper(t *testing.T) {
	tests := []struct {
		name string
		in   []uint32
		want []int64
	}{
		{"forward", []uint32{100, 3700, 7300}, []int64{100, 3700, 7300}},
		{"wrap forward", []uint32{0xFFFFF000, 0xFFFFFF00, 0x100, 0x1000}, []int64{0xFFFFF000, 0xFFFFFF00, 1<<32 + 0x100, 1<<32 + 0x1000}},
		{"wrap backward", []uint32{0x100, 0xFFFFFF00, 0x200}, []int64{0x100, -0x100, 0x200}},
		{"small step back", []uint32{5000, 4000, 6000}, []int64{5000, 4000, 6000}},
		{"two wraps", []uint32{0xF0000000, 0x10000000, 0x70000000, 0xD0000000, 0x30000000},
			[]int64{0xF0000000, 1<<32 + 0x10000000, 1<<32 + 0x70000000, 1<<32 + 0xD0000000, 2<<32 + 0x30000000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var u Unwrapper
			for i, ts := range tt.in {
				if got := u.Unwrap(ts); got != tt.want[i] {
					t.Errorf("step %d Unwrap(%#x): got %#x, want %#x", i, ts, got, tt.want[i])
				}
			}
		})
	}
}

func TestParamsFromFmtp(t *testing.T) {
	sps264 := []byte{0x67, 0x42, 0xc0, 0x1e, 0xda}
	pps264 := []byte{0x68, 0xce, 0x3c, 0x80}
	vps := []byte{0x40, 0x01, 0x0c, 0x01}
	sps265 := []byte{0x42, 0x01, 0x01, 0x01}
	pps265 := []byte{0x44, 0x01, 0xc1}
	b64 := base64.StdEncoding.EncodeToString
	raw := base64.RawStdEncoding.EncodeToString
	tests := []struct {
		name    string
		codec   Codec
		fmtp    string
		want    Params
		wantErr bool
	}{
		{"h264 typical", H264, "packetization-mode=1;profile-level-id=42c01e;sprop-parameter-sets=" + b64(sps264) + "," + b64(pps264),
			Params{Codec: H264, SPS: sps264, PPS: pps264}, false},
		{"h264 with payload type and spaces", H264, "96 packetization-mode=1; sprop-parameter-sets=" + b64(sps264) + ", " + b64(pps264) + " ",
			Params{Codec: H264, SPS: sps264, PPS: pps264}, false},
		{"h264 reversed order, unpadded, upper-case key", H264, "SPROP-PARAMETER-SETS=" + raw(pps264) + "," + raw(sps264),
			Params{Codec: H264, SPS: sps264, PPS: pps264}, false},
		{"h264 missing", H264, "packetization-mode=1", Params{Codec: H264}, false},
		{"h264 empty value", H264, "sprop-parameter-sets=", Params{Codec: H264}, false},
		{"h264 first of each kept", H264, "sprop-parameter-sets=" + b64(sps264) + "," + b64(pps264) + "," + b64(append([]byte{0x67}, 9, 9, 9)),
			Params{Codec: H264, SPS: sps264, PPS: pps264}, false},
		{"h264 malformed base64", H264, "sprop-parameter-sets=Z0L!!,aM48gA==", Params{}, true},
		{"h264 bad padding", H264, "sprop-parameter-sets=Z0LAHto=a", Params{}, true},
		{"h265 typical", H265, "sprop-vps=" + b64(vps) + ";sprop-sps=" + b64(sps265) + ";sprop-pps=" + b64(pps265),
			Params{Codec: H265, VPS: vps, SPS: sps265, PPS: pps265}, false},
		{"h265 partial", H265, "sprop-sps=" + b64(sps265) + ";sprop-max-don-diff=0", Params{Codec: H265, SPS: sps265}, false},
		{"h265 malformed", H265, "sprop-vps=@@@", Params{}, true},
		{"h265 wrong set under key", H265, "sprop-sps=" + b64(pps265), Params{}, true},
		{"h265 ignores h264 key", H265, "sprop-parameter-sets=" + b64(sps264), Params{Codec: H265}, false},
		{"unknown codec", 0, "", Params{}, true},
		{"oversized", H264, strings.Repeat("a", maxFmtpBytes+1), Params{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParamsFromFmtp(tt.codec, tt.fmtp)
			if tt.wantErr {
				if err == nil || !strings.HasPrefix(err.Error(), "codec: ") {
					t.Errorf("got %x, %v, want an error prefixed \"codec: \"", got, err)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("got %x, %v, want %x", got, err, tt.want)
			}
		})
	}
}

func TestParamsUpdate(t *testing.T) {
	p := Params{Codec: H265}
	steps := []struct {
		nalu    []byte
		changed bool
	}{
		{[]byte{0x40, 0x01, 1}, true},  // VPS
		{[]byte{0x40, 0x01, 1}, false}, // same VPS
		{[]byte{0x42, 0x01, 2}, true},  // SPS
		{[]byte{0x26, 0x01, 3}, false}, // slice
		{[]byte{0x44, 0x01, 4}, true},  // PPS
		{[]byte{0x42, 0x01, 5}, true},  // new SPS
		{[]byte{0xC2, 0x01, 5}, false}, // forbidden bit
		{[]byte{0x42}, false},          // truncated header
		{nil, false},
	}
	for i, s := range steps {
		if got := p.Update(s.nalu); got != s.changed {
			t.Errorf("step %d Update(% x): got %v, want %v", i, s.nalu, got, s.changed)
		}
	}
	want := Params{Codec: H265, VPS: []byte{0x40, 0x01, 1}, SPS: []byte{0x42, 0x01, 5}, PPS: []byte{0x44, 0x01, 4}}
	if !p.Equal(want) || !p.Complete() {
		t.Fatalf("got %x (complete %v), want %x complete", p, p.Complete(), want)
	}
	// The stored sets are copies.
	src := []byte{0x44, 0x01, 9}
	p.Update(src)
	src[2] = 7
	if p.PPS[2] != 9 {
		t.Errorf("got PPS % x after changing the caller's slice, want a copy", p.PPS)
	}

	complete := []struct {
		name string
		p    Params
		want bool
	}{
		{"h264 both", Params{Codec: H264, SPS: []byte{0x67}, PPS: []byte{0x68}}, true},
		{"h264 no pps", Params{Codec: H264, SPS: []byte{0x67}}, false},
		{"h265 no vps", Params{Codec: H265, SPS: []byte{0x42, 1}, PPS: []byte{0x44, 1}}, false},
		{"no codec", Params{SPS: []byte{0x67}, PPS: []byte{0x68}}, false},
	}
	for _, tt := range complete {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Complete(); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if (Params{Codec: H264}).Equal(Params{Codec: H265}) {
		t.Errorf("Equal across codecs: got true, want false")
	}
	if _, err := (Params{Codec: H264}).Info(); err == nil {
		t.Errorf("Info without SPS: got no error, want one")
	}
}

func TestDecoderConfigErrors(t *testing.T) {
	if _, err := DecoderConfig(Params{Codec: H264, SPS: []byte{0x67}}); err == nil {
		t.Errorf("incomplete params: got no error, want one")
	}
	if _, err := DecoderConfig(Params{Codec: H264, SPS: []byte{0x67, 1, 2, 3}, PPS: []byte{0x68}}); err == nil {
		t.Errorf("garbage SPS: got no error, want one")
	}
	sps := buildH264SPS(h264SPSFields{profile: 100, level: 30, chroma: 1, widthMBs: 20, heightMapUnits: 10, frameMBsOnly: true})
	avcc, err := DecoderConfig(Params{Codec: H264, SPS: sps, PPS: []byte{0x68, 0xee}})
	if err != nil {
		t.Fatalf("got %v, want no error", err)
	}
	// High profile records end with chroma format, bit depths and no
	// SPS extensions.
	if tail := avcc[len(avcc)-4:]; !bytes.Equal(tail, []byte{0xFD, 0xF8, 0xF8, 0}) {
		t.Errorf("got high-profile tail % x, want fd f8 f8 00", tail)
	}

	bad := []struct {
		name  string
		codec Codec
		body  []byte
	}{
		{"avcC empty", H264, nil},
		{"avcC version 2", H264, []byte{2, 0x4d, 0x40, 0x1e, 0xff, 0xe0, 0}},
		{"avcC 2-byte lengths", H264, []byte{1, 0x4d, 0x40, 0x1e, 0xfd, 0xe0, 0}},
		{"avcC truncated sps", H264, []byte{1, 0x4d, 0x40, 0x1e, 0xff, 0xe1, 0, 9, 0x67}},
		{"avcC sps is a pps", H264, []byte{1, 0x4d, 0x40, 0x1e, 0xff, 0xe1, 0, 1, 0x68, 0}},
		{"avcC missing pps count", H264, []byte{1, 0x4d, 0x40, 0x1e, 0xff, 0xe0}},
		{"hvcC short", H265, make([]byte, 22)},
		{"hvcC truncated array", H265, append(append(make([]byte, 21), 0x0f, 1, 0xa0, 0, 1, 0, 5), 0x40)},
		{"hvcC vps array holds an sps", H265, append(append(make([]byte, 21), 0x0f, 1, 0xa0, 0, 1, 0, 2), 0x42, 0x01)},
		{"unknown codec", 3, []byte{1}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := ParseDecoderConfig(tt.codec, tt.body); err == nil {
				t.Errorf("got %x, want an error", got)
			} else if !strings.HasPrefix(err.Error(), "codec: ") {
				t.Errorf("got %q, want an error prefixed \"codec: \"", err)
			}
		})
	}
	// An hvcC with no arrays (hev1) is valid and has no sets.
	if p, err := ParseDecoderConfig(H265, append(make([]byte, 21), 0x0f, 0)); err != nil || p.Complete() {
		t.Errorf("empty hvcC: got %x, %v, want no sets and no error", p, err)
	}
	if _, err := DecoderConfig(Params{Codec: 5, SPS: []byte{1}, PPS: []byte{1}}); err == nil {
		t.Errorf("unknown codec: got no error, want one")
	}
}
