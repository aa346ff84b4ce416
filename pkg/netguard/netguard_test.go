package netguard_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/netguard"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	allow, err := netguard.ParseAllow(" 10.1.0.0/16, 192.168.7.7 ,::ffff:172.20.0.0/112")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		addr    string
		allowed bool // by the zero guard
		byAllow bool // by the guard allowing the ranges above
	}{
		{"93.184.215.14", true, true},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true, true},
		{"127.0.0.1", false, false},
		{"127.8.9.1", false, false},
		{"::1", false, false},
		{"::ffff:127.0.0.1", false, false},
		{"::ffff:7f00:1", false, false},
		{"10.0.0.1", false, false},
		{"10.1.2.3", false, true},
		{"::ffff:10.1.2.3", false, true},
		{"172.16.0.1", false, false},
		{"172.20.0.9", false, true},
		{"192.168.0.1", false, false},
		{"192.168.7.7", false, true},
		{"169.254.169.254", false, false},
		{"::ffff:169.254.169.254", false, false},
		{"fe80::1", false, false},
		{"fc00::1", false, false},
		{"fd00:ec2::254", false, false},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"100.100.100.200", false, false},
		{"224.0.0.1", false, false},
		{"255.255.255.255", false, false},
		{"64:ff9b::7f00:1", false, false},
		{"64:ff9b::5db8:d70e", true, true},
		{"2002:7f00:1::", false, false},
		{"2002:a01:203::", false, true},
	}
	open, allowing := netguard.New(), netguard.New(allow...)
	for _, c := range cases {
		a := netip.MustParseAddr(c.addr)
		if err := open.Check(a); (err == nil) != c.allowed {
			t.Errorf("zero guard, %s: err = %v, want allowed %v", c.addr, err, c.allowed)
		} else if err != nil && !errors.Is(err, netguard.ErrRefused) {
			t.Errorf("%s: %v does not wrap ErrRefused", c.addr, err)
		}
		if err := allowing.Check(a); (err == nil) != c.byAllow {
			t.Errorf("allowing guard, %s: err = %v, want allowed %v", c.addr, err, c.byAllow)
		}
	}
}

func TestParseAllowRefusesGarbage(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"10.0.0.0/33", "localhost", "10.0.0.0/8,nope"} {
		if _, err := netguard.ParseAllow(s); err == nil {
			t.Errorf("ParseAllow(%q) accepted", s)
		}
	}
}

// A request to a name that resolves to the loopback is refused at the
// dial, however the URL spells it, and so is a redirect there.
func TestControlRefusesDialledAddress(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dial := func(g *netguard.Guard) error {
		d := &net.Dialer{Timeout: 2 * time.Second, Control: g.Control}
		client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://localhost:"+port+"/", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := dial(netguard.New()); !errors.Is(err, netguard.ErrRefused) {
		t.Fatalf("dial localhost: err = %v, want ErrRefused", err)
	}
	if err := dial(netguard.New(netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))); err != nil {
		t.Fatalf("dial localhost with the loopback allowed: %v", err)
	}
}
