package testenv

import (
	"testing"

	"github.com/upstatehq/upstate/pkg/natsd"
)

// StartNATS starts an embedded JetStream server on a free port, storing in a
// temporary directory, and shuts it down when the test ends. It starts in
// milliseconds, so each test may have its own.
func StartNATS(t testing.TB) *natsd.Server {
	t.Helper()
	srv, err := natsd.Start(natsd.Config{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	// Registered after t.TempDir's cleanup, so it runs first: the store
	// directory is removed only once the server has stopped writing to it.
	t.Cleanup(srv.Shutdown)
	return srv
}
