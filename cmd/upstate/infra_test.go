package main

import (
	"net"
	"strconv"
	"strings"
	"testing"
)

// A taken NATS port is explained: which variable, and the two ways out.
func TestNATSPortTaken(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	port := lis.Addr().(*net.TCPAddr).Port
	err = portFree("127.0.0.1", port)
	if err == nil {
		t.Fatal("a taken port was reported free")
	}
	for _, want := range []string{"UPSTATE_NATS_LISTEN=127.0.0.1:" + strconv.Itoa(port), "UPSTATE_NATS_LISTEN=127.0.0.1:0", "UPSTATE_NATS_URL=nats://127.0.0.1:" + strconv.Itoa(port)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	lis.Close()
	if err := portFree("127.0.0.1", port); err != nil {
		t.Fatalf("a free port was reported taken: %v", err)
	}
}
