package config

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/internal/netpolicy"
)

func TestNetworkSettings(t *testing.T) {
	d := Default()
	if d.HTTPTimeouts.ReadHeader.Duration != 10*time.Second || d.HTTPTimeouts.Read.Duration != time.Minute ||
		d.HTTPTimeouts.Write.Duration != 2*time.Minute || d.HTTPTimeouts.Idle.Duration != 2*time.Minute {
		t.Errorf("default timeouts: got %+v, want 10s, 1m, 2m, 2m", d.HTTPTimeouts)
	}
	if d.ShutdownTimeout.Duration != 30*time.Second {
		t.Errorf("default shutdown_timeout: got %s, want 30s", d.ShutdownTimeout)
	}
	p, err := d.CameraNetwork.Policy()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(netip.MustParseAddr("127.0.0.1")); !errors.Is(err, netpolicy.ErrRefused) {
		t.Errorf("default policy on 127.0.0.1: got %v, want it refused", err)
	}

	for _, tc := range []struct {
		name, file string
		env        map[string]string
		check      func(Config) string // "" when right
		want       string              // a word of the error, or "" for none
	}{
		{name: "file", file: "[camera_network]\nallow = [\"127.0.0.0/8\", \"10.20.0.0/16\"]\ndeny = [\"10.20.5.0/24\"]\n[http_timeouts]\nread = \"30s\"\nidle = \"5m\"\n",
			check: func(c Config) string {
				if strings.Join(c.CameraNetwork.Allow, " ") != "127.0.0.0/8 10.20.0.0/16" || strings.Join(c.CameraNetwork.Deny, " ") != "10.20.5.0/24" ||
					c.HTTPTimeouts.Read.Duration != 30*time.Second || c.HTTPTimeouts.Idle.Duration != 5*time.Minute || c.HTTPTimeouts.Write.Duration != 2*time.Minute {
					return "want the file's lists, read 30s, idle 5m, the default write"
				}
				return ""
			}},
		{name: "environment over file", file: "[camera_network]\nallow = [\"10.0.0.0/8\"]\n",
			env: map[string]string{"VIGIL_CAMERA_ALLOW": "127.0.0.1, ::1", "VIGIL_CAMERA_DENY": "192.0.2.0/24", "VIGIL_HTTP_WRITE_TIMEOUT": "90s", "VIGIL_HTTP_READ_HEADER_TIMEOUT": "5s"},
			check: func(c Config) string {
				if strings.Join(c.CameraNetwork.Allow, " ") != "127.0.0.1 ::1" || strings.Join(c.CameraNetwork.Deny, " ") != "192.0.2.0/24" ||
					c.HTTPTimeouts.Write.Duration != 90*time.Second || c.HTTPTimeouts.ReadHeader.Duration != 5*time.Second {
					return "want the environment's lists, write 90s and read_header 5s"
				}
				return ""
			}},
		{name: "bad allow entry", file: "[camera_network]\nallow = [\"10.0.0.0/33\"]\n", want: "camera_network.allow"},
		{name: "bad deny entry", env: map[string]string{"VIGIL_CAMERA_DENY": "cameras.example"}, want: "camera_network.deny"},
		{name: "zero timeout", file: "[http_timeouts]\nwrite = \"0s\"\n", want: "http_timeouts.write"},
		{name: "header over body", file: "[http_timeouts]\nread_header = \"2m\"\nread = \"1m\"\n", want: "read_header 2m0s is longer"},
		{name: "bad duration in environment", env: map[string]string{"VIGIL_HTTP_IDLE_TIMEOUT": "soon"}, want: "VIGIL_HTTP_IDLE_TIMEOUT"},
		{name: "unknown setting", file: "[http_timeouts]\nslow = \"1s\"\n", want: "unknown setting"},
		{name: "shutdown timeout from the file", file: "shutdown_timeout = \"2m\"\n",
			check: func(c Config) string {
				if c.ShutdownTimeout.Duration != 2*time.Minute {
					return "want shutdown_timeout 2m"
				}
				return ""
			}},
		{name: "shutdown timeout from the environment", file: "shutdown_timeout = \"2m\"\n", env: map[string]string{"VIGIL_SHUTDOWN_TIMEOUT": "10s"},
			check: func(c Config) string {
				if c.ShutdownTimeout.Duration != 10*time.Second {
					return "want the environment's shutdown_timeout, 10s"
				}
				return ""
			}},
		{name: "zero shutdown timeout", env: map[string]string{"VIGIL_SHUTDOWN_TIMEOUT": "0s"}, want: "shutdown_timeout"},
		{name: "bad shutdown timeout", env: map[string]string{"VIGIL_SHUTDOWN_TIMEOUT": "later"}, want: "VIGIL_SHUTDOWN_TIMEOUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := ""
			if tc.file != "" {
				file = filepath.Join(t.TempDir(), "v.toml")
				if err := os.WriteFile(file, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			c, err := Load(file, func(k string) string { return tc.env[k] })
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tc.check(c); msg != "" {
				t.Errorf("got allow %q deny %q timeouts %+v: %s", c.CameraNetwork.Allow, c.CameraNetwork.Deny, c.HTTPTimeouts, msg)
			}
		})
	}
}
