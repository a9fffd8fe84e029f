package rtsp

import (
	"net"
	"strconv"
	"strings"
	"time"
)

const maxTransportSpecs = 16

// transportSpec is one alternative of a Transport header (RFC 2326 12.39,
// RFC 7826 18.54).
type transportSpec struct {
	tcp            bool // RTP/AVP/TCP
	multicast      bool
	interleaved    [2]int
	hasInterleaved bool
	clientPort     [2]int
	hasClientPort  bool
	serverPort     [2]int
	hasServerPort  bool
	source         string
	// From RFC 7826 src_addr: the first address's host (may be empty) and
	// the port RTCP comes from (0 when unknown).
	srcHost     string
	srcRTCPPort int
}

// parseTransports returns the RTP alternatives of a Transport header, in
// the client's order of preference. Non-RTP protocols are left out.
func parseTransports(v string) []transportSpec {
	var out []transportSpec
	for alt := range strings.SplitSeq(v, ",") {
		if len(out) >= maxTransportSpecs {
			break
		}
		var t transportSpec
		params := strings.Split(strings.TrimSpace(alt), ";")
		switch strings.ToUpper(strings.TrimSpace(params[0])) {
		case "RTP/AVP", "RTP/AVP/UDP":
		case "RTP/AVP/TCP":
			t.tcp = true
		default:
			continue
		}
		for _, p := range params[1:] {
			k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
			switch strings.ToLower(k) {
			case "multicast":
				t.multicast = true
			case "interleaved":
				t.interleaved, t.hasInterleaved = parseRange(val, 255)
			case "client_port":
				t.clientPort, t.hasClientPort = parseRange(val, 65535)
			case "server_port":
				t.serverPort, t.hasServerPort = parseRange(val, 65535)
			case "source":
				t.source = strings.Trim(val, `"`)
			case "src_addr":
				t.srcHost, t.srcRTCPPort = parseSrcAddr(val)
			}
		}
		out = append(out, t)
	}
	return out
}

// parseSrcAddr reads `"host:port"/"host:port"` (RTP then RTCP) or a
// single address, whose RTCP port is then the next one up.
func parseSrcAddr(v string) (host string, rtcpPort int) {
	addrs := strings.SplitN(v, "/", 3)
	host, rtp := splitQuotedAddr(addrs[0])
	switch {
	case len(addrs) > 1:
		_, rtcpPort = splitQuotedAddr(addrs[1])
	case rtp > 0 && rtp < 65535:
		rtcpPort = rtp + 1
	}
	return host, rtcpPort
}

// splitQuotedAddr splits a quoted host-port, where host or port may be
// missing (RFC 7826 18.54); an unusable port is 0.
func splitQuotedAddr(v string) (host string, port int) {
	v = strings.Trim(strings.TrimSpace(v), `"`)
	h, p, err := net.SplitHostPort(v)
	if err != nil {
		return strings.Trim(v, "[]"), 0
	}
	n, err := strconv.Atoi(p)
	if err != nil || n <= 0 || n > 65535 {
		n = 0
	}
	return h, n
}

// parseRange parses "a-b" or "a" (meaning a and a+1).
func parseRange(v string, limit int) ([2]int, bool) {
	a, b, hasB := strings.Cut(strings.TrimSpace(v), "-")
	x, err := strconv.Atoi(a)
	if err != nil || x < 0 || x > limit || len(a) > 5 {
		return [2]int{}, false
	}
	y := x + 1
	if hasB {
		y, err = strconv.Atoi(b)
		if err != nil || y < 0 || y > limit || len(b) > 5 {
			return [2]int{}, false
		}
	} else if y > limit {
		y = x
	}
	return [2]int{x, y}, true
}

// parseSessionHeader splits "id;timeout=60". A missing or unreasonable
// timeout yields the RFC 2326 default of 60 s.
func parseSessionHeader(v string) (id string, timeout time.Duration) {
	parts := strings.Split(v, ";")
	id = strings.TrimSpace(parts[0])
	timeout = 60 * time.Second
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "timeout") {
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err == nil && n > 0 && n <= 24*3600 {
				timeout = time.Duration(n) * time.Second
			}
		}
	}
	return id, timeout
}
