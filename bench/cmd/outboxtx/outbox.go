package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/bench/internal/latency"
)

// schema is created afresh for each run: a row per client, and the outbox.
const schema = `
DROP SCHEMA IF EXISTS bench_outbox CASCADE;
CREATE SCHEMA bench_outbox;
CREATE TABLE bench_outbox.services (
	id         int PRIMARY KEY,
	status     text NOT NULL,
	version    bigint NOT NULL,
	updated_at timestamptz NOT NULL
);
CREATE TABLE bench_outbox.outbox (
	id         bigserial PRIMARY KEY,
	subject    text NOT NULL,
	payload    bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);`

// The three statements of one event, as upstate's status service runs them.
const (
	lockRow   = `SELECT status, version FROM bench_outbox.services WHERE id = $1 FOR UPDATE`
	updateRow = `UPDATE bench_outbox.services SET status = $2, version = $3, updated_at = now() WHERE id = $1`
	insertRow = `INSERT INTO bench_outbox.outbox (subject, payload) VALUES ($1, $2)`
)

// payload is about the size of a StatusChanged event.
var payload = make([]byte, 160)

// result is what the clients measured together.
type result struct {
	hist     latency.Histogram
	commits  uint64 // inside the measured window
	errors   uint64
	firstErr string
	window   time.Duration
}

// measure sets the schema up and runs the clients.
func measure(ctx context.Context, cfg config) (*result, error) {
	conns := make([]*pgx.Conn, cfg.clients)
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close(context.WithoutCancel(ctx))
			}
		}
	}()
	for i := range conns {
		c, err := pgx.Connect(ctx, cfg.dsn)
		if err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		conns[i] = c
	}
	if _, err := conns[0].Exec(ctx, schema); err != nil {
		return nil, fmt.Errorf("create schema: %w", err)
	}
	if _, err := conns[0].Exec(ctx, `INSERT INTO bench_outbox.services SELECT g, 'operational', 1, now() FROM generate_series(0, $1 - 1) g`, cfg.clients); err != nil {
		return nil, fmt.Errorf("create rows: %w", err)
	}

	start := time.Now()
	from, until := start.Add(cfg.warmup), start.Add(cfg.warmup+cfg.duration)
	results := make([]*result, cfg.clients)
	var wg sync.WaitGroup
	for i, c := range conns {
		results[i] = &result{}
		wg.Go(func() { client(ctx, c, i, from, until, results[i]) })
	}
	wg.Wait()
	total := &result{window: cfg.duration}
	for _, r := range results {
		total.hist.Merge(&r.hist)
		total.commits += r.commits
		total.errors += r.errors
		if total.firstErr == "" {
			total.firstErr = r.firstErr
		}
	}
	return total, nil
}

// client runs transactions on row id, one after another, until the
// window closes.
func client(ctx context.Context, c *pgx.Conn, id int, from, until time.Time, res *result) {
	statuses := [2]string{"down", "operational"}
	subject := fmt.Sprintf("upstate.status.org_bench.svc_%d", id)
	for k := 0; ; k++ {
		begin := time.Now()
		if begin.After(until) {
			return
		}
		err := event(ctx, c, id, statuses[k%2], subject)
		end := time.Now()
		if end.Before(from) || end.After(until) {
			continue
		}
		if err != nil {
			res.errors++
			if res.firstErr == "" {
				res.firstErr = err.Error()
			}
			continue
		}
		res.commits++
		res.hist.Record(end.Sub(begin))
	}
}

// event is one outbox-shaped transaction.
func event(ctx context.Context, c *pgx.Conn, id int, status, subject string) error {
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		var (
			old     string
			version int64
		)
		if err := tx.QueryRow(ctx, lockRow, id).Scan(&old, &version); err != nil {
			return fmt.Errorf("lock row: %w", err)
		}
		if _, err := tx.Exec(ctx, updateRow, id, status, version+1); err != nil {
			return fmt.Errorf("update row: %w", err)
		}
		if _, err := tx.Exec(ctx, insertRow, subject, payload); err != nil {
			return fmt.Errorf("insert outbox row: %w", err)
		}
		return nil
	})
}
