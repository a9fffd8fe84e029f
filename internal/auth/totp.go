package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP (RFC 6238) as every authenticator app speaks it: SHA-1, six digits,
// a 30-second step, and a 160-bit secret. One step either side is
// accepted, for clocks that drift and people who type slowly.

const (
	totpPeriod = 30
	totpSkew   = 1
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewTOTP returns a new secret (base32, as people type it into an app)
// and the otpauth:// URI that carries it with the issuer and account name.
func NewTOTP(issuer, account string) (secret, uri string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod, SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: rand.Reader})
	if err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

// TOTPCode returns the code for secret at t, for tests and tools.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

// TOTPStep checks code against secret at now and returns the time step
// it belongs to, so the caller can refuse a step already used. Every
// candidate step is computed and compared in constant time, whichever
// matches, so the time taken says nothing about the code.
func TOTPStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
	if len(code) != 6 {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	var found int64
	ok := 0
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := cur + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			found, ok = step, 1
		}
	}
	return found, ok == 1
}

// Recovery codes: 16 characters from a 32-letter alphabet without look-
// alikes (80 bits), written in groups of four. They are stored as SHA-256,
// like tokens: with 80 random bits there is nothing to gain from a slow
// hash, and looking one up by its hash takes the same time whatever it is.

const recoveryAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// RecoveryCodeCount is how many codes a user is given at enrolment.
const RecoveryCodeCount = 10

// NewRecoveryCodes returns n new codes and their hashes.
func NewRecoveryCodes(n int) (codes []string, hashes [][]byte) {
	for range n {
		var b [16]byte
		rand.Read(b[:])
		var sb strings.Builder
		for i, v := range b {
			if i > 0 && i%4 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[v%32])
		}
		codes = append(codes, sb.String())
		hashes = append(hashes, HashRecoveryCode(sb.String()))
	}
	return codes, hashes
}

// HashRecoveryCode hashes a code as typed: case, spaces and dashes do not
// matter.
func HashRecoveryCode(code string) []byte {
	norm := strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, code)
	h := sha256.Sum256([]byte("vigil recovery v1\x00" + norm))
	return h[:]
}

// LooksLikeRecoveryCode tells a recovery code from a TOTP code.
func LooksLikeRecoveryCode(code string) bool {
	n := 0
	for _, r := range code {
		if r != ' ' && r != '-' {
			n++
		}
	}
	return n == 16
}
