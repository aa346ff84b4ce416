// Package store keeps the status service's state in its Postgres schema:
// services, status history, the event outbox, webhook receivers and their
// delivery logs. It translates Postgres errors into domain errors.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/status/internal/domain"
)

// Store is the status service's Postgres store.
type Store struct {
	pool *pgxpool.Pool
	// Outbox holds the events of committed changes until the relay
	// publishes them.
	Outbox *outbox.Outbox
}

// New returns a store over pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, Outbox: outbox.New(pool, "status.outbox")}
}

const serviceColumns = `id, org_id, name, description, status, status_description,
	status_changed_at, created_at, updated_at, version`

func scanService(row pgx.Row) (domain.Service, error) {
	var s domain.Service
	var status string
	err := row.Scan(&s.ID, &s.OrgID, &s.Name, &s.Description, &status, &s.StatusDescription,
		&s.StatusChangedAt, &s.CreatedAt, &s.UpdatedAt, &s.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, domain.ErrNotFound
	}
	s.Status = domain.Status(status)
	return s, err
}

// CreateService inserts s; a name already used in the organisation is
// domain.ErrNameTaken.
func (st *Store) CreateService(ctx context.Context, s domain.Service) error {
	_, err := st.pool.Exec(ctx, `INSERT INTO status.services (`+serviceColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		s.ID, s.OrgID, s.Name, s.Description, string(s.Status), s.StatusDescription,
		s.StatusChangedAt, s.CreatedAt, s.UpdatedAt, s.Version)
	if pgdb.IsCode(err, pgdb.CodeUniqueViolation) {
		return domain.ErrNameTaken
	}
	if err != nil {
		return fmt.Errorf("insert service: %w", err)
	}
	return nil
}

// GetService returns the organisation's service id.
func (st *Store) GetService(ctx context.Context, orgID, id string) (domain.Service, error) {
	s, err := scanService(st.pool.QueryRow(ctx,
		`SELECT `+serviceColumns+` FROM status.services WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return s, fmt.Errorf("get service %s: %w", id, err)
	}
	return s, err
}

// ListServices returns up to limit services with ids after afterID, in id
// (creation) order.
func (st *Store) ListServices(ctx context.Context, orgID, afterID string, limit int) ([]domain.Service, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+serviceColumns+` FROM status.services
		WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3`, orgID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Service, error) { return scanService(r) })
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	return out, nil
}

// UpdateService sets the name and/or description, whichever is non-nil.
func (st *Store) UpdateService(ctx context.Context, orgID, id string, name, description *string, at time.Time) (domain.Service, error) {
	s, err := scanService(st.pool.QueryRow(ctx, `UPDATE status.services
		SET name = COALESCE($3, name), description = COALESCE($4, description), updated_at = $5
		WHERE org_id = $1 AND id = $2 RETURNING `+serviceColumns, orgID, id, name, description, at))
	switch {
	case pgdb.IsCode(err, pgdb.CodeUniqueViolation):
		return s, domain.ErrNameTaken
	case err != nil && !errors.Is(err, domain.ErrNotFound):
		return s, fmt.Errorf("update service %s: %w", id, err)
	}
	return s, err
}

// DeleteService removes a service and its history.
func (st *Store) DeleteService(ctx context.Context, orgID, id string) error {
	var tag pgconn.CommandTag
	// An update of one of its receivers at the same time locks the rows in
	// the other order; Postgres aborts one of the two, which is retried.
	err := pgdb.Retry(ctx, func() (err error) {
		tag, err = st.pool.Exec(ctx, `DELETE FROM status.services WHERE org_id = $1 AND id = $2`, orgID, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete service %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return domain.ErrNotFound
	}
	return nil
}
