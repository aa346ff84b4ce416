package testenv

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RefuseConnections takes the database of dsn, one NewDatabase made, away
// from its clients as an outage would: it refuses new connections and
// ends those open. It returns a function that accepts connections again,
// which also runs when the test ends.
func RefuseConnections(t testing.TB, dsn string) (restore func()) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("testenv: parse dsn: %v", err)
	}
	db := strings.TrimPrefix(u.Path, "/")
	if pg.admin == nil || db == "" {
		t.Fatal("testenv: RefuseConnections needs a database from NewDatabase")
	}
	allow := func(ok bool) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := pg.admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s WITH ALLOW_CONNECTIONS %t`, pgx.Identifier{db}.Sanitize(), ok))
		if err != nil {
			return fmt.Errorf("testenv: set allow_connections %t on %s: %w", ok, db, err)
		}
		if ok {
			return nil
		}
		_, err = pg.admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, db)
		if err != nil {
			return fmt.Errorf("testenv: end connections to %s: %w", db, err)
		}
		return nil
	}
	if err := allow(false); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	restore = func() {
		once.Do(func() {
			if err := allow(true); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(restore)
	return restore
}

// StopPostgres stops the test binary's Postgres server, as a restart or a
// failover of the server would: every database of every test goes away.
// It returns a function that starts the server again on the same port
// with the same data, which also runs when the test ends. A server that
// UPSTATE_TEST_DATABASE_URL names is not the tests' to stop: the test is
// skipped then. Only tests that run alone (not t.Parallel) may use it.
func StopPostgres(t testing.TB) (start func()) {
	t.Helper()
	requireMain(t, mainUsed.Load())
	pg.once.Do(func() { pg.err = pg.start() })
	if pg.err != nil {
		t.Fatalf("testenv: %v", pg.err)
	}
	if pg.srv == nil {
		t.Skipf("testenv: the Postgres server %s names is not the tests' to stop", testDatabaseURLVar)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	port := pg.srv.Port()
	if err := pg.srv.Stop(ctx); err != nil {
		t.Fatalf("testenv: stop postgres: %v", err)
	}
	var once sync.Once
	start = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			srv, err := restartServer(ctx, port)
			if err != nil {
				t.Errorf("testenv: start postgres again: %v", err)
				return
			}
			pg.srv = srv
			// Its connections were ended with the server.
			pg.admin.Reset()
		})
	}
	t.Cleanup(start)
	return start
}
