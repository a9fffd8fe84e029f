package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Params are a stream's parameter sets. VPS is H.265 only.
type Params struct {
	Codec         Codec
	VPS, SPS, PPS []byte
}

// StreamInfo is what the SPS tells about a stream.
type StreamInfo struct {
	Width, Height int    // after cropping
	Profile       string // e.g. "Main", "High"
	MIMECodec     string // RFC 6381 codecs parameter, e.g. "avc1.4d401e", "hvc1.1.6.L93.B0"
}

// maxFmtpBytes caps the a=fmtp value accepted; parameter sets in SDP are a
// few hundred bytes at most.
const maxFmtpBytes = 64 << 10

// ParamsFromFmtp reads the parameter sets from the value of an SDP a=fmtp
// attribute: sprop-parameter-sets for H.264 (RFC 6184), sprop-vps,
// sprop-sps and sprop-pps for H.265 (RFC 7798). A leading payload type
// ("96 ") is tolerated. Absent sets are left empty; malformed base64 is an
// error. Each set is filed by its own NAL unit type, so a camera listing
// them out of order still works.
func ParamsFromFmtp(c Codec, fmtp string) (Params, error) {
	p := Params{Codec: c}
	if c != H264 && c != H265 {
		return p, fmt.Errorf("codec: fmtp: unknown codec %v", c)
	}
	if len(fmtp) > maxFmtpBytes {
		return p, errors.New("codec: fmtp: value too long")
	}
	fmtp = strings.TrimSpace(fmtp)
	if i := strings.IndexByte(fmtp, ' '); i > 0 && isDigits(fmtp[:i]) {
		fmtp = fmtp[i+1:]
	}
	for _, field := range strings.Split(fmtp, ";") {
		key, value, _ := strings.Cut(strings.TrimSpace(field), "=")
		key = strings.ToLower(strings.TrimSpace(key))
		var want uint8
		switch {
		case c == H264 && key == "sprop-parameter-sets":
		case c == H265 && key == "sprop-vps":
			want = h265TypeVPS
		case c == H265 && key == "sprop-sps":
			want = h265TypeSPS
		case c == H265 && key == "sprop-pps":
			want = h265TypePPS
		default:
			continue
		}
		for _, item := range strings.Split(strings.TrimSpace(value), ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			nalu, err := decodeBase64(item)
			if err != nil {
				return p, fmt.Errorf("codec: fmtp: %s: %w", key, err)
			}
			if want != 0 && NALUType(H265, nalu) != want {
				return p, fmt.Errorf("codec: fmtp: %s holds NAL unit type %d", key, NALUType(H265, nalu))
			}
			// Only the first set of each kind is kept; streams with
			// several SPS ids are not something cameras send.
			if !p.has(nalu) {
				p.Update(nalu)
			}
		}
	}
	return p, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// decodeBase64 accepts padded and, as some cameras send, unpadded base64.
func decodeBase64(s string) ([]byte, error) {
	var b []byte
	var err error
	if strings.HasSuffix(s, "=") || len(s)%4 == 0 {
		b, err = base64.StdEncoding.DecodeString(s)
	} else {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, errors.New("malformed base64")
	}
	if len(b) == 0 {
		return nil, errors.New("empty parameter set")
	}
	return b, nil
}

// has reports whether p already holds a set of nalu's kind.
func (p *Params) has(nalu []byte) bool {
	if slot := p.slot(nalu); slot != nil {
		return len(*slot) > 0
	}
	return false
}

// slot returns where a parameter set of nalu's kind is kept, or nil when
// nalu is not one.
func (p *Params) slot(nalu []byte) *[]byte {
	if len(nalu) == 0 {
		return nil
	}
	switch p.Codec {
	case H264:
		if nalu[0]&0x80 != 0 {
			return nil
		}
		switch NALUType(H264, nalu) {
		case h264TypeSPS:
			return &p.SPS
		case h264TypePPS:
			return &p.PPS
		}
	case H265:
		if len(nalu) < h265NALHeaderBytes || nalu[0]&0x80 != 0 {
			return nil
		}
		switch NALUType(H265, nalu) {
		case h265TypeVPS:
			return &p.VPS
		case h265TypeSPS:
			return &p.SPS
		case h265TypePPS:
			return &p.PPS
		}
	}
	return nil
}

// Update stores a copy of nalu if it is a parameter set of p.Codec and
// reports whether it differs from the one held. Cameras repeat their
// parameter sets before every keyframe, so the comparison lets callers act
// only on real changes (a new resolution, say).
func (p *Params) Update(nalu []byte) (changed bool) {
	slot := p.slot(nalu)
	if slot == nil || bytes.Equal(*slot, nalu) {
		return false
	}
	*slot = append([]byte(nil), nalu...)
	return true
}

// Complete reports whether p has every set a decoder needs: SPS and PPS,
// and for H.265 the VPS.
func (p Params) Complete() bool {
	switch p.Codec {
	case H264:
		return len(p.SPS) > 0 && len(p.PPS) > 0
	case H265:
		return len(p.VPS) > 0 && len(p.SPS) > 0 && len(p.PPS) > 0
	}
	return false
}

// Equal reports whether p and q are the same codec with the same sets.
func (p Params) Equal(q Params) bool {
	return p.Codec == q.Codec && bytes.Equal(p.VPS, q.VPS) &&
		bytes.Equal(p.SPS, q.SPS) && bytes.Equal(p.PPS, q.PPS)
}

// Info parses the SPS.
func (p Params) Info() (StreamInfo, error) {
	if len(p.SPS) == 0 {
		return StreamInfo{}, errors.New("codec: no SPS")
	}
	switch p.Codec {
	case H264:
		s, err := parseH264SPS(p.SPS)
		if err != nil {
			return StreamInfo{}, err
		}
		return StreamInfo{
			Width:     s.width,
			Height:    s.height,
			Profile:   s.profileName(),
			MIMECodec: fmt.Sprintf("avc1.%02x%02x%02x", s.profileIDC, s.constraints, s.levelIDC),
		}, nil
	case H265:
		s, err := parseH265SPS(p.SPS)
		if err != nil {
			return StreamInfo{}, err
		}
		return StreamInfo{
			Width:     s.width,
			Height:    s.height,
			Profile:   s.profileName(),
			MIMECodec: s.mimeCodec(),
		}, nil
	}
	return StreamInfo{}, fmt.Errorf("codec: unknown codec %v", p.Codec)
}
