// Package netguard keeps outbound requests from reaching inside the
// network (SSRF): a dialer's Control refuses connections to loopback,
// private, shared (CGNAT), link-local (the cloud metadata address
// 169.254.169.254 among them), unspecified, multicast and broadcast
// addresses, in their IPv4-mapped, NAT64 and 6to4 forms too. It checks
// the address being dialled, not the name in the URL, so a name that
// resolves elsewhere later (DNS rebinding) or a redirect to an inside
// address is refused all the same. Ranges an operator allows (a laptop,
// tests, an on-premises receiver) pass.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// ErrRefused is wrapped by the error of a refused connection.
var ErrRefused = errors.New("refusing to connect to a loopback, private, link-local or metadata address")

// inside are the ranges refused besides those netip classifies (loopback,
// private, link-local, unspecified, multicast).
var inside = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // shared address space (CGNAT; some clouds' metadata)
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast included
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("100::/64"),       // discard-only
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Guard decides which addresses may be dialled. The zero value refuses
// every inside address.
type Guard struct {
	allow []netip.Prefix
}

// New returns a guard that lets the allowed ranges through.
func New(allow ...netip.Prefix) *Guard {
	return &Guard{allow: allow}
}

// ParseAllow parses a comma-separated list of CIDR ranges (or single
// addresses) such as "127.0.0.0/8,10.1.2.3"; spaces are ignored.
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q is neither a CIDR range nor an address", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR range: %w", f, err)
		}
		out = append(out, netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-unmappedBits(p.Addr())).Masked())
	}
	return out, nil
}

// unmappedBits is how many prefix bits an IPv4-mapped address loses when
// unmapped.
func unmappedBits(a netip.Addr) int {
	if a.Is4In6() {
		return 96
	}
	return 0
}

// Check returns an error wrapping ErrRefused if a may not be dialled.
func (g *Guard) Check(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	if g != nil {
		for _, p := range g.allow {
			if p.Contains(a) {
				return nil
			}
		}
	}
	if isInside(a) {
		return fmt.Errorf("%w: %s", ErrRefused, a)
	}
	// An IPv6 address that embeds an IPv4 one reaches that one.
	if a.Is6() && (nat64.Contains(a) || sixToFour.Contains(a)) {
		b := a.As16()
		var v4 [4]byte
		if nat64.Contains(a) {
			copy(v4[:], b[12:16])
		} else {
			copy(v4[:], b[2:6])
		}
		return g.Check(netip.AddrFrom4(v4))
	}
	return nil
}

func isInside(a netip.Addr) bool {
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range inside {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Control is a net.Dialer Control function: it refuses the connection if
// the address being dialled (an IP, after resolution) may not be.
func (g *Guard) Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefused, address)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefused, address)
	}
	return g.Check(a)
}
