// Package tlscert gives the server its TLS certificate: one loaded from
// the PEM files an administrator names, or one it makes for itself at
// first start and keeps, so that even a server nobody has set up yet
// never sends a password in the clear.
//
// A self-signed certificate is trusted by nobody, so its SHA-256
// fingerprint is logged at every start: an administrator compares it
// with what the browser shows once, or pins it in scripts.
package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files are where a self-signed certificate and its key are kept, inside
// the data folder.
const (
	CertFile = "tls/self-signed.crt"
	KeyFile  = "tls/self-signed.key"
)

// selfSignedLife is how long a made certificate lasts; it is made again
// when it has less than renewBefore left.
const (
	selfSignedLife = 397 * 24 * time.Hour
	renewBefore    = 30 * 24 * time.Hour
)

// Load reads a certificate chain and key from PEM files.
func Load(certFile, keyFile string) (tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return c, fmt.Errorf("tls: %w", err)
	}
	c.Leaf, err = x509.ParseCertificate(c.Certificate[0])
	return c, err
}

// SelfSigned returns the self-signed certificate kept in dataDir, making
// one (ECDSA P-256, valid for the hosts given, localhost and the loopback
// addresses) when there is none, it has nearly expired, or it does not
// name every host. made says whether it was made now.
func SelfSigned(dataDir string, hosts []string, now time.Time) (cert tls.Certificate, made bool, err error) {
	certPath, keyPath := filepath.Join(dataDir, CertFile), filepath.Join(dataDir, KeyFile)
	names := sans(hosts)
	if c, err := Load(certPath, keyPath); err == nil && c.Leaf.NotAfter.Sub(now) > renewBefore && covers(c.Leaf, names) {
		return c, false, nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return tls.Certificate{}, false, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, false, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0], Organization: []string{"Vigil (self-signed)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedLife),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	if err := os.MkdirAll(filepath.Dir(certPath), 0o700); err != nil {
		return tls.Certificate{}, false, err
	}
	// The key first, and each file whole or not at all, so a crash never
	// leaves a certificate without its key.
	if err := writeAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return tls.Certificate{}, false, err
	}
	if err := writeAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return tls.Certificate{}, false, err
	}
	c, err := Load(certPath, keyPath)
	return c, true, err
}

// sans are the names a self-signed certificate carries: the hosts given
// (a listen address's host, less the wildcard ones), then localhost and
// the loopback addresses, each once.
func sans(hosts []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(h string) {
		h = strings.Trim(strings.TrimSpace(h), "[]")
		if h == "" || seen[h] {
			return
		}
		if ip := net.ParseIP(h); ip != nil && ip.IsUnspecified() {
			return
		}
		seen[h] = true
		out = append(out, h)
	}
	for _, h := range hosts {
		add(h)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		add(h)
	}
	return out
}

func covers(c *x509.Certificate, names []string) bool {
	for _, n := range names {
		if c.VerifyHostname(n) != nil {
			return false
		}
	}
	return true
}

func writeAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Fingerprint is the SHA-256 of a certificate's DER, as browsers show it:
// colon-separated upper-case hex.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// Config is the server side of TLS: 1.2 at least, the certificate given.
func Config(c tls.Certificate) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{c}}
}
