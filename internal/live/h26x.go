package live

import (
	"bytes"
	"encoding/binary"

	"github.com/vigil-cctv/vigil/internal/codec"
)

// NAL unit and payload types of RFC 6184 (H.264) and RFC 7798 (H.265)
// that forwarding acts on.
const (
	h264IDR   = 5
	h264SPS   = 7
	h264PPS   = 8
	h264STAPA = 24
	h264FUA   = 28

	h265IRAPFirst = 16
	h265IRAPLast  = 23
	h265VCLLast   = 31
	h265VPS       = 32
	h265SPS       = 33
	h265PPS       = 34
	h265AP        = 48
	h265FU        = 49
)

// Parameter sets, as bits of pktInfo.params and Hub.auParams.
const (
	setVPS uint8 = 1 << iota
	setSPS
	setPPS
)

// maxPayload is the largest RTP payload sent to a browser. The path to a
// browser (VPN, tunnel, mobile network) has an unknown MTU and IP
// fragments are often lost on the way, so larger camera packets are split;
// 1200 bytes plus the RTP, SRTP, UDP and IPv6 headers fit the 1280-byte
// minimum IPv6 MTU, which is why browsers send no larger payloads either.
const maxPayload = 1200

// maxCameraPayload caps what WriteRTP accepts: no RTP transport can carry
// more in one packet.
const maxCameraPayload = 65535

// pktInfo is what a camera packet tells about where a decoder may start.
type pktInfo struct {
	params    uint8 // parameter sets carried
	irapStart bool  // carries the first slice of an IDR (H.264) or IRAP (H.265) picture
	vclStart  bool  // carries the first slice of some picture
}

// keyStart reports whether a viewer may start with this packet: it begins
// a keyframe, or carries parameter sets and no slice of an ordinary
// picture (the keyframe follows in the same access unit).
func (i pktInfo) keyStart() bool {
	return i.irapStart || i.params != 0 && !i.vclStart
}

// analyze classifies an RTP payload of codec c. Garbage gives a zero
// pktInfo, never a panic.
func analyze(c codec.Codec, p []byte) pktInfo {
	var info pktInfo
	if c == codec.H265 {
		if len(p) < 3 {
			return info
		}
		switch t := (p[0] >> 1) & 0x3F; t {
		case h265AP:
			forEachAggregated(p[2:], func(u []byte) {
				if len(u) >= 2 {
					info.addH265((u[0]>>1)&0x3F, u[2:])
				}
			})
		case h265FU:
			if p[2]&0x80 != 0 {
				info.addH265(p[2]&0x3F, p[3:])
			}
		default:
			info.addH265(t, p[2:])
		}
		return info
	}
	if len(p) < 2 {
		return info
	}
	switch t := p[0] & 0x1F; t {
	case h264STAPA:
		forEachAggregated(p[1:], func(u []byte) { info.addH264(u[0]&0x1F, u[1:]) })
	case h264FUA:
		if p[1]&0x80 != 0 {
			info.addH264(p[1]&0x1F, p[2:])
		}
	default:
		info.addH264(t, p[1:])
	}
	return info
}

// addH264 notes a NAL unit of type t whose bytes after the header start
// with rest. A slice begins a picture when first_mb_in_slice, an ue(v)
// leading its header, is 0: a single 1 bit.
func (i *pktInfo) addH264(t uint8, rest []byte) {
	switch {
	case t == h264SPS:
		i.params |= setSPS
	case t == h264PPS:
		i.params |= setPPS
	case t >= 1 && t <= h264IDR && len(rest) > 0 && rest[0]&0x80 != 0:
		i.vclStart = true
		if t == h264IDR {
			i.irapStart = true
		}
	}
}

// addH265 is addH264 for H.265, whose slice segment headers begin with
// first_slice_segment_in_pic_flag.
func (i *pktInfo) addH265(t uint8, rest []byte) {
	switch {
	case t == h265VPS:
		i.params |= setVPS
	case t == h265SPS:
		i.params |= setSPS
	case t == h265PPS:
		i.params |= setPPS
	case t <= h265VCLLast && len(rest) > 0 && rest[0]&0x80 != 0:
		i.vclStart = true
		if t >= h265IRAPFirst && t <= h265IRAPLast {
			i.irapStart = true
		}
	}
}

// forEachAggregated calls f for each NAL unit of the body of a STAP-A or
// AP (16-bit size, unit), stopping at the first that does not fit. Units
// are never empty.
func forEachAggregated(body []byte, f func(u []byte)) {
	for len(body) >= 2 {
		n := int(binary.BigEndian.Uint16(body))
		body = body[2:]
		if n == 0 || n > len(body) {
			return
		}
		f(body[:n:n])
		body = body[n:]
	}
}

// aggregatedValid reports whether body is a whole sequence of size-prefixed
// NAL units, each at least hdr bytes long.
func aggregatedValid(body []byte, hdr int) bool {
	if len(body) == 0 {
		return false
	}
	for len(body) > 0 {
		if len(body) < 2 {
			return false
		}
		n := int(binary.BigEndian.Uint16(body))
		body = body[2:]
		if n < hdr || n > len(body) {
			return false
		}
		body = body[n:]
	}
	return true
}

// paramSets holds the latest parameter sets seen, for injection before
// keyframes whose access unit lacks them.
type paramSets struct {
	vps, sps, pps []byte
}

// update stores a parameter-set NAL unit, copying it only when it
// differs from the one held, and reports whether it did.
func (s *paramSets) update(c codec.Codec, u []byte) bool {
	var slot *[]byte
	switch {
	case c == codec.H264 && codec.NALUType(c, u) == h264SPS:
		slot = &s.sps
	case c == codec.H264 && codec.NALUType(c, u) == h264PPS:
		slot = &s.pps
	case c == codec.H265 && codec.NALUType(c, u) == h265VPS:
		slot = &s.vps
	case c == codec.H265 && codec.NALUType(c, u) == h265SPS:
		slot = &s.sps
	case c == codec.H265 && codec.NALUType(c, u) == h265PPS:
		slot = &s.pps
	default:
		return false
	}
	if bytes.Equal(*slot, u) || len(u) > maxPayload {
		return false
	}
	*slot = append([]byte(nil), u...)
	return true
}

// learn reads the parameter sets of a packet, single or aggregated, and
// reports whether any changed.
func (s *paramSets) learn(c codec.Codec, p []byte) bool {
	changed := false
	hdr, agg := 1, uint8(h264STAPA)
	if c == codec.H265 {
		hdr, agg = 2, h265AP
	}
	if len(p) < hdr {
		return false
	}
	if codec.NALUType(c, p) == agg {
		forEachAggregated(p[hdr:], func(u []byte) {
			if s.update(c, u) {
				changed = true
			}
		})
		return changed
	}
	return s.update(c, p)
}

// injection returns the payload that carries the parameter sets in one
// STAP-A (H.264) or AP (H.265), or nil when the sets are incomplete.
func (s *paramSets) injection(c codec.Codec) []byte {
	units := [][]byte{s.sps, s.pps}
	if c == codec.H265 {
		units = [][]byte{s.vps, s.sps, s.pps}
	}
	for _, u := range units {
		if len(u) == 0 {
			return nil
		}
	}
	var p []byte
	if c == codec.H265 {
		// Layer 0, temporal id 1: parameter sets belong to the base layer.
		p = []byte{h265AP << 1, 1}
	} else {
		var nri byte
		for _, u := range units {
			nri = max(nri, u[0]&0x60)
		}
		p = []byte{nri | h264STAPA}
	}
	for _, u := range units {
		p = binary.BigEndian.AppendUint16(p, uint16(len(u)))
		p = append(p, u...)
	}
	return p
}

// splitter cuts a payload larger than maxPayload into payloads that fit,
// carrying the same NAL units: a single NAL unit becomes fragments (FU-A,
// FU), a fragment becomes smaller fragments, and an aggregation packet is
// regrouped. Each payload is appended to the slice next returns.
type splitter struct {
	codec codec.Codec
	max   int
	next  func() *[]byte
	group [][]byte // scratch for regrouping
}

// split reports false, emitting nothing, for a payload it cannot parse;
// the caller then forwards it whole.
func (s *splitter) split(p []byte) bool {
	hdr := s.hdrLen()
	if len(p) <= hdr {
		return false
	}
	t := codec.NALUType(s.codec, p)
	switch {
	case s.codec == codec.H264 && t == h264FUA, s.codec == codec.H265 && t == h265FU:
		if len(p) <= hdr+1 {
			return false
		}
		fu := p[hdr]
		var nal [2]byte
		if s.codec == codec.H265 {
			nal = [2]byte{p[0]&0x81 | (fu&0x3F)<<1, p[1]}
		} else {
			nal[0] = p[0]&0xE0 | fu&0x1F
		}
		s.fragment(nal[:hdr], p[hdr+1:], fu&0x80 != 0, fu&0x40 != 0)
	case s.codec == codec.H264 && t == h264STAPA, s.codec == codec.H265 && t == h265AP:
		body := p[hdr:]
		if !aggregatedValid(body, hdr) {
			return false
		}
		s.group = s.group[:0]
		size := hdr
		forEachAggregated(body, func(u []byte) {
			if len(u) > s.max {
				s.flush()
				size = hdr
				s.fragment(u[:hdr], u[hdr:], true, true)
				return
			}
			if size+2+len(u) > s.max {
				s.flush()
				size = hdr
			}
			s.group = append(s.group, u)
			size += 2 + len(u)
		})
		s.flush()
	case s.codec == codec.H264 && t >= 1 && t <= 23, s.codec == codec.H265 && t < h265AP:
		s.fragment(p[:hdr], p[hdr:], true, true)
	default:
		return false
	}
	return true
}

func (s *splitter) hdrLen() int {
	if s.codec == codec.H265 {
		return 2
	}
	return 1
}

// flush emits the units gathered for regrouping: alone as a single NAL
// unit packet, several as a STAP-A or AP.
func (s *splitter) flush() {
	switch len(s.group) {
	case 0:
		return
	case 1:
		out := s.next()
		*out = append(*out, s.group[0]...)
	default:
		out := s.next()
		if s.codec == codec.H265 {
			// The header takes the F bit of any unit and the lowest
			// layer and temporal ids (RFC 7798, 4.4.2).
			var f, layer, tid byte = 0, 0x3F, 7
			for _, u := range s.group {
				f |= u[0] & 0x80
				layer = min(layer, (u[0]&1)<<5|u[1]>>3)
				tid = min(tid, u[1]&7)
			}
			*out = append(*out, f|h265AP<<1|layer>>5, (layer&0x1F)<<3|tid)
		} else {
			// The F bit of any unit and the highest NRI (RFC 6184, 5.7.1).
			var f, nri byte
			for _, u := range s.group {
				f |= u[0] & 0x80
				nri = max(nri, u[0]&0x60)
			}
			*out = append(*out, f|nri|h264STAPA)
		}
		for _, u := range s.group {
			*out = binary.BigEndian.AppendUint16(*out, uint16(len(u)))
			*out = append(*out, u...)
		}
	}
	s.group = s.group[:0]
}

// fragment emits data, the bytes after NAL unit header nal, as fragments.
// start and end say whether data begins and ends its NAL unit, so a
// camera's fragment keeps its place in the unit.
func (s *splitter) fragment(nal, data []byte, start, end bool) {
	hdr := len(nal)
	chunk := s.max - hdr - 1
	var h [3]byte
	if s.codec == codec.H265 {
		h[0], h[1] = nal[0]&0x81|h265FU<<1, nal[1]
	} else {
		h[0] = nal[0]&0xE0 | h264FUA
	}
	typ := codec.NALUType(s.codec, nal)
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), chunk)
		fu := typ
		if first && start {
			fu |= 0x80
		}
		if n == len(data) && end {
			fu |= 0x40
		}
		h[hdr] = fu
		out := s.next()
		*out = append(*out, h[:hdr+1]...)
		*out = append(*out, data[:n]...)
		data = data[n:]
	}
}
