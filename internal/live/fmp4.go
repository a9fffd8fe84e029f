package live

import (
	"bytes"
	"fmt"

	"github.com/vigil-cctv/vigil/internal/codec"
	"github.com/vigil-cctv/vigil/internal/mp4"
)

// defaultFrameDur is a frame's duration until two frames tell: 25 fps.
const defaultFrameDur = 3600

// maxFrameDur bounds the step between two frames' timestamps taken as a
// duration; a larger one is a jump in the camera's clock, not a pause.
const maxFrameDur = 10 * 90000

// FMP4Init is an init segment (ftyp and moov) and what it describes.
type FMP4Init struct {
	Codec  string // "H264" or "H265"
	MIME   string // for MediaSource.addSourceBuffer: video/mp4; codecs="avc1.4d401e"
	Width  int
	Height int
	Data   []byte
}

// FMP4 turns a subscriber's frames into fragmented MP4, one fragment
// (moof and mdat) per frame so that nothing waits for the next frame:
// for Media Source Extensions in browsers, and for the transcoder's
// ffmpeg.
//
// Decode times start at 0 and are continuous: each frame lasts the step
// from the timestamp before it to its own, in the camera's 90 kHz clock,
// so the timeline is the camera's delayed by one frame, never with a gap
// or an overlap. A gap (frames dropped, a clock jump) would stall a
// browser's playback or, past twice a frame's duration, make it throw
// frames away until a keyframe; across one the timeline just goes on.
// Presentation order is decode order: cameras send no B-frames live.
type FMP4 struct {
	params *codec.Params // of the last init segment
	seq    uint32
	next   uint64 // decode time of the next frame
	dur    uint32 // the last frame's duration
	lastTS uint32
	begun  bool
	buf    []byte
	vcl    [][]byte
}

// NewFMP4 returns a muxer whose first frame must be a keyframe.
func NewFMP4() *FMP4 { return &FMP4{dur: defaultFrameDur} }

// DecodeTime is the decode time, in 90 kHz units, the next frame
// written gets.
func (m *FMP4) DecodeTime() uint64 { return m.next }

// Write returns the fragment of f, valid until the next call, and, when
// f's parameter sets differ from those of the last init segment (always
// for the first frame), the init segment to send before it.
func (m *FMP4) Write(f *Frame) (init *FMP4Init, fragment []byte, err error) {
	if m.params == nil && !f.Keyframe {
		return nil, nil, fmt.Errorf("live: fmp4: the first frame is no keyframe")
	}
	if m.params == nil || f.Params != m.params && !f.Params.Equal(*m.params) {
		init, err = makeInit(f.Params)
		if err != nil {
			return nil, nil, err
		}
	}
	m.params = f.Params

	dur := m.dur
	if m.begun && !f.Discontinuity {
		if d := int64(int32(f.Timestamp - m.lastTS)); d > 0 && d <= maxFrameDur {
			dur = uint32(d)
		}
	}
	m.begun, m.lastTS, m.dur = true, f.Timestamp, dur

	m.vcl = m.vcl[:0]
	size := 0
	for _, u := range f.NALUs {
		// The parameter sets are in the sample entry.
		if len(u) > 0 && !codec.IsParameterSet(f.Codec, u) {
			m.vcl = append(m.vcl, u)
			size += 4 + len(u)
		}
	}
	m.seq++
	m.buf = mp4.AppendFragment(m.buf[:0], m.seq, m.next,
		[]mp4.Sample{{Duration: dur, Size: uint32(size), Keyframe: f.Keyframe}})
	m.buf = codec.AppendAVCC(m.buf, m.vcl)
	m.next += uint64(dur)
	return init, m.buf, nil
}

// makeInit builds the init segment for p.
func makeInit(p *codec.Params) (*FMP4Init, error) {
	info, err := p.Info()
	if err != nil {
		return nil, fmt.Errorf("live: fmp4: %w", err)
	}
	cfg, err := codec.DecoderConfig(*p)
	if err != nil {
		return nil, fmt.Errorf("live: fmp4: %w", err)
	}
	t := mp4.Track{Codec: "avc1", Config: cfg, Width: info.Width, Height: info.Height, Timescale: 90000}
	if p.Codec == codec.H265 {
		t.Codec = "hvc1"
	}
	var b bytes.Buffer
	if _, err := mp4.WriteInit(&b, t); err != nil {
		return nil, fmt.Errorf("live: fmp4: %w", err)
	}
	return &FMP4Init{
		Codec: p.Codec.String(), MIME: `video/mp4; codecs="` + info.MIMECodec + `"`,
		Width: info.Width, Height: info.Height, Data: b.Bytes(),
	}, nil
}
