package live

import (
	"errors"
	"strings"
	"testing"
)

// browserOffer is shaped like a desktop browser's WHEP offer: audio, then
// video with many formats, H.264 in several profiles and both
// packetization modes, each with an RTX format.
const browserOffer = `v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
a=extmap-allow-mixed
a=msid-semantic: WMS
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuvwx
a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF
a=setup:actpass
a=mid:0
a=recvonly
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125 39 40 112 113 116 117 45 46
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuvwx
a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF
a=setup:actpass
a=mid:1
a=recvonly
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:102 H264/90000
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=rtcp-fb:102 ccm fir
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=rtpmap:104 H264/90000
a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f
a=rtpmap:105 rtx/90000
a=fmtp:105 apt=104
a=rtpmap:106 H264/90000
a=rtcp-fb:106 nack pli
a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:107 rtx/90000
a=fmtp:107 apt=106
a=rtpmap:108 H264/90000
a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
a=rtpmap:109 rtx/90000
a=fmtp:109 apt=108
a=rtpmap:127 H264/90000
a=rtcp-fb:127 nack
a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f
a=rtpmap:125 rtx/90000
a=fmtp:125 apt=127
a=rtpmap:39 H264/90000
a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f
a=rtpmap:40 rtx/90000
a=fmtp:40 apt=39
a=rtpmap:112 H264/90000
a=rtcp-fb:112 transport-cc
a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f
a=rtpmap:113 rtx/90000
a=fmtp:113 apt=112
a=rtpmap:116 H265/90000
a=rtcp-fb:116 nack pli
a=fmtp:116 level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST
a=rtpmap:117 H265/90000
a=fmtp:117 level-id=93;profile-id=2;tier-flag=0;tx-mode=SRST
a=rtpmap:45 AV1/90000
a=rtpmap:46 rtx/90000
a=fmtp:46 apt=45
`

// edit returns browserOffer with each old replaced by new.
func edit(pairs ...string) string {
	return strings.NewReplacer(pairs...).Replace(browserOffer)
}

func TestChooseCodec(t *testing.T) {
	for _, tc := range []struct {
		name        string
		codec, fmtp string
		h265Profile byte // set the H.265 camera's profile_idc
		offer       string
		wantPT      uint8
		wantFB      string // the feedback answered, as "type/param,..."
		wantErr     error
	}{
		{name: "Main camera", codec: "H264", fmtp: "packetization-mode=1;profile-level-id=4d0028", wantPT: 127, wantFB: "nack/"},
		{name: "Main camera, constraint flags differ", codec: "H264", fmtp: "profile-level-id=4d4028", wantPT: 127},
		{name: "High camera", codec: "H264", fmtp: "profile-level-id=640032", wantPT: 112},
		{name: "Constrained Baseline camera", codec: "H264", fmtp: "profile-level-id=42e01e", wantPT: 106, wantFB: "nack/pli"},
		{name: "Baseline camera", codec: "H264", fmtp: "profile-level-id=420016", wantPT: 102, wantFB: "nack/,nack/pli,ccm/fir"},
		{name: "Extended camera: Main is nearest", codec: "H264", fmtp: "profile-level-id=580028", wantPT: 127},
		{name: "High 10 camera: High is nearest", codec: "H264", fmtp: "profile-level-id=6e0028", wantPT: 112},
		{name: "High camera, browser without High", codec: "H264", fmtp: "profile-level-id=640028",
			offer: edit("profile-level-id=64001f", "profile-level-id=f4001f"), wantPT: 127},
		{name: "profile unknown: the browser's first", codec: "H264", fmtp: "", wantPT: 102},
		{name: "profile from sprop-parameter-sets", codec: "H264", fmtp: "sprop-parameter-sets=Z2QAKKzZQHgCJ+XARAAAAwAEAAADAMo8YMZY,aOvjyyLA", wantPT: 112},
		{name: "browser with packetization mode 0 only", codec: "H264", fmtp: "profile-level-id=4d0028",
			offer: edit("packetization-mode=1", "packetization-mode=0"), wantErr: ErrCodecNotOffered},
		{name: "H.265 Main camera", codec: "H265", h265Profile: 1, wantPT: 116, wantFB: "nack/pli"},
		{name: "H.265 Main 10 camera", codec: "H265", h265Profile: 2, wantPT: 117},
		{name: "H.265 camera, browser without H.265", codec: "H265", h265Profile: 1,
			offer: edit("H265/90000", "XXXX/90000"), wantErr: ErrCodecNotOffered},
		{name: "video rejected", codec: "H264", offer: edit("m=video 9", "m=video 0"), wantErr: ErrNoVideo},
		{name: "video sendonly", codec: "H264", offer: edit("a=mid:1\na=recvonly", "a=mid:1\na=sendonly"), wantErr: ErrNoVideo},
		{name: "video sendrecv", codec: "H264", offer: edit("a=mid:1\na=recvonly", "a=mid:1\na=sendrecv"), wantPT: 102},
		{name: "not SDP", codec: "H264", offer: "GET / HTTP/1.1\r\n\r\n", wantErr: ErrBadOffer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHub(tc.codec, tc.fmtp)
			if tc.h265Profile != 0 {
				h.profile, h.hasProf = [3]byte{tc.h265Profile}, true
			}
			offer := tc.offer
			if offer == "" {
				offer = browserOffer
			}
			offer = strings.ReplaceAll(offer, "\n", "\r\n")
			got, err := chooseCodec(h, []byte(offer))
			if tc.wantErr != nil || err != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got %v, want %v", err, tc.wantErr)
				}
				return
			}
			if uint8(got.codec.PayloadType) != tc.wantPT {
				t.Fatalf("got payload type %d (%s), want %d", got.codec.PayloadType, got.codec.SDPFmtpLine, tc.wantPT)
			}
			if got.codec.MimeType != got.track.MimeType || got.codec.ClockRate != 90000 {
				t.Errorf("got codec %s/%d and track %s, want the same MIME type at 90000", got.codec.MimeType, got.codec.ClockRate, got.track.MimeType)
			}
			if tc.codec == "H264" && !strings.Contains(got.track.SDPFmtpLine, "packetization-mode=1") {
				t.Errorf("got track fmtp %q, want packetization-mode=1", got.track.SDPFmtpLine)
			}
			if tc.wantFB != "" {
				var fb []string
				for _, f := range got.codec.RTCPFeedback {
					fb = append(fb, f.Type+"/"+f.Parameter)
				}
				if s := strings.Join(fb, ","); s != tc.wantFB {
					t.Errorf("got feedback %q, want %q", s, tc.wantFB)
				}
			}
		})
	}
}
