package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
)

const maintenanceColumns = `id, org_id, title, message, service_ids, starts_at, ends_at, status,
	started_at, ended_at, created_at, updated_at, version`

func scanMaintenance(row pgx.Row) (domain.Maintenance, error) {
	var m domain.Maintenance
	var status string
	var started, ended *time.Time
	err := row.Scan(&m.ID, &m.OrgID, &m.Title, &m.Message, &m.ServiceIDs, &m.StartsAt, &m.EndsAt, &status,
		&started, &ended, &m.CreatedAt, &m.UpdatedAt, &m.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, domain.ErrNotFound
	}
	m.Status = domain.MaintenanceStatus(status)
	if started != nil {
		m.StartedAt = *started
	}
	if ended != nil {
		m.EndedAt = *ended
	}
	return m, err
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// CreateMaintenance stores a new window.
func (st *Store) CreateMaintenance(ctx context.Context, m domain.Maintenance) error {
	if _, err := st.pool.Exec(ctx, `INSERT INTO incidents.maintenances (`+maintenanceColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		m.ID, m.OrgID, m.Title, m.Message, m.ServiceIDs, m.StartsAt, m.EndsAt, string(m.Status),
		nullTime(m.StartedAt), nullTime(m.EndedAt), m.CreatedAt, m.UpdatedAt, m.Version); err != nil {
		return fmt.Errorf("create maintenance: %w", err)
	}
	return nil
}

// GetMaintenance returns the organisation's window.
func (st *Store) GetMaintenance(ctx context.Context, orgID, id string) (domain.Maintenance, error) {
	m, err := scanMaintenance(st.pool.QueryRow(ctx, `SELECT `+maintenanceColumns+`
		FROM incidents.maintenances WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		err = fmt.Errorf("get maintenance %s: %w", id, err)
	}
	return m, err
}

// MaintenanceFilter selects windows to list.
type MaintenanceFilter struct {
	// Status, when set, selects windows in this status.
	Status domain.MaintenanceStatus
	// ServiceID, when set, selects windows covering the service.
	ServiceID string
	// BeforeID continues a listing after (below) this id.
	BeforeID string
}

// ListMaintenances returns up to limit of the organisation's windows
// matching f, most recently created first.
func (st *Store) ListMaintenances(ctx context.Context, orgID string, f MaintenanceFilter, limit int) ([]domain.Maintenance, error) {
	sql := `SELECT ` + maintenanceColumns + ` FROM incidents.maintenances WHERE org_id = $1`
	args := []any{orgID}
	if f.Status != "" {
		args = append(args, string(f.Status))
		sql += fmt.Sprintf(` AND status = $%d`, len(args))
	}
	if f.ServiceID != "" {
		args = append(args, []string{f.ServiceID})
		sql += fmt.Sprintf(` AND service_ids @> $%d`, len(args))
	}
	if f.BeforeID != "" {
		args = append(args, f.BeforeID)
		sql += fmt.Sprintf(` AND id < $%d`, len(args))
	}
	args = append(args, limit)
	sql += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := st.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list maintenances: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Maintenance, error) { return scanMaintenance(r) })
	if err != nil {
		return nil, fmt.Errorf("list maintenances: %w", err)
	}
	return out, nil
}

// MaintenanceChange changes a locked window; it returns the window
// afterwards and the event announcing the change, if any.
type MaintenanceChange func(domain.Maintenance) (domain.Maintenance, *bus.Event, error)

// Lock modes of ModifyMaintenance.
const (
	// Wait waits for a window another transaction holds.
	Wait = false
	// SkipLocked passes over a window another replica is working on.
	SkipLocked = true
)

// ModifyMaintenance calls change with the organisation's window (any
// organisation's when orgID is empty) under its row lock, stores the
// result and its event, and returns it. With skipLocked a window locked by
// another transaction is skipped: ok is false and change is not called.
//
// The lock is FOR NO KEY UPDATE so that change may record the window's
// services in transactions of its own (their foreign keys take a key-share
// lock, which this one does not block): those records must survive a
// failure halfway through.
func (st *Store) ModifyMaintenance(ctx context.Context, orgID, id string, skipLocked bool, change MaintenanceChange) (m domain.Maintenance, ok bool, err error) {
	err = pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		sql := `SELECT ` + maintenanceColumns + ` FROM incidents.maintenances WHERE id = $1 AND ($2 = '' OR org_id = $2) FOR NO KEY UPDATE`
		if skipLocked {
			sql += ` SKIP LOCKED`
		}
		before, err := scanMaintenance(tx.QueryRow(ctx, sql, id, orgID))
		if errors.Is(err, domain.ErrNotFound) && skipLocked {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		after, ev, err := change(before)
		if err != nil {
			return err
		}
		m = after
		if after.Version == before.Version {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents.maintenances SET title = $2, message = $3, service_ids = $4,
			starts_at = $5, ends_at = $6, status = $7, started_at = $8, ended_at = $9, updated_at = $10, version = $11
			WHERE id = $1`, after.ID, after.Title, after.Message, after.ServiceIDs, after.StartsAt, after.EndsAt,
			string(after.Status), nullTime(after.StartedAt), nullTime(after.EndedAt), after.UpdatedAt, after.Version); err != nil {
			return err
		}
		if ev == nil {
			return nil
		}
		return st.Outbox.Write(ctx, tx, *ev)
	})
	if err != nil {
		var terr *domain.TransitionError
		var verr *domain.ValidationError
		if !errors.Is(err, domain.ErrNotFound) && !errors.As(err, &terr) && !errors.As(err, &verr) {
			err = fmt.Errorf("modify maintenance %s: %w", id, err)
		}
	}
	return m, ok, err
}

// DueMaintenances returns the ids of up to limit windows to start or end
// at now, the earliest first.
func (st *Store) DueMaintenances(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := st.pool.Query(ctx, `SELECT id FROM (
			SELECT id, starts_at AS due FROM incidents.maintenances WHERE status = 'scheduled' AND starts_at <= $1
			UNION ALL
			SELECT id, ends_at AS due FROM incidents.maintenances WHERE status = 'in_progress' AND ends_at <= $1
		) d ORDER BY due LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("due maintenances: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("due maintenances: %w", err)
	}
	return ids, nil
}

// ServiceHold is what a window holds of one of its services: the status
// and description to give back, and the service's version once in
// maintenance.
type ServiceHold struct {
	ServiceID           string
	PreviousStatus      domain.ServiceStatus
	PreviousDescription string
	Version             int64
	// Ended is set once the window's end dealt with the service.
	Ended bool
}

// Holds returns the services a window holds, by service id.
func (st *Store) Holds(ctx context.Context, maintenanceID string) (map[string]ServiceHold, error) {
	rows, err := st.pool.Query(ctx, `SELECT service_id, previous_status, previous_description, version, ended
		FROM incidents.maintenance_services WHERE maintenance_id = $1`, maintenanceID)
	if err != nil {
		return nil, fmt.Errorf("holds of %s: %w", maintenanceID, err)
	}
	holds, err := pgx.CollectRows(rows, scanHold)
	if err != nil {
		return nil, fmt.Errorf("holds of %s: %w", maintenanceID, err)
	}
	out := make(map[string]ServiceHold, len(holds))
	for _, h := range holds {
		out[h.ServiceID] = h
	}
	return out, nil
}

func scanHold(r pgx.CollectableRow) (ServiceHold, error) {
	var h ServiceHold
	var prev string
	err := r.Scan(&h.ServiceID, &prev, &h.PreviousDescription, &h.Version, &h.Ended)
	h.PreviousStatus = domain.ServiceStatus(prev)
	return h, err
}

// AddHold records, in a transaction of its own, that a window holds a
// service; a second record for the same service is ignored.
func (st *Store) AddHold(ctx context.Context, maintenanceID string, h ServiceHold) error {
	if _, err := st.pool.Exec(ctx, `INSERT INTO incidents.maintenance_services
		(maintenance_id, service_id, previous_status, previous_description, version)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		maintenanceID, h.ServiceID, string(h.PreviousStatus), h.PreviousDescription, h.Version); err != nil {
		return fmt.Errorf("hold %s for %s: %w", h.ServiceID, maintenanceID, err)
	}
	return nil
}

// EndHold records that a window's end dealt with a service.
func (st *Store) EndHold(ctx context.Context, maintenanceID, serviceID string) error {
	if _, err := st.pool.Exec(ctx, `UPDATE incidents.maintenance_services SET ended = true
		WHERE maintenance_id = $1 AND service_id = $2`, maintenanceID, serviceID); err != nil {
		return fmt.Errorf("end hold of %s for %s: %w", serviceID, maintenanceID, err)
	}
	return nil
}

// SharedHold returns the hold another window in progress has on the
// service at that version, if any: overlapping windows share one stay in
// maintenance, and the last of them to end gives the status back.
func (st *Store) SharedHold(ctx context.Context, maintenanceID, serviceID string, version int64) (*ServiceHold, error) {
	rows, err := st.pool.Query(ctx, `SELECT h.service_id, h.previous_status, h.previous_description, h.version, h.ended
		FROM incidents.maintenance_services h JOIN incidents.maintenances m ON m.id = h.maintenance_id
		WHERE m.status = 'in_progress' AND m.id <> $1 AND h.service_id = $2 AND h.version = $3 AND NOT h.ended
		LIMIT 1`, maintenanceID, serviceID, version)
	if err != nil {
		return nil, fmt.Errorf("shared hold of %s: %w", serviceID, err)
	}
	h, err := pgx.CollectOneRow(rows, scanHold)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("shared hold of %s: %w", serviceID, err)
	}
	return &h, nil
}
