package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/cmd/upstate/standalone"
	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/natsd"
	"github.com/upstatehq/upstate/pkg/pgserver"
	"github.com/upstatehq/upstate/pkg/service"
)

// databaseName is the database the all-in-one binary uses in its own Postgres.
const databaseName = "upstate"

// startPostgres returns DATABASE_URL, or starts the Postgres kept in
// <data dir>/postgres (initialising it on first run) and returns its URL.
// That Postgres is supervised: restarted as restart says when it exits,
// readiness failing meanwhile; if the supervisor gives up, liveness fails.
func startPostgres(ctx context.Context, cfg Config, stack *lifecycle.Stack, health *httpx.Health, restart pgserver.Restart, logger *slog.Logger) (string, error) {
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL.Reveal(), nil
	}
	restart.OnGiveUp = func(err error) { health.SetFatal("postgres", err) }
	srv, err := pgserver.Supervise(ctx, pgserver.Config{
		DataDir: filepath.Join(cfg.DataDir, "postgres"),
		Durable: true,
		Logger:  logger.With("component", "postgres"),
	}, restart)
	if errors.Is(err, pgserver.ErrNotInstalled) {
		return "", fmt.Errorf("%w\n(upstate runs its own PostgreSQL when DATABASE_URL is not set)", err)
	}
	if err != nil {
		return "", fmt.Errorf("start postgres: %w", err)
	}
	stack.Push("postgres server", srv.Stop)
	health.AddCheck("postgres", srv.Ready)
	if err := ensureDatabase(ctx, srv.DSN("postgres"), databaseName); err != nil {
		return "", err
	}
	return srv.DSN(databaseName), nil
}

func ensureDatabase(ctx context.Context, adminDSN, name string) error {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// startNATS returns UPSTATE_NATS_URL and the credentials its settings
// give every service, or embeds a JetStream server keeping its data in
// <data dir>/nats and returns its URL and the services' own users on it:
// the embedded server accepts only them and the reader, if there is one.
func startNATS(cfg Config, stack *lifecycle.Stack, logger *slog.Logger) (string, service.Env, error) {
	if cfg.NATSURL != "" {
		return cfg.NATSURL, service.Env{NATSURL: cfg.NATSURL, NATSAuth: service.NATSAuth(cfg.NATSAuth)}, nil
	}
	url, users, err := embedNATS(cfg, stack, logger)
	return url, service.Env{NATSURL: url, NATSUsers: users}, err
}

// embedNATS starts the embedded server with a user per service and the
// reader, and returns its URL and how each service connects.
func embedNATS(cfg Config, stack *lifecycle.Stack, logger *slog.Logger) (string, map[string]bus.Auth, error) {
	users, auths, err := standalone.NATSUsers(cfg.NATSReaderUser, cfg.NATSReaderPass.Reveal())
	if err != nil {
		return "", nil, err
	}
	if cfg.NATSAdminUser != "" {
		for _, u := range users {
			if u.Name == cfg.NATSAdminUser {
				return "", nil, fmt.Errorf("UPSTATE_NATS_ADMIN_USER must not be named %s, a service's user", u.Name)
			}
		}
		all := &natsd.Subjects{Allow: []string{">"}}
		users = append(users, natsd.User{Name: cfg.NATSAdminUser, Password: cfg.NATSAdminPass.Reveal(), Publish: all, Subscribe: all})
	}
	host, port, err := natsHostPort(cfg.NATSListen)
	if err != nil {
		return "", nil, err
	}
	if err := portFree(host, port); err != nil {
		return "", nil, err
	}
	storeDir := filepath.Join(cfg.DataDir, "nats")
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		return "", nil, fmt.Errorf("create %s: %w", storeDir, err)
	}
	srv, err := natsd.Start(natsd.Config{
		Host: host, Port: port, StoreDir: storeDir, SyncAlways: cfg.NATSSyncAlways,
		Logger: logger.With("component", "nats"), Users: users,
	})
	if err != nil {
		return "", nil, fmt.Errorf("start embedded nats on %s: %w", cfg.NATSListen, err)
	}
	stack.Push("nats server", func(context.Context) error { srv.Shutdown(); return nil })
	return srv.ClientURL(), auths, nil
}

// portFree says plainly when the embedded NATS server's port is taken
// (4222 is also a local nats-server's default) and what to do about it,
// instead of the server's bare bind error.
func portFree(host string, port int) error {
	if port <= 0 {
		return nil
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("UPSTATE_NATS_LISTEN=%s: the port is taken (another upstate, or a local nats-server?): "+
			"set UPSTATE_NATS_LISTEN=%s to take any free port, or UPSTATE_NATS_URL=nats://%s to use the server there: %w",
			addr, net.JoinHostPort(host, "0"), addr, err)
	}
	return lis.Close()
}
