package testenv_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/testenv"
)

func queryString(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) string {
	t.Helper()
	var s *string
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if s == nil {
		return ""
	}
	return *s
}

func TestDatabasesAreIsolated(t *testing.T) {
	names := [2]string{"a", "b"}
	var (
		ready [2]chan struct{}
		dbs   [2]string // dbs[i] is written before ready[i] closes
	)
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	for i, name := range names {
		other := 1 - i
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pool := testenv.NewPool(t, testenv.NewDatabase(t))
			if n := queryString(t, pool, "SELECT count(*)::text FROM pg_tables WHERE schemaname = 'public'"); n != "0" {
				t.Errorf("new database has %s tables, want 0", n)
			}
			if _, err := pool.Exec(context.Background(), "CREATE TABLE only_"+name+" (id int)"); err != nil {
				t.Fatal(err)
			}
			dbs[i] = queryString(t, pool, "SELECT current_database()")
			close(ready[i])

			// Both tests hold their databases at the same time, unless
			// -parallel 1 runs them one after the other.
			select {
			case <-ready[other]:
				if dbs[other] == dbs[i] {
					t.Errorf("both tests got database %s", dbs[i])
				}
			case <-time.After(10 * time.Second):
				t.Logf("test %s did not run alongside", names[other])
			}
			if got := queryString(t, pool, "SELECT to_regclass($1)::text", "only_"+name); got == "" {
				t.Errorf("own table only_%s not found", name)
			}
			if got := queryString(t, pool, "SELECT to_regclass($1)::text", "only_"+names[other]); got != "" {
				t.Errorf("table %s of test %s is visible", got, names[other])
			}
		})
	}
}

func TestDatabaseDroppedAfterTest(t *testing.T) {
	ctx := context.Background()
	var (
		name   string
		leaked *pgx.Conn
	)
	t.Run("uses a database", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, testenv.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		// Left open on purpose: the drop must end it.
		leaked = conn
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	if leaked == nil {
		t.Fatal("subtest did not connect")
	}
	defer leaked.Close(ctx)

	pool := testenv.NewPool(t, testenv.NewDatabase(t))
	if n := queryString(t, pool, "SELECT count(*)::text FROM pg_database WHERE datname = $1", name); n != "0" {
		t.Errorf("database %s still exists after its test", name)
	}
	if err := leaked.Ping(ctx); err == nil {
		t.Errorf("connection to dropped database %s still works", name)
	}
}

// BenchmarkNewDatabase measures creating a test's database; the drops happen
// after the timing, when the benchmark's cleanups run.
func BenchmarkNewDatabase(b *testing.B) {
	testenv.NewDatabase(b) // start the server outside the timing
	for b.Loop() {
		testenv.NewDatabase(b)
	}
}

// A stopped server refuses connections; started again, it has the data it
// had, and a pool opened before reconnects to it.
func TestStopPostgres(t *testing.T) {
	dsn := testenv.NewDatabase(t)
	pool := testenv.NewPool(t, dsn)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	start := testenv.StopPostgres(t)
	if err := pool.Ping(ctx); err == nil {
		t.Fatal("ping succeeded while the server is stopped")
	}
	start()
	testenv.Eventually(t, 10*time.Second, func() error {
		var n int
		return pool.QueryRow(ctx, `SELECT n FROM kept`).Scan(&n)
	})
}
