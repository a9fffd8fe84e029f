package codec

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// maxDimension bounds picture sizes so arithmetic on them cannot overflow
// and garbage is recognised: the largest level of either standard allows
// 8192x4320, and nothing Vigil records comes near this.
const maxDimension = 16384

// h264SPS holds the fields of an H.264 sequence parameter set (ITU-T H.264
// 7.3.2.1.1) that Vigil uses.
type h264SPS struct {
	profileIDC, constraints, levelIDC uint8
	chromaFormatIDC                   uint8
	bitDepthLumaMinus8                uint8
	bitDepthChromaMinus8              uint8
	width, height                     int
}

// h264HasChromaInfo reports whether an SPS of this profile_idc carries
// chroma_format_idc, bit depths and scaling lists.
func h264HasChromaInfo(profile uint8) bool {
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		return true
	}
	return false
}

func parseH264SPS(nalu []byte) (h264SPS, error) {
	var s h264SPS
	if len(nalu) < 4 {
		return s, errors.New("codec: h264 sps: too short")
	}
	if len(nalu) > maxSPSBytes {
		return s, errors.New("codec: h264 sps: too long")
	}
	if nalu[0]&0x80 != 0 || nalu[0]&0x1F != h264TypeSPS {
		return s, fmt.Errorf("codec: h264 sps: NAL unit header %#02x is not an SPS", nalu[0])
	}
	r := bitReader{b: unescapeRBSP(nalu[1:])}
	s.profileIDC = uint8(r.bits(8))
	s.constraints = uint8(r.bits(8))
	s.levelIDC = uint8(r.bits(8))
	if id := r.ue(); id > 31 {
		return s, fmt.Errorf("codec: h264 sps: seq_parameter_set_id %d out of range", id)
	}
	s.chromaFormatIDC = 1 // inferred when absent
	separateColourPlane := false
	if h264HasChromaInfo(s.profileIDC) {
		cf := r.ue()
		if cf > 3 {
			return s, fmt.Errorf("codec: h264 sps: chroma_format_idc %d out of range", cf)
		}
		s.chromaFormatIDC = uint8(cf)
		if cf == 3 {
			separateColourPlane = r.flag()
		}
		bl, bc := r.ue(), r.ue()
		if bl > 6 || bc > 6 {
			return s, errors.New("codec: h264 sps: bit depth out of range")
		}
		s.bitDepthLumaMinus8, s.bitDepthChromaMinus8 = uint8(bl), uint8(bc)
		r.skip(1)     // qpprime_y_zero_transform_bypass_flag
		if r.flag() { // seq_scaling_matrix_present_flag
			n := 8
			if cf == 3 {
				n = 12
			}
			for i := 0; i < n && r.err == nil; i++ {
				if !r.flag() {
					continue
				}
				size := 16
				if i >= 6 {
					size = 64
				}
				skipScalingList(&r, size)
			}
		}
	}
	if v := r.ue(); v > 12 { // log2_max_frame_num_minus4
		return s, fmt.Errorf("codec: h264 sps: log2_max_frame_num_minus4 %d out of range", v)
	}
	switch poc := r.ue(); poc {
	case 0:
		if v := r.ue(); v > 12 { // log2_max_pic_order_cnt_lsb_minus4
			return s, fmt.Errorf("codec: h264 sps: log2_max_pic_order_cnt_lsb_minus4 %d out of range", v)
		}
	case 1:
		r.skip(1) // delta_pic_order_always_zero_flag
		r.se()    // offset_for_non_ref_pic
		r.se()    // offset_for_top_to_bottom_field
		n := r.ue()
		if n > 255 {
			return s, fmt.Errorf("codec: h264 sps: num_ref_frames_in_pic_order_cnt_cycle %d out of range", n)
		}
		for i := uint32(0); i < n && r.err == nil; i++ {
			r.se() // offset_for_ref_frame
		}
	case 2:
	default:
		return s, fmt.Errorf("codec: h264 sps: pic_order_cnt_type %d out of range", poc)
	}
	r.ue()    // max_num_ref_frames
	r.skip(1) // gaps_in_frame_num_value_allowed_flag
	wMBs := uint64(r.ue()) + 1
	hMapUnits := uint64(r.ue()) + 1
	frameMBsOnly := r.flag()
	if !frameMBsOnly {
		r.skip(1) // mb_adaptive_frame_field_flag
	}
	r.skip(1) // direct_8x8_inference_flag
	var cl, cr, ct, cb uint64
	if r.flag() { // frame_cropping_flag
		cl, cr, ct, cb = uint64(r.ue()), uint64(r.ue()), uint64(r.ue()), uint64(r.ue())
	}
	if r.err != nil {
		return s, fmt.Errorf("codec: h264 sps: %w", r.err)
	}
	// 7.4.2.1.1: crop units depend on chroma subsampling and field coding.
	fieldFactor := uint64(1)
	if !frameMBsOnly {
		fieldFactor = 2
	}
	cropX, cropY := uint64(1), fieldFactor
	if !separateColourPlane && s.chromaFormatIDC != 0 {
		subW, subH := uint64(2), uint64(2)
		switch s.chromaFormatIDC {
		case 2:
			subH = 1
		case 3:
			subW, subH = 1, 1
		}
		cropX, cropY = subW, subH*fieldFactor
	}
	w := wMBs * 16
	h := hMapUnits * 16 * fieldFactor
	if w > maxDimension || h > maxDimension {
		return s, fmt.Errorf("codec: h264 sps: coded size %dx%d too large", w, h)
	}
	// Each offset is below maxDimension here or the sums fail the check.
	if cl > w || cr > w || ct > h || cb > h || cropX*(cl+cr) >= w || cropY*(ct+cb) >= h {
		return s, errors.New("codec: h264 sps: cropping leaves no picture")
	}
	s.width = int(w - cropX*(cl+cr))
	s.height = int(h - cropY*(ct+cb))
	return s, nil
}

// skipScalingList reads past scaling_list() (H.264 7.3.2.1.1.1), whose
// length depends on the values it holds.
func skipScalingList(r *bitReader, size int) {
	last, next := int32(8), int32(8)
	for j := 0; j < size && r.err == nil; j++ {
		if next != 0 {
			delta := r.se()
			if delta < -128 || delta > 127 {
				r.err = errors.New("codec: h264 sps: delta_scale out of range")
				return
			}
			next = (last + delta + 256) % 256
		}
		if next != 0 {
			last = next
		}
	}
}

func (s h264SPS) profileName() string {
	c1 := s.constraints&0x40 != 0
	c3 := s.constraints&0x10 != 0
	switch s.profileIDC {
	case 66:
		if c1 {
			return "Constrained Baseline"
		}
		return "Baseline"
	case 77:
		return "Main"
	case 88:
		return "Extended"
	case 100:
		return "High"
	case 110:
		if c3 {
			return "High 10 Intra"
		}
		return "High 10"
	case 122:
		if c3 {
			return "High 4:2:2 Intra"
		}
		return "High 4:2:2"
	case 244:
		if c3 {
			return "High 4:4:4 Intra"
		}
		return "High 4:4:4 Predictive"
	case 44:
		return "CAVLC 4:4:4"
	case 118:
		return "Multiview High"
	case 128:
		return "Stereo High"
	}
	return fmt.Sprintf("Profile %d", s.profileIDC)
}

// h265SPS holds the fields of an H.265 sequence parameter set (ITU-T H.265
// 7.3.2.2) that Vigil uses.
type h265SPS struct {
	profileSpace       uint8
	tier               uint8
	profileIDC         uint8
	compatibility      uint32 // general_profile_compatibility_flag[0] is the MSB
	constraints        uint64 // 48 bits, progressive_source_flag is bit 47
	levelIDC           uint8
	maxSubLayersMinus1 uint8
	temporalIDNesting  bool
	chromaFormatIDC    uint8
	bitDepthLumaMinus8 uint8
	bitDepthChrMinus8  uint8
	width, height      int
}

func parseH265SPS(nalu []byte) (h265SPS, error) {
	var s h265SPS
	if len(nalu) < h265NALHeaderBytes+13 {
		return s, errors.New("codec: h265 sps: too short")
	}
	if len(nalu) > maxSPSBytes {
		return s, errors.New("codec: h265 sps: too long")
	}
	if nalu[0]&0x80 != 0 || NALUType(H265, nalu) != h265TypeSPS {
		return s, fmt.Errorf("codec: h265 sps: NAL unit header %#02x is not an SPS", nalu[0])
	}
	r := bitReader{b: unescapeRBSP(nalu[h265NALHeaderBytes:])}
	r.skip(4) // sps_video_parameter_set_id
	s.maxSubLayersMinus1 = uint8(r.bits(3))
	if s.maxSubLayersMinus1 > 6 {
		return s, fmt.Errorf("codec: h265 sps: sps_max_sub_layers_minus1 %d out of range", s.maxSubLayersMinus1)
	}
	s.temporalIDNesting = r.flag()
	// profile_tier_level(1, sps_max_sub_layers_minus1), 7.3.3
	s.profileSpace = uint8(r.bits(2))
	s.tier = uint8(r.bits(1))
	s.profileIDC = uint8(r.bits(5))
	s.compatibility = r.bits(32)
	s.constraints = uint64(r.bits(16))<<32 | uint64(r.bits(32))
	s.levelIDC = uint8(r.bits(8))
	n := int(s.maxSubLayersMinus1)
	var profilePresent, levelPresent [8]bool
	for i := 0; i < n; i++ {
		profilePresent[i] = r.flag()
		levelPresent[i] = r.flag()
	}
	if n > 0 {
		r.skip(2 * (8 - n)) // reserved_zero_2bits
	}
	for i := 0; i < n; i++ {
		if profilePresent[i] {
			r.skip(88)
		}
		if levelPresent[i] {
			r.skip(8)
		}
	}
	if id := r.ue(); id > 15 {
		return s, fmt.Errorf("codec: h265 sps: sps_seq_parameter_set_id %d out of range", id)
	}
	cf := r.ue()
	if cf > 3 {
		return s, fmt.Errorf("codec: h265 sps: chroma_format_idc %d out of range", cf)
	}
	s.chromaFormatIDC = uint8(cf)
	separateColourPlane := false
	if cf == 3 {
		separateColourPlane = r.flag()
	}
	w, h := uint64(r.ue()), uint64(r.ue())
	var cl, cr, ct, cb uint64
	if r.flag() { // conformance_window_flag
		cl, cr, ct, cb = uint64(r.ue()), uint64(r.ue()), uint64(r.ue()), uint64(r.ue())
	}
	bl, bc := r.ue(), r.ue()
	if r.err != nil {
		return s, fmt.Errorf("codec: h265 sps: %w", r.err)
	}
	if bl > 8 || bc > 8 {
		return s, errors.New("codec: h265 sps: bit depth out of range")
	}
	s.bitDepthLumaMinus8, s.bitDepthChrMinus8 = uint8(bl), uint8(bc)
	if w == 0 || h == 0 || w > maxDimension || h > maxDimension {
		return s, fmt.Errorf("codec: h265 sps: coded size %dx%d out of range", w, h)
	}
	subW, subH := uint64(1), uint64(1)
	if !separateColourPlane {
		switch cf {
		case 1:
			subW, subH = 2, 2
		case 2:
			subW = 2
		}
	}
	if cl > w || cr > w || ct > h || cb > h || subW*(cl+cr) >= w || subH*(ct+cb) >= h {
		return s, errors.New("codec: h265 sps: conformance window leaves no picture")
	}
	s.width = int(w - subW*(cl+cr))
	s.height = int(h - subH*(ct+cb))
	return s, nil
}

func (s h265SPS) profileName() string {
	idc := s.profileIDC
	if idc == 0 {
		// A profile_idc of 0 defers to the compatibility flags.
		for j := 1; j < 32; j++ {
			if s.compatibility&(1<<(31-j)) != 0 {
				idc = uint8(j)
				break
			}
		}
	}
	switch idc {
	case 1:
		return "Main"
	case 2:
		return "Main 10"
	case 3:
		return "Main Still Picture"
	case 4:
		return "Rext"
	case 5:
		return "High Throughput 4:4:4"
	case 9:
		return "SCC"
	}
	return fmt.Sprintf("Profile %d", idc)
}

// mimeCodec builds the RFC 6381 codecs parameter as ISO/IEC 14496-15
// Annex E defines it for hvc1.
func (s h265SPS) mimeCodec() string {
	var b strings.Builder
	b.WriteString("hvc1.")
	if s.profileSpace > 0 {
		b.WriteByte('A' + s.profileSpace - 1)
	}
	fmt.Fprintf(&b, "%d.%X.", s.profileIDC, bits.Reverse32(s.compatibility))
	if s.tier == 1 {
		b.WriteByte('H')
	} else {
		b.WriteByte('L')
	}
	fmt.Fprintf(&b, "%d", s.levelIDC)
	var cons [6]byte
	last := -1
	for i := range cons {
		cons[i] = byte(s.constraints >> (40 - 8*i))
		if cons[i] != 0 {
			last = i
		}
	}
	for i := 0; i <= last; i++ {
		fmt.Fprintf(&b, ".%X", cons[i])
	}
	return b.String()
}
