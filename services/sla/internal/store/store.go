// Package store keeps the SLA service's state in its Postgres schema:
// services as STATUS tells of them, their intervals and hourly buckets,
// SLOs, the backfill's progress and the outbox of SLO events. It applies
// the domain's splices and measures spans from the buckets; it
// translates Postgres errors into domain errors.
package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/outbox"
)

// Store is the SLA service's Postgres store.
type Store struct {
	pool *pgxpool.Pool
	// Outbox holds the events of committed evaluations until the relay
	// publishes them.
	Outbox *outbox.Outbox
}

// New returns a store over pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, Outbox: outbox.New(pool, "sla.outbox")}
}

// querier is a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
