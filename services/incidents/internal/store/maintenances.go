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

// MaintenanceEvent builds the event announcing a window as a change left
// it, written to the outbox in the change's transaction.
type MaintenanceEvent func(domain.Maintenance) (bus.Event, error)

// CreateMaintenance stores a new window and the event announcing it in
// one transaction.
func (st *Store) CreateMaintenance(ctx context.Context, m domain.Maintenance, event MaintenanceEvent) error {
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO incidents.maintenances (`+maintenanceColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			m.ID, m.OrgID, m.Title, m.Message, m.ServiceIDs, m.StartsAt, m.EndsAt, string(m.Status),
			nullTime(m.StartedAt), nullTime(m.EndedAt), m.CreatedAt, m.UpdatedAt, m.Version); err != nil {
			return err
		}
		ev, err := event(m)
		if err != nil {
			return err
		}
		return st.Outbox.Write(ctx, tx, ev)
	})
	if err != nil {
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
// matching f, most recently scheduled first.
func (st *Store) ListMaintenances(ctx context.Context, orgID string, f MaintenanceFilter, limit int) ([]domain.Maintenance, error) {
	sql := `SELECT ` + maintenanceColumns + ` FROM incidents.maintenances WHERE org_id = $1`
	args := []any{orgID}
	if f.Status != "" {
		args = append(args, string(f.Status))
		sql += fmt.Sprintf(` AND status = $%d`, len(args))
	}
	sql, args = newestPage(sql, args, f.ServiceID, f.BeforeID, limit)
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

// DueMaintenances returns the ids of up to limit windows to start or end
// at now, the earliest first, leaving out those in except.
func (st *Store) DueMaintenances(ctx context.Context, now time.Time, except []string, limit int) ([]string, error) {
	rows, err := st.pool.Query(ctx, `SELECT id FROM (
			SELECT id, starts_at AS due FROM incidents.maintenances WHERE status = 'scheduled' AND starts_at <= $1
			UNION ALL
			SELECT id, ends_at AS due FROM incidents.maintenances WHERE status = 'in_progress' AND ends_at <= $1
		) d WHERE NOT (id = ANY($2)) ORDER BY due LIMIT $3`, now, except, limit)
	if err != nil {
		return nil, fmt.Errorf("due maintenances: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("due maintenances: %w", err)
	}
	return ids, nil
}
