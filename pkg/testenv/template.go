package testenv

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/upstatehq/upstate/pkg/pgserver"
)

// startServer starts a server on a private copy of the machine's template
// cluster, initialising the template first if this is the first run.
func startServer(ctx context.Context) (*pgserver.Server, string, error) {
	binDir, err := pgserver.FindBinDir()
	if err != nil {
		return nil, "", err
	}
	major, err := pgserver.MajorVersion(binDir)
	if err != nil {
		return nil, "", err
	}
	base, err := baseDir()
	if err != nil {
		return nil, "", err
	}
	removeStale(base)
	template, err := ensureTemplate(ctx, base, binDir, major)
	if err != nil {
		return nil, "", err
	}
	runDir, err := makeDir(base, "run")
	if err != nil {
		return nil, "", err
	}
	srv, err := pgserver.Start(ctx, pgserver.Config{
		DataDir:  filepath.Join(runDir, "data"),
		Template: template,
		BinDir:   binDir,
	})
	if err != nil {
		_ = os.RemoveAll(runDir)
		return nil, "", fmt.Errorf("start postgres from template %s (remove it to have it rebuilt): %w", template, err)
	}
	return srv, runDir, nil
}

// restartServer starts the server startServer started, and was stopped
// since, on its data and port, so its clients reconnect to it.
func restartServer(ctx context.Context, port int) (*pgserver.Server, error) {
	binDir, err := pgserver.FindBinDir()
	if err != nil {
		return nil, err
	}
	return pgserver.Start(ctx, pgserver.Config{DataDir: filepath.Join(pg.runDir, "data"), BinDir: binDir, Port: port})
}

// baseDir returns the directory, under the system's temporary directory, that
// holds the template and the running servers' copies. It is the current
// user's own, and open for traversal because when root the server runs as the
// postgres account.
func baseDir() (string, error) {
	dir := filepath.Join(os.TempDir(), "upstate-testenv-"+strconv.Itoa(os.Geteuid()))
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("check %s: %w", dir, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != os.Geteuid() {
		return "", fmt.Errorf("refusing to use %s: not a directory owned by the current user", dir)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", fmt.Errorf("open %s for traversal: %w", dir, err)
	}
	return dir, nil
}

// ensureTemplate returns the machine's template cluster for this major
// version, running initdb if there is none yet. Concurrently starting test
// binaries each initialise a private directory and rename it into place; a
// loser uses the winner's.
func ensureTemplate(ctx context.Context, base, binDir string, major int) (string, error) {
	template := filepath.Join(base, fmt.Sprintf("pg%d-template", major))
	if isCluster(template) {
		return template, nil
	}
	tmp, err := makeDir(base, "template")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	dataDir := filepath.Join(tmp, "data")
	if err := pgserver.Init(ctx, pgserver.Config{DataDir: dataDir, BinDir: binDir}); err != nil {
		return "", err
	}
	// initdb ran without syncing, which is fine for one test binary's
	// server, but the template outlives it: flush it before publishing.
	syscall.Sync()
	if err := os.Rename(dataDir, template); err != nil {
		if isCluster(template) {
			return template, nil
		}
		return "", fmt.Errorf("move template into place: %w", err)
	}
	return template, nil
}

func isCluster(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "PG_VERSION"))
	return err == nil
}

// makeDir creates a traversable directory in base whose name carries our
// process id, so removeStale can tell when its owner is gone.
func makeDir(base, kind string) (string, error) {
	dir, err := os.MkdirTemp(base, fmt.Sprintf("%s-%d-", kind, os.Getpid()))
	if err != nil {
		return "", fmt.Errorf("create %s dir: %w", kind, err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", fmt.Errorf("open %s for traversal: %w", dir, err)
	}
	return dir, nil
}

// removeStale removes the directories of test binaries that were killed
// before Main could clean up. Errors are ignored: this is housekeeping.
func removeStale(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		kind, rest, ok := strings.Cut(e.Name(), "-")
		if !ok || (kind != "run" && kind != "template") {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		_ = os.RemoveAll(filepath.Join(base, e.Name()))
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
