package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/pgserver"
)

// A test binary has one Postgres server, shared by its tests; these are the
// only package-level state, and Main ends them.
var (
	mainUsed atomic.Bool
	pg       postgres
)

// postgres is the test binary's server and the admin pool that creates and
// drops the tests' databases.
type postgres struct {
	once   sync.Once
	err    error
	srv    *pgserver.Server // nil when UPSTATE_TEST_DATABASE_URL names the server
	runDir string           // the server's private copy of the template
	admin  *pgxpool.Pool
	base   *url.URL // the admin URL; a test's DSN differs in its path
}

// errStopped is returned to a test that asks for a database after Main has
// stopped the server, such as one from a goroutine that outlived its test.
var errStopped = errors.New("postgres already stopped by testenv.Main")

// NewDatabase creates an empty database for the test and returns its DSN. The
// database is dropped, with any connections still open to it, when the test
// ends. The first call starts the test binary's server, which needs
// TestMain to call Main.
func NewDatabase(t testing.TB) string {
	t.Helper()
	requireMain(t, mainUsed.Load())
	pg.once.Do(func() { pg.err = pg.start() })
	if pg.err != nil {
		t.Fatalf("testenv: %v", pg.err)
	}

	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("testenv: name database: %v", err)
	}
	name := "t_" + hex.EncodeToString(b)
	ident := pgx.Identifier{name}.Sanitize()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := pg.admin.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// The test's context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := pg.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	u := *pg.base
	u.Path = "/" + name
	return u.String()
}

// requireMain fails the test when the package's tests do not run through Main,
// without which nothing would stop the server.
func requireMain(t testing.TB, used bool) {
	t.Helper()
	if !used {
		t.Fatal("testenv: NewDatabase needs the package's tests to run through testenv.Main, " +
			"which stops the server when they end; add to the package's tests: " +
			"func TestMain(m *testing.M) { testenv.Main(m) }")
	}
}

// NewPool opens a connection pool to dsn and closes it when the test ends.
func NewPool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatalf("testenv: open pool: %v", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		t.Fatalf("testenv: connect pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// testDatabaseURLVar names a server the tests may use instead of starting
// their own. It is deliberately not DATABASE_URL: the tests create and drop
// databases, and must never do so on a server a developer merely had
// exported for something else.
const testDatabaseURLVar = "UPSTATE_TEST_DATABASE_URL"

// start runs the server from the shared template, or uses the server
// UPSTATE_TEST_DATABASE_URL names, and opens the admin pool.
func (p *postgres) start() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	adminURL := os.Getenv(testDatabaseURLVar)
	if adminURL == "" {
		srv, runDir, err := startServer(ctx)
		if errors.Is(err, pgserver.ErrNotInstalled) {
			return fmt.Errorf("%w\n(for the tests, %s may name an existing server instead)", err, testDatabaseURLVar)
		}
		if err != nil {
			return err
		}
		p.srv, p.runDir = srv, runDir
		adminURL = srv.DSN("postgres")
	}
	base, err := url.Parse(adminURL)
	if err != nil || (base.Scheme != "postgres" && base.Scheme != "postgresql") {
		return fmt.Errorf("%s must be a postgres:// URL, as a test's database is named in its path", testDatabaseURLVar)
	}
	cfg, err := pgxpool.ParseConfig(adminURL)
	if err != nil {
		return fmt.Errorf("parse admin url: %w", err)
	}
	cfg.MaxConns = 4
	admin, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("open admin pool: %w", err)
	}
	if err := admin.Ping(ctx); err != nil {
		admin.Close()
		return fmt.Errorf("connect admin pool to %s: %w", base.Redacted(), err)
	}
	p.admin, p.base = admin, base
	return nil
}

// stop closes the admin pool, stops the server and removes its files. Once it
// has run, no server starts again.
func (p *postgres) stop() error {
	p.once.Do(func() { p.err = errStopped })
	if p.admin != nil {
		p.admin.Close()
	}
	var err error
	if p.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = p.srv.Stop(ctx)
	}
	if p.runDir != "" {
		err = errors.Join(err, os.RemoveAll(p.runDir))
	}
	return err
}
