package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/notification/internal/domain"
)

const routeColumns = `id, org_id, name, events, selector, channel_ids, created_at, updated_at`

func scanRoute(row pgx.CollectableRow) (domain.Route, error) {
	var r domain.Route
	var sel []byte
	if err := row.Scan(&r.ID, &r.OrgID, &r.Spec.Name, &r.Spec.Events, &sel, &r.Spec.ChannelIDs, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if err := json.Unmarshal(sel, &r.Spec.Services); err != nil {
		return r, fmt.Errorf("decode selector of route %s: %w", r.ID, err)
	}
	return r, nil
}

// CreateRoute stores r.
func (st *Store) CreateRoute(ctx context.Context, r domain.Route) error {
	return st.inTx(ctx, "create route", nil, func(tx pgx.Tx) error {
		sel, err := json.Marshal(r.Spec.Services)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO notification.routes (`+routeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			r.ID, r.OrgID, r.Spec.Name, r.Spec.Events, sel, r.Spec.ChannelIDs, r.CreatedAt, r.UpdatedAt)
		return err
	})
}

// GetRoute returns the organisation's route id.
func (st *Store) GetRoute(ctx context.Context, orgID, id string) (domain.Route, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+routeColumns+` FROM notification.routes WHERE org_id = $1 AND id = $2`, orgID, id)
	r, err := one(rows, err, scanRoute)
	if err != nil && !isDomain(err) {
		return r, fmt.Errorf("get route %s: %w", id, err)
	}
	return r, err
}

// ListRoutes returns up to limit routes with ids below beforeID (empty:
// from the newest), newest first.
func (st *Store) ListRoutes(ctx context.Context, orgID, beforeID string, limit int) ([]domain.Route, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+routeColumns+` FROM notification.routes WHERE org_id = $1`+page, orgID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanRoute)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	return out, nil
}

// UpdateRoute applies update to the route under its row lock and stores
// the result; update validates.
func (st *Store) UpdateRoute(ctx context.Context, orgID, id string, update func(domain.Route) (domain.Route, error)) (domain.Route, error) {
	var after domain.Route
	err := st.inTx(ctx, "update route "+id, nil, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+routeColumns+` FROM notification.routes WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, id)
		before, err := one(rows, err, scanRoute)
		if err != nil {
			return err
		}
		if after, err = update(before); err != nil {
			return err
		}
		sel, err := json.Marshal(after.Spec.Services)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE notification.routes SET name = $2, events = $3, selector = $4, channel_ids = $5, updated_at = $6 WHERE id = $1`,
			id, after.Spec.Name, after.Spec.Events, sel, after.Spec.ChannelIDs, after.UpdatedAt)
		return err
	})
	return after, err
}

// DeleteRoute removes the route.
func (st *Store) DeleteRoute(ctx context.Context, orgID, id string) error {
	return st.inTx(ctx, "delete route "+id, nil, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM notification.routes WHERE org_id = $1 AND id = $2`, orgID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return domain.ErrNotFound
		}
		return err
	})
}
