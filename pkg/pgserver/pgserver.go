// Package pgserver runs a local PostgreSQL server from the binaries installed
// on the machine. The test harness uses it for a throwaway server per test
// binary, and the all-in-one binary, under a Supervisor that restarts it
// when it dies, for the Postgres it keeps in its data dir between runs.
//
// The server listens on 127.0.0.1 only, over TCP (no Unix socket), as the
// superuser postgres. When the caller is root, which Postgres refuses, the
// server runs as the postgres system account instead.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/upstatehq/upstate/pkg/freeport"
)

// Config says where and how to run a server.
type Config struct {
	// DataDir is the cluster's directory (PGDATA). If it has no PG_VERSION
	// it is initialised with initdb, or copied from Template. Its parent holds
	// postgres.log and, for a durable cluster, postgres.password.
	DataDir string
	// Template is an optional initialised data dir to copy instead of
	// running initdb, which is several times faster.
	Template string
	// BinDir holds initdb and postgres; empty means FindBinDir.
	BinDir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Durable keeps Postgres' crash-safe defaults and requires a password,
	// generated at initdb time. When false (tests) the cluster trusts local
	// connections and runs with fsync, synchronous_commit and
	// full_page_writes off: fast, but a crash may corrupt it.
	Durable bool
	// Logger receives lifecycle events; nil discards them.
	Logger *slog.Logger
}

// Server is a running postgres process.
type Server struct {
	setup    *setup
	port     int
	password string
	cmd      *exec.Cmd
	logStart int64 // offset of this run's output in the log

	done     chan struct{} // closed when the process has exited
	waitErr  error         // the process' exit status, set before done closes
	stopping atomic.Bool
}

const (
	readyTimeout = 30 * time.Second
	bindAttempts = 5
	logTail      = 20
)

// errPortInUse means postgres could not have the port it was given.
var errPortInUse = errors.New("port in use")

// Start initialises cfg.DataDir if needed, starts postgres on it and returns
// once it accepts connections. What a previous server on the data dir left
// does not prevent a start: a stale postmaster.pid after a crash, the
// backends of a killed server still exiting, a server still stopping because
// the process that ran it was killed (see awaitPrevious).
func Start(ctx context.Context, cfg Config) (*Server, error) {
	s, err := newSetup(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.init(ctx); err != nil {
		return nil, err
	}
	password, err := s.readPassword()
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		port := cfg.Port
		if port == 0 {
			if port, err = freeport.Port(); err != nil {
				return nil, err
			}
		}
		srv, err := s.start(ctx, port, password)
		if err == nil {
			return srv, nil
		}
		if cfg.Port != 0 || attempt == bindAttempts || !errors.Is(err, errPortInUse) {
			return nil, err
		}
		s.logger.WarnContext(ctx, "postgres port taken, retrying on another", "port", port, "err", err)
	}
}

func (s *setup) start(ctx context.Context, port int, password string) (*Server, error) {
	if err := s.awaitPrevious(ctx); err != nil {
		return nil, err
	}
	logFile, offset, err := s.openLog()
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	args := []string{
		"-D", s.dataDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=",
		"-c", "max_connections=200",
	}
	if !s.cfg.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	// Not CommandContext: the server outlives the context it was started with.
	cmd := exec.Command(filepath.Join(s.binDir, "postgres"), args...)
	cmd.Dir = filepath.Dir(s.dataDir)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr(s.runAs)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	srv := &Server{setup: s, port: port, password: password, cmd: cmd, logStart: offset, done: make(chan struct{})}
	go srv.wait()
	if err := srv.waitReady(ctx); err != nil {
		srv.kill()
		return nil, err
	}
	s.logger.InfoContext(ctx, "postgres started",
		"data_dir", s.dataDir, "port", port, "pid", cmd.Process.Pid, "durable", s.cfg.Durable)
	return srv, nil
}

// wait reaps the process and reports an exit nobody asked for.
func (s *Server) wait() {
	s.waitErr = s.cmd.Wait()
	close(s.done)
	if !s.stopping.Load() {
		s.setup.logger.Error("postgres exited unexpectedly",
			"data_dir", s.setup.dataDir, "err", s.waitErr, "log", lastLines(s.setup.logSince(s.logStart), logTail))
	}
}

// kill ends a server that did not come up.
func (s *Server) kill() {
	s.stopping.Store(true)
	_ = s.cmd.Process.Kill() // only fails when the process has already exited
	<-s.done
}

// waitReady polls until the server answers, it exits, or the time is up.
func (s *Server) waitReady(ctx context.Context) error {
	connCfg, err := pgx.ParseConfig(s.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("parse server dsn: %w", err)
	}
	connCfg.ConnectTimeout = time.Second
	timeout := time.NewTimer(readyTimeout)
	defer timeout.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := s.ping(ctx, connCfg)
		if err == nil {
			return nil
		}
		if errors.Is(err, errPortInUse) {
			return s.startErr(err)
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "28") {
			return s.startErr(fmt.Errorf("connect: %w (the password is kept in %s)", err, s.setup.passwordPath()))
		}
		select {
		case <-s.done:
			return s.exitErr()
		case <-ctx.Done():
			return s.startErr(fmt.Errorf("wait for postgres: %w", ctx.Err()))
		case <-timeout.C:
			return s.startErr(fmt.Errorf("postgres not ready after %s: %w", readyTimeout, err))
		case <-tick.C:
		}
	}
}

// ping connects and checks that the server answering is ours, not another
// one that already held the port.
func (s *Server) ping(ctx context.Context, connCfg *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, connCfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var dir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		return err
	}
	if !sameDir(dir, s.setup.dataDir) {
		return fmt.Errorf("%w: a server for %s answers on it", errPortInUse, dir)
	}
	return nil
}

// sameDir compares by identity, not spelling, as the server may report its
// data directory in another form than it was given.
func sameDir(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// exitErr explains an exit during start, recognising a taken port.
func (s *Server) exitErr() error {
	log := s.setup.logSince(s.logStart)
	if strings.Contains(log, "could not bind") || strings.Contains(log, "could not create any TCP/IP sockets") {
		return s.startErr(fmt.Errorf("%w: postgres exited: %v", errPortInUse, s.waitErr))
	}
	return s.startErr(fmt.Errorf("postgres exited: %v", s.waitErr))
}

func (s *Server) startErr(err error) error {
	return fmt.Errorf("start postgres on %s port %d: %w\n%s: last lines:\n%s",
		s.setup.dataDir, s.port, err, s.setup.logPath(), lastLines(s.setup.logSince(s.logStart), logTail))
}

// DSN returns a postgres:// URL for database on this server, as the superuser,
// with the password when the cluster has one.
func (s *Server) DSN(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	if s.password != "" {
		u.User = url.UserPassword("postgres", s.password)
	}
	return u.String()
}

// Port returns the TCP port the server listens on.
func (s *Server) Port() int {
	return s.port
}

// Stop asks for a fast shutdown (open sessions are ended, committed work is
// kept) and waits for the process to exit. If ctx ends first it kills the
// process. Calling Stop again returns the same outcome.
func (s *Server) Stop(ctx context.Context) error {
	s.stopping.Store(true)
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal postgres: %w", err)
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		_ = s.cmd.Process.Kill() // only fails when the process has just exited
		<-s.done
		return fmt.Errorf("stop postgres: killed: %w", ctx.Err())
	}
	if s.waitErr != nil {
		return fmt.Errorf("stop postgres: %w", s.waitErr)
	}
	s.setup.logger.InfoContext(ctx, "postgres stopped", "data_dir", s.setup.dataDir, "port", s.port)
	return nil
}
