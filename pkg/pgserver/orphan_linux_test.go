package pgserver_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/pgserver"
)

// orphanEnv, when set, makes TestOrphanedServerStops act as the parent that
// crashes: it starts a server on the named data dir and waits to be killed.
const orphanEnv = "PGSERVER_TEST_ORPHAN_DATA_DIR"

func TestOrphanedServerStops(t *testing.T) {
	if dataDir := os.Getenv(orphanEnv); dataDir != "" {
		if _, err := pgserver.Start(context.Background(), pgserver.Config{DataDir: dataDir}); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("ready")
		select {}
	}
	t.Parallel()

	dataDir := filepath.Join(tempDir(t), "data")
	parent := exec.Command(os.Args[0], "-test.run=^TestOrphanedServerStops$")
	parent.Env = append(os.Environ(), orphanEnv+"="+dataDir)
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer parent.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("parent did not start the server: %q, %v", line, err)
	}
	lock := filepath.Join(dataDir, "postmaster.pid")
	if _, err := os.Stat(lock); err != nil {
		t.Fatalf("server running but: %v", err)
	}

	if err := parent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	// A server that shuts down removes its lock file.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := os.Stat(lock)
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres still running 30s after its parent was killed (lock file: %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
