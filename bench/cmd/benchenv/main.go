// Command benchenv runs the infrastructure that `make bench` shares
// between its measurements: one durable Postgres (the settings bin/upstate
// gives its own: fsync and synchronous commit on) and one NATS server with
// JetStream on disk, both on loopback with their data under -dir. So the
// raw outbox transactions, the API and the ingest backlog are all measured
// against the same Postgres, and the separate service binaries share one
// NATS server.
//
// It creates the databases named in -databases and prints, once both
// servers are up:
//
//	postgres NAME URL     (one line per database)
//	nats URL
//	ready
//
// then runs until SIGINT or SIGTERM and stops both servers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/natsd"
	"github.com/upstatehq/upstate/pkg/pgserver"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchenv:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("benchenv", flag.ContinueOnError)
	dir := fs.String("dir", "", "where the servers keep their data (required)")
	databases := fs.String("databases", "upstate", "comma-separated databases to create")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-dir is required")
	}
	names, err := databaseNames(*databases)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	pg, err := pgserver.Start(ctx, pgserver.Config{DataDir: filepath.Join(*dir, "postgres"), Durable: true})
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := pg.Stop(sctx); err != nil {
			fmt.Fprintln(os.Stderr, "benchenv: stop postgres:", err)
		}
	}()
	if err := createDatabases(ctx, pg.DSN("postgres"), names); err != nil {
		return err
	}
	store := filepath.Join(*dir, "nats")
	if err := os.MkdirAll(store, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", store, err)
	}
	ns, err := natsd.Start(natsd.Config{Host: "127.0.0.1", Port: -1, StoreDir: store})
	if err != nil {
		return fmt.Errorf("start nats: %w", err)
	}
	defer ns.Shutdown()

	for _, n := range names {
		fmt.Printf("postgres %s %s\n", n, pg.DSN(n))
	}
	fmt.Printf("nats %s\nready\n", ns.ClientURL())
	<-ctx.Done()
	return nil
}

// databaseNames splits and checks -databases.
func databaseNames(s string) ([]string, error) {
	var out []string
	for n := range strings.SplitSeq(s, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		for _, c := range n {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return nil, fmt.Errorf("database name %q: use lowercase letters, digits and _", n)
			}
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("-databases names none")
	}
	return out, nil
}

func createDatabases(ctx context.Context, adminDSN string, names []string) error {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, n := range names {
		if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{n}.Sanitize()); err != nil {
			return fmt.Errorf("create database %s: %w", n, err)
		}
	}
	return nil
}
