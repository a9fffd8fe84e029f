package secret

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	b, err := LoadOrCreate(path, "")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode got %v, want 0600", st.Mode().Perm())
	}
	sealed := b.Seal([]byte("hunter2"), []byte("camera:1"))
	if bytes.Contains(sealed, []byte("hunter2")) {
		t.Fatal("sealed value holds the plain text")
	}
	again, err := LoadOrCreate(path, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := again.Open(sealed, []byte("camera:1"))
	if err != nil || string(got) != "hunter2" {
		t.Fatalf("Open got %q, %v; want hunter2", got, err)
	}
	if _, err := again.Open(sealed, []byte("camera:2")); err == nil {
		t.Error("a value moved to another row opened")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := again.Open(sealed, []byte("camera:1")); err == nil {
		t.Error("a tampered value opened")
	}
	if _, err := New([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}
