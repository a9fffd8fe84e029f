package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/netpolicy"
)

// CameraNetwork restricts the addresses cameras may be at, so that a
// camera URL cannot point Vigil at the services beside it (see
// internal/netpolicy). Entries are CIDR prefixes ("10.20.0.0/16") or
// single addresses; the longest entry holding an address decides, a deny
// winning a tie. Loopback, link-local, the unspecified addresses and the
// server's own addresses are refused unless an allow entry at least as
// long names them.
type CameraNetwork struct {
	Allow []string `toml:"allow"`
	Deny  []string `toml:"deny"`
}

// Policy is the policy the lists describe; Validate has checked them.
func (n CameraNetwork) Policy() (*netpolicy.Policy, error) {
	allow, err := parsePrefixes("camera_network.allow", n.Allow)
	if err != nil {
		return nil, err
	}
	deny, err := parsePrefixes("camera_network.deny", n.Deny)
	if err != nil {
		return nil, err
	}
	return netpolicy.New(allow, deny), nil
}

func parsePrefixes(name string, in []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range in {
		p, err := netpolicy.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// HTTPTimeouts bound how long a client may hold the HTTP server's
// attention. Footage downloads and live video over WebSocket outlast
// Read and Write: for them Write is instead the longest a client may
// stall, their write deadline moving on as the video flows.
type HTTPTimeouts struct {
	// ReadHeader is the time to send a request's header.
	ReadHeader Duration `toml:"read_header"`
	// Read is the time to send a whole request, body included.
	Read Duration `toml:"read"`
	// Write is the time from a request's header to the end of its
	// response.
	Write Duration `toml:"write"`
	// Idle closes a keep-alive connection left unused this long.
	Idle Duration `toml:"idle"`
}

func defaultHTTPTimeouts() HTTPTimeouts {
	return HTTPTimeouts{
		ReadHeader: Duration{10 * time.Second},
		// Request bodies are small (JSON, a CSV import of a few MB):
		// a minute is ample on any link that can use the console.
		Read:  Duration{time.Minute},
		Write: Duration{2 * time.Minute},
		Idle:  Duration{2 * time.Minute},
	}
}

func (c *Config) applyNetworkEnv(env func(string) string) error {
	list := func(v string) []string {
		var out []string
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	if v := env("VIGIL_CAMERA_ALLOW"); v != "" {
		c.CameraNetwork.Allow = list(v)
	}
	if v := env("VIGIL_CAMERA_DENY"); v != "" {
		c.CameraNetwork.Deny = list(v)
	}
	for _, d := range []struct {
		name string
		dst  *Duration
	}{
		{"VIGIL_HTTP_READ_HEADER_TIMEOUT", &c.HTTPTimeouts.ReadHeader},
		{"VIGIL_HTTP_READ_TIMEOUT", &c.HTTPTimeouts.Read},
		{"VIGIL_HTTP_WRITE_TIMEOUT", &c.HTTPTimeouts.Write},
		{"VIGIL_HTTP_IDLE_TIMEOUT", &c.HTTPTimeouts.Idle},
	} {
		if v := env(d.name); v != "" {
			if err := d.dst.UnmarshalText([]byte(v)); err != nil {
				return fmt.Errorf("config: %s: %w", d.name, err)
			}
		}
	}
	return nil
}

func (c Config) validateNetwork() []error {
	var errs []error
	if _, err := c.CameraNetwork.Policy(); err != nil {
		errs = append(errs, err)
	}
	t := c.HTTPTimeouts
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"read_header", t.ReadHeader.Duration}, {"read", t.Read.Duration}, {"write", t.Write.Duration}, {"idle", t.Idle.Duration},
	} {
		if d.v < time.Second || d.v > time.Hour {
			errs = append(errs, fmt.Errorf("http_timeouts.%s %s is outside 1s..1h", d.name, d.v))
		}
	}
	if t.ReadHeader.Duration > t.Read.Duration {
		errs = append(errs, fmt.Errorf("http_timeouts.read_header %s is longer than http_timeouts.read %s", t.ReadHeader, t.Read))
	}
	return errs
}
