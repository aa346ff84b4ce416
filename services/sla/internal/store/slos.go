package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/sla/internal/domain"
)

const sloColumns = `id, org_id, service_id, name, target, slo_window, created_at, updated_at, version, burning, exhausted`

func scanSLO(row pgx.Row) (domain.SLO, error) {
	var s domain.SLO
	var window string
	err := row.Scan(&s.ID, &s.OrgID, &s.ServiceID, &s.Name, &s.Target, &window, &s.CreatedAt, &s.UpdatedAt,
		&s.Version, &s.Burning, &s.Exhausted)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, domain.ErrNotFound
	}
	s.Window = domain.Window(window)
	return s, err
}

// CreateSLO inserts s, due for evaluation at once.
func (st *Store) CreateSLO(ctx context.Context, s domain.SLO) error {
	if _, err := st.pool.Exec(ctx, `INSERT INTO sla.slos (`+sloColumns+`, evaluate_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $7)`,
		s.ID, s.OrgID, s.ServiceID, s.Name, s.Target, string(s.Window), s.CreatedAt, s.UpdatedAt,
		s.Version, s.Burning, s.Exhausted); err != nil {
		return fmt.Errorf("insert slo: %w", err)
	}
	return nil
}

// GetSLO returns the organisation's SLO.
func (st *Store) GetSLO(ctx context.Context, orgID, id string) (domain.SLO, error) {
	s, err := scanSLO(st.pool.QueryRow(ctx, `SELECT `+sloColumns+` FROM sla.slos WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return s, fmt.Errorf("get slo %s: %w", id, err)
	}
	return s, err
}

// ListSLOs returns up to limit of the organisation's SLOs (of serviceID
// only, if not empty) with ids after afterID, in id order.
func (st *Store) ListSLOs(ctx context.Context, orgID, serviceID, afterID string, limit int) ([]domain.SLO, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+sloColumns+` FROM sla.slos
		WHERE org_id = $1 AND ($2 = '' OR service_id = $2) AND id > $3 ORDER BY id LIMIT $4`,
		orgID, serviceID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list slos: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.SLO, error) { return scanSLO(r) })
	if err != nil {
		return nil, fmt.Errorf("list slos: %w", err)
	}
	return out, nil
}

// UpdateSLO applies p to the organisation's SLO with its row locked; a
// change makes it due for evaluation at once.
func (st *Store) UpdateSLO(ctx context.Context, orgID, id string, p domain.SLOPatch, at time.Time) (domain.SLO, error) {
	var after domain.SLO
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		before, err := scanSLO(tx.QueryRow(ctx, `SELECT `+sloColumns+` FROM sla.slos WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, id))
		if err != nil {
			return err
		}
		var changed bool
		if after, changed, err = p.Apply(before, at); err != nil || !changed {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sla.slos SET name = $2, target = $3, slo_window = $4, updated_at = $5, version = $6, evaluate_at = $5
			WHERE id = $1`, id, after.Name, after.Target, string(after.Window), after.UpdatedAt, after.Version)
		return err
	})
	var verr *domain.ValidationError
	if err != nil && !errors.Is(err, domain.ErrNotFound) && !errors.As(err, &verr) {
		err = fmt.Errorf("update slo %s: %w", id, err)
	}
	return after, err
}

// DeleteSLO deletes the organisation's SLO. A burning one announces
// SLOBurnStopped at now, in the same transaction: its burn ends with it.
func (st *Store) DeleteSLO(ctx context.Context, orgID, id string, now time.Time, event SLOEvent) error {
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		deleted, err := scanSLO(tx.QueryRow(ctx, `DELETE FROM sla.slos WHERE org_id = $1 AND id = $2
			RETURNING `+sloColumns, orgID, id))
		if err != nil || !deleted.Burning {
			return err
		}
		// Whoever follows its burn (alerting) would otherwise wait for an
		// end that never comes: the burn ends with the SLO.
		deleted.Burning = false
		deleted.Version++
		e, err := event(domain.EventBurnStopped, deleted, domain.SLOState{}, now)
		if err != nil {
			return err
		}
		return st.Outbox.Write(ctx, tx, e)
	})
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("delete slo %s: %w", id, err)
	}
	return err
}
