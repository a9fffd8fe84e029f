// Package auth holds Vigil's credentials and the rules about them:
// password hashing, checking and strength, API tokens, TOTP second-factor
// codes and recovery codes, and the back-off of locked-out sign-ins.
//
// Passwords are hashed with argon2id (RFC 9106) and stored in the PHC
// string format, so the parameters travel with each hash and can be raised
// later without invalidating existing ones. Tokens are high-entropy random
// strings; only their SHA-256 is stored, which needs no salt or stretching
// because they cannot be guessed.
//
// The strength check refuses passwords found in an embedded list of
// 133,588 breached passwords, dictionary words and names (see
// COMMON_PASSWORDS.md for its sources, licences and rebuilding), as
// NIST SP 800-63B asks, and those entries lightly decorated.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argonParams are the cost parameters of one hash.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

// defaultParams follow RFC 9106's second recommended option scaled to a
// small server: 64 MiB, three passes, two lanes.
var defaultParams = argonParams{memory: 64 * 1024, time: 3, threads: 2}

const (
	saltLen = 16
	keyLen  = 32

	// Limits on what VerifyPassword accepts from an encoded hash, so that
	// a corrupted or planted hash cannot demand gigabytes or minutes.
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 10
	maxThreads = 16
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64

	// MaxPasswordLen bounds the bytes of a password; argon2's cost does
	// not depend on it, but hashing a megabyte on every sign-in should
	// not be possible.
	MaxPasswordLen = 1024
)

// hashSlots bounds concurrent hashes: each holds defaultParams.memory, so a
// burst of sign-ins could otherwise exhaust memory, and more hashes than
// cores only queue inside the scheduler anyway.
var hashSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

func argonKey(password string, salt []byte, p argonParams, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, n)
}

// HashPassword returns the argon2id hash of password as a PHC string,
// "$argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>" with both in unpadded
// standard base64.
func HashPassword(password string) (string, error) {
	return hashWith(password, defaultParams)
}

func hashWith(password string, p argonParams) (string, error) {
	if len(password) > MaxPasswordLen {
		return "", fmt.Errorf("auth: password longer than %d bytes", MaxPasswordLen)
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argonKey(password, salt, p, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the encoded hash, using
// the parameters recorded in it. A malformed or out-of-bounds hash is an
// error; a wrong password is (false, nil).
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > MaxPasswordLen {
		return false, nil
	}
	got := argonKey(password, salt, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

var errFormat = errors.New("auth: password hash is not a PHC argon2id string")

func decodeHash(encoded string) (argonParams, []byte, []byte, error) {
	var p argonParams
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" {
		return p, nil, nil, errFormat
	}
	v, ok := strings.CutPrefix(f[2], "v=")
	if !ok {
		return p, nil, nil, errFormat
	}
	if n, err := strconv.Atoi(v); err != nil || n != argon2.Version {
		return p, nil, nil, fmt.Errorf("auth: unsupported argon2 version %q", v)
	}
	params := strings.Split(f[3], ",")
	if len(params) != 3 {
		return p, nil, nil, errFormat
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		s, ok := strings.CutPrefix(params[i], name)
		if !ok {
			return p, nil, nil, errFormat
		}
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return p, nil, nil, fmt.Errorf("auth: argon2 parameter %s%s: %w", name, s, err)
		}
		vals[i] = n
	}
	m, t, th := vals[0], vals[1], vals[2]
	switch {
	case t < 1 || t > maxTime:
		return p, nil, nil, fmt.Errorf("auth: argon2 time %d outside 1..%d", t, maxTime)
	case th < 1 || th > maxThreads:
		return p, nil, nil, fmt.Errorf("auth: argon2 parallelism %d outside 1..%d", th, maxThreads)
	case m < 8*th || m > maxMemory:
		// RFC 9106 requires at least 8 KiB per lane.
		return p, nil, nil, fmt.Errorf("auth: argon2 memory %d KiB outside %d..%d", m, 8*th, maxMemory)
	}
	p = argonParams{memory: uint32(m), time: uint32(t), threads: uint8(th)}
	salt, err := decodeB64(f[4], minSaltLen, maxSaltLen)
	if err != nil {
		return p, nil, nil, fmt.Errorf("auth: argon2 salt: %w", err)
	}
	key, err := decodeB64(f[5], minKeyLen, maxKeyLen)
	if err != nil {
		return p, nil, nil, fmt.Errorf("auth: argon2 hash: %w", err)
	}
	return p, salt, key, nil
}

// decodeB64 decodes unpadded standard base64, checking the length before
// allocating.
func decodeB64(s string, minLen, maxLen int) ([]byte, error) {
	enc := base64.RawStdEncoding
	if n := enc.DecodedLen(len(s)); n < minLen || n > maxLen {
		return nil, fmt.Errorf("length %d outside %d..%d bytes", n, minLen, maxLen)
	}
	b, err := enc.Strict().DecodeString(s)
	if err != nil {
		return nil, err
	}
	return b, nil
}
