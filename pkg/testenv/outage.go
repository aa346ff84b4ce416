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
