package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/sla/internal/domain"
)

// Service is a service as STATUS told the SLA service of it.
type Service struct {
	ID, OrgID, Name string
	Deleted         bool
}

// Service returns the organisation's service; domain.ErrNotFound if the
// SLA service has no event of it (yet) in that organisation.
func (st *Store) Service(ctx context.Context, orgID, id string) (Service, error) {
	s := Service{ID: id}
	err := st.pool.QueryRow(ctx, `SELECT org_id, name, deleted FROM sla.services WHERE service_id = $1 AND org_id = $2`,
		id, orgID).Scan(&s.OrgID, &s.Name, &s.Deleted)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, domain.ErrNotFound
	}
	if err != nil {
		return s, fmt.Errorf("get service %s: %w", id, err)
	}
	return s, nil
}

// ListServices returns up to limit of the organisation's services that
// were not deleted, with ids after afterID, in id order.
func (st *Store) ListServices(ctx context.Context, orgID, afterID string, limit int) ([]Service, error) {
	rows, err := st.pool.Query(ctx, `SELECT service_id, org_id, name FROM sla.services
		WHERE org_id = $1 AND NOT deleted AND service_id > $2 ORDER BY service_id LIMIT $3`, orgID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Service, error) {
		var s Service
		return s, r.Scan(&s.ID, &s.OrgID, &s.Name)
	})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	return out, nil
}
