package netguard_test

import (
	"net/netip"
	"testing"

	"github.com/upstatehq/upstate/pkg/netguard"
)

// FuzzCheck checks the guard against properties rather than a list: an
// address and its IPv4-mapped form are judged alike, nothing the standard
// library calls loopback, private, link-local, multicast or unspecified
// passes, and an allowed range lets its addresses through.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "10.1.2.3", "169.254.169.254", "8.8.8.8", "::1", "fe80::1", "2606:4700::1111", "64:ff9b::a01:203"} {
		a := netip.MustParseAddr(s).As16()
		f.Add(a[:], uint8(8))
	}
	open := netguard.New()
	f.Fuzz(func(t *testing.T, b []byte, bits uint8) {
		if len(b) != 16 {
			return
		}
		a := netip.AddrFrom16([16]byte(b))
		err := open.Check(a)
		u := a.Unmap()
		if (open.Check(u) == nil) != (err == nil) {
			t.Fatalf("%s and %s are judged differently", a, u)
		}
		if err == nil && (u.IsLoopback() || u.IsPrivate() || u.IsLinkLocalUnicast() || u.IsMulticast() || u.IsUnspecified()) {
			t.Fatalf("%s passes", a)
		}
		p, err := u.Prefix(int(bits) % (u.BitLen() + 1))
		if err != nil {
			t.Fatal(err)
		}
		if err := netguard.New(p).Check(a); err != nil {
			t.Fatalf("%s is refused although %s is allowed: %v", a, p, err)
		}
	})
}
