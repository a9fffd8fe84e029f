package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// DecoderConfig returns the body (without box header) of the avcC box
// (AVCDecoderConfigurationRecord, ISO/IEC 14496-15 5.3.3.1) or hvcC box
// (HEVCDecoderConfigurationRecord, 8.3.3.1) for p, with 4-byte NAL unit
// lengths. Fields that need the VUI or PPS (min_spatial_segmentation_idc,
// parallelismType) and frame-rate hints are written as "unknown" (0),
// which the format allows.
func DecoderConfig(p Params) ([]byte, error) {
	if !p.Complete() {
		return nil, errors.New("codec: decoder config: parameter sets incomplete")
	}
	if len(p.VPS) > 0xFFFF || len(p.SPS) > 0xFFFF || len(p.PPS) > 0xFFFF {
		return nil, errors.New("codec: decoder config: parameter set too long")
	}
	switch p.Codec {
	case H264:
		s, err := parseH264SPS(p.SPS)
		if err != nil {
			return nil, err
		}
		b := make([]byte, 0, 16+len(p.SPS)+len(p.PPS))
		b = append(b, 1, s.profileIDC, s.constraints, s.levelIDC,
			0xFC|3, // reserved, lengthSizeMinusOne
			0xE0|1) // reserved, numOfSequenceParameterSets
		b = binary.BigEndian.AppendUint16(b, uint16(len(p.SPS)))
		b = append(b, p.SPS...)
		b = append(b, 1) // numOfPictureParameterSets
		b = binary.BigEndian.AppendUint16(b, uint16(len(p.PPS)))
		b = append(b, p.PPS...)
		switch s.profileIDC {
		case 100, 110, 122, 144:
			b = append(b, 0xFC|s.chromaFormatIDC, 0xF8|s.bitDepthLumaMinus8,
				0xF8|s.bitDepthChromaMinus8, 0) // no SPS extensions
		}
		return b, nil
	case H265:
		s, err := parseH265SPS(p.SPS)
		if err != nil {
			return nil, err
		}
		b := make([]byte, 0, 23+3*5+len(p.VPS)+len(p.SPS)+len(p.PPS))
		b = append(b, 1, s.profileSpace<<6|s.tier<<5|s.profileIDC)
		b = binary.BigEndian.AppendUint32(b, s.compatibility)
		b = append(b, byte(s.constraints>>40), byte(s.constraints>>32))
		b = binary.BigEndian.AppendUint32(b, uint32(s.constraints))
		b = append(b, s.levelIDC,
			0xF0, 0x00, // reserved, min_spatial_segmentation_idc
			0xFC, // reserved, parallelismType
			0xFC|s.chromaFormatIDC,
			0xF8|s.bitDepthLumaMinus8,
			0xF8|s.bitDepthChrMinus8,
			0, 0) // avgFrameRate
		nested := byte(0)
		if s.temporalIDNesting {
			nested = 1
		}
		// constantFrameRate 0, numTemporalLayers, temporalIdNested,
		// lengthSizeMinusOne
		b = append(b, (s.maxSubLayersMinus1+1)<<3|nested<<2|3)
		b = append(b, 3) // numOfArrays
		for _, a := range [...]struct {
			typ  byte
			nalu []byte
		}{{h265TypeVPS, p.VPS}, {h265TypeSPS, p.SPS}, {h265TypePPS, p.PPS}} {
			b = append(b, 0x80|a.typ, 0, 1) // array_completeness, type, numNalus
			b = binary.BigEndian.AppendUint16(b, uint16(len(a.nalu)))
			b = append(b, a.nalu...)
		}
		return b, nil
	}
	return nil, fmt.Errorf("codec: decoder config: unknown codec %v", p.Codec)
}

// ParseDecoderConfig reads the parameter sets from an avcC or hvcC box body,
// as written by ffmpeg and cameras' MP4 muxers. The first set of each kind
// is kept; sets absent from the record (allowed for avc3/hev1 sample
// entries) are left empty.
func ParseDecoderConfig(c Codec, body []byte) (Params, error) {
	switch c {
	case H264:
		return parseAVCC(body)
	case H265:
		return parseHVCC(body)
	}
	return Params{}, fmt.Errorf("codec: decoder config: unknown codec %v", c)
}

// cursor reads big-endian fields from a record, failing once it runs out.
type cursor struct {
	b   []byte
	bad bool
}

func (c *cursor) u8() byte {
	if len(c.b) < 1 {
		c.bad = true
		return 0
	}
	v := c.b[0]
	c.b = c.b[1:]
	return v
}

func (c *cursor) u16() int {
	if len(c.b) < 2 {
		c.bad = true
		return 0
	}
	v := binary.BigEndian.Uint16(c.b)
	c.b = c.b[2:]
	return int(v)
}

func (c *cursor) take(n int) []byte {
	if len(c.b) < n {
		c.bad = true
		return nil
	}
	v := c.b[:n:n]
	c.b = c.b[n:]
	return v
}

func parseAVCC(body []byte) (Params, error) {
	p := Params{Codec: H264}
	c := cursor{b: body}
	if v := c.u8(); !c.bad && v != 1 {
		return p, fmt.Errorf("codec: avcC: configurationVersion %d", v)
	}
	c.take(3) // profile, compatibility, level: repeated in the SPS
	if c.u8()&3 != 3 && !c.bad {
		return p, errors.New("codec: avcC: NAL unit lengths are not 4 bytes")
	}
	for range c.u8() & 0x1F {
		if err := p.addFromRecord(c.take(c.u16()), h264TypeSPS); err != nil {
			return p, fmt.Errorf("codec: avcC: %w", err)
		}
	}
	for range c.u8() {
		if err := p.addFromRecord(c.take(c.u16()), h264TypePPS); err != nil {
			return p, fmt.Errorf("codec: avcC: %w", err)
		}
	}
	if c.bad {
		return Params{Codec: H264}, errors.New("codec: avcC: truncated")
	}
	// The high-profile extension that may follow holds nothing the SPS
	// does not.
	return p, nil
}

func parseHVCC(body []byte) (Params, error) {
	p := Params{Codec: H265}
	if len(body) < 23 {
		return p, errors.New("codec: hvcC: truncated")
	}
	// Early ffmpeg versions wrote configurationVersion 0 with the same
	// layout.
	if body[0] > 1 {
		return p, fmt.Errorf("codec: hvcC: configurationVersion %d", body[0])
	}
	if body[21]&3 != 3 {
		return p, errors.New("codec: hvcC: NAL unit lengths are not 4 bytes")
	}
	c := cursor{b: body[22:]}
	for range c.u8() {
		typ := c.u8() & 0x3F
		for range c.u16() {
			nalu := c.take(c.u16())
			if c.bad {
				break
			}
			switch typ {
			case h265TypeVPS, h265TypeSPS, h265TypePPS:
				if err := p.addFromRecord(nalu, typ); err != nil {
					return p, fmt.Errorf("codec: hvcC: %w", err)
				}
			}
			// Other arrays (SEI) are not parameter sets.
		}
		if c.bad {
			break
		}
	}
	if c.bad {
		return Params{Codec: H265}, errors.New("codec: hvcC: truncated")
	}
	return p, nil
}

// addFromRecord files a parameter set from a decoder configuration record
// after checking that it is what its place in the record says.
func (p *Params) addFromRecord(nalu []byte, typ uint8) error {
	if nalu == nil {
		return nil // truncated; the caller reports it
	}
	if len(nalu) == 0 || NALUType(p.Codec, nalu) != typ || (p.Codec == H265 && len(nalu) < h265NALHeaderBytes) {
		return fmt.Errorf("parameter set is not NAL unit type %d", typ)
	}
	if !p.has(nalu) {
		p.Update(nalu)
	}
	return nil
}
