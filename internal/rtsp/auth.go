package rtsp

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"time"
)

const (
	maxChallenges     = 16
	maxChallengeParam = 32
)

// challenge is one auth-scheme with its parameters, as found in
// WWW-Authenticate (RFC 7235) or, with the same grammar, Authorization.
type challenge struct {
	scheme string            // lower case
	params map[string]string // lower-case names
	token  string            // token68 form (Basic credentials)
}

// parseChallenges parses every challenge in the given header values. A
// single value may hold several comma-separated challenges, and cameras
// also send one challenge per header; both are handled. Malformed parts are
// skipped rather than failing the whole header, because cameras often get
// one challenge slightly wrong and another right.
func parseChallenges(values []string) []challenge {
	var out []challenge
	for _, v := range values {
		p := authParser{s: v}
		for len(out) < maxChallenges {
			c, ok := p.next()
			if !ok {
				break
			}
			out = append(out, c)
		}
	}
	return out
}

type authParser struct {
	s string
	i int
}

func (p *authParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *authParser) skipSeparators() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == ',') {
		p.i++
	}
}

func (p *authParser) token() string {
	start := p.i
	for p.i < len(p.s) && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// quoted reads a quoted-string starting at the opening quote.
func (p *authParser) quoted() string {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			return b.String()
		case '\\':
			if p.i < len(p.s) {
				b.WriteByte(p.s[p.i])
				p.i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String() // unterminated: take what there is
}

// next returns the next challenge, or false at the end of the value.
func (p *authParser) next() (challenge, bool) {
	for {
		p.skipSeparators()
		if p.i >= len(p.s) {
			return challenge{}, false
		}
		scheme := p.token()
		if scheme == "" {
			p.i++ // not a token character: skip it and resynchronize
			continue
		}
		c := challenge{scheme: strings.ToLower(scheme), params: map[string]string{}}
		p.skipSpace()
		// token68 (e.g. Basic credentials): token chars plus / and trailing =.
		if start := p.i; p.i < len(p.s) && p.s[p.i] != ',' {
			j := p.i
			for j < len(p.s) && (isTokenChar(p.s[j]) || p.s[j] == '/') {
				j++
			}
			k := j
			for k < len(p.s) && p.s[k] == '=' {
				k++
			}
			rest := strings.TrimLeft(p.s[k:], " \t")
			if j > start && (rest == "" || rest[0] == ',') {
				c.token = p.s[start:k]
				p.i = k
				return c, true
			}
		}
		p.params(&c)
		return c, true
	}
}

// params reads name=value pairs until the value ends or a token that is
// not followed by '=' starts the next challenge.
func (p *authParser) params(c *challenge) {
	for {
		p.skipSeparators()
		if p.i >= len(p.s) {
			return
		}
		save := p.i
		name := p.token()
		if name == "" {
			p.i++ // garbage character
			continue
		}
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != '=' {
			p.i = save // next scheme
			return
		}
		p.i++
		p.skipSpace()
		var val string
		if p.i < len(p.s) && p.s[p.i] == '"' {
			val = p.quoted()
		} else {
			start := p.i
			for p.i < len(p.s) && p.s[p.i] != ',' && p.s[p.i] != ' ' && p.s[p.i] != '\t' {
				p.i++
			}
			val = p.s[start:p.i]
		}
		if len(c.params) < maxChallengeParam {
			c.params[strings.ToLower(name)] = val
		}
	}
}

// digestAlgorithm maps an algorithm parameter to a hash. The empty string
// means MD5 (RFC 2617).
func digestAlgorithm(alg string) (newHash func() hash.Hash, sess bool, ok bool) {
	base, isSess := strings.CutSuffix(strings.ToUpper(strings.TrimSpace(alg)), "-SESS")
	switch base {
	case "", "MD5":
		return md5.New, isSess, true
	case "SHA-256":
		return sha256.New, isSess, true
	}
	return nil, false, false
}

// hexHash is H(parts joined by ':') in lower-case hex.
func hexHash(newHash func() hash.Hash, parts ...string) string {
	h := newHash()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{':'})
		}
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// digestResponse computes the request-digest of RFC 7616 section 3.4.1.
// An empty qop gives the RFC 2069 form that old cameras still use.
func digestResponse(newHash func() hash.Hash, sess bool, user, realm, pass, nonce, cnonce, nc, qop, method, uri string) string {
	ha1 := hexHash(newHash, user, realm, pass)
	if sess {
		ha1 = hexHash(newHash, ha1, nonce, cnonce)
	}
	var ha2 string
	if qop == "auth-int" {
		// Our requests never carry a body, so the entity hash is H("").
		ha2 = hexHash(newHash, method, uri, hexHash(newHash, ""))
	} else {
		ha2 = hexHash(newHash, method, uri)
	}
	if qop == "" {
		return hexHash(newHash, ha1, nonce, ha2)
	}
	return hexHash(newHash, ha1, nonce, nc, cnonce, qop, ha2)
}

// Client side.

const (
	authNone = iota
	authBasic
	authDigest
)

// clientAuth answers a server's challenge for every later request.
type clientAuth struct {
	user, pass string
	haveCreds  bool

	kind      int
	realm     string
	nonce     string
	opaque    string
	algorithm string // echoed as the server spelled it
	hasOpaque bool
	hasAlg    bool
	newHash   func() hash.Hash
	sess      bool
	qop       string
	cnonce    string
	nc        uint32
}

// rank orders what a challenge offers; 0 means unusable.
func challengeRank(c challenge) int {
	switch c.scheme {
	case "basic":
		return 1
	case "digest":
		if c.params["nonce"] == "" {
			return 0
		}
		newHash, _, ok := digestAlgorithm(c.params["algorithm"])
		if !ok {
			return 0
		}
		if newHash().Size() == sha256.Size {
			return 3
		}
		return 2
	}
	return 0
}

// accept picks the strongest usable challenge and prepares to answer it.
func (a *clientAuth) accept(chs []challenge) bool {
	best, bestRank := -1, 0
	for i, c := range chs {
		if r := challengeRank(c); r > bestRank {
			best, bestRank = i, r
		}
	}
	if best < 0 {
		return false
	}
	c := chs[best]
	if c.scheme == "basic" {
		a.kind = authBasic
		return true
	}
	a.kind = authDigest
	a.realm = c.params["realm"]
	a.nonce = c.params["nonce"]
	a.opaque, a.hasOpaque = c.params["opaque"]
	a.algorithm, a.hasAlg = c.params["algorithm"]
	a.newHash, a.sess, _ = digestAlgorithm(a.algorithm)
	a.qop = ""
	for q := range strings.SplitSeq(c.params["qop"], ",") {
		switch strings.TrimSpace(q) {
		case "auth":
			a.qop = "auth"
		case "auth-int":
			if a.qop == "" {
				a.qop = "auth-int"
			}
		}
	}
	a.cnonce = randomHex(8)
	a.nc = 0
	return true
}

// authorization returns the Authorization value for one request, or "".
func (a *clientAuth) authorization(method, uri string) string {
	switch a.kind {
	case authBasic:
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(a.user+":"+a.pass))
	case authDigest:
	default:
		return ""
	}
	a.nc++
	nc := strconv.FormatUint(uint64(a.nc)|1<<32, 16)[1:] // 8 hex digits
	resp := digestResponse(a.newHash, a.sess, a.user, a.realm, a.pass, a.nonce, a.cnonce, nc, a.qop, method, uri)
	var b strings.Builder
	b.WriteString(`Digest username="`)
	b.WriteString(quoteEscape(a.user))
	b.WriteString(`", realm="`)
	b.WriteString(quoteEscape(a.realm))
	b.WriteString(`", nonce="`)
	b.WriteString(quoteEscape(a.nonce))
	b.WriteString(`", uri="`)
	b.WriteString(quoteEscape(uri))
	b.WriteString(`", response="`)
	b.WriteString(resp)
	b.WriteString(`"`)
	if a.hasAlg {
		b.WriteString(", algorithm=")
		b.WriteString(a.algorithm)
	}
	if a.hasOpaque {
		b.WriteString(`, opaque="`)
		b.WriteString(quoteEscape(a.opaque))
		b.WriteString(`"`)
	}
	if a.qop != "" {
		b.WriteString(", qop=")
		b.WriteString(a.qop)
		b.WriteString(", nc=")
		b.WriteString(nc)
		b.WriteString(`, cnonce="`)
		b.WriteString(a.cnonce)
		b.WriteString(`"`)
	}
	return b.String()
}

func quoteEscape(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Server side.

// nonceLifetime bounds how long a nonce is accepted; afterwards the server
// answers stale=true and the client re-authenticates without asking the
// user again.
const nonceLifetime = time.Hour

// serverAuth checks credentials with stateless nonces (a timestamp and its
// HMAC), so that a server with many clients keeps no per-nonce state.
type serverAuth struct {
	user, pass string
	realm      string
	basic      bool
	secret     [32]byte
	// offer lists the digest algorithms challenged, strongest first;
	// nil means SHA-256 then MD5. Tests narrow it.
	offer []string
}

func (s *serverAuth) makeNonce(now time.Time) string {
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(now.Unix()))
	m := hmac.New(sha256.New, s.secret[:])
	m.Write(ts[:])
	return hex.EncodeToString(ts[:]) + hex.EncodeToString(m.Sum(nil)[:12])
}

// checkNonce returns whether the nonce is ours and whether it is still fresh.
func (s *serverAuth) checkNonce(nonce string, now time.Time) (valid, fresh bool) {
	raw, err := hex.DecodeString(nonce)
	if err != nil || len(raw) != 20 {
		return false, false
	}
	m := hmac.New(sha256.New, s.secret[:])
	m.Write(raw[:8])
	if !hmac.Equal(m.Sum(nil)[:12], raw[8:]) {
		return false, false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	return true, now.Sub(issued) < nonceLifetime && issued.Before(now.Add(time.Minute))
}

// challenges returns the WWW-Authenticate values, strongest first.
func (s *serverAuth) challenges(now time.Time, stale bool) []string {
	nonce := s.makeNonce(now)
	st := ""
	if stale {
		st = ", stale=true"
	}
	realm := quoteEscape(s.realm)
	offer := s.offer
	if offer == nil {
		offer = []string{"SHA-256", "MD5"}
	}
	var out []string
	for _, alg := range offer {
		out = append(out, `Digest realm="`+realm+`", nonce="`+nonce+`", algorithm=`+alg+`, qop="auth"`+st)
	}
	if s.basic {
		out = append(out, `Basic realm="`+realm+`"`)
	}
	return out
}

// check verifies an Authorization value for a request. stale reports a
// correct answer to an expired nonce.
func (s *serverAuth) check(authz, method, reqURI string, now time.Time) (ok, stale bool) {
	chs := parseChallenges([]string{authz})
	if len(chs) == 0 {
		return false, false
	}
	c := chs[0]
	switch c.scheme {
	case "basic":
		if !s.basic || c.token == "" {
			return false, false
		}
		raw, err := base64.StdEncoding.DecodeString(c.token)
		if err != nil {
			return false, false
		}
		u, p, found := strings.Cut(string(raw), ":")
		return found && equalConst(u, s.user) && equalConst(p, s.pass), false
	case "digest":
	default:
		return false, false
	}
	pr := c.params
	newHash, sess, algOK := digestAlgorithm(pr["algorithm"])
	if !algOK || pr["realm"] != s.realm || !equalConst(pr["username"], s.user) {
		return false, false
	}
	if !sameRequestURI(pr["uri"], reqURI) {
		return false, false
	}
	qop := pr["qop"]
	if qop != "" && (qop != "auth" || pr["nc"] == "" || pr["cnonce"] == "") {
		return false, false
	}
	valid, fresh := s.checkNonce(pr["nonce"], now)
	if !valid {
		return false, false
	}
	want := digestResponse(newHash, sess, s.user, s.realm, s.pass, pr["nonce"], pr["cnonce"], pr["nc"], qop, method, pr["uri"])
	if !equalConst(strings.ToLower(pr["response"]), want) {
		return false, false
	}
	if !fresh {
		return false, true
	}
	return true, false
}

// sameRequestURI accepts the digest uri when it is the request-URI or
// names the same path: clients differ in how they spell the host part.
func sameRequestURI(digestURI, reqURI string) bool {
	if digestURI == reqURI {
		return true
	}
	return digestURI != "" && uriPath(digestURI) == uriPath(reqURI)
}

func uriPath(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
		if j := strings.IndexByte(s, '/'); j >= 0 {
			s = s[j:]
		} else {
			s = "/"
		}
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, "/")
}

func equalConst(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
