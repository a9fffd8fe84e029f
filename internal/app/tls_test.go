package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/config"
	"github.com/vigil-cctv/vigil/internal/tlscert"
)

// syncWriter is a log that can be read while the server writes it.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestSelfSignedTLS: with tls = "self-signed" the server makes a
// certificate at first start, keeps it, logs its fingerprint, and serves
// only HTTPS with it: a real TLS client that trusts that certificate alone
// signs in and gets a Secure session cookie and HSTS.
func TestSelfSignedTLS(t *testing.T) {
	t.Parallel() // see main_test.go
	data := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = data
	cfg.HTTP = "127.0.0.1:0"
	cfg.TLS = "self-signed"
	cfg.AdminPassword = "correct horse battery staple"
	cfg.LiveTranscoder = "off"
	cfg.Storage = []config.Storage{{Name: "local", Path: filepath.Join(data, "recordings")}}
	var logw syncWriter
	log := slog.New(slog.NewTextHandler(&logw, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, log, io.Discard)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	if !strings.HasPrefix(a.URL(), "https://") {
		t.Fatalf("URL: got %s, want https", a.URL())
	}
	cert, err := tlscert.Load(filepath.Join(data, tlscert.CertFile), filepath.Join(data, tlscert.KeyFile))
	if err != nil {
		t.Fatalf("the kept certificate: %v", err)
	}
	if fp := tlscert.Fingerprint(cert.Leaf); !strings.Contains(logw.String(), fp) {
		t.Errorf("the log does not give the certificate's fingerprint %s:\n%s", fp, logw.String())
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	c := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
	res, err := c.Get(a.URL() + "/login")
	if err != nil {
		t.Fatalf("GET /login over TLS, trusting only the kept certificate: %v", err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.TLS == nil || !res.TLS.PeerCertificates[0].Equal(cert.Leaf) {
		t.Fatalf("the server did not present the kept certificate")
	}
	if hsts := res.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("HSTS: got %q, want max-age", hsts)
	}
	var login *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "vigil_login" {
			login = ck
		}
	}
	if login == nil || !login.Secure {
		t.Fatalf("the sign-in form's cookie: got %+v, want Secure", login)
	}
	csrf := page[bytes.Index(page, []byte(`name="csrf" value="`))+19:]
	csrf = csrf[:bytes.IndexByte(csrf, '"')]
	req, _ := http.NewRequest("POST", a.URL()+"/login", strings.NewReader(url.Values{
		"username": {"admin"}, "password": {cfg.AdminPassword}, "csrf": {string(csrf)},
	}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(login)
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "vigil_session" {
			session = ck
		}
	}
	if res.StatusCode != http.StatusSeeOther || session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Errorf("sign-in over TLS: got %d, cookie %+v; want 303 and a Secure, HttpOnly, SameSite=Strict session", res.StatusCode, session)
	}
	// Plain HTTP to the same port gets no page.
	if res, err := http.Get("http://" + a.Addr() + "/login"); err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusOK && bytes.Contains(b, []byte("csrf")) {
			t.Errorf("plain HTTP got the sign-in page")
		}
	}
}
