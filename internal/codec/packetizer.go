package codec

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/pion/rtp"
)

// Packetizer turns access units into RTP packets (RFC 6184 packetization
// mode 1, RFC 7798 without DONL). It is not safe for concurrent use.
type Packetizer struct {
	codec Codec
	pt    uint8
	ssrc  uint32
	mtu   int
	seq   uint16
	plans []packetPlan // scratch, reused between calls
}

// packetPlan is one packet to come: NAL units [first, last) aggregated (or
// sent alone), or a fragment of NAL unit first.
type packetPlan struct {
	first, last int
	frag        bool
}

// minMTU leaves room in a fragment for its headers and at least one byte.
const (
	minMTU = 8
	maxMTU = 65000 // aggregated NAL unit sizes are 16 bits
)

// NewPacketizer returns a packetizer whose packets carry at most mtu bytes
// of payload (1400, say; clamped to 8..65000). Sequence numbers start at a random
// value, as RFC 3550 asks.
func NewPacketizer(c Codec, payloadType uint8, ssrc uint32, mtu int) *Packetizer {
	return &Packetizer{
		codec: c,
		pt:    payloadType & 0x7F,
		ssrc:  ssrc,
		mtu:   min(max(mtu, minMTU), maxMTU),
		seq:   uint16(rand.Uint32()),
	}
}

// Packetize returns the packets of one access unit, all with timestamp
// au.Timestamp and the marker bit on the last. Runs of NAL units that fit
// one packet together are aggregated (STAP-A, AP); NAL units larger than a
// packet are fragmented (FU-A, FU). Empty NAL units are skipped. All
// payloads share one allocation.
func (p *Packetizer) Packetize(au AccessUnit) []*rtp.Packet {
	hdr := 1 // NAL unit header size
	if p.codec == H265 {
		hdr = 2
	}
	fuData := p.mtu - hdr - 1 // payload bytes per fragment

	// Plan the packets first, sizing the shared buffer exactly.
	plans := p.plans[:0]
	defer func() { p.plans = plans[:0] }()
	size := 0
	nalus := au.NALUs
	valid := func(u []byte) bool { return len(u) >= hdr }
	for i := 0; i < len(nalus); {
		u := nalus[i]
		if !valid(u) {
			i++
			continue
		}
		if len(u) > p.mtu {
			n := (len(u) - hdr + fuData - 1) / fuData
			for j := 0; j < n; j++ {
				plans = append(plans, packetPlan{first: i, last: i + 1, frag: true})
			}
			size += len(u) - hdr + n*(hdr+1)
			i++
			continue
		}
		// Aggregate as many following NAL units as fit.
		agg := hdr + 2 + len(u)
		j := i + 1
		for ; j < len(nalus); j++ {
			if !valid(nalus[j]) {
				continue
			}
			if agg+2+len(nalus[j]) > p.mtu {
				break
			}
			agg += 2 + len(nalus[j])
		}
		count := 0
		for k := i; k < j; k++ {
			if valid(nalus[k]) {
				count++
			}
		}
		if count == 1 {
			size += len(u)
		} else {
			size += agg
		}
		plans = append(plans, packetPlan{first: i, last: j})
		i = j
	}
	if len(plans) == 0 {
		return nil
	}

	buf := make([]byte, 0, size)
	pkts := make([]rtp.Packet, len(plans))
	out := make([]*rtp.Packet, len(plans))
	for i := 0; i < len(plans); {
		pl := plans[i]
		if pl.frag {
			u := nalus[pl.first]
			data := u[hdr:]
			for s := true; len(data) > 0; s = false {
				n := min(len(data), fuData)
				start := len(buf)
				var fuHdr byte
				if s {
					fuHdr |= 0x80
				}
				if n == len(data) {
					fuHdr |= 0x40
				}
				if p.codec == H265 {
					buf = append(buf, u[0]&0x81|h265TypeFU<<1, u[1], fuHdr|NALUType(H265, u))
				} else {
					buf = append(buf, u[0]&0xE0|h264TypeFUA, fuHdr|u[0]&0x1F)
				}
				buf = append(buf, data[:n]...)
				data = data[n:]
				p.fill(&pkts[i], buf[start:], au.Timestamp)
				out[i] = &pkts[i]
				i++
			}
			continue
		}
		start := len(buf)
		group := nalus[pl.first:pl.last]
		count, single := 0, []byte(nil)
		for _, u := range group {
			if valid(u) {
				count, single = count+1, u
			}
		}
		switch {
		case count == 1:
			buf = append(buf, single...)
		case p.codec == H265:
			// AP header: F bit if any has it, lowest layer and temporal ids.
			var f, layer, tid byte = 0, 0x3F, 7
			for _, u := range group {
				if valid(u) {
					f |= u[0] & 0x80
					layer = min(layer, (u[0]&1)<<5|u[1]>>3)
					tid = min(tid, u[1]&7)
				}
			}
			buf = append(buf, f|h265TypeAP<<1|layer>>5, (layer&0x1F)<<3|tid)
			buf = appendAggregated(buf, group, hdr)
		default:
			// STAP-A header: F bit if any has it, highest NRI.
			var f, nri byte
			for _, u := range group {
				if valid(u) {
					f |= u[0] & 0x80
					nri = max(nri, u[0]&0x60)
				}
			}
			buf = append(buf, f|nri|h264TypeSTAPA)
			buf = appendAggregated(buf, group, hdr)
		}
		p.fill(&pkts[i], buf[start:], au.Timestamp)
		out[i] = &pkts[i]
		i++
	}
	out[len(out)-1].Marker = true
	return out
}

// appendAggregated appends the size-prefixed NAL units of an aggregation
// packet, skipping those shorter than a NAL unit header.
func appendAggregated(buf []byte, group [][]byte, hdr int) []byte {
	for _, u := range group {
		if len(u) >= hdr {
			buf = binary.BigEndian.AppendUint16(buf, uint16(len(u)))
			buf = append(buf, u...)
		}
	}
	return buf
}

func (p *Packetizer) fill(pkt *rtp.Packet, payload []byte, ts uint32) {
	pkt.Version = 2
	pkt.PayloadType = p.pt
	pkt.SequenceNumber = p.seq
	pkt.Timestamp = ts
	pkt.SSRC = p.ssrc
	pkt.Payload = payload[:len(payload):len(payload)]
	p.seq++
}

// SDPFmtp returns the a=fmtp value, without the payload type, announcing
// params: "packetization-mode=1;profile-level-id=...;sprop-parameter-sets=..."
// for H.264, "sprop-vps=...;sprop-sps=...;sprop-pps=..." for H.265. Absent
// parameter sets are left out.
func (p *Packetizer) SDPFmtp(params Params) string {
	enc := base64.StdEncoding.EncodeToString
	var parts []string
	if p.codec == H265 {
		for _, s := range [...]struct {
			key  string
			nalu []byte
		}{{"sprop-vps", params.VPS}, {"sprop-sps", params.SPS}, {"sprop-pps", params.PPS}} {
			if len(s.nalu) > 0 {
				parts = append(parts, s.key+"="+enc(s.nalu))
			}
		}
		return strings.Join(parts, ";")
	}
	parts = append(parts, "packetization-mode=1")
	if len(params.SPS) >= 4 {
		parts = append(parts, fmt.Sprintf("profile-level-id=%02x%02x%02x", params.SPS[1], params.SPS[2], params.SPS[3]))
	}
	var sets []string
	for _, s := range [][]byte{params.SPS, params.PPS} {
		if len(s) > 0 {
			sets = append(sets, enc(s))
		}
	}
	if len(sets) > 0 {
		parts = append(parts, "sprop-parameter-sets="+strings.Join(sets, ","))
	}
	return strings.Join(parts, ";")
}
