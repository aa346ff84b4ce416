package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/groupcommit"
	"github.com/upstatehq/upstate/services/status/internal/domain"
)

// EventFunc builds the event that announces a change, written to the
// outbox in the change's transaction.
type EventFunc func(domain.Service, domain.Change) (bus.Event, error)

// SetStatus applies a report to the organisation's service in one
// transaction: SetStatuses of one. It returns the service before and after
// and the change (nil when there was none).
func (st *Store) SetStatus(ctx context.Context, orgID, id string, r domain.Report, event EventFunc) (before, after domain.Service, change *domain.Change, err error) {
	res, err := st.SetStatuses(ctx, []StatusRequest{{OrgID: orgID, ServiceID: id, Report: r}}, event)
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		return before, after, nil, err
	}
	v := res[0].Value
	return v.Before, v.After, v.Change, nil
}

// StatusRequest is a report on an organisation's service.
type StatusRequest struct {
	OrgID, ServiceID string
	Report           domain.Report
}

// StatusResult is what a report did: the service before and after, and the
// change (nil when there was none).
type StatusResult struct {
	Before, After domain.Service
	Change        *domain.Change
}

// SetStatuses applies reports, in the order given, in one transaction: it
// locks the services' rows (in id order, as every batch does, so that
// concurrent ones cannot deadlock), applies domain.Apply to each report in
// memory and writes the services changed, a history row and an outbox
// event per status change. A report on a service that does not exist in
// its organisation (domain.ErrNotFound) or no longer at its expected
// version (domain.ErrVersionMismatch) fails alone, in its result; an error
// of the transaction fails them all, and nothing is written.
func (st *Store) SetStatuses(ctx context.Context, reqs []StatusRequest, event EventFunc) ([]groupcommit.Result[StatusResult], error) {
	var out []groupcommit.Result[StatusResult]
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		out = make([]groupcommit.Result[StatusResult], len(reqs))
		ids := make([]string, len(reqs))
		for i, r := range reqs {
			ids[i] = r.ServiceID
		}
		slices.Sort(ids)
		svcs, err := lockServices(ctx, tx, slices.Compact(ids))
		if err != nil {
			return err
		}
		var dirty []string
		var changes []domain.Change
		var evs []bus.Event
		for i, r := range reqs {
			svc := svcs[r.ServiceID]
			if svc == nil || svc.OrgID != r.OrgID {
				out[i].Err = domain.ErrNotFound
				continue
			}
			after, change, outcome := domain.Apply(*svc, r.Report)
			switch outcome {
			case domain.VersionMismatch:
				out[i].Err = domain.ErrVersionMismatch
				continue
			case domain.StatusChanged:
				ev, err := event(after, *change)
				if err != nil {
					return err
				}
				changes, evs = append(changes, *change), append(evs, ev)
				fallthrough
			case domain.DescriptionUpdated:
				if !slices.Contains(dirty, after.ID) {
					dirty = append(dirty, after.ID)
				}
			}
			out[i].Value = StatusResult{Before: *svc, After: after, Change: change}
			*svc = after
		}
		b := &pgx.Batch{}
		queueUpdateServices(b, svcs, dirty)
		queueHistory(b, changes)
		st.Outbox.Queue(ctx, b, evs...)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, fmt.Errorf("set %d statuses: %w", len(reqs), err)
	}
	return out, nil
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

// lockServices reads and locks, as lockService does, the services of
// sortedIDs that exist, in id order: Sort sits below LockRows, so two
// transactions take their common locks in the same order.
func lockServices(ctx context.Context, tx pgx.Tx, sortedIDs []string) (map[string]*domain.Service, error) {
	rows, err := tx.Query(ctx, `SELECT `+serviceColumns+` FROM status.services
		WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, sortedIDs)
	if err != nil {
		return nil, err
	}
	svcs := make(map[string]*domain.Service, len(sortedIDs))
	if err := forEach(rows, scanService, func(s domain.Service) { svcs[s.ID] = &s }); err != nil {
		return nil, fmt.Errorf("lock services: %w", err)
	}
	return svcs, nil
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
