package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSelfSigned(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	c, made, err := SelfSigned(dir, []string{"vigil.example", "0.0.0.0"}, now)
	if err != nil || !made {
		t.Fatalf("first start: got made %v, %v, want a new certificate", made, err)
	}
	leaf := c.Leaf
	if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Errorf("key: got %T, want ECDSA P-256", leaf.PublicKey)
	}
	for _, n := range []string{"vigil.example", "localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(n); err != nil {
			t.Errorf("the certificate does not name %s: %v", n, err)
		}
	}
	if len(leaf.IPAddresses) != 2 {
		t.Errorf("IP SANs: got %v, want the two loopback addresses (not 0.0.0.0)", leaf.IPAddresses)
	}
	if fi, err := os.Stat(filepath.Join(dir, KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: got %v (%v), want mode 0600", fi.Mode(), err)
	}
	again, made, err := SelfSigned(dir, []string{"vigil.example"}, now.Add(time.Hour))
	if err != nil || made || !again.Leaf.Equal(leaf) {
		t.Errorf("second start: got made %v, %v, same %v; want the kept certificate", made, err, again.Leaf.Equal(leaf))
	}
	other, made, err := SelfSigned(dir, []string{"cctv.example"}, now.Add(time.Hour))
	if err != nil || !made || other.Leaf.VerifyHostname("cctv.example") != nil {
		t.Errorf("a new host name: got made %v, %v, want a certificate naming it", made, err)
	}
	late, made, err := SelfSigned(dir, []string{"cctv.example"}, other.Leaf.NotAfter.Add(-24*time.Hour))
	if err != nil || !made || !late.Leaf.NotAfter.After(other.Leaf.NotAfter) {
		t.Errorf("near expiry: got made %v, %v, want a fresh certificate", made, err)
	}
	sum := sha256.Sum256(leaf.Raw)
	fp := Fingerprint(leaf)
	if strings.ReplaceAll(fp, ":", "") != strings.ToUpper(hex.EncodeToString(sum[:])) || len(fp) != 95 {
		t.Errorf("Fingerprint: got %q, want the colon-separated SHA-256 of the DER", fp)
	}
}

// TestSelfSignedServes: a real TLS client that trusts only this
// certificate reaches a server using it, by name and by address, and one
// trusting nothing is refused.
func TestSelfSignedServes(t *testing.T) {
	c, _, err := SelfSigned(t.TempDir(), nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", Config(c))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	pool := x509.NewCertPool()
	pool.AddCert(c.Leaf)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: host}}
			res, err := (&http.Client{Transport: tr}).Get("https://127.0.0.1:" + port + "/")
			if err != nil {
				t.Fatalf("GET as %s: %v", host, err)
			}
			defer res.Body.Close()
			if res.TLS == nil || res.TLS.Version < tls.VersionTLS12 || !res.TLS.PeerCertificates[0].Equal(c.Leaf) {
				t.Errorf("got TLS state %+v, want 1.2 or later with our certificate", res.TLS)
			}
		})
	}
	if _, err := http.Get("https://127.0.0.1:" + port + "/"); err == nil {
		t.Errorf("a client trusting only the system's roots: got a connection, want a certificate error")
	}
}

func TestLoadFiles(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "none.crt"), "none.key"); err == nil {
		t.Errorf("Load of missing files: got nil error, want one")
	}
}
