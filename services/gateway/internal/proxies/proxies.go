// Package proxies parses the list of trusted reverse proxies
// (UPSTATE_TRUSTED_PROXIES) whose X-Forwarded-For gives a delivery's
// source address. It sits below both the configuration and the app, which
// each need it.
package proxies

import (
	"fmt"
	"net/netip"
	"strings"
)

// Parse parses UPSTATE_TRUSTED_PROXIES: CIDRs, or single addresses, each
// meaning that one host. Empty entries are skipped.
func Parse(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			addr, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("UPSTATE_TRUSTED_PROXIES: %q is neither an address nor a CIDR", s)
			}
			out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("UPSTATE_TRUSTED_PROXIES: %q is neither an address nor a CIDR", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
