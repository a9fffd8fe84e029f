// Package netpolicy decides which network addresses Vigil may connect to
// on a camera's behalf. A camera's URL is typed in by whoever manages
// cameras, so without a policy it could point Vigil at the services next
// to it: the database, Vigil's own port, anything on loopback. The policy
// is checked when a camera is saved and again on every connection, at the
// address actually dialled, so that a name which later resolves elsewhere
// cannot get round it.
//
// Rules are CIDR prefixes, allowed or denied; the longest prefix holding
// an address decides, a denial winning a tie. Built in, and lifted only by
// an allowed prefix at least as long, are denials of loopback
// (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10), the
// unspecified addresses (0.0.0.0, ::, which reach this machine) and the
// server's own interface addresses. An address no rule holds is allowed.
package netpolicy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
)

// ErrRefused is what every refusal Is.
var ErrRefused = errors.New("address not allowed")

// RefusedError says which address was refused and by which rule.
type RefusedError struct {
	Addr netip.Addr
	Host string // the name that resolved to Addr, when there was one
	Rule string
}

func (e *RefusedError) Error() string {
	a := e.Addr.String()
	if e.Host != "" && e.Host != a {
		a = fmt.Sprintf("%s (%s)", e.Host, a)
	}
	return fmt.Sprintf("camera address %s is not allowed: %s", a, e.Rule)
}

// Is makes every RefusedError match ErrRefused.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

type rule struct {
	prefix  netip.Prefix
	allow   bool
	builtin bool
	why     string
}

// Policy is a set of rules; the zero value and nil allow everything but
// the built-in denials.
type Policy struct {
	rules []rule
	// own lists this machine's interface addresses; a variable for
	// tests.
	own func() []netip.Addr
}

var builtins = []rule{
	{prefix: netip.MustParsePrefix("127.0.0.0/8"), why: "loopback addresses are refused unless camera_network.allow lists them"},
	{prefix: netip.MustParsePrefix("::1/128"), why: "loopback addresses are refused unless camera_network.allow lists them"},
	{prefix: netip.MustParsePrefix("169.254.0.0/16"), why: "link-local addresses are refused unless camera_network.allow lists them"},
	{prefix: netip.MustParsePrefix("fe80::/10"), why: "link-local addresses are refused unless camera_network.allow lists them"},
	{prefix: netip.MustParsePrefix("0.0.0.0/32"), why: "the unspecified address reaches this server and is refused unless camera_network.allow lists it"},
	{prefix: netip.MustParsePrefix("::/128"), why: "the unspecified address reaches this server and is refused unless camera_network.allow lists it"},
}

// New makes a policy of the built-in denials and the given prefixes.
func New(allow, deny []netip.Prefix) *Policy {
	p := &Policy{own: interfaceAddrs}
	for _, b := range builtins {
		b.builtin = true
		p.rules = append(p.rules, b)
	}
	for _, a := range allow {
		p.rules = append(p.rules, rule{prefix: a.Masked(), allow: true})
	}
	for _, d := range deny {
		p.rules = append(p.rules, rule{prefix: d.Masked(), why: "camera_network.deny lists " + d.Masked().String()})
	}
	return p
}

// ParsePrefix reads "10.0.0.0/8", or a single address ("10.0.0.5",
// "fe80::1") meaning just that address.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("%q is not a CIDR prefix like 10.20.0.0/16", s)
		}
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-unmapBits(p.Addr())).Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or a CIDR prefix like 10.20.0.0/16", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// unmapBits is how many leading bits an IPv4-mapped IPv6 prefix loses
// when taken as IPv4.
func unmapBits(a netip.Addr) int {
	if a.Is4In6() {
		return 96
	}
	return 0
}

// Check says whether ip may be connected to: nil, or a *RefusedError.
func (p *Policy) Check(ip netip.Addr) error {
	if p == nil {
		p = New(nil, nil)
	}
	ip = ip.Unmap().WithZone("")
	var best *rule
	for i := range p.rules {
		r := &p.rules[i]
		if r.prefix.Contains(ip) && (best == nil || better(r, best)) {
			best = r
		}
	}
	// The server's own addresses are built-in denials of one address
	// each, so that allowing the camera network it sits on does not
	// allow its own ports.
	own := p.own
	if own == nil {
		own = interfaceAddrs
	}
	if !ip.IsLoopback() && slices.Contains(own(), ip) {
		self := &rule{prefix: netip.PrefixFrom(ip, ip.BitLen()), builtin: true,
			why: "it is this server's own address, refused unless camera_network.allow lists it"}
		if best == nil || better(self, best) {
			best = self
		}
	}
	if best == nil || best.allow {
		return nil
	}
	return &RefusedError{Addr: ip, Rule: best.why}
}

// better says whether rule a beats rule b for an address both hold: the
// longer prefix, then a listed rule over a built-in one, then a denial.
func better(a, b *rule) bool {
	if a.prefix.Bits() != b.prefix.Bits() {
		return a.prefix.Bits() > b.prefix.Bits()
	}
	if a.builtin != b.builtin {
		return !a.builtin
	}
	return !a.allow && b.allow
}

func interfaceAddrs() []netip.Addr {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out
}

// CheckHost checks a camera URL's host: a literal address directly, a
// name by resolving it and checking every address it has (any refused
// one refuses the name, since a dial may pick it).
func (p *Policy) CheckHost(ctx context.Context, r *net.Resolver, host string) error {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.Check(ip)
	}
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if err := p.Check(ip); err != nil {
			var re *RefusedError
			if errors.As(err, &re) {
				re.Host = host
			}
			return err
		}
	}
	return nil
}

// Control is a net.Dialer Control function: it refuses, with a
// *RefusedError, a connection to an address the policy does not allow.
// It sees the address being connected to after any name was resolved.
func (p *Policy) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("netpolicy: cannot read the address %q: %w", address, ErrRefused)
	}
	return p.Check(ap.Addr())
}
