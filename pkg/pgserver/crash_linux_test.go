package pgserver_test

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/pgserver"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// postmasterPID reads the pid of the server running on dataDir from its
// lock file.
func postmasterPID(t testing.TB, dataDir string) int {
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
	return pid
}

func signal(t testing.TB, pid int, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("signal %d %v: %v", pid, sig, err)
	}
}

// A postmaster killed with SIGKILL leaves its lock file, and backends that
// are still attached to its shared memory until they notice it is gone
// (here one that is stopped, so it cannot). Start waits for them to exit
// and starts on the data dir again, with its data.
func TestStartAfterPostmasterKilled(t *testing.T) {
	t.Parallel()
	// Durable: a test cluster's asynchronous commits may be lost to a crash.
	cfg := pgserver.Config{DataDir: filepath.Join(tempDir(t), "data"), Durable: true}
	srv, err := pgserver.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) }) // killed below: its exit is an error
	conn := connect(t, srv.DSN("postgres"))
	exec1(t, conn, "CREATE TABLE survived (id int)")
	exec1(t, conn, "INSERT INTO survived VALUES (1)")
	var backend int
	if err := conn.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		t.Fatal(err)
	}
	signal(t, backend, syscall.SIGSTOP)
	t.Cleanup(func() { _ = syscall.Kill(backend, syscall.SIGCONT) })
	signal(t, postmasterPID(t, cfg.DataDir), syscall.SIGKILL)

	var logs testenv.LogBuffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	type result struct {
		srv *pgserver.Server
		err error
	}
	started := make(chan result, 1)
	go func() {
		srv, err := pgserver.Start(context.Background(), cfg)
		started <- result{srv, err}
	}()
	testenv.Eventually(t, 10*time.Second, func() error {
		select {
		case r := <-started:
			t.Fatalf("start returned while a backend of the killed server holds its memory: %v", r.err)
		default:
		}
		if !strings.Contains(logs.String(), "waiting for the processes of a previous postgres to exit") {
			return errors.New("start does not wait for the old backend")
		}
		return nil
	})
	signal(t, backend, syscall.SIGCONT)
	r := <-started
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { stop(t, r.srv) })
	if got := countRows(t, connect(t, r.srv.DSN("postgres")), "survived"); got != 1 {
		t.Errorf("survived has %d rows, want 1", got)
	}
}

// When the process that ran a server is killed, the server shuts down
// (it is told to by the kernel), and a new process may start on the same
// data dir at once: Start waits for the old server to finish stopping.
func TestStartRightAfterParentKilled(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(tempDir(t), "data")
	for range 3 {
		parent := exec.Command(os.Args[0], "-test.run=^TestOrphanedServerStops$")
		parent.Env = append(os.Environ(), orphanEnv+"="+dataDir)
		out, err := parent.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := parent.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "ready\n" {
			_ = parent.Process.Kill()
			t.Fatalf("parent did not start the server: %q, %v", line, err)
		}
		if err := parent.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = parent.Wait()
	}
	srv := start(t, pgserver.Config{DataDir: dataDir})
	exec1(t, connect(t, srv.DSN("postgres")), "SELECT 1")
}
