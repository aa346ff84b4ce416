package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/services/status/internal/domain"
)

// EventFunc builds the event that announces a change, written to the
// outbox in the change's transaction.
type EventFunc func(domain.Service, domain.Change) (bus.Event, error)

// SetStatus applies a report to the organisation's service in one
// transaction: it locks the service row, applies domain.Apply and, when the
// status changed, writes the history row and the outbox event. It returns
// the service before and after and the change (nil when there was none).
func (st *Store) SetStatus(ctx context.Context, orgID, id string, r domain.Report, event EventFunc) (before, after domain.Service, change *domain.Change, err error) {
	err = pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		before, err = lockService(ctx, tx, `org_id = $1 AND id = $2`, orgID, id)
		if err != nil {
			return err
		}
		after, change, err = st.applyReport(ctx, tx, before, r, event)
		return err
	})
	if err != nil && !errors.Is(err, domain.ErrNotFound) && !errors.Is(err, domain.ErrVersionMismatch) {
		err = fmt.Errorf("set status of %s: %w", id, err)
	}
	return before, after, change, err
}

// lockService reads the service matching where (over args) and locks its
// row until the transaction ends, so reports of one service are applied
// one at a time. FOR NO KEY UPDATE is the lock the UPDATE takes anyway; it
// leaves the row's key shareable, so the foreign-key checks of receivers
// naming the service neither wait for it nor deadlock with it.
func lockService(ctx context.Context, tx pgx.Tx, where string, args ...any) (domain.Service, error) {
	return scanService(tx.QueryRow(ctx, `SELECT `+serviceColumns+` FROM status.services
		WHERE `+where+` FOR NO KEY UPDATE`, args...))
}

// applyReport applies r to before, a service locked by lockService in tx:
// the one transition path of every report, whichever channel it came by.
// When the status changes it writes the service, the history row and the
// outbox event; a new description alone is written without either.
func (st *Store) applyReport(ctx context.Context, tx pgx.Tx, before domain.Service, r domain.Report, event EventFunc) (domain.Service, *domain.Change, error) {
	after, change, outcome := domain.Apply(before, r)
	switch outcome {
	case domain.Unchanged:
		return after, nil, nil
	case domain.VersionMismatch:
		return after, nil, domain.ErrVersionMismatch
	case domain.DescriptionUpdated:
		_, err := tx.Exec(ctx, `UPDATE status.services SET status_description = $2, updated_at = $3 WHERE id = $1`,
			after.ID, after.StatusDescription, after.UpdatedAt)
		return after, nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE status.services
		SET status = $2, status_description = $3, status_changed_at = $4, updated_at = $4, version = $5, status_version = $5
		WHERE id = $1`, after.ID, string(after.Status), after.StatusDescription, after.StatusChangedAt, after.Version); err != nil {
		return after, nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO status.status_history
		(service_id, version, previous_status, status, description, source, actor, changed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		after.ID, change.Version, string(change.Previous), string(change.Status), change.Description,
		string(change.Source), change.Actor, change.ChangedAt); err != nil {
		return after, nil, err
	}
	ev, err := event(after, *change)
	if err != nil {
		return after, nil, err
	}
	if err := st.Outbox.Write(ctx, tx, ev); err != nil {
		return after, nil, err
	}
	return after, change, nil
}

// ListHistory returns up to limit changes of the organisation's service with
// versions below beforeVersion (0: from the newest), newest first.
func (st *Store) ListHistory(ctx context.Context, orgID, id string, beforeVersion int64, limit int) ([]domain.Change, error) {
	// Checking the service first makes another organisation's id NOT_FOUND
	// rather than an empty page.
	if _, err := st.GetService(ctx, orgID, id); err != nil {
		return nil, err
	}
	if beforeVersion <= 0 {
		beforeVersion = 1<<63 - 1
	}
	rows, err := st.pool.Query(ctx, `SELECT service_id, version, previous_status, status, description, source, actor, changed_at
		FROM status.status_history WHERE service_id = $1 AND version < $2 ORDER BY version DESC LIMIT $3`,
		id, beforeVersion, limit)
	if err != nil {
		return nil, fmt.Errorf("list history of %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Change, error) {
		var c domain.Change
		var prev, status, source string
		err := r.Scan(&c.ServiceID, &c.Version, &prev, &status, &c.Description, &source, &c.Actor, &c.ChangedAt)
		c.Previous, c.Status, c.Source = domain.Status(prev), domain.Status(status), domain.Source(source)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list history of %s: %w", id, err)
	}
	return out, nil
}
