package codec

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInfoAgainstFFprobe encodes short streams that exercise the SPS
// syntax (cropping, 4:4:4, 4:2:2, monochrome, high bit depth, interlace,
// scaling matrices, temporal sub-layers) and compares Info with what
// ffprobe reports. Each is also muxed to MP4 so the decoder configuration
// record ffmpeg writes can be compared with ours.
func TestInfoAgainstFFprobe(t *testing.T) {
	x265 := "log-level=error"
	tests := []struct {
		name  string
		codec Codec
		size  string
		args  []string
	}{
		{"h264 1080p high", H264, "1920x1080", []string{"-c:v", "libx264", "-preset", "veryfast"}},
		{"h264 1080p baseline", H264, "1920x1080", []string{"-c:v", "libx264", "-preset", "veryfast", "-profile:v", "baseline"}},
		{"h264 444 odd size", H264, "400x200", []string{"-vf", "format=yuv444p,crop=351:199:0:0", "-c:v", "libx264", "-preset", "veryfast"}},
		{"h264 422 10 bit", H264, "400x200", []string{"-vf", "format=yuv422p10le,crop=350:199:0:0", "-c:v", "libx264", "-preset", "veryfast"}},
		{"h264 gray", H264, "400x200", []string{"-vf", "format=gray,crop=351:199:0:0", "-c:v", "libx264", "-preset", "veryfast"}},
		{"h264 interlaced", H264, "720x572", []string{"-c:v", "libx264", "-preset", "veryfast", "-flags", "+ildct+ilme", "-pix_fmt", "yuv420p"}},
		{"h264 scaling matrix", H264, "352x198", []string{"-c:v", "libx264", "-preset", "veryfast", "-x264-params", "cqm=jvt"}},
		{"h265 1080p main", H265, "1920x1080", []string{"-c:v", "libx265", "-preset", "ultrafast", "-x265-params", x265}},
		{"h265 1080p main10", H265, "1920x1080", []string{"-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le", "-x265-params", x265}},
		{"h265 444 odd size", H265, "400x200", []string{"-vf", "format=yuv444p,crop=351:199:0:0", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", x265}},
		{"h265 422", H265, "400x200", []string{"-vf", "format=yuv422p,crop=350:198:0:0", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", x265}},
		{"h265 gray", H265, "400x200", []string{"-vf", "format=gray,crop=351:199:0:0", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", x265}},
		{"h265 temporal layers", H265, "352x198", []string{"-c:v", "libx265", "-preset", "ultrafast", "-x265-params", x265 + ":temporal-layers=1"}},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ext := map[Codec]string{H264: "h264", H265: "hevc"}[tt.codec]
			raw := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+"."+ext)
			args := append([]string{"-f", "lavfi", "-i", "testsrc2=size=" + tt.size + ":rate=25:duration=0.08"}, tt.args...)
			ffmpegOut(t, append(args, "-f", ext, raw)...)
			b, err := os.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			p := paramsOf(tt.codec, SplitAnnexB(b))
			info, err := p.Info()
			if err != nil {
				t.Fatalf("Info: got %v, want no error", err)
			}
			w, h, profile := ffprobeInfo(t, raw)
			if info.Width != w || info.Height != h || info.Profile != profile {
				t.Errorf("got %dx%d %q, want ffprobe's %dx%d %q", info.Width, info.Height, info.Profile, w, h, profile)
			}

			mp4 := filepath.Join(dir, "clip"+string(rune('a'+i))+".mp4")
			ffmpegOut(t, "-i", raw, "-c", "copy", "-f", "mp4", mp4)
			box := clipBox(t, mp4, map[Codec]string{H264: "avcC", H265: "hvcC"}[tt.codec])
			built, err := DecoderConfig(p)
			if err != nil {
				t.Fatalf("DecoderConfig: got %v, want no error", err)
			}
			fromBox, err := ParseDecoderConfig(tt.codec, box)
			if err != nil || !fromBox.Equal(p) {
				t.Fatalf("ParseDecoderConfig of ffmpeg's record: got %x, %v, want %x", fromBox, err, p)
			}
			back, err := ParseDecoderConfig(tt.codec, built)
			if err != nil || !back.Equal(p) {
				t.Fatalf("ParseDecoderConfig of ours: got %x, %v, want %x", back, err, p)
			}
			if tt.codec == H264 {
				// ffmpeg 5.1 leaves out the high-profile extension;
				// compare what both have.
				n := min(len(built), len(box))
				if !bytes.Equal(built[:n], box[:n]) {
					t.Errorf("got avcC % x, want % x", built, box)
				}
				return
			}
			// Header fields other than the hints we leave unknown; see
			// TestClipDecoderConfig.
			for _, r := range [][2]int{{0, 13}, {16, 19}} {
				if !bytes.Equal(built[r[0]:r[1]], box[r[0]:r[1]]) {
					t.Errorf("hvcC bytes %d-%d: got % x, want % x", r[0], r[1]-1, built[r[0]:r[1]], box[r[0]:r[1]])
				}
			}
			if built[21]&0x3F != box[21]&0x3F {
				t.Errorf("hvcC byte 21: got %#02x, want %#02x under mask 0x3f", built[21], box[21])
			}
		})
	}
}

// h264SPSFields drives a hand-built H.264 SPS through syntax ffmpeg's
// encoders never emit.
type h264SPSFields struct {
	profile, constraints, level uint64
	chroma                      uint64 // only written for high profiles
	separatePlanes              bool
	scalingLists                [][]int64 // delta_scale values per list; nil list = absent
	pocType                     uint64
	pocCycle                    []int64
	widthMBs, heightMapUnits    uint64
	frameMBsOnly                bool
	crop                        *[4]uint64
}

func buildH264SPS(f h264SPSFields) []byte {
	var w bitWriter
	w.bits(8, f.profile)
	w.bits(8, f.constraints)
	w.bits(8, f.level)
	w.ue(0) // seq_parameter_set_id
	if h264HasChromaInfo(uint8(f.profile)) {
		w.ue(f.chroma)
		if f.chroma == 3 {
			w.flag(f.separatePlanes)
		}
		w.ue(0)       // bit_depth_luma_minus8
		w.ue(0)       // bit_depth_chroma_minus8
		w.flag(false) // qpprime_y_zero_transform_bypass_flag
		w.flag(f.scalingLists != nil)
		for _, l := range f.scalingLists {
			w.flag(l != nil)
			for _, d := range l {
				w.se(d)
			}
		}
	}
	w.ue(4) // log2_max_frame_num_minus4
	w.ue(f.pocType)
	switch f.pocType {
	case 0:
		w.ue(6)
	case 1:
		w.flag(false)
		w.se(-3)
		w.se(7)
		w.ue(uint64(len(f.pocCycle)))
		for _, v := range f.pocCycle {
			w.se(v)
		}
	}
	w.ue(4)       // max_num_ref_frames
	w.flag(false) // gaps_in_frame_num_value_allowed_flag
	w.ue(f.widthMBs - 1)
	w.ue(f.heightMapUnits - 1)
	w.flag(f.frameMBsOnly)
	if !f.frameMBsOnly {
		w.flag(true)
	}
	w.flag(true) // direct_8x8_inference_flag
	w.flag(f.crop != nil)
	if f.crop != nil {
		for _, v := range f.crop {
			w.ue(v)
		}
	}
	w.flag(false) // vui_parameters_present_flag
	return w.nalu(0x67)
}

// scalingList16 is a scaling list that keeps delta_scale coded for all 16
// entries; scalingListDefault ends early with a 0, selecting the default.
var (
	scalingList16      = []int64{1, -1, 2, 0, 3, -3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	scalingList64      = func() []int64 { l := make([]int64, 64); l[0] = 120; l[1] = -100; return l }()
	scalingListDefault = []int64{-8}
)

func TestParseH264SPSSynthetic(t *testing.T) {
	tests := []struct {
		name          string
		f             h264SPSFields
		width, height int
		profile       string
	}{
		{"poc type 1 with cycle", h264SPSFields{profile: 77, level: 40, pocType: 1, pocCycle: []int64{1, -2, 300},
			widthMBs: 120, heightMapUnits: 68, frameMBsOnly: true, crop: &[4]uint64{0, 0, 0, 4}}, 1920, 1080, "Main"},
		{"poc type 1 empty cycle", h264SPSFields{profile: 66, constraints: 0x40, level: 30, pocType: 1,
			widthMBs: 22, heightMapUnits: 18, frameMBsOnly: true}, 352, 288, "Constrained Baseline"},
		{"scaling lists 4:2:0", h264SPSFields{profile: 100, level: 41, chroma: 1,
			scalingLists: [][]int64{scalingList16, nil, scalingListDefault, nil, nil, scalingList16, scalingList64, scalingListDefault},
			widthMBs:     80, heightMapUnits: 45, frameMBsOnly: true}, 1280, 720, "High"},
		{"scaling lists 4:4:4, twelve lists", h264SPSFields{profile: 244, level: 41, chroma: 3,
			scalingLists: [][]int64{nil, nil, nil, nil, nil, nil, scalingList64, nil, scalingListDefault, nil, nil, scalingList64},
			widthMBs:     20, heightMapUnits: 10, frameMBsOnly: true, crop: &[4]uint64{1, 2, 3, 4}}, 317, 153, "High 4:4:4 Predictive"},
		{"separate colour planes crop in luma units", h264SPSFields{profile: 244, level: 41, chroma: 3, separatePlanes: true,
			widthMBs: 20, heightMapUnits: 10, frameMBsOnly: true, crop: &[4]uint64{1, 0, 0, 1}}, 319, 159, "High 4:4:4 Predictive"},
		{"monochrome", h264SPSFields{profile: 100, level: 30, chroma: 0,
			widthMBs: 20, heightMapUnits: 10, frameMBsOnly: true, crop: &[4]uint64{0, 1, 0, 1}}, 319, 159, "High"},
		{"4:2:2 fields", h264SPSFields{profile: 122, level: 30, chroma: 2, pocType: 2,
			widthMBs: 45, heightMapUnits: 18, frameMBsOnly: false, crop: &[4]uint64{0, 0, 0, 2}}, 720, 572, "High 4:2:2"},
		{"4:2:0 fields", h264SPSFields{profile: 100, level: 30, chroma: 1,
			widthMBs: 120, heightMapUnits: 34, frameMBsOnly: false, crop: &[4]uint64{0, 0, 0, 2}}, 1920, 1080, "High"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sps := buildH264SPS(tt.f)
			info, err := Params{Codec: H264, SPS: sps}.Info()
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			if info.Width != tt.width || info.Height != tt.height || info.Profile != tt.profile {
				t.Errorf("got %dx%d %q, want %dx%d %q", info.Width, info.Height, info.Profile, tt.width, tt.height, tt.profile)
			}
			// Every truncation must fail cleanly. The last byte holds
			// only the stop bit and may go.
			for n := 0; n < len(sps)-1; n++ {
				if _, err := parseH264SPS(sps[:n]); err == nil {
					t.Errorf("SPS cut to %d of %d bytes: got no error, want one", n, len(sps))
				}
			}
		})
	}
}

func TestParseH264SPSErrors(t *testing.T) {
	valid := h264SPSFields{profile: 100, level: 30, chroma: 1, widthMBs: 20, heightMapUnits: 10, frameMBsOnly: true}
	tests := []struct {
		name   string
		mutate func(*h264SPSFields)
		sps    []byte
	}{
		{name: "not an SPS", sps: append([]byte{0x68}, buildH264SPS(valid)[1:]...)},
		{name: "forbidden bit", sps: append([]byte{0xE7}, buildH264SPS(valid)[1:]...)},
		{name: "too short", sps: []byte{0x67, 100, 0}},
		{name: "chroma_format_idc 4", mutate: func(f *h264SPSFields) { f.chroma = 4 }},
		{name: "pic_order_cnt_type 3", mutate: func(f *h264SPSFields) { f.pocType = 3 }},
		{name: "too wide", mutate: func(f *h264SPSFields) { f.widthMBs = 2000 }},
		{name: "width beyond 32 bits", mutate: func(f *h264SPSFields) { f.widthMBs = 1 << 32 }},
		{name: "crop everything", mutate: func(f *h264SPSFields) { f.crop = &[4]uint64{80, 80, 0, 0} }},
		{name: "crop huge", mutate: func(f *h264SPSFields) { f.crop = &[4]uint64{0, 0, 1<<32 - 2, 1<<32 - 2} }},
		{name: "delta_scale out of range", mutate: func(f *h264SPSFields) {
			f.scalingLists = [][]int64{{200}, nil, nil, nil, nil, nil, nil, nil}
		}},
		{name: "poc cycle too long", mutate: func(f *h264SPSFields) { f.pocType = 1; f.pocCycle = make([]int64, 256) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sps := tt.sps
			if tt.mutate != nil {
				f := valid
				tt.mutate(&f)
				sps = buildH264SPS(f)
			}
			if _, err := parseH264SPS(sps); err == nil || !strings.HasPrefix(err.Error(), "codec: ") {
				t.Errorf("got %v, want an error prefixed \"codec: \"", err)
			}
		})
	}
}

// h265SPSFields drives a hand-built H.265 SPS.
type h265SPSFields struct {
	subLayers        uint64 // sps_max_sub_layers_minus1
	profilePresent   []bool
	levelPresent     []bool
	chroma           uint64
	separatePlanes   bool
	width, height    uint64
	window           *[4]uint64
	bitDepthLuma     uint64
	profileIDC, tier uint64
}

func buildH265SPS(f h265SPSFields) []byte {
	var w bitWriter
	w.bits(4, 0)
	w.bits(3, f.subLayers)
	w.flag(true) // sps_temporal_id_nesting_flag
	w.bits(2, 0)
	w.bits(1, f.tier)
	w.bits(5, f.profileIDC)
	w.bits(32, 1<<(31-f.profileIDC))
	w.bits(48, 0xB0<<40)
	w.bits(8, 123)
	for i := 0; i < int(f.subLayers); i++ {
		w.flag(f.profilePresent[i])
		w.flag(f.levelPresent[i])
	}
	if f.subLayers > 0 {
		for i := f.subLayers; i < 8; i++ {
			w.bits(2, 0)
		}
	}
	for i := 0; i < int(f.subLayers); i++ {
		if f.profilePresent[i] {
			w.bits(44, 0xFFFFFFFFFFF) // ones, so misalignment shows
			w.bits(44, 0xFFFFFFFFFFF)
		}
		if f.levelPresent[i] {
			w.bits(8, 0xFF)
		}
	}
	w.ue(0) // sps_seq_parameter_set_id
	w.ue(f.chroma)
	if f.chroma == 3 {
		w.flag(f.separatePlanes)
	}
	w.ue(f.width)
	w.ue(f.height)
	w.flag(f.window != nil)
	if f.window != nil {
		for _, v := range f.window {
			w.ue(v)
		}
	}
	w.ue(f.bitDepthLuma)
	w.ue(f.bitDepthLuma)
	w.ue(4) // log2_max_pic_order_cnt_lsb_minus4, not parsed
	return w.nalu(0x42, 0x01)
}

func TestParseH265SPSSynthetic(t *testing.T) {
	tests := []struct {
		name          string
		f             h265SPSFields
		width, height int
		profile, mime string
	}{
		{"sub-layers, mixed presence", h265SPSFields{subLayers: 3, profilePresent: []bool{true, false, true}, levelPresent: []bool{false, true, true},
			chroma: 1, width: 1920, height: 1088, window: &[4]uint64{0, 0, 0, 4}, profileIDC: 1}, 1920, 1080, "Main", "hvc1.1.2.L123.B0"},
		{"six sub-layers", h265SPSFields{subLayers: 6, profilePresent: []bool{true, true, true, true, true, true}, levelPresent: []bool{true, true, true, true, true, true},
			chroma: 1, width: 64, height: 64, profileIDC: 2, bitDepthLuma: 2, tier: 1}, 64, 64, "Main 10", "hvc1.2.4.H123.B0"},
		{"4:2:2 window", h265SPSFields{chroma: 2, width: 360, height: 208, window: &[4]uint64{1, 2, 3, 4}, profileIDC: 4}, 354, 201, "Rext", "hvc1.4.10.L123.B0"},
		{"4:4:4 window", h265SPSFields{chroma: 3, width: 360, height: 208, window: &[4]uint64{1, 2, 3, 4}, profileIDC: 4}, 357, 201, "Rext", "hvc1.4.10.L123.B0"},
		{"separate planes", h265SPSFields{chroma: 3, separatePlanes: true, width: 360, height: 208, window: &[4]uint64{1, 0, 0, 1}, profileIDC: 4}, 359, 207, "Rext", "hvc1.4.10.L123.B0"},
		{"monochrome", h265SPSFields{chroma: 0, width: 360, height: 208, window: &[4]uint64{0, 1, 0, 9}, profileIDC: 4}, 359, 199, "Rext", "hvc1.4.10.L123.B0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sps := buildH265SPS(tt.f)
			info, err := Params{Codec: H265, SPS: sps}.Info()
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			want := StreamInfo{tt.width, tt.height, tt.profile, tt.mime}
			if info != want {
				t.Errorf("got %+v, want %+v", info, want)
			}
			for n := 0; n < len(sps)-1; n++ {
				if _, err := parseH265SPS(sps[:n]); err == nil {
					t.Errorf("SPS cut to %d of %d bytes: got no error, want one", n, len(sps))
				}
			}
		})
	}
}

func TestParseH265SPSErrors(t *testing.T) {
	valid := h265SPSFields{chroma: 1, width: 64, height: 64, profileIDC: 1}
	tests := []struct {
		name   string
		mutate func(*h265SPSFields)
		sps    []byte
	}{
		{name: "not an SPS", sps: append([]byte{0x40, 0x01}, buildH265SPS(valid)[2:]...)},
		{name: "too short", sps: []byte{0x42, 0x01, 0x01}},
		{name: "seven sub-layers", mutate: func(f *h265SPSFields) {
			f.subLayers = 7
			f.profilePresent = make([]bool, 7)
			f.levelPresent = make([]bool, 7)
		}},
		{name: "chroma_format_idc 4", mutate: func(f *h265SPSFields) { f.chroma = 4 }},
		{name: "zero width", mutate: func(f *h265SPSFields) { f.width = 0 }},
		{name: "too tall", mutate: func(f *h265SPSFields) { f.height = 1 << 20 }},
		{name: "window covers picture", mutate: func(f *h265SPSFields) { f.window = &[4]uint64{16, 16, 0, 0} }},
		{name: "window huge", mutate: func(f *h265SPSFields) { f.window = &[4]uint64{1<<32 - 2, 0, 0, 0} }},
		{name: "bit depth 17", mutate: func(f *h265SPSFields) { f.bitDepthLuma = 9 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sps := tt.sps
			if tt.mutate != nil {
				f := valid
				tt.mutate(&f)
				sps = buildH265SPS(f)
			}
			if _, err := parseH265SPS(sps); err == nil || !strings.HasPrefix(err.Error(), "codec: ") {
				t.Errorf("got %v, want an error prefixed \"codec: \"", err)
			}
		})
	}
}
