// Package secret keeps camera credentials encrypted at rest. A database
// dump or backup alone never reveals a camera's password: the key lives in
// a file of its own in the data folder (or in VIGIL_SECRET_KEY), so the two
// have to be stolen together.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Box seals and opens small secrets with AES-256-GCM.
type Box struct{ aead cipher.AEAD }

// version prefixes every sealed value, so the scheme can change later
// without guessing what old rows hold.
const version = 1

// LoadOrCreate reads the 32-byte key (hex) from path, creating it with mode
// 0600 on first use. A hex key in envKey, when not empty, wins.
func LoadOrCreate(path, envKey string) (*Box, error) {
	if envKey != "" {
		return fromHex(envKey)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("secret: create key: %w", err)
		}
		_, err = f.WriteString(hex.EncodeToString(key) + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("secret: write key: %w", err)
		}
		return New(key)
	}
	if err != nil {
		return nil, fmt.Errorf("secret: read key: %w", err)
	}
	return fromHex(string(b))
}

func fromHex(s string) (*Box, error) {
	key, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("secret: key is not hex: %w", err)
	}
	return New(key)
}

// New makes a Box from a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secret: key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plain; the associated data binds the value to its row
// (a camera's ID, say), so a sealed value moved to another row won't open.
func (b *Box) Seal(plain, associated []byte) []byte {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	return b.aead.Seal(out, out[1:], plain, associated)
}

// Open decrypts what Seal made.
func (b *Box) Open(sealed, associated []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != version {
		return nil, errors.New("secret: not a sealed value")
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], associated)
	if err != nil {
		return nil, errors.New("secret: cannot open (wrong key or tampered value)")
	}
	return plain, nil
}
