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
	env := map[string]string{"VIGIL_RETENTION_DAYS": "14", "VIGIL_STORAGE_QUOTA": "2G"}
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
		{"missing map outline", "map_outline = \"no-such-outline.geojson\"\n", "map_outline"},
		{"map outline a folder", "map_outline = \".\"\n", "not a file"},
		{"bad audit database", "audit_database_url = \"/tmp/a.db\"\n", "audit_database_url"},
		{"zero audit retention", "audit_retention_years = 0\n", "audit_retention_years"},
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

func TestMapOutline(t *testing.T) {
	file := filepath.Join(t.TempDir(), "outline.geojson")
	if err := os.WriteFile(file, []byte(`{"type":"FeatureCollection","features":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unset", nil, ""},
		{"environment", map[string]string{"VIGIL_MAP_OUTLINE": file}, file},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("", func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if c.MapOutline != tc.want {
				t.Errorf("MapOutline got %q, want %q", c.MapOutline, tc.want)
			}
		})
	}
}

func TestAuditDSN(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"sqlite", Config{DataDir: "/srv/v"}, "/srv/v/audit.db"},
		{"postgres", Config{DatabaseURL: "postgres://u@h/db?sslmode=disable"}, "postgres://u@h/db?search_path=audit&sslmode=disable"},
		{"postgres with a schema", Config{DatabaseURL: "postgres://u@h/db?search_path=vigil,public"}, "postgres://u@h/db?search_path=vigil_audit"},
		{"given", Config{DatabaseURL: "postgres://u@h/db", AuditDatabaseURL: "postgres://a@elsewhere/trail"}, "postgres://a@elsewhere/trail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.AuditDSN(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	c, err := Load("", func(k string) string { return map[string]string{"VIGIL_AUDIT_RETENTION_YEARS": "10"}[k] })
	if err != nil || c.AuditRetentionYears != 10 || c.AuditRetention() != 87660*time.Hour {
		t.Errorf("VIGIL_AUDIT_RETENTION_YEARS=10: got %d years (%v), want 10", c.AuditRetentionYears, err)
	}
	if d := Default(); d.AuditRetentionYears != 7 {
		t.Errorf("default audit retention: got %d years, want 7", d.AuditRetentionYears)
	}
}
