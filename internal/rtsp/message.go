package rtsp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits on what we accept from a peer. A camera's largest legitimate
// message is a DESCRIBE reply of a few KiB; these leave generous room while
// keeping a hostile peer from making us allocate without bound.
const (
	maxLineBytes   = 8 << 10
	maxHeaderBytes = 64 << 10
	maxBodyBytes   = 1 << 20
	maxHeaderLines = 512
	// maxEmptyLines bounds the blank lines skipped before a start line:
	// some servers send a stray CRLF after a body.
	maxEmptyLines = 8
	// readerSize lets a whole interleaved frame ($, channel, 16-bit length
	// and up to 65535 bytes) be peeked from the bufio.Reader, so frames are
	// handed on without a copy.
	readerSize = 4 + 65535 + 1
	// clientReaderSize is the reader of a session with a camera, kept
	// for each camera: a batch of packets (maxLowat) in one or two
	// reads, rather than room for the largest frame that might come
	// (readerSize, 72 KiB once rounded to whole pages). demux gathers a
	// larger frame apart.
	clientReaderSize = 32 << 10
)

var (
	errLineTooLong   = errors.New("rtsp: line too long")
	errHeaderTooLong = errors.New("rtsp: header too long")
	errBodyTooLong   = errors.New("rtsp: body too long")
)

type headerField struct {
	key, value string
}

// header keeps fields in arrival order because some headers
// (WWW-Authenticate) may repeat and the order carries preference.
type header []headerField

func (h header) get(key string) string {
	for _, f := range h {
		if strings.EqualFold(f.key, key) {
			return f.value
		}
	}
	return ""
}

func (h header) values(key string) []string {
	var vs []string
	for _, f := range h {
		if strings.EqualFold(f.key, key) {
			vs = append(vs, f.value)
		}
	}
	return vs
}

func (h *header) add(key, value string) {
	*h = append(*h, headerField{key, value})
}

// Protocol versions as they appear on the wire.
const (
	proto10 = "RTSP/1.0"
	proto20 = "RTSP/2.0"
)

// message is an RTSP request (method set) or response (status set).
type message struct {
	version string // as received, upper-cased: "RTSP/1.0"
	method  string
	uri     string
	status  int
	reason  string
	header  header
	body    []byte
}

func (m *message) isRequest() bool { return m.method != "" }

// cseq returns the CSeq header as a number, or -1 when absent or invalid.
func (m *message) cseq() int {
	v := strings.TrimSpace(m.header.get("CSeq"))
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// readLine returns one line without its terminator. The slice points into
// br's buffer and is valid until the next read.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxLineBytes {
		return nil, errLineTooLong
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readMessage reads one RTSP request or response, including its body.
// maxBody caps Content-Length.
func readMessage(br *bufio.Reader, maxBody int) (*message, error) {
	budget := maxHeaderBytes
	var line []byte
	var err error
	for i := 0; ; i++ {
		line, err = readLine(br)
		if err != nil {
			return nil, err
		}
		budget -= len(line) + 2
		if len(line) != 0 {
			break
		}
		if i >= maxEmptyLines {
			return nil, errors.New("rtsp: too many empty lines")
		}
	}
	m := &message{}
	if err := m.parseStartLine(string(line)); err != nil {
		return nil, err
	}
	for {
		line, err = readLine(br)
		if err != nil {
			return nil, err
		}
		budget -= len(line) + 2
		if budget < 0 {
			return nil, errHeaderTooLong
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			// Obsolete line folding: the line continues the previous value.
			if len(m.header) == 0 {
				return nil, errors.New("rtsp: continuation line without header")
			}
			last := &m.header[len(m.header)-1]
			last.value = strings.TrimSpace(last.value + " " + strings.TrimSpace(string(line)))
			continue
		}
		if len(m.header) >= maxHeaderLines {
			return nil, errHeaderTooLong
		}
		k, v, ok := strings.Cut(string(line), ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || !isToken(k) {
			return nil, fmt.Errorf("rtsp: malformed header line %.40q", line)
		}
		m.header.add(k, strings.TrimSpace(v))
	}
	n, err := contentLength(m.header)
	if err != nil {
		return nil, err
	}
	if n > maxBody {
		return nil, errBodyTooLong
	}
	if n > 0 {
		m.body = make([]byte, n)
		if _, err := io.ReadFull(br, m.body); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return m, nil
}

func contentLength(h header) (int, error) {
	n := -1
	for _, v := range h.values("Content-Length") {
		v = strings.TrimSpace(v)
		l, err := strconv.Atoi(v)
		if err != nil || l < 0 || len(v) > 10 {
			return 0, fmt.Errorf("rtsp: invalid Content-Length %.20q", v)
		}
		if n >= 0 && l != n {
			return 0, errors.New("rtsp: conflicting Content-Length headers")
		}
		n = l
	}
	if n < 0 {
		n = 0
	}
	return n, nil
}

func (m *message) parseStartLine(line string) error {
	if hasVersionPrefix(line) {
		// RTSP/1.0 200 OK
		ver, rest, _ := strings.Cut(line, " ")
		if !validVersion(ver) {
			return fmt.Errorf("rtsp: bad version in status line %.40q", line)
		}
		rest = strings.TrimLeft(rest, " ")
		code, reason, _ := strings.Cut(rest, " ")
		if len(code) != 3 {
			return fmt.Errorf("rtsp: bad status line %.40q", line)
		}
		st, err := strconv.Atoi(code)
		if err != nil || st < 100 || st > 999 {
			return fmt.Errorf("rtsp: bad status code in %.40q", line)
		}
		m.status = st
		m.reason = strings.TrimSpace(reason)
		m.version = strings.ToUpper(ver)
		return nil
	}
	// DESCRIBE rtsp://host/path RTSP/1.0
	parts := strings.Split(line, " ")
	if len(parts) != 3 || !isToken(parts[0]) || parts[1] == "" || !validVersion(parts[2]) {
		if !strings.Contains(strings.ToUpper(line), "RTSP/") {
			// Another protocol's banner or answer (SSH, Redis, HTTP):
			// its text goes only where the raw error goes.
			return &notRTSPError{line: line}
		}
		return fmt.Errorf("rtsp: malformed start line %.40q", line)
	}
	m.method, m.uri, m.version = parts[0], parts[1], strings.ToUpper(parts[2])
	return nil
}

func hasVersionPrefix(s string) bool {
	return len(s) >= 5 && strings.EqualFold(s[:5], "RTSP/")
}

func validVersion(v string) bool {
	if !hasVersionPrefix(v) || len(v) > 12 {
		return false
	}
	major, minor, ok := strings.Cut(v[5:], ".")
	return ok && isDigits(major) && isDigits(minor)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isToken reports whether s is an RFC 7230 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// cleanValue keeps a header value on one line whatever it came from, so
// that a hostile URL or Location cannot inject header lines.
func cleanValue(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	}
	return s
}

// appendRequest serializes a request; proto is proto10 or proto20.
func appendRequest(b []byte, proto, method, uri string, h header) []byte {
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, cleanValue(uri)...)
	b = append(b, ' ')
	b = append(b, proto...)
	b = append(b, "\r\n"...)
	return appendHeader(b, h, nil)
}

// appendResponse serializes a response with its body; Content-Length is
// added when the body is not empty.
func appendResponse(b []byte, proto string, status int, h header, body []byte) []byte {
	b = append(b, proto...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, statusText(status)...)
	b = append(b, "\r\n"...)
	return appendHeader(b, h, body)
}

func appendHeader(b []byte, h header, body []byte) []byte {
	for _, f := range h {
		b = append(b, f.key...)
		b = append(b, ": "...)
		b = append(b, cleanValue(f.value)...)
		b = append(b, "\r\n"...)
	}
	if len(body) > 0 {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 454:
		return "Session Not Found"
	case 455:
		return "Method Not Valid in This State"
	case 459:
		return "Aggregate Operation Not Allowed"
	case 461:
		return "Unsupported Transport"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 503:
		return "Service Unavailable"
	case 505:
		return "RTSP Version Not Supported"
	}
	return "Status"
}
