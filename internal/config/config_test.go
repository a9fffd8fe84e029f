package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadOrder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "vigil.toml")
	if err := os.WriteFile(file, []byte("http = \"127.0.0.1:9000\"\n[recording]\nsegment_duration = \"30s\"\nretention_days = 28\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"VIGIL_RETENTION_DAYS": "14", "VIGIL_STORAGE_QUOTA": "2G", "VIGIL_READ_BATCH": "0s"}
	c, err := Load(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP != "127.0.0.1:9000" {
		t.Errorf("HTTP got %q, want the file's", c.HTTP)
	}
	if c.Recording.SegmentDuration.Duration != 30*time.Second {
		t.Errorf("segment duration got %s, want 30s", c.Recording.SegmentDuration)
	}
	if c.Recording.RetentionDays != 14 {
		t.Errorf("retention got %d, want the environment's 14", c.Recording.RetentionDays)
	}
	if c.Recording.ReadBatch.Duration != 0 {
		t.Errorf("read batch got %s, want the environment's 0s", c.Recording.ReadBatch)
	}
	if d := Default().Recording.ReadBatch.Duration; d != 100*time.Millisecond {
		t.Errorf("default read batch got %s, want 100ms", d)
	}
	if len(c.Storage) != 1 || c.Storage[0].QuotaBytes != 2<<30 {
		t.Errorf("storage got %+v, want one folder with a 2 GiB quota", c.Storage)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{
		{"unknown key", "colour = \"red\"\n", "unknown setting"},
		{"short segments", "[recording]\nsegment_duration = \"1s\"\n", "segment_duration"},
		{"bad database", "database_url = \"mysql://x\"\n", "postgres://"},
		{"bad level", "log_level = \"loud\"\n", "log_level"},
		{"zero retention", "[recording]\nretention_days = 0\n", "retention_days"},
		{"long read batch", "[recording]\nread_batch = \"2s\"\n", "read_batch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "v.toml")
			os.WriteFile(file, []byte(tc.file), 0o600)
			_, err := Load(file, func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "500M": 500 << 20, "2G": 2 << 30, "1.5k": 1536, "3GB": 3 << 30} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := ParseBytes("lots"); err == nil {
		t.Error("ParseBytes(\"lots\") gave no error")
	}
}
