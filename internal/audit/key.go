package audit

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// LoadOrCreateKey reads the trail's Ed25519 signing key from path (PKCS #8
// PEM), creating it with mode 0600 on first use. envKey, when not empty,
// wins: the key as PEM or as the 32-byte seed in hex, so that it need not
// lie in the data folder beside the trail it protects.
func LoadOrCreateKey(path, envKey string) (ed25519.PrivateKey, error) {
	if envKey != "" {
		return parsePrivateKey([]byte(envKey))
	}
	k, err := LoadKey(path, "")
	if !errors.Is(err, os.ErrNotExist) {
		return k, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: create key: %w", err)
	}
	err = pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("audit: write key: %w", err)
	}
	return priv, nil
}

// LoadKey reads the signing key from envKey when set, else from path; a
// missing file is an error wrapping os.ErrNotExist.
func LoadKey(path, envKey string) (ed25519.PrivateKey, error) {
	if envKey != "" {
		return parsePrivateKey([]byte(envKey))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit: read key: %w", err)
	}
	return parsePrivateKey(b)
}

func parsePrivateKey(b []byte) (ed25519.PrivateKey, error) {
	if blk, _ := pem.Decode(b); blk != nil {
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("audit: key: %w", err)
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("audit: key is a %T, want Ed25519", k)
		}
		return priv, nil
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("audit: key is neither PEM nor a 32-byte hex seed")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// PublicKeyPEM is the public half of a key, as PKIX PEM: what anyone
// needs to check the trail's checkpoints.
func PublicKeyPEM(pub ed25519.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// ParsePublicKey reads a PKIX PEM public key, or a private key's PEM (its
// public half).
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("audit: public key is not PEM")
	}
	if blk.Type == "PRIVATE KEY" {
		priv, err := parsePrivateKey(b)
		if err != nil {
			return nil, err
		}
		return priv.Public().(ed25519.PublicKey), nil
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit: public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("audit: public key is a %T, want Ed25519", k)
	}
	return pub, nil
}

// KeyID names a public key in checkpoints: the first 8 bytes of its
// SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// macKey derives the records' MAC key from the signing key, so one secret
// protects both and neither can be used for the other's purpose.
func macKey(priv ed25519.PrivateKey) []byte {
	k, err := hkdf.Key(sha256.New, priv.Seed(), nil, "vigil audit record mac v1", 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot give
	}
	return k
}
