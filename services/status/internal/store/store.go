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
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/bus"
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
	status_changed_at, created_at, updated_at, version, status_version, tags`

func scanService(row pgx.Row) (domain.Service, error) {
	var s domain.Service
	var status string
	err := row.Scan(&s.ID, &s.OrgID, &s.Name, &s.Description, &status, &s.StatusDescription,
		&s.StatusChangedAt, &s.CreatedAt, &s.UpdatedAt, &s.Version, &s.StatusVersion, &s.Tags)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, domain.ErrNotFound
	}
	s.Status = domain.Status(status)
	return s, err
}

// ServiceEventFunc builds the event that announces a service's creation,
// edit or deletion, given the service as the change left it, written to
// the outbox in the change's transaction.
type ServiceEventFunc func(domain.Service) (bus.Event, error)

// CreateService inserts s and its creation event in one transaction; a
// name already used in the organisation is domain.ErrNameTaken.
func (st *Store) CreateService(ctx context.Context, s domain.Service, event ServiceEventFunc) error {
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO status.services (`+serviceColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			s.ID, s.OrgID, s.Name, s.Description, string(s.Status), s.StatusDescription,
			s.StatusChangedAt, s.CreatedAt, s.UpdatedAt, s.Version, s.StatusVersion, tagsJSON(s.Tags)); err != nil {
			return err
		}
		return st.writeEvent(ctx, tx, s, event)
	})
	if pgdb.IsCode(err, pgdb.CodeUniqueViolation) {
		return domain.ErrNameTaken
	}
	if err != nil {
		return fmt.Errorf("insert service: %w", err)
	}
	return nil
}

// tagsJSON is tags as the jsonb column keeps them: an object, never null.
func tagsJSON(tags map[string]string) map[string]string {
	if tags == nil {
		return map[string]string{}
	}
	return tags
}

// writeEvent writes the event of s's change to the outbox in tx.
func (st *Store) writeEvent(ctx context.Context, tx pgx.Tx, s domain.Service, event ServiceEventFunc) error {
	ev, err := event(s)
	if err != nil {
		return err
	}
	return st.Outbox.Write(ctx, tx, ev)
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

// ListAllServices returns up to limit services of any organisation with
// ids after afterID, in id order.
func (st *Store) ListAllServices(ctx context.Context, afterID string, limit int) ([]domain.Service, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+serviceColumns+` FROM status.services
		WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list all services: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Service, error) { return scanService(r) })
	if err != nil {
		return nil, fmt.Errorf("list all services: %w", err)
	}
	return out, nil
}

// UpdateService applies edit (its name, description and/or tags) in one
// transaction with the service's row locked (domain.Edit): a change is
// written with its event, an edit that changes nothing writes nothing.
func (st *Store) UpdateService(ctx context.Context, orgID, id string, edit domain.ServiceEdit, at time.Time, event ServiceEventFunc) (domain.Service, error) {
	var after domain.Service
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		before, err := lockService(ctx, tx, `org_id = $1 AND id = $2`, orgID, id)
		if err != nil {
			return err
		}
		var changed bool
		after, changed = domain.Edit(before, edit, at)
		if !changed {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE status.services SET name = $2, description = $3, updated_at = $4, version = $5, tags = $6
			WHERE id = $1`, after.ID, after.Name, after.Description, after.UpdatedAt, after.Version, tagsJSON(after.Tags)); err != nil {
			return err
		}
		return st.writeEvent(ctx, tx, after, event)
	})
	switch {
	case pgdb.IsCode(err, pgdb.CodeUniqueViolation):
		return after, domain.ErrNameTaken
	case err != nil && !errors.Is(err, domain.ErrNotFound):
		return after, fmt.Errorf("update service %s: %w", id, err)
	}
	return after, err
}

// DeleteService removes a service and its history, and writes its deletion
// event (domain.Delete) in the same transaction.
func (st *Store) DeleteService(ctx context.Context, orgID, id string, at time.Time, event ServiceEventFunc) error {
	// An update of one of its receivers at the same time locks the rows in
	// the other order; Postgres aborts one of the two, which is retried.
	err := pgdb.Retry(ctx, func() error {
		return pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
			// A status change committed while the delete waited for the row
			// is what RETURNING reads, so the deletion takes the version
			// after it.
			s, err := scanService(tx.QueryRow(ctx, `DELETE FROM status.services WHERE org_id = $1 AND id = $2
				RETURNING `+serviceColumns, orgID, id))
			if err != nil {
				return err
			}
			return st.writeEvent(ctx, tx, domain.Delete(s, at), event)
		})
	})
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("delete service %s: %w", id, err)
	}
	return err
}
