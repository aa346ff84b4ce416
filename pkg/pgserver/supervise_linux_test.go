package pgserver_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/pgserver"
	"github.com/upstatehq/upstate/pkg/testenv"
)

func supervise(t testing.TB, cfg pgserver.Config, restart pgserver.Restart) *pgserver.Supervisor {
	t.Helper()
	sup, err := pgserver.Supervise(context.Background(), cfg, restart)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = sup.Stop(ctx)
	})
	return sup
}

// A supervised server killed with SIGKILL comes back on the same address,
// with its data, and a pool opened before reconnects by itself; each
// restart is logged. Stop then stops it cleanly, and nothing restarts it.
func TestSupervisorRestartsKilledServer(t *testing.T) {
	t.Parallel()
	var logs testenv.LogBuffer
	cfg := pgserver.Config{
		DataDir: filepath.Join(tempDir(t), "data"), Durable: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}
	sup := supervise(t, cfg, pgserver.Restart{})
	pool, err := pgxpool.New(context.Background(), sup.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "CREATE TABLE kept (id int)"); err != nil {
		t.Fatal(err)
	}

	for i := 1; i <= 2; i++ {
		if _, err := pool.Exec(ctx, "INSERT INTO kept VALUES ($1)", i); err != nil {
			t.Fatal(err)
		}
		signal(t, postmasterPID(t, cfg.DataDir), syscall.SIGKILL)
		// The first restart waits half a second: long enough to see it down.
		testenv.Eventually(t, 5*time.Second, func() error {
			if sup.Ready(ctx) == nil {
				return errors.New("supervisor still reports postgres up")
			}
			return nil
		})
		testenv.Eventually(t, 30*time.Second, func() error {
			if err := sup.Ready(ctx); err != nil {
				return err
			}
			var n int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM kept").Scan(&n); err != nil {
				return err
			}
			if n != i {
				return fmt.Errorf("kept has %d rows after restart %d", n, i)
			}
			return nil
		})
		if got := strings.Count(logs.String(), "postgres restarted"); got != i {
			t.Fatalf("%d restarts logged after %d kills:\n%s", got, i, logs.String())
		}
	}
	if sup.Err() != nil {
		t.Fatalf("supervisor gave up: %v", sup.Err())
	}

	stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := sup.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	// A clean shutdown removes the lock file, and no restart follows.
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "postmaster.pid")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("lock file after Stop: %v", err)
	}
	for _, event := range []string{"postgres exited unexpectedly", "restarting postgres"} {
		if got := strings.Count(logs.String(), event); got != 2 {
			t.Errorf("%q logged %d times for 2 kills and a stop:\n%s", event, got, logs.String())
		}
	}
}

// A server that cannot be brought back makes the supervisor give up after
// its consecutive failures, once, and say so.
func TestSupervisorGivesUp(t *testing.T) {
	t.Parallel()
	var logs testenv.LogBuffer
	cfg := pgserver.Config{
		DataDir: filepath.Join(tempDir(t), "data"),
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
	}
	var (
		mu     sync.Mutex
		gaveUp []error
	)
	sup := supervise(t, cfg, pgserver.Restart{
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, MaxFailures: 3,
		OnGiveUp: func(err error) { mu.Lock(); gaveUp = append(gaveUp, err); mu.Unlock() },
	})

	// From now on postgres refuses to start.
	conf, err := os.OpenFile(filepath.Join(cfg.DataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conf.WriteString("\nshared_buffers = 'plenty'\n"); err != nil {
		t.Fatal(err)
	}
	if err := conf.Close(); err != nil {
		t.Fatal(err)
	}
	signal(t, postmasterPID(t, cfg.DataDir), syscall.SIGKILL)

	testenv.Eventually(t, 60*time.Second, func() error {
		if sup.Err() == nil {
			return errors.New("supervisor has not given up")
		}
		return nil
	})
	if err := sup.Ready(context.Background()); err == nil {
		t.Error("a supervisor that gave up reports postgres ready")
	}
	if got := strings.Count(logs.String(), "postgres restart failed"); got != 3 {
		t.Errorf("%d failed restarts logged, want 3:\n%s", got, logs.String())
	}
	mu.Lock()
	calls := len(gaveUp)
	mu.Unlock()
	if calls != 1 || !strings.Contains(gaveUp[0].Error(), "shared_buffers") {
		t.Errorf("OnGiveUp called with %v, want once with the cause", gaveUp)
	}
	if err := sup.Stop(context.Background()); err != nil {
		t.Errorf("stop after giving up: %v", err)
	}
}
