package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// TokenPrefix marks Vigil API tokens so that secret scanners and people
// can recognise one.
const TokenPrefix = "vgl_"

const tokenBytes = 32

// NewToken returns a new API token, TokenPrefix followed by 32 random bytes
// in unpadded URL-safe base64, and the hash to store for it.
func NewToken() (token string, hash []byte) {
	b := make([]byte, tokenBytes)
	rand.Read(b)
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the SHA-256 of the whole token string, the form in
// which tokens are stored and looked up.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
