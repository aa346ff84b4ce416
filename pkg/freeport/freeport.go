// Package freeport chooses loopback TCP ports for servers that are started,
// or started again, some time after their port was chosen: a child
// process, a server restarted on the port it had.
//
// A port the system chose for a listener on port 0 comes from its
// ephemeral range, the same range it draws the local ports of outgoing
// connections from. Freed for a moment before the server binds it (or
// while the server is down), such a port can be taken by any outgoing
// connection of any process on the machine, and the server then fails to
// start. Ports below that range are never given to outgoing connections,
// so a port chosen there stays free unless something binds it on purpose.
package freeport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
)

// lowest is the lowest port handed out: below it are the well-known and
// commonly configured ports.
const lowest = 10_000

// attempts bounds the search for a free port.
const attempts = 200

var (
	mu sync.Mutex
	// given are the ports this process handed out, so that two servers
	// started later are never given the same one.
	given = map[int]bool{}
)

// Port returns a port on 127.0.0.1 that is free now, outside the system's
// ephemeral range, and not returned before by this process. Where no such
// range is left, it returns one the system chooses, as a listener on port
// 0 would get.
func Port() (int, error) {
	lo, hi := window()
	if hi-lo < 1000 {
		return systemPort()
	}
	mu.Lock()
	defer mu.Unlock()
	for range attempts {
		p := lo + rand.IntN(hi-lo)
		if given[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue // taken
		}
		if err := l.Close(); err != nil {
			return 0, fmt.Errorf("free port: %w", err)
		}
		given[p] = true
		return p, nil
	}
	return 0, errors.New("free port: none found below the ephemeral range")
}

// Addr is Port as an address, 127.0.0.1:port.
func Addr() (string, error) {
	p, err := Port()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", p), nil
}

// window is the range [lo, hi) ports are chosen from: from lowest to the
// start of the ephemeral range, which Linux publishes; elsewhere the IANA
// range (49152 on) that BSD, macOS and Windows use.
func window() (lo, hi int) {
	hi = 49152
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var start, end int
		if _, err := fmt.Sscan(string(b), &start, &end); err == nil && start > 0 {
			hi = start
		}
	}
	return lowest, hi
}

func systemPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
