package freeport_test

import (
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/upstatehq/upstate/pkg/freeport"
)

// Ports are free, distinct, and below the range outgoing connections take
// their local ports from.
func TestPort(t *testing.T) {
	start := 49152
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if _, err := fmt.Sscan(string(b), &start); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int]bool{}
	for range 500 {
		p, err := freeport.Port()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		if start-10_000 >= 1000 && (p < 10_000 || p >= start) {
			t.Fatalf("port %d is outside [10000, %d)", p, start)
		}
	}
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("%s is not free: %v", addr, err)
	}
	l.Close()
}
