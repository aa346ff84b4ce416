// Package store keeps the incidents service's state in its Postgres schema:
// incidents and their timelines, maintenance windows, the newest status
// version seen per service and the event outbox. It translates Postgres
// errors into domain errors.
package store

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
)

// Store is the incidents service's Postgres store.
type Store struct {
	pool *pgxpool.Pool
	// Outbox holds the events of committed changes until the relay
	// publishes them.
	Outbox *outbox.Outbox
}

// New returns a store over pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, Outbox: outbox.New(pool, "incidents.outbox")}
}

// IncidentEvent builds the event announcing an incident's change (before
// is nil for a new incident), written to the outbox in the change's
// transaction.
type IncidentEvent func(before *domain.Incident, after domain.Incident) (bus.Event, error)
