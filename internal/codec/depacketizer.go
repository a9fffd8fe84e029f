package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/pion/rtp"
)

// AccessUnit is one coded picture: the NAL units sharing one RTP timestamp.
type AccessUnit struct {
	Timestamp uint32   // RTP timestamp (presentation time, 90 kHz clock)
	NALUs     [][]byte // without start codes or length prefixes
	Keyframe  bool     // holds an IDR (H.264 type 5) or IRAP (H.265 types 16-23) picture
}

// Errors from Depacketizer.Push; match them with errors.Is.
var (
	// ErrPacketLoss reports a jump in sequence numbers. The unit being
	// built when it happened is discarded.
	ErrPacketLoss = errors.New("codec: packet loss")
	// ErrMalformed reports a payload that breaks RFC 6184 or RFC 7798,
	// or a unit beyond the size caps. The unit it belonged to is
	// discarded.
	ErrMalformed = errors.New("codec: malformed payload")
)

// Caps on one access unit. A 4K intra picture at a high bitrate is a few
// MiB; anything near these limits is garbage or an attack.
const (
	MaxAccessUnitBytes = 16 << 20
	MaxAccessUnitNALUs = 1024
)

type naluSpan struct{ start, end int }

// Depacketizer turns RTP packets, already in sequence order, into access
// units. It is not safe for concurrent use.
//
// After a loss, a malformed packet or at the very start, it discards
// packets until one that can begin a picture (a parameter set, access unit
// delimiter, SEI, or the first slice of a picture) with a new timestamp or
// after a marker bit, so a unit is never returned with its head missing.
type Depacketizer struct {
	codec Codec

	haveSeq    bool
	seq        uint16
	lastTS     uint32
	lastMarker bool
	syncing    bool

	// The unit being built. Its bytes gather in buf, which finish hands
	// over with the unit: each unit's buffer is allocated when its first
	// bytes come, at the size the unit before had (est), rather than the
	// unit being gathered in a scratch buffer and copied out. That saves
	// copying the video a second time, and a scratch buffer the size of
	// the largest unit (a keyframe) kept for each camera.
	est      int
	active   bool
	ended    bool // complete, but its return had to wait a packet
	ts       uint32
	keyframe bool
	hasVCL   bool
	buf      []byte
	spans    []naluSpan
	inFU     bool
	fuType   uint8
}

// NewDepacketizer returns a depacketizer for c.
func NewDepacketizer(c Codec) *Depacketizer {
	return &Depacketizer{codec: c, syncing: true, lastMarker: true}
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// Push feeds one packet. It returns an access unit when this packet
// completes one: the marker bit is set (and the unit holds a slice), or the
// timestamp differs from the unit being built, which is then returned while
// the packet begins the next. When both happen at once, the second unit is
// returned by the next Push.
//
// ErrPacketLoss reports a sequence number jump, ErrMalformed (wrapped) a
// bad payload; the unit in progress is discarded. The returned unit is
// always complete and valid, and may come together with an error that
// concerns the packet pushed: callers should use a non-nil unit whatever
// the error.
//
// The unit's NAL units stay valid after further calls; they share one
// allocation per unit.
func (d *Depacketizer) Push(pkt *rtp.Packet) (*AccessUnit, error) {
	var out *AccessUnit
	var err error
	seq, ts, marker := pkt.SequenceNumber, pkt.Timestamp, pkt.Marker

	if d.haveSeq && seq != d.seq+1 {
		err = ErrPacketLoss
		if d.ended {
			out = d.finish()
		} else {
			d.drop()
		}
		d.syncing = true
	}
	d.haveSeq, d.seq = true, seq
	prevTS, prevMarker := d.lastTS, d.lastMarker
	d.lastTS, d.lastMarker = ts, marker

	if d.active && (d.ended || ts != d.ts) {
		if d.ended || !d.inFU {
			out = d.finish()
		} else {
			d.drop()
			err = malformed("fragmented NAL unit unfinished at timestamp change")
		}
	}

	if d.syncing {
		// Packets skipped while resynchronising are still checked, so
		// that a stream of garbage or of an unsupported packetization
		// mode is reported rather than silently producing nothing.
		if verr := d.validate(pkt.Payload); verr != nil {
			if err == nil {
				err = verr
			}
			return out, err
		}
		if !(prevMarker || ts != prevTS) || !d.startsPicture(pkt.Payload) {
			return out, err
		}
		d.syncing = false
	}

	if !d.active {
		d.active, d.ts = true, ts
	}
	var perr error
	if d.codec == H265 {
		perr = d.parseH265(pkt.Payload)
	} else {
		perr = d.parseH264(pkt.Payload)
	}
	if perr == nil && marker && d.inFU {
		perr = malformed("marker bit inside a fragmented NAL unit")
	}
	if perr != nil {
		d.drop()
		d.syncing = true
		if err == nil {
			err = perr
		}
		return out, err
	}
	// Some cameras set the marker bit on packets of parameter sets too; a
	// unit ends only once it holds a picture.
	if marker && d.hasVCL {
		if out == nil {
			out = d.finish()
		} else {
			d.ended = true
		}
	}
	return out, err
}

// drop abandons the unit being built.
func (d *Depacketizer) drop() {
	d.active, d.ended, d.keyframe, d.hasVCL, d.inFU = false, false, false, false, false
	d.buf = d.buf[:0]
	d.spans = d.spans[:0]
}

// finish hands over the unit being built, with its buffer.
func (d *Depacketizer) finish() *AccessUnit {
	data := d.buf
	if cap(data)-len(data) > len(data)/8+unitSlack {
		// Smaller than the unit before (a picture after a keyframe),
		// or grown past what it needed: trimmed, so that whoever keeps
		// the unit a while keeps little more than it holds.
		data = append([]byte(nil), data...)
	}
	d.est = len(d.buf)
	d.buf = nil
	var au *AccessUnit
	if len(d.spans) <= len(unitAlloc{}.nalus) {
		// The unit and its few NAL units' slices in one allocation.
		a := &unitAlloc{}
		au = &a.AccessUnit
		au.NALUs = a.nalus[:len(d.spans)]
	} else {
		au = &AccessUnit{NALUs: make([][]byte, len(d.spans))}
	}
	au.Timestamp, au.Keyframe = d.ts, d.keyframe
	for i, s := range d.spans {
		au.NALUs[i] = data[s.start:s.end:s.end]
	}
	d.drop()
	return au
}

// unitAlloc holds an AccessUnit and room for the NAL units most units
// have (a picture's slice, perhaps with parameter sets, SEI or filler).
type unitAlloc struct {
	AccessUnit
	nalus [3][]byte
}

// unitSlack is room beyond an eighth of a unit that finish leaves in its
// buffer rather than copying the unit.
const unitSlack = 256

// begin gives the unit being built a buffer, when it has none, for at
// least n bytes: the size of the unit before, rounded up to the
// allocator's size class, which leaves a unit a little larger than the
// last room at no cost.
func (d *Depacketizer) begin(n int) {
	if d.buf == nil {
		d.buf = slices.Grow([]byte(nil), max(n, d.est))
	}
}

// addNALU appends a whole NAL unit to the unit being built.
func (d *Depacketizer) addNALU(nalu []byte) error {
	if err := d.reserve(len(nalu)); err != nil {
		return err
	}
	d.begin(len(nalu))
	d.note(nalu)
	start := len(d.buf)
	d.buf = append(d.buf, nalu...)
	d.spans = append(d.spans, naluSpan{start, len(d.buf)})
	return nil
}

// note records what a NAL unit added to the unit being built says about it.
func (d *Depacketizer) note(nalu []byte) {
	t := NALUType(d.codec, nalu)
	if d.codec == H265 {
		d.hasVCL = d.hasVCL || t <= h265TypeVCLLast
	} else {
		d.hasVCL = d.hasVCL || (t >= 1 && t <= h264TypeIDR)
	}
	d.keyframe = d.keyframe || IsKeyframe(d.codec, nalu)
}

func (d *Depacketizer) reserve(n int) error {
	if len(d.spans) >= MaxAccessUnitNALUs {
		return malformed("more than %d NAL units in an access unit", MaxAccessUnitNALUs)
	}
	if len(d.buf)+n > MaxAccessUnitBytes {
		return malformed("access unit larger than %d bytes", MaxAccessUnitBytes)
	}
	return nil
}

// startFU begins a fragmented NAL unit with its reconstructed header.
func (d *Depacketizer) startFU(header []byte, typ uint8, data []byte) error {
	if d.inFU {
		return malformed("fragmented NAL unit restarted before its end")
	}
	if err := d.reserve(len(header) + len(data)); err != nil {
		return err
	}
	d.begin(len(header) + len(data))
	start := len(d.buf)
	d.buf = append(d.buf, header...)
	d.buf = append(d.buf, data...)
	d.spans = append(d.spans, naluSpan{start, len(d.buf)})
	d.note(d.buf[start:])
	d.inFU, d.fuType = true, typ
	return nil
}

// continueFU appends a middle or end fragment.
func (d *Depacketizer) continueFU(typ uint8, data []byte, end bool) error {
	if !d.inFU {
		return malformed("fragment without a start")
	}
	if typ != d.fuType {
		return malformed("fragment of NAL unit type %d inside type %d", typ, d.fuType)
	}
	if len(d.buf)+len(data) > MaxAccessUnitBytes {
		return malformed("access unit larger than %d bytes", MaxAccessUnitBytes)
	}
	d.buf = append(d.buf, data...)
	d.spans[len(d.spans)-1].end = len(d.buf)
	if end {
		d.inFU = false
	}
	return nil
}

func (d *Depacketizer) validate(p []byte) error {
	if d.codec == H265 {
		return validateH265(p)
	}
	return validateH264(p)
}

// validateH264 checks a payload's structure against RFC 6184, so that
// parseH264 need not.
func validateH264(p []byte) error {
	if len(p) == 0 {
		return malformed("empty payload")
	}
	if p[0]&0x80 != 0 {
		return malformed("forbidden_zero_bit set")
	}
	switch typ := p[0] & 0x1F; {
	case typ >= 1 && typ <= 23:
		return nil
	case typ == h264TypeSTAPA:
		rest := p[1:]
		if len(rest) == 0 {
			return malformed("empty STAP-A")
		}
		for len(rest) > 0 {
			if len(rest) < 2 {
				return malformed("truncated STAP-A")
			}
			n := int(binary.BigEndian.Uint16(rest))
			rest = rest[2:]
			if n == 0 || n > len(rest) {
				return malformed("STAP-A NAL unit size %d with %d bytes left", n, len(rest))
			}
			if h := rest[0]; h&0x80 != 0 || h&0x1F == 0 || h&0x1F > 23 {
				return malformed("STAP-A holds NAL unit header %#02x", h)
			}
			rest = rest[n:]
		}
		return nil
	case typ == h264TypeFUA:
		if len(p) < 2 {
			return malformed("truncated FU-A")
		}
		if ft := p[1] & 0x1F; ft == 0 || ft > 23 {
			return malformed("FU-A of NAL unit type %d", ft)
		}
		return nil
	case typ >= 25 && typ <= 29:
		return malformed("unsupported packet type %d (STAP-B, MTAP or FU-B)", typ)
	default:
		return malformed("reserved packet type %d", typ)
	}
}

func (d *Depacketizer) parseH264(p []byte) error {
	if err := validateH264(p); err != nil {
		return err
	}
	switch typ := p[0] & 0x1F; typ {
	case h264TypeSTAPA:
		if d.inFU {
			return malformed("STAP-A inside a fragmented NAL unit")
		}
		for rest := p[1:]; len(rest) > 0; {
			n := int(binary.BigEndian.Uint16(rest))
			if err := d.addNALU(rest[2 : 2+n]); err != nil {
				return err
			}
			rest = rest[2+n:]
		}
		return nil
	case h264TypeFUA:
		start, end := p[1]&0x80 != 0, p[1]&0x40 != 0
		ft := p[1] & 0x1F
		if !start {
			return d.continueFU(ft, p[2:], end)
		}
		if err := d.startFU([]byte{p[0]&0xE0 | ft}, ft, p[2:]); err != nil {
			return err
		}
		d.inFU = !end
		return nil
	default:
		if d.inFU {
			return malformed("NAL unit inside a fragmented NAL unit")
		}
		return d.addNALU(p)
	}
}

// validateH265 checks a payload's structure against RFC 7798, so that
// parseH265 need not.
func validateH265(p []byte) error {
	if len(p) < h265NALHeaderBytes {
		return malformed("payload of %d bytes", len(p))
	}
	if err := checkH265Header(p); err != nil {
		return err
	}
	switch typ := NALUType(H265, p); {
	case typ < h265TypeAP:
		return nil
	case typ == h265TypeAP:
		rest := p[h265NALHeaderBytes:]
		if len(rest) == 0 {
			return malformed("empty aggregation packet")
		}
		for len(rest) > 0 {
			if len(rest) < 2 {
				return malformed("truncated aggregation packet")
			}
			n := int(binary.BigEndian.Uint16(rest))
			rest = rest[2:]
			if n < h265NALHeaderBytes || n > len(rest) {
				return malformed("aggregated NAL unit size %d with %d bytes left", n, len(rest))
			}
			if err := checkH265Header(rest); err != nil {
				return err
			}
			if t := NALUType(H265, rest); t >= h265TypeAP {
				return malformed("aggregation packet holds NAL unit type %d", t)
			}
			rest = rest[n:]
		}
		return nil
	case typ == h265TypeFU:
		if len(p) < 3 {
			return malformed("truncated fragmentation unit")
		}
		if ft := p[2] & 0x3F; ft >= h265TypeAP {
			return malformed("fragmentation unit of NAL unit type %d", ft)
		}
		return nil
	case typ == h265TypePACI:
		return malformed("unsupported PACI packet")
	default:
		return malformed("reserved packet type %d", typ)
	}
}

func (d *Depacketizer) parseH265(p []byte) error {
	if err := validateH265(p); err != nil {
		return err
	}
	switch NALUType(H265, p) {
	case h265TypeAP:
		if d.inFU {
			return malformed("aggregation packet inside a fragmented NAL unit")
		}
		for rest := p[h265NALHeaderBytes:]; len(rest) > 0; {
			n := int(binary.BigEndian.Uint16(rest))
			if err := d.addNALU(rest[2 : 2+n]); err != nil {
				return err
			}
			rest = rest[2+n:]
		}
		return nil
	case h265TypeFU:
		start, end := p[2]&0x80 != 0, p[2]&0x40 != 0
		ft := p[2] & 0x3F
		if !start {
			return d.continueFU(ft, p[3:], end)
		}
		hdr := [2]byte{p[0]&0x81 | ft<<1, p[1]}
		if err := d.startFU(hdr[:], ft, p[3:]); err != nil {
			return err
		}
		d.inFU = !end
		return nil
	default:
		if d.inFU {
			return malformed("NAL unit inside a fragmented NAL unit")
		}
		return d.addNALU(p)
	}
}

func checkH265Header(h []byte) error {
	if h[0]&0x80 != 0 {
		return malformed("forbidden_zero_bit set")
	}
	if h[1]&7 == 0 {
		return malformed("nuh_temporal_id_plus1 is 0")
	}
	return nil
}

// startsPicture reports whether a payload's first NAL unit can be the first
// of an access unit, which is where decoding may resume after a loss.
func (d *Depacketizer) startsPicture(p []byte) bool {
	if d.codec == H265 {
		if len(p) < h265NALHeaderBytes || p[0]&0x80 != 0 {
			return false
		}
		switch typ := NALUType(H265, p); {
		case typ < h265TypeAP:
			return h265Starts(typ, p[2:])
		case typ == h265TypeAP:
			// size(2) then the first aggregated NAL unit
			if len(p) < 6 {
				return false
			}
			return h265Starts(NALUType(H265, p[4:]), p[6:])
		case typ == h265TypeFU:
			if len(p) < 3 || p[2]&0x80 == 0 {
				return false
			}
			return h265Starts(p[2]&0x3F, p[3:])
		}
		return false
	}
	if len(p) < 1 || p[0]&0x80 != 0 {
		return false
	}
	switch typ := p[0] & 0x1F; {
	case typ >= 1 && typ <= 23:
		return h264Starts(typ, p[1:])
	case typ == h264TypeSTAPA:
		if len(p) < 4 {
			return false
		}
		return h264Starts(p[3]&0x1F, p[4:])
	case typ == h264TypeFUA:
		if len(p) < 2 || p[1]&0x80 == 0 {
			return false
		}
		return h264Starts(p[1]&0x1F, p[2:])
	}
	return false
}

// h264Starts: ITU-T H.264 7.4.1.2.3 lists what may open an access unit. A
// slice opens one when first_mb_in_slice is 0, whose ue(v) code is the
// single bit 1.
func h264Starts(typ uint8, rbsp []byte) bool {
	switch typ {
	case 1, 2, 5:
		return len(rbsp) > 0 && rbsp[0]&0x80 != 0
	case h264TypeSEI, h264TypeSPS, h264TypePPS, h264TypeAUD, 13, 14, 15, 16, 17, 18:
		return true
	}
	return false
}

// h265Starts: ITU-T H.265 7.4.2.4.4; a slice segment opens a picture when
// first_slice_segment_in_pic_flag, its first bit, is set.
func h265Starts(typ uint8, rbsp []byte) bool {
	switch {
	case typ <= h265TypeVCLLast:
		return len(rbsp) > 0 && rbsp[0]&0x80 != 0
	case typ >= h265TypeVPS && typ <= h265TypeAUD, typ == h265TypePrefixSEI, typ >= 41 && typ <= 44:
		return true
	}
	return false
}
