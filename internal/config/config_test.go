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
	env := map[string]string{"VIGIL_RETENTION_DAYS": "14", "VIGIL_STORAGE_QUOTA": "2G", "VIGIL_READ_BATCH": "0s", "VIGIL_PLAYBACK_DELAY": "5m"}
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
	if c.Recording.PlaybackDelay.Duration != 5*time.Minute {
		t.Errorf("playback delay got %s, want the environment's 5m", c.Recording.PlaybackDelay)
	}
	if d := Default().Recording.PlaybackDelay.Duration; d != time.Minute {
		t.Errorf("default playback delay got %s, want 1m", d)
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
		{"empty transcoder", "live_transcoder = \"\"\n", "live_transcoder"},
		{"tls word", "tls = \"on\"\n", "not \"self-signed\""},
		{"tls cert alone", "tls_cert = \"v.toml\"\n", "come together"},
		{"tls missing files", "tls_cert = \"nope.pem\"\ntls_key = \"nope.key\"\n", "tls_cert"},
		{"self-signed with files", "tls = \"self-signed\"\ntls_cert = \"a\"\ntls_key = \"b\"\n", "leave tls_cert"},
		{"idle over lifetime", "[signin]\nsession_idle_timeout = \"24h\"\n", "session_idle_timeout is longer"},
		{"zero threshold", "[signin]\nlockout_threshold = 0\n", "lockout_threshold"},
		{"oidc plain http", "[oidc]\nissuer = \"http://idp.example\"\nclient_id = \"v\"\nredirect_url = \"https://v/login/oidc/callback\"\n", "must be https"},
		{"oidc no client", "[oidc]\nissuer = \"https://idp.example\"\nredirect_url = \"https://v/login/oidc/callback\"\n", "client_id"},
		{"oidc redirect path", "[oidc]\nissuer = \"https://idp.example\"\nclient_id = \"v\"\nredirect_url = \"https://v/cb\"\n", "redirect_url"},
		{"oidc role entry", "[oidc]\nissuer = \"https://idp.example\"\nclient_id = \"v\"\nredirect_url = \"https://v/login/oidc/callback\"\n[[oidc.roles]]\nvalue = \"x\"\n", "oidc.roles[0]"},
		{"oidc role not Vigil's", "[oidc]\nissuer = \"https://idp.example\"\nclient_id = \"v\"\nredirect_url = \"https://v/login/oidc/callback\"\n[[oidc.roles]]\nvalue = \"x\"\nrole = \"superuser\"\n", "not one of Vigil's roles"},
		{"oidc default role not Vigil's", "[oidc]\nissuer = \"https://idp.example\"\nclient_id = \"v\"\nredirect_url = \"https://v/login/oidc/callback\"\ndefault_role = \"viewer\"\n", "oidc.default_role"},
		{"long read batch", "[recording]\nread_batch = \"2s\"\n", "read_batch"},
		{"negative playback delay", "[recording]\nplayback_delay = \"-1s\"\n", "playback_delay"},
		{"bad audit database", "audit_database_url = \"a.db\"\n", "audit_database_url"},
		{"zero audit retention", "audit_retention_years = 0\n", "audit_retention_years"},
		{"unknown time zone", "time_zone = \"Europe/Nowhere\"\n", "time_zone"},
		{"empty time zone", "time_zone = \"\"\n", "time_zone is empty"},
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

// TestTimeZone: Europe/London by default; a file or the environment can
// name another.
func TestTimeZone(t *testing.T) {
	for _, tc := range []struct {
		name, file, env, want string
	}{
		{"default", "", "", "Europe/London"},
		{"file", "time_zone = \"Europe/Dublin\"\n", "", "Europe/Dublin"},
		{"environment over file", "time_zone = \"Europe/Dublin\"\n", "UTC", "UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "v.toml")
			os.WriteFile(file, []byte(tc.file), 0o600)
			c, err := Load(file, func(k string) string {
				if k == "VIGIL_TIME_ZONE" {
					return tc.env
				}
				return ""
			})
			if err != nil || c.TimeZone != tc.want {
				t.Fatalf("got %q %v, want %q", c.TimeZone, err, tc.want)
			}
		})
	}
}

// TestLiveTranscoder: ffmpeg by default, a file or the environment can
// name another or turn it off.
func TestLiveTranscoder(t *testing.T) {
	for _, tc := range []struct {
		name, file, env, want string
	}{
		{"default", "", "", "ffmpeg"},
		{"file", "live_transcoder = \"/opt/ffmpeg/bin/ffmpeg\"\n", "", "/opt/ffmpeg/bin/ffmpeg"},
		{"environment", "live_transcoder = \"ffmpeg\"\n", "off", "off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "v.toml")
			os.WriteFile(file, []byte(tc.file), 0o600)
			c, err := Load(file, func(k string) string {
				if k == "VIGIL_LIVE_TRANSCODER" {
					return tc.env
				}
				return ""
			})
			if err != nil || c.LiveTranscoder != tc.want {
				t.Fatalf("got %q, %v, want %q", c.LiveTranscoder, err, tc.want)
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

// TestSignInSettings: the defaults are the documented ones, and a file and
// the environment set TLS and single sign-on.
func TestSignInSettings(t *testing.T) {
	d := Default()
	if d.SignIn.TokenMaxLifetime.Duration != 90*24*time.Hour || d.SignIn.LockoutThreshold != 5 || d.SignIn.SessionIdleTimeout.Duration != time.Hour {
		t.Errorf("defaults: got %+v, want 90-day tokens, 5 failures, 1h idle", d.SignIn)
	}
	if d.TLSOn() || d.OIDC.Enabled() {
		t.Errorf("defaults: got TLS %v, OIDC %v, want neither", d.TLSOn(), d.OIDC.Enabled())
	}
	file := filepath.Join(t.TempDir(), "v.toml")
	os.WriteFile(file, []byte(`tls = "self-signed"
[signin]
lockout_threshold = 3
[oidc]
name = "Council ID"
issuer = "http://127.0.0.1:9999"
client_id = "vigil"
redirect_url = "https://vigil.example/login/oidc/callback"
allowed_organisations = ["North Council"]
[[oidc.roles]]
value = "cctv-admins"
role = "administrator"
[[oidc.roles]]
value = "cctv"
role = "operator"
`), 0o600)
	env := map[string]string{"VIGIL_OIDC_CLIENT_SECRET": "s3cret"}
	c, err := Load(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if !c.TLSOn() || c.SignIn.LockoutThreshold != 3 || c.SignIn.LockoutMax.Duration != time.Hour {
		t.Errorf("got TLS %v, threshold %d, max %v; want on, 3, the default 1h", c.TLSOn(), c.SignIn.LockoutThreshold, c.SignIn.LockoutMax)
	}
	o := c.OIDC
	if !o.Enabled() || o.Name != "Council ID" || o.ClientSecret != "s3cret" || len(o.Roles) != 2 || o.Roles[1] != (OIDCRole{"cctv", "operator"}) || o.RoleClaim != "roles" {
		t.Errorf("oidc: got %+v", o)
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
