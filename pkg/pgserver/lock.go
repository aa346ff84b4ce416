package pgserver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	// previousTimeout bounds the wait for a previous server's processes to
	// exit: a server stopping with a checkpoint, backends noticing that
	// their postmaster was killed.
	previousTimeout = 30 * time.Second
	// stopGrace is how long a live previous server is given to say it is
	// stopping (its parent's death tells it to, but it may not have read
	// the signal yet) before it counts as running.
	stopGrace = 3 * time.Second
)

// lockFile is what postmaster.pid says about the server that wrote it.
type lockFile struct {
	pid    int
	shmID  int    // its shared memory segment's id, -1 if it names none
	status string // "starting", "ready", "stopping", or empty
}

// readLockFile returns nil when the data dir has no lock file.
func (s *setup) readLockFile() (*lockFile, error) {
	b, err := os.ReadFile(s.lockPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read postgres lock file: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil {
		// A server writes the file in one go; a torn one is left for
		// postgres to judge.
		return nil, nil
	}
	lf := &lockFile{pid: pid, shmID: -1}
	// Line 7 holds the shared memory key and id, line 8 the status.
	if len(lines) > 6 {
		if f := strings.Fields(lines[6]); len(f) == 2 {
			if id, err := strconv.Atoi(f[1]); err == nil {
				lf.shmID = id
			}
		}
	}
	if len(lines) > 7 {
		lf.status = strings.TrimSpace(lines[7])
	}
	return lf, nil
}

func (s *setup) lockPath() string { return filepath.Join(s.dataDir, "postmaster.pid") }

// awaitPrevious makes sure no process of an earlier server on the data
// dir is left before a new one starts. Postgres itself refuses to start
// while the lock file names a live process or the old shared memory is
// still attached; both are normal for a moment after the earlier server
// was killed (its backends exit when they notice) or after the process
// that ran it was (it shuts down, told by the kernel), so Start waits for
// them, up to previousTimeout. A server that runs and is not stopping is
// reported. A lock file naming a process that is not a server of this data
// dir (its pid was reused) is removed once no backend is left, since
// postgres would take that process for its predecessor.
func (s *setup) awaitPrevious(ctx context.Context) error {
	start := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	waiting := ""
	for {
		lf, err := s.readLockFile()
		if err != nil || lf == nil {
			return err
		}
		alive := lf.pid != os.Getpid() && serverOf(lf.pid, s.dataDir)
		var reason string
		switch {
		case alive && lf.status != "stopping" && time.Since(start) > stopGrace:
			return fmt.Errorf("postgres (pid %d) is already running on %s: stop it first, or use another data dir", lf.pid, s.dataDir)
		case alive:
			reason = fmt.Sprintf("postgres (pid %d) is stopping", lf.pid)
		case lf.shmID >= 0 && shmAttached(lf.shmID):
			reason = fmt.Sprintf("backends of postgres (pid %d, gone) still use its shared memory", lf.pid)
		default:
			if processExists(lf.pid) {
				if err := os.Remove(s.lockPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("remove stale postgres lock file: %w", err)
				}
				s.logger.InfoContext(ctx, "removed a stale postgres lock file naming another process", "pid", lf.pid)
			}
			if waiting != "" {
				s.logger.InfoContext(ctx, "previous postgres gone", "waited", time.Since(start))
			}
			return nil
		}
		if reason != waiting {
			s.logger.WarnContext(ctx, "waiting for the processes of a previous postgres to exit", "data_dir", s.dataDir, "reason", reason)
			waiting = reason
		}
		if time.Since(start) > previousTimeout {
			return fmt.Errorf("previous postgres on %s not gone after %s: %s", s.dataDir, previousTimeout, reason)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for previous postgres: %w", ctx.Err())
		case <-tick.C:
		}
	}
}
