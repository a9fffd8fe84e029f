package live

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/vigil-cctv/vigil/internal/codec"
)

// maxOfferBytes caps an offer; browsers' are a few kilobytes.
const maxOfferBytes = 64 << 10

// maxFormats caps the formats considered in one media section.
const maxFormats = 128

// offeredFormat is one payload type of the offer's video section.
type offeredFormat struct {
	pt       uint8
	name     string // encoding name, upper case
	clock    uint32
	fmtp     string
	feedback []webrtc.RTCPFeedback
	params   map[string]string // fmtp, keys lower case
}

// codecChoice is the format we answer with and the local track's codec.
type codecChoice struct {
	codec     webrtc.RTPCodecParameters
	track     webrtc.RTPCodecCapability
	audioMids []string // of the offer's audio sections, to answer inactive
}

// feedbackWanted is the RTCP feedback we accept: NACK, which the NACK
// responder answers, and keyframe requests, which are counted.
var feedbackWanted = []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}

// CheckOffer reports whether a browser's SDP offer can receive camera
// hub h's video, without starting a session: nil, or the error Offer
// would give (ErrBadOffer, ErrNoVideo, a *CodecError).
func CheckOffer(h *Hub, offer []byte) error {
	_, err := chooseCodec(h, offer)
	return err
}

// chooseCodec picks, from the first video section of offer the browser
// would receive on, the format to send camera hub h's video in.
func chooseCodec(h *Hub, offer []byte) (codecChoice, error) {
	if len(offer) == 0 || len(offer) > maxOfferBytes {
		return codecChoice{}, fmt.Errorf("%w: %d bytes", ErrBadOffer, len(offer))
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(offer)); err != nil {
		return codecChoice{}, fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	md := firstVideo(&sd)
	if md == nil {
		return codecChoice{}, ErrNoVideo
	}
	formats := videoFormats(md)
	var names []string
	for _, f := range formats {
		s := fmt.Sprintf("%s/%d", f.name, f.clock)
		if f.name == "H264" {
			s += " packetization-mode=" + f.param("packetization-mode", "0")
		}
		names = append(names, s)
	}
	if len(names) == 0 {
		names = []string{"nothing"}
	}
	cerr := &CodecError{Camera: h.codecName, Offered: names}
	var best *offeredFormat
	switch h.codec {
	case codec.H264:
		best = chooseH264(h, formats)
		cerr.Reason = "no H.264 with packetization-mode=1"
	case codec.H265:
		best = chooseH265(h, formats)
		cerr.Reason = "no H.265 (browsers without hardware H.265 decoding cannot show this camera live)"
	default:
		cerr.Reason = "Vigil cannot forward this codec"
	}
	if best == nil {
		return codecChoice{}, cerr
	}
	mime := webrtc.MimeTypeH264
	trackFmtp := ""
	if h.codec == codec.H265 {
		mime = webrtc.MimeTypeH265
		trackFmtp = best.fmtp
	} else {
		// The track says what the camera sends: packetization mode 1
		// and its profile; pion binds it to the one format negotiated.
		prof := best.param("profile-level-id", "42e01f")
		if p, ok := h.cameraProfile(); ok {
			prof = hex.EncodeToString(p[:])
		}
		trackFmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + prof
	}
	var fb []webrtc.RTCPFeedback
	for _, w := range feedbackWanted {
		for _, o := range best.feedback {
			if strings.EqualFold(o.Type, w.Type) && strings.EqualFold(o.Parameter, w.Parameter) {
				fb = append(fb, w)
				break
			}
		}
	}
	var audio []string
	for _, m := range sd.MediaDescriptions {
		mid, ok := m.Attribute("mid")
		if ok && mid != "" && strings.EqualFold(m.MediaName.Media, "audio") && m.MediaName.Port.Value != 0 && len(audio) < 8 {
			audio = append(audio, mid)
		}
	}
	return codecChoice{
		audioMids: audio,
		codec: webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000, SDPFmtpLine: best.fmtp, RTCPFeedback: fb},
			PayloadType:        webrtc.PayloadType(best.pt),
		},
		track: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000, SDPFmtpLine: trackFmtp},
	}, nil
}

// firstVideo returns the first video section a browser would receive on,
// the one pion attaches our track to.
func firstVideo(sd *sdp.SessionDescription) *sdp.MediaDescription {
	for _, md := range sd.MediaDescriptions {
		if !strings.EqualFold(md.MediaName.Media, "video") || md.MediaName.Port.Value == 0 {
			continue
		}
		if _, ok := md.Attribute("sendonly"); ok {
			continue
		}
		if _, ok := md.Attribute("inactive"); ok {
			continue
		}
		return md
	}
	return nil
}

// videoFormats lists a media section's formats in the browser's order of
// preference, with their rtpmap, fmtp and rtcp-fb.
func videoFormats(md *sdp.MediaDescription) []*offeredFormat {
	byPT := map[uint8]*offeredFormat{}
	var list []*offeredFormat
	for _, f := range md.MediaName.Formats {
		pt, err := strconv.ParseUint(f, 10, 7)
		if err != nil || byPT[uint8(pt)] != nil || len(list) >= maxFormats {
			continue
		}
		o := &offeredFormat{pt: uint8(pt)}
		byPT[o.pt] = o
		list = append(list, o)
	}
	var wildFB []webrtc.RTCPFeedback
	for _, a := range md.Attributes {
		ptStr, rest, _ := strings.Cut(strings.TrimSpace(a.Value), " ")
		rest = strings.TrimSpace(rest)
		var o *offeredFormat
		if pt, err := strconv.ParseUint(ptStr, 10, 7); err == nil {
			o = byPT[uint8(pt)]
		}
		switch a.Key {
		case "rtpmap":
			if o == nil {
				continue
			}
			name, clock, _ := strings.Cut(rest, "/")
			clock, _, _ = strings.Cut(clock, "/")
			c, _ := strconv.ParseUint(clock, 10, 32)
			o.name, o.clock = strings.ToUpper(name), uint32(c)
		case "fmtp":
			if o == nil {
				continue
			}
			o.fmtp = rest
			o.params = parseFmtp(rest)
		case "rtcp-fb":
			typ, param, _ := strings.Cut(rest, " ")
			fb := webrtc.RTCPFeedback{Type: typ, Parameter: strings.TrimSpace(param)}
			if ptStr == "*" {
				wildFB = append(wildFB, fb)
			} else if o != nil && len(o.feedback) < 16 {
				o.feedback = append(o.feedback, fb)
			}
		}
	}
	out := list[:0]
	for _, o := range list {
		if o.name == "" {
			continue
		}
		o.feedback = append(o.feedback, wildFB...)
		out = append(out, o)
	}
	return out
}

// parseFmtp splits "a=b;c=d" into a map with lower-case keys.
func parseFmtp(s string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Split(s, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" && len(m) < 32 {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

func (o *offeredFormat) param(key, def string) string {
	if v, ok := o.params[key]; ok {
		return v
	}
	return def
}

// parseProfileLevelID decodes a profile-level-id: profile_idc, the
// constraint flags, level_idc.
func parseProfileLevelID(s string) ([3]byte, bool) {
	var b [3]byte
	if len(s) != 6 {
		return b, false
	}
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return b, false
	}
	return b, true
}

// profileRank orders H.264 profiles by the coding tools they allow, so
// the nearest to the camera's can be found when none is equal.
func profileRank(idc byte) int {
	switch idc {
	case 66:
		return 0 // Baseline
	case 77, 88:
		return 1 // Main, Extended
	case 100:
		return 2 // High
	case 110:
		return 3
	case 122:
		return 4
	case 244:
		return 5
	}
	return 2
}

// chooseH264 picks the browser's H.264 format with packetization mode 1
// nearest the camera's profile: the same profile and constraints (what
// pion calls an exact match), else the same profile, else the nearest by
// rank, preferring a profile with more tools, which a browser can only
// decode better. Browsers decode any profile in practice; the choice only
// keeps the answer honest. Ties go to the browser's preference.
func chooseH264(h *Hub, formats []*offeredFormat) *offeredFormat {
	cam, hasCam := h.cameraProfile()
	var best *offeredFormat
	bestScore := -1 << 30
	for _, f := range formats {
		if f.name != "H264" || f.clock != 90000 || f.param("packetization-mode", "0") != "1" {
			continue
		}
		// RFC 6184 gives 42000a (Baseline, level 1) when absent.
		off, ok := parseProfileLevelID(f.param("profile-level-id", "42000a"))
		if !ok {
			continue
		}
		score := 0
		if hasCam {
			switch {
			case off[0] == cam[0] && off[1] == cam[1]:
				score = 100
			case off[0] == cam[0]:
				score = 90
			default:
				d := profileRank(off[0]) - profileRank(cam[0])
				score = 50 - 10*absInt(d)
				if d > 0 {
					score += 5
				}
			}
		}
		if score > bestScore {
			best, bestScore = f, score
		}
	}
	return best
}

// chooseH265 picks the browser's H.265 format (single RTP stream) nearest
// the camera's profile and tier.
func chooseH265(h *Hub, formats []*offeredFormat) *offeredFormat {
	cam, hasCam := h.cameraProfile()
	var best *offeredFormat
	bestScore := -1
	for _, f := range formats {
		if f.name != "H265" || f.clock != 90000 || !strings.EqualFold(f.param("tx-mode", "SRST"), "SRST") {
			continue
		}
		score := 0
		if hasCam {
			if f.param("profile-id", "1") == strconv.Itoa(int(cam[0]&0x1F)) {
				score += 2
			}
			if f.param("tier-flag", "0") == strconv.Itoa(int(cam[0]>>5&1)) {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = f, score
		}
	}
	return best
}
