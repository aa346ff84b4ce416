// Package natsd runs an embedded NATS server with JetStream, for the
// all-in-one binary and for tests.
package natsd

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"golang.org/x/crypto/bcrypt"
)

// readyTimeout bounds how long Start waits for the server to accept clients.
const readyTimeout = 10 * time.Second

// Config configures an embedded server.
type Config struct {
	// Host is the client listen address (default 127.0.0.1).
	Host string
	// Port is the client port: -1 picks a free port, 0 means 4222.
	Port int
	// StoreDir is the JetStream file store directory (required).
	StoreDir string
	// SyncAlways fsyncs every JetStream write before acknowledging it, like
	// `jetstream { sync_interval: always }` in a server config file. It costs
	// throughput (a few thousand messages a second on small disks) and makes
	// an acknowledged message survive a power loss on a single node.
	SyncAlways bool
	// Logger receives the server's log lines (default: discarded).
	Logger *slog.Logger
	// Users, when not empty, are the only clients the server accepts:
	// each authenticates with its name and password and may publish and
	// subscribe only to what its Permissions allow. Without users the
	// server accepts anyone, as tests want.
	Users []User
}

// User is a client of a server that requires authentication.
type User struct {
	Name     string
	Password string
	// Publish and Subscribe are what the user may do; a nil one denies
	// everything.
	Publish, Subscribe *Subjects
}

// Subjects are the subjects (wildcards allowed) a user may use: those
// Allow matches and Deny does not.
type Subjects struct {
	Allow, Deny []string
}

// permission turns s into the server's form; nil denies every subject
// (the server reads a missing permission as "everything").
func (s *Subjects) permission() *server.SubjectPermission {
	if s == nil || len(s.Allow) == 0 {
		return &server.SubjectPermission{Deny: []string{">"}}
	}
	return &server.SubjectPermission{Allow: s.Allow, Deny: s.Deny}
}

// Server is a running embedded server.
type Server struct {
	srv *server.Server
}

// Start starts a server with JetStream enabled and waits until it accepts
// client connections.
func Start(cfg Config) (*Server, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("natsd: store dir is required")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	opts := &server.Options{
		Host:      cfg.Host,
		Port:      cfg.Port,
		JetStream: true,
		StoreDir:  cfg.StoreDir,
		// The process owns signals; an embedded server must not install
		// its own handlers.
		NoSigs: true,
	}
	if cfg.SyncAlways {
		opts.SyncAlways = true
	}
	for _, u := range cfg.Users {
		if u.Name == "" || u.Password == "" {
			return nil, errors.New("natsd: a user needs a name and a password")
		}
		if len(u.Password) > 72 {
			return nil, fmt.Errorf("natsd: the password of %s is longer than 72 bytes", u.Name)
		}
		// The server keeps a bcrypt hash, not the password: it then has no
		// plaintext to leak and does not warn about one. The lowest cost
		// will do, as the passwords are long and random rather than
		// guessable, and each connection pays it once.
		hash, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.MinCost)
		if err != nil {
			return nil, fmt.Errorf("natsd: hash the password of %s: %w", u.Name, err)
		}
		opts.Users = append(opts.Users, &server.User{
			Username: u.Name,
			Password: string(hash),
			Permissions: &server.Permissions{
				Publish:   u.Publish.permission(),
				Subscribe: u.Subscribe.permission(),
			},
		})
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsd: configure server: %w", err)
	}
	log := newLogger(cfg.Logger)
	srv.SetLoggerV2(log, log.enabled(slog.LevelDebug), log.enabled(levelTrace), false)

	// Start returns after enabling JetStream and opening the client
	// listener; it reports a failure of either through Fatalf and returns
	// early, so a recorded fatal means the server will never be ready.
	srv.Start()
	if msg := log.fatal(); msg != "" {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("natsd: start: %s", msg)
	}
	if !srv.ReadyForConnections(readyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("natsd: not ready for connections on %s:%d after %s",
			cfg.Host, cfg.Port, readyTimeout)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("natsd: jetstream is not enabled")
	}
	return &Server{srv: srv}, nil
}

// ClientURL returns the URL clients connect to, with the actual port when
// Port was -1.
func (s *Server) ClientURL() string { return s.srv.ClientURL() }

// Shutdown stops the server and waits until it has stopped, so its store
// directory can be reused or removed.
func (s *Server) Shutdown() {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
}
