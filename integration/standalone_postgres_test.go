package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/testenv"
)

// bin/upstate supervises the Postgres it runs: killed with SIGKILL, it is
// restarted; /readyz fails meanwhile and /healthz does not, and once it is
// back the services use it again without a restart of upstate.
func TestStandalonePostgresKilled(t *testing.T) {
	t.Parallel()
	bin, dataDir := standaloneBinary(t)
	addr := freeAddr(t)
	stop := startProcess(t, bin, []string{
		"UPSTATE_HTTP_ADDR=" + addr, "UPSTATE_DATA_DIR=" + dataDir, "UPSTATE_NATS_LISTEN=127.0.0.1:0",
		"UPSTATE_BOOTSTRAP_API_KEY=" + bootstrapKey, "DATABASE_URL=", "UPSTATE_NATS_URL=",
	})
	defer stop()
	base := "http://" + addr
	waitReady(t, base+"/readyz")
	s := &stack{t: t, baseURL: base}
	id := s.createService(bootstrapKey, "API")

	pidFile, err := os.ReadFile(filepath.Join(dataDir, "postgres", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(pidFile), "\n")
	pid, err := strconv.Atoi(first)
	if err != nil {
		t.Fatalf("postmaster.pid: %q", first)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	probe := func(path string, want int) func() error {
		return func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			res.Body.Close()
			if res.StatusCode != want {
				return fmt.Errorf("%s: %d, want %d", path, res.StatusCode, want)
			}
			return nil
		}
	}
	// The first restart waits half a second: long enough to see it down.
	testenv.Eventually(t, 10*time.Second, probe("/readyz", http.StatusServiceUnavailable))
	if err := probe("/healthz", http.StatusOK)(); err != nil {
		t.Fatalf("liveness while postgres restarts: %v", err)
	}
	testenv.Eventually(t, 60*time.Second, probe("/readyz", http.StatusOK))

	// A connection a service held when Postgres died may fail one more
	// request, answered 503 with Retry-After as during the outage: a
	// client retries it, and it goes through.
	testenv.Eventually(t, 10*time.Second, func() error {
		r := s.do(http.MethodPut, "/api/v1/services/"+id, bootstrapKey, `{"status":"down"}`)
		switch {
		case r.Status == http.StatusOK:
			return nil
		case r.Status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") != "":
			return fmt.Errorf("PUT after postgres came back: %d %s", r.Status, r.Body)
		}
		t.Fatalf("PUT after postgres came back: %d %s", r.Status, r.Body)
		return nil
	})
	if r := s.do(http.MethodGet, "/api/v1/services/"+id, bootstrapKey, nil); r.Status != http.StatusOK || r.json(t)["status"] != "down" {
		t.Fatalf("GET after postgres came back: %d %s", r.Status, r.Body)
	}
	if err := probe("/healthz", http.StatusOK)(); err != nil {
		t.Fatalf("liveness after postgres came back: %v", err)
	}
}
