package rtsp

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

const maxSDPLines = 4096

// sanitizeSDP rewrites a camera's SDP into the strict RFC 4566 order that
// pion/sdp insists on. Cameras commonly omit o=, s= or t=, put attributes
// before t=, or emit c=/b= lines pion rejects; none of that matters for
// choosing a track, so only what we use is kept: session-level a= lines and,
// per media, the m= line and its a= lines.
func sanitizeSDP(body []byte) string {
	var b strings.Builder
	b.WriteString("v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n")
	n := 0
	for line := range strings.SplitSeq(string(body), "\n") {
		if n++; n > maxSDPLines {
			break
		}
		line = strings.TrimSpace(line)
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		switch line[0] {
		case 'm':
			if !validMediaLine(line[2:]) {
				// Keep later a= lines from attaching to the previous media.
				b.WriteString("m=application 0 RTP/AVP 0\r\n")
				continue
			}
		case 'a':
		default:
			continue
		}
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	return b.String()
}

// validMediaLine pre-checks an m= value so that a single odd media line
// (an unknown protocol, say) cannot make pion reject the whole description.
func validMediaLine(v string) bool {
	f := strings.Fields(v)
	if len(f) < 4 {
		return false
	}
	switch f[0] {
	case "audio", "video", "text", "application", "message":
	default:
		return false
	}
	port, _, _ := strings.Cut(f[1], "/")
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return false
	}
	if _, r, ok := strings.Cut(f[1], "/"); ok {
		if _, err := strconv.Atoi(r); err != nil {
			return false
		}
	}
	for proto := range strings.SplitSeq(f[2], "/") {
		switch proto {
		case "UDP", "RTP", "AVP", "SAVP", "SAVPF", "TLS", "DTLS", "SCTP", "AVPF", "TCP":
		default:
			return false
		}
	}
	return true
}

// describedMedia is the result of reading a DESCRIBE answer.
type describedMedia struct {
	media     Media
	aggregate string // URL for aggregate control (PLAY, TEARDOWN, keep-alive)
}

// selectMedia picks the first H.264 or H.265 video track of an SDP and
// resolves its control URL against base.
func selectMedia(body []byte, base string) (describedMedia, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(sanitizeSDP(body)); err != nil {
		return describedMedia{}, fmt.Errorf("%w: %w", errBadSDP, err)
	}
	out := describedMedia{aggregate: base}
	if c, ok := sd.Attribute("control"); ok {
		out.aggregate = resolveControl(base, c)
	}
	for _, md := range sd.MediaDescriptions {
		if !strings.EqualFold(md.MediaName.Media, "video") {
			continue
		}
		for _, f := range md.MediaName.Formats {
			pt, err := strconv.ParseUint(f, 10, 7)
			if err != nil {
				continue
			}
			enc, clock, ok := rtpmapFor(md, f)
			if !ok {
				continue
			}
			switch enc {
			case "H264":
			case "H265", "HEVC":
				enc = "H265"
			default:
				continue
			}
			control := base
			if c, ok := md.Attribute("control"); ok {
				control = resolveControl(base, c)
			}
			out.media = Media{
				EncodingName: enc,
				PayloadType:  uint8(pt),
				ClockRate:    clock,
				Fmtp:         fmtpFor(md, f),
				Control:      control,
			}
			return out, nil
		}
	}
	return describedMedia{}, ErrNoVideo
}

// ErrNoVideo is a DESCRIBE whose SDP has no H.264 or H.265 video track.
var ErrNoVideo = errors.New("rtsp: no H264 or H265 video track in SDP")

// errBadSDP is an SDP that cannot be read.
var errBadSDP = errors.New("rtsp: invalid SDP")

// rtpmapFor finds "a=rtpmap:<pt> <name>/<clock>[/<params>]".
func rtpmapFor(md *sdp.MediaDescription, pt string) (enc string, clock uint32, ok bool) {
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		p, rest, found := strings.Cut(strings.TrimSpace(a.Value), " ")
		if !found || p != pt {
			continue
		}
		parts := strings.Split(strings.TrimSpace(rest), "/")
		enc = strings.ToUpper(strings.TrimSpace(parts[0]))
		clock = 90000 // RFC 6184 and RFC 7798 both mandate 90 kHz
		if len(parts) > 1 {
			if c, err := strconv.ParseUint(strings.TrimSpace(parts[1]), 10, 32); err == nil && c > 0 {
				clock = uint32(c)
			}
		}
		return enc, clock, enc != ""
	}
	return "", 0, false
}

func fmtpFor(md *sdp.MediaDescription, pt string) string {
	for _, a := range md.Attributes {
		if a.Key != "fmtp" {
			continue
		}
		v := strings.TrimSpace(a.Value)
		p, rest, _ := strings.Cut(v, " ")
		if p == pt {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// resolveControl applies RFC 2326 C.1.1: "*" or nothing means the base
// itself, an absolute URL is used as is, and anything else is relative to
// the base. Relative controls are appended with a slash rather than
// resolved per RFC 3986, because cameras that send Content-Base without a
// trailing slash (or none at all) expect "rtsp://cam/stream/trackID=1", not
// "rtsp://cam/trackID=1".
func resolveControl(base, control string) string {
	control = strings.TrimSpace(control)
	if control == "" || control == "*" {
		return base
	}
	if hasRTSPScheme(control) {
		return stripUserinfo(control)
	}
	if strings.HasPrefix(control, "/") {
		if b, err := url.Parse(base); err == nil {
			if r, err := url.Parse(control); err == nil {
				return b.ResolveReference(r).String()
			}
		}
	}
	if strings.HasSuffix(base, "/") {
		return base + control
	}
	return base + "/" + control
}

func hasRTSPScheme(s string) bool {
	i := strings.Index(s, "://")
	if i <= 0 {
		return false
	}
	switch strings.ToLower(s[:i]) {
	case "rtsp", "rtsps", "rtspu":
		return true
	}
	return false
}

// stripUserinfo removes credentials from a URL so they never appear in a
// request line.
func stripUserinfo(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

// streamSDP is the description the server advertises for one stream.
func streamSDP(m StreamMedia, host string, sessionID uint64) ([]byte, error) {
	addrType := "IP4"
	if strings.Contains(host, ":") {
		addrType = "IP6"
	}
	pt := strconv.Itoa(int(m.PayloadType))
	attrs := []sdp.Attribute{
		sdp.NewAttribute("rtpmap", pt+" "+m.EncodingName+"/"+strconv.FormatUint(uint64(m.ClockRate), 10)),
	}
	if m.Fmtp != "" {
		attrs = append(attrs, sdp.NewAttribute("fmtp", pt+" "+m.Fmtp))
	}
	attrs = append(attrs, sdp.NewAttribute("control", trackControl))
	unspecified := "0.0.0.0"
	if addrType == "IP6" {
		unspecified = "::"
	}
	sd := sdp.SessionDescription{
		Origin: sdp.Origin{
			Username:       "-",
			SessionID:      sessionID,
			SessionVersion: 1,
			NetworkType:    "IN",
			AddressType:    addrType,
			UnicastAddress: host,
		},
		SessionName: "Vigil",
		ConnectionInformation: &sdp.ConnectionInformation{
			NetworkType: "IN",
			AddressType: addrType,
			Address:     &sdp.Address{Address: unspecified},
		},
		TimeDescriptions: []sdp.TimeDescription{{}},
		Attributes: []sdp.Attribute{
			sdp.NewAttribute("tool", "Vigil"),
			sdp.NewAttribute("range", "npt=now-"),
			sdp.NewAttribute("control", "*"),
		},
		MediaDescriptions: []*sdp.MediaDescription{{
			MediaName: sdp.MediaName{
				Media:   "video",
				Port:    sdp.RangedPort{Value: 0},
				Protos:  []string{"RTP", "AVP"},
				Formats: []string{pt},
			},
			Attributes: attrs,
		}},
	}
	return sd.Marshal()
}

// trackControl is the media-level control the server advertises.
const trackControl = "trackID=0"
