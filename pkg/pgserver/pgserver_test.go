package pgserver_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/pgserver"
)

// tempDir returns a fresh directory the postgres account can traverse when the
// tests run as root (t.TempDir's are private to the caller).
func tempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgserver-test-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func start(t testing.TB, cfg pgserver.Config) *pgserver.Server {
	t.Helper()
	srv, err := pgserver.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(t, srv) })
	return srv
}

func stop(t testing.TB, srv *pgserver.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Stop(ctx); err != nil {
		t.Error(err)
	}
}

func connect(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return conn
}

func exec1(t testing.TB, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func countRows(t testing.TB, conn *pgx.Conn, table string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	cfg := pgserver.Config{DataDir: filepath.Join(tempDir(t), "data")}

	srv := start(t, cfg)
	if !strings.Contains(srv.DSN("postgres"), "127.0.0.1:"+strconv.Itoa(srv.Port())) {
		t.Errorf("DSN %s does not name port %d", srv.DSN("postgres"), srv.Port())
	}
	conn := connect(t, srv.DSN("postgres"))
	exec1(t, conn, "CREATE TABLE kept (id int PRIMARY KEY)")
	exec1(t, conn, "INSERT INTO kept VALUES (1), (2)")
	var fsync string
	if err := conn.QueryRow(context.Background(), "SHOW fsync").Scan(&fsync); err != nil || fsync != "off" {
		t.Errorf("fsync = %q (err %v), want off when not durable", fsync, err)
	}
	stop(t, srv)

	srv = start(t, cfg)
	if got := countRows(t, connect(t, srv.DSN("postgres")), "kept"); got != 2 {
		t.Errorf("after restart, kept has %d rows, want 2", got)
	}
	checkOwnedByServer(t, cfg.DataDir)
}

func TestDurableRequiresPassword(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	cfg := pgserver.Config{DataDir: filepath.Join(dir, "data"), Durable: true}

	srv := start(t, cfg)
	dsn := srv.DSN("postgres")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	password, ok := u.User.Password()
	if !ok || len(password) < 32 {
		t.Fatalf("DSN %s carries no strong password", dsn)
	}
	conn := connect(t, dsn)
	var fsync string
	if err := conn.QueryRow(context.Background(), "SHOW fsync").Scan(&fsync); err != nil || fsync != "on" {
		t.Errorf("fsync = %q (err %v), want on when durable", fsync, err)
	}
	exec1(t, conn, "CREATE TABLE durable (id int)")

	for name, user := range map[string]*url.Userinfo{
		"no password":    url.User("postgres"),
		"wrong password": url.UserPassword("postgres", "not-"+password),
	} {
		u.User = user
		if c, err := pgx.Connect(context.Background(), u.String()); err == nil {
			c.Close(context.Background())
			t.Errorf("connect with %s succeeded, want an authentication error", name)
		}
	}

	fi, err := os.Stat(filepath.Join(dir, "postgres.password"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("password file mode = %o, want 600", perm)
	}

	// A later start reads the password back.
	stop(t, srv)
	srv = start(t, cfg)
	if got := countRows(t, connect(t, srv.DSN("postgres")), "durable"); got != 0 {
		t.Errorf("durable has %d rows, want 0", got)
	}
}

func TestStartFromTemplate(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	template := filepath.Join(dir, "template")
	if err := pgserver.Init(context.Background(), pgserver.Config{DataDir: template}); err != nil {
		t.Fatal(err)
	}
	srv := start(t, pgserver.Config{DataDir: template})
	exec1(t, connect(t, srv.DSN("postgres")), "CREATE TABLE from_template (id int)")
	stop(t, srv)

	// Two copies run side by side, each with its own data.
	for _, name := range []string{"a", "b"} {
		dataDir := filepath.Join(dir, name, "data")
		srv := start(t, pgserver.Config{DataDir: dataDir, Template: template})
		conn := connect(t, srv.DSN("postgres"))
		exec1(t, conn, "INSERT INTO from_template VALUES (1)")
		if got := countRows(t, conn, "from_template"); got != 1 {
			t.Errorf("copy %s: from_template has %d rows, want 1", name, got)
		}
		fi, err := os.Stat(dataDir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Errorf("copy %s: data dir mode = %o, want 700", name, perm)
		}
		checkOwnedByServer(t, dataDir)
	}
}

func TestStaleLockFile(t *testing.T) {
	t.Parallel()
	cfg := pgserver.Config{DataDir: filepath.Join(tempDir(t), "data")}
	stop(t, start(t, cfg))

	// A crash leaves postmaster.pid naming a process that no longer exists.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	lock := fmt.Sprintf("%d\n%s\n0\n5432\n\n127.0.0.1\n  0  0\nready\n", dead.Process.Pid, cfg.DataDir)
	lockPath := filepath.Join(cfg.DataDir, "postmaster.pid")
	if err := os.WriteFile(lockPath, []byte(lock), 0o600); err != nil {
		t.Fatal(err)
	}
	// The crashed server, not we, owned it.
	dataDir, err := os.Stat(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	st := dataDir.Sys().(*syscall.Stat_t)
	if err := os.Chown(lockPath, int(st.Uid), int(st.Gid)); err != nil {
		t.Fatal(err)
	}
	srv := start(t, cfg)
	exec1(t, connect(t, srv.DSN("postgres")), "SELECT 1")
}

func TestStartErrorShowsLog(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	dir := tempDir(t)
	_, err = pgserver.Start(context.Background(), pgserver.Config{DataDir: filepath.Join(dir, "data"), Port: port})
	if err == nil {
		t.Fatal("start on a taken port succeeded")
	}
	if !strings.Contains(err.Error(), "could not bind") {
		t.Errorf("error does not show the server's log:\n%v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postgres.log")); err != nil {
		t.Errorf("no log next to the data dir: %v", err)
	}
}

func TestRootNeedsTraversableParent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs postgres as another user")
	}
	t.Parallel()
	private := filepath.Join(tempDir(t), "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := pgserver.Start(context.Background(), pgserver.Config{DataDir: filepath.Join(private, "pg", "data")})
	if err == nil {
		t.Fatal("start under a private directory succeeded")
	}
	if !strings.Contains(err.Error(), private) || !strings.Contains(err.Error(), "traversable") {
		t.Errorf("error does not name the directory %s and the fix: %v", private, err)
	}
}

// checkOwnedByServer checks, when root, that postgres' files belong to the
// account it runs as.
func checkOwnedByServer(t testing.TB, dataDir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dataDir, filepath.Join(dataDir, "PG_VERSION"), filepath.Join(filepath.Dir(dataDir), "postgres.log")} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if uid := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)); uid != u.Uid {
			t.Errorf("%s owned by uid %s, want postgres (%s)", path, uid, u.Uid)
		}
	}
}

// BenchmarkStart compares a cold start (initdb) with a start from a copied
// template, as the test harness does.
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	template := filepath.Join(tempDir(b), "template")
	if err := pgserver.Init(ctx, pgserver.Config{DataDir: template}); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name     string
		template string
	}{{"initdb", ""}, {"template", template}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				srv, err := pgserver.Start(ctx, pgserver.Config{DataDir: filepath.Join(tempDir(b), "data"), Template: bc.template})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := srv.Stop(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
