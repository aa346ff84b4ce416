// Package pgdb opens pgx connection pools and applies a service's embedded,
// forward-only SQL migrations to the Postgres schema the service owns.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Open connects a pool to dsn, naming the connections after the service so
// they can be told apart in pg_stat_activity. It retries until the server
// answers or ctx ends, so a service may start before its database.
func Open(ctx context.Context, dsn, service string, maxConns int32, logger *slog.Logger) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "upstate-" + service
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	delay := 100 * time.Millisecond
	for {
		err = pool.Ping(ctx)
		if err == nil {
			return pool, nil
		}
		logger.WarnContext(ctx, "database not ready", "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			pool.Close()
			return nil, fmt.Errorf("connect to database: %w", errors.Join(err, ctx.Err()))
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// Postgres error codes the stores translate into domain errors.
const (
	CodeUniqueViolation     = "23505"
	CodeForeignKeyViolation = "23503"
)

// IsCode reports whether err is a Postgres error with the given SQLSTATE.
func IsCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// Snapshot runs read in a read-only transaction that sees one snapshot
// (repeatable read): what it reads in several queries (records and their
// timelines or attempts, a page and what it shows) is as of one commit,
// never a mix of before and after a write in between.
func Snapshot(ctx context.Context, pool *pgxpool.Pool, read func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, read)
}

// Retry runs fn, and runs it again (up to three attempts in all) when
// Postgres aborted it as a deadlock victim (40P01) or for a serialization
// failure (40001): the transaction was rolled back and another attempt
// usually succeeds. fn must be a whole transaction.
func Retry(ctx context.Context, fn func() error) error {
	var err error
	for attempt := range 3 {
		if err = fn(); !IsCode(err, "40P01") && !IsCode(err, "40001") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
		}
	}
	return err
}
