package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgserver"
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// The Postgres bin/upstate runs is supervised: killed, it is restarted
// while /readyz fails and /healthz does not; when it cannot be brought
// back, /healthz fails, naming it, so an orchestrator restarts upstate.
func TestManagedPostgresLiveness(t *testing.T) {
	t.Parallel()
	// The data dir must be traversable by the postgres user when run as root.
	dataDir, err := os.MkdirTemp("", "upstate-postgres-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dataDir) })
	if err := os.Chmod(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := lifecycle.NewProcess("upstate", logging.Options{Level: "error"}, nil)
	t.Cleanup(func() {
		if err := p.Shutdown(context.Background(), 30*time.Second); err != nil {
			t.Error(err)
		}
	})
	health := httpx.NewHealth(p.Registry)
	restart := pgserver.Restart{MinBackoff: 200 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, MaxFailures: 2}
	if _, err := startPostgres(context.Background(), Config{DataDir: dataDir}, p.Stack, health, restart, p.Logger); err != nil {
		t.Fatal(err)
	}
	h := service.NewHost(service.Options{Logger: p.Logger, Registry: p.Registry, Stack: p.Stack, Health: health})
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	expect := func(live, ready int) func() error {
		return func() error {
			if code, body := get("/healthz"); code != live {
				return fmt.Errorf("/healthz %d %s, want %d", code, body, live)
			}
			if code, body := get("/readyz"); code != ready {
				return fmt.Errorf("/readyz %d %s, want %d", code, body, ready)
			}
			return nil
		}
	}
	if err := expect(http.StatusOK, http.StatusOK)(); err != nil {
		t.Fatal(err)
	}
	pgData := filepath.Join(dataDir, "postgres")
	killPostgres(t, pgData)
	testenv.Eventually(t, 5*time.Second, expect(http.StatusOK, http.StatusServiceUnavailable))
	testenv.Eventually(t, 30*time.Second, expect(http.StatusOK, http.StatusOK))

	// From now on postgres refuses to start.
	conf, err := os.OpenFile(filepath.Join(pgData, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conf.WriteString("\nshared_buffers = 'plenty'\n"); err != nil {
		t.Fatal(err)
	}
	if err := conf.Close(); err != nil {
		t.Fatal(err)
	}
	killPostgres(t, pgData)
	testenv.Eventually(t, 60*time.Second, expect(http.StatusServiceUnavailable, http.StatusServiceUnavailable))
	if _, body := get("/healthz"); !strings.Contains(body, `"postgres"`) || !strings.Contains(body, "shared_buffers") {
		t.Fatalf("/healthz does not name postgres and the cause: %s", body)
	}
}

// killPostgres kills the server running on dataDir with SIGKILL.
func killPostgres(t testing.TB, dataDir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(first)
	if err != nil {
		t.Fatalf("postmaster.pid: %q", first)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Fatal(err)
	}
}
