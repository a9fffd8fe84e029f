// Package codec holds what Vigil knows of the H.264 and H.265 bitstreams and
// of their RTP payload formats (RFC 6184, RFC 7798): enough to carry camera
// streams from RTP into MP4 files and back, never to decode pictures.
//
// Everything here reads data from cameras and files that may be broken or
// hostile, so every parser returns an error rather than panicking and caps
// every length it reads.
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Codec names a video coding format.
type Codec uint8

// The codecs Vigil records.
const (
	H264 Codec = 1
	H265 Codec = 2
)

// String returns "H264" or "H265".
func (c Codec) String() string {
	switch c {
	case H264:
		return "H264"
	case H265:
		return "H265"
	}
	return fmt.Sprintf("Codec(%d)", uint8(c))
}

// ParseCodec maps an SDP rtpmap encoding name to a codec, ignoring case.
// Some cameras announce H.265 as "HEVC", so that is accepted too.
func ParseCodec(encodingName string) (Codec, bool) {
	switch {
	case strings.EqualFold(encodingName, "H264"):
		return H264, true
	case strings.EqualFold(encodingName, "H265"), strings.EqualFold(encodingName, "HEVC"):
		return H265, true
	}
	return 0, false
}

// NAL unit types this package acts on.
const (
	h264TypeIDR    = 5
	h264TypeSEI    = 6
	h264TypeSPS    = 7
	h264TypePPS    = 8
	h264TypeAUD    = 9
	h264TypeFiller = 12
	h264TypeSTAPA  = 24
	h264TypeFUA    = 28

	h265TypeVPS        = 32
	h265TypeSPS        = 33
	h265TypePPS        = 34
	h265TypeAUD        = 35
	h265TypeFiller     = 38
	h265TypePrefixSEI  = 39
	h265TypeAP         = 48
	h265TypeFU         = 49
	h265TypePACI       = 50
	h265TypeIRAPFirst  = 16
	h265TypeIRAPLast   = 23
	h265TypeVCLLast    = 31
	h265NALHeaderBytes = 2
)

// NALUType returns the nal_unit_type of a NAL unit, or 0 for an empty one.
// For H.264 0 is also an unspecified type, which this package never treats
// as meaningful, so the ambiguity is harmless.
func NALUType(c Codec, nalu []byte) uint8 {
	if len(nalu) == 0 {
		return 0
	}
	if c == H265 {
		return (nalu[0] >> 1) & 0x3F
	}
	return nalu[0] & 0x1F
}

// IsKeyframe reports whether nalu is a slice of a picture a decoder can
// start from: IDR for H.264, any IRAP (BLA, IDR, CRA) for H.265.
func IsKeyframe(c Codec, nalu []byte) bool {
	if len(nalu) == 0 {
		return false
	}
	t := NALUType(c, nalu)
	switch c {
	case H264:
		return t == h264TypeIDR
	case H265:
		return t >= h265TypeIRAPFirst && t <= h265TypeIRAPLast
	}
	return false
}

// IsParameterSet reports whether nalu is an SPS or PPS (or, for H.265, a
// VPS).
func IsParameterSet(c Codec, nalu []byte) bool {
	if len(nalu) == 0 {
		return false
	}
	t := NALUType(c, nalu)
	switch c {
	case H264:
		return t == h264TypeSPS || t == h264TypePPS
	case H265:
		return t == h265TypeVPS || t == h265TypeSPS || t == h265TypePPS
	}
	return false
}

// FillerNALU returns a filler-data NAL unit of exactly size bytes; sizes
// below 3, the smallest such unit, give 3 bytes. Decoders discard filler
// data, which lets a simulated camera reach a realistic bitrate from a small
// clip. 0xFF payload bytes can never form a start code or need emulation
// prevention.
func FillerNALU(c Codec, size int) []byte {
	if size < 3 {
		size = 3
	}
	b := make([]byte, size)
	i := 1
	if c == H265 {
		b[0] = h265TypeFiller << 1
		b[1] = 1 // nuh_layer_id 0, nuh_temporal_id_plus1 1
		i = 2
	} else {
		b[0] = h264TypeFiller
	}
	for ; i < size-1; i++ {
		b[i] = 0xFF
	}
	b[size-1] = 0x80 // rbsp_trailing_bits
	return b
}

// AppendAVCC appends nalus to dst, each behind a 4-byte big-endian length,
// the framing of MP4 samples.
func AppendAVCC(dst []byte, nalus [][]byte) []byte {
	n := 0
	for _, u := range nalus {
		n += 4 + len(u)
	}
	if cap(dst)-len(dst) < n {
		grown := make([]byte, len(dst), len(dst)+n)
		copy(grown, dst)
		dst = grown
	}
	for _, u := range nalus {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(u)))
		dst = append(dst, u...)
	}
	return dst
}

// SplitAVCC splits 4-byte length-prefixed NAL units. The results are
// sub-slices of b. An empty NAL unit is an error: no valid stream has one,
// and callers may index the header byte.
func SplitAVCC(b []byte) ([][]byte, error) {
	// Count first so the result is one allocation of the right size.
	n := 0
	for rest := b; len(rest) > 0; n++ {
		if len(rest) < 4 {
			return nil, errors.New("codec: avcc: truncated length prefix")
		}
		l := binary.BigEndian.Uint32(rest)
		if l == 0 {
			return nil, errors.New("codec: avcc: empty NAL unit")
		}
		if uint64(l) > uint64(len(rest)-4) {
			return nil, fmt.Errorf("codec: avcc: NAL unit length %d exceeds the %d bytes left", l, len(rest)-4)
		}
		rest = rest[4+l:]
	}
	out := make([][]byte, 0, n)
	for len(b) > 0 {
		l := int(binary.BigEndian.Uint32(b))
		out = append(out, b[4:4+l:4+l])
		b = b[4+l:]
	}
	return out, nil
}

// SplitAnnexB splits a byte stream in the format of H.264/H.265 Annex B on
// its start codes (00 00 01, or 00 00 00 01). The results are sub-slices of
// b, without trailing zero bytes; bytes before the first start code are
// ignored.
func SplitAnnexB(b []byte) [][]byte {
	var out [][]byte
	start := -1
	i := 0
	for i+2 < len(b) {
		if b[i+2] > 1 {
			i += 3
			continue
		}
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				out = appendNALU(out, b[start:i])
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 {
		out = appendNALU(out, b[start:])
	}
	return out
}

func appendNALU(out [][]byte, u []byte) [][]byte {
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	if len(u) == 0 {
		return out
	}
	return append(out, u[:len(u):len(u)])
}

// AppendAnnexB appends nalus to dst, each behind a 4-byte start code.
func AppendAnnexB(dst []byte, nalus [][]byte) []byte {
	for _, u := range nalus {
		dst = append(dst, 0, 0, 0, 1)
		dst = append(dst, u...)
	}
	return dst
}
