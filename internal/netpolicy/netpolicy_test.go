package netpolicy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
)

func prefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		p, err := ParsePrefix(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func TestCheck(t *testing.T) {
	own := []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("127.0.0.1")}
	for _, tc := range []struct {
		name        string
		allow, deny []string
		addr        string
		want        string // "" allowed, else a word of the refusal
	}{
		{"ordinary camera", nil, nil, "192.0.2.10", ""},
		{"loopback", nil, nil, "127.0.0.1", "loopback"},
		{"loopback elsewhere in 127/8", nil, nil, "127.9.9.9", "loopback"},
		{"ipv6 loopback", nil, nil, "::1", "loopback"},
		{"mapped loopback", nil, nil, "::ffff:127.0.0.1", "loopback"},
		{"link-local", nil, nil, "169.254.169.254", "link-local"},
		{"ipv6 link-local", nil, nil, "fe80::1", "link-local"},
		{"unspecified", nil, nil, "0.0.0.0", "unspecified"},
		{"ipv6 unspecified", nil, nil, "::", "unspecified"},
		{"own address", nil, nil, "10.1.2.3", "own address"},
		{"own address within an allowed network", []string{"10.0.0.0/8"}, nil, "10.1.2.3", "own address"},
		{"own address allowed by name", []string{"10.1.2.3"}, nil, "10.1.2.3", ""},
		{"loopback allowed", []string{"127.0.0.0/8"}, nil, "127.0.0.1", ""},
		{"loopback not lifted by a shorter allow", []string{"0.0.0.0/0"}, nil, "127.0.0.1", "loopback"},
		{"denied network", nil, []string{"192.0.2.0/24"}, "192.0.2.10", "deny lists 192.0.2.0/24"},
		{"allowed inside a denied network", []string{"10.20.0.0/16"}, []string{"0.0.0.0/0"}, "10.20.1.1", ""},
		{"outside the allowed part", []string{"10.20.0.0/16"}, []string{"0.0.0.0/0"}, "10.30.1.1", "deny lists 0.0.0.0/0"},
		{"deny wins a tie", []string{"192.0.2.0/24"}, []string{"192.0.2.0/24"}, "192.0.2.1", "deny"},
		{"denied loopback even if allowed wider", []string{"127.0.0.0/8"}, []string{"127.0.0.1"}, "127.0.0.1", "deny lists 127.0.0.1/32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(prefixes(t, tc.allow...), prefixes(t, tc.deny...))
			p.own = func() []netip.Addr { return own }
			err := p.Check(netip.MustParseAddr(tc.addr))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want %s allowed", err, tc.addr)
			case tc.want != "" && (!errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want a refusal saying %q", err, tc.want)
			}
		})
	}
}

func TestParsePrefix(t *testing.T) {
	for in, want := range map[string]string{"10.0.0.5": "10.0.0.5/32", "10.1.2.3/8": "10.0.0.0/8", "::ffff:10.0.0.0/104": "10.0.0.0/8", "fe80::1": "fe80::1/128"} {
		if got, err := ParsePrefix(in); err != nil || got.String() != want {
			t.Errorf("ParsePrefix(%q): got %v %v, want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "camera.example", "10.0.0"} {
		if _, err := ParsePrefix(bad); err == nil {
			t.Errorf("ParsePrefix(%q): got no error, want one", bad)
		}
	}
}

func TestCheckHostAndControl(t *testing.T) {
	p := New(nil, nil)
	if err := p.CheckHost(context.Background(), nil, "localhost"); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "localhost") {
		t.Errorf("CheckHost(localhost): got %v, want a refusal naming localhost", err)
	}
	if err := p.CheckHost(context.Background(), nil, "[::1]"); !errors.Is(err, ErrRefused) {
		t.Errorf("CheckHost([::1]): got %v, want a refusal", err)
	}
	// The dial-time check: a dialer with Control cannot reach a loopback
	// listener however it is named.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	d := net.Dialer{Control: p.Control}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		c, err := d.Dial("tcp", net.JoinHostPort(host, port))
		var re *RefusedError
		if err == nil {
			c.Close()
		}
		if !errors.As(err, &re) {
			t.Errorf("dial %s: got %v, want a *RefusedError", host, err)
		}
	}
	allowed := New(prefixes(t, "127.0.0.0/8"), nil)
	c, err := (&net.Dialer{Control: allowed.Control}).Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial with loopback allowed: got %v, want a connection", err)
	}
	c.Close()
}
