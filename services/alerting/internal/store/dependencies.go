package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/alerting/internal/domain"
)

// SetDependencies replaces the service's dependencies, refusing a cycle
// (domain.CheckDependencies) under the organisation's lock, so that two
// changes at once cannot make one together. It returns them as stored.
func (st *Store) SetDependencies(ctx context.Context, orgID, serviceID string, dependsOn []string) ([]string, error) {
	var out []string
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('alerting.dependencies.' || $1))`, orgID); err != nil {
			return err
		}
		graph, err := dependencyGraph(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if out, err = domain.CheckDependencies(graph, serviceID, dependsOn); err != nil {
			return err
		}
		if len(out) == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM alerting.dependencies WHERE service_id = $1 AND org_id = $2`, serviceID, orgID)
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO alerting.dependencies (service_id, org_id, depends_on) VALUES ($1, $2, $3)
			ON CONFLICT (service_id) DO UPDATE SET depends_on = EXCLUDED.depends_on WHERE alerting.dependencies.org_id = EXCLUDED.org_id`,
			serviceID, orgID, out)
		return err
	})
	if err != nil && !isDomain(err) {
		return nil, fmt.Errorf("set dependencies of %s: %w", serviceID, err)
	}
	return out, err
}

// Dependencies returns the service's dependencies, sorted (none: empty).
func (st *Store) Dependencies(ctx context.Context, orgID, serviceID string) ([]string, error) {
	var deps []string
	err := st.pool.QueryRow(ctx, `SELECT depends_on FROM alerting.dependencies WHERE org_id = $1 AND service_id = $2`, orgID, serviceID).Scan(&deps)
	if errors.Is(err, pgx.ErrNoRows) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get dependencies of %s: %w", serviceID, err)
	}
	return deps, nil
}

func dependencyGraph(ctx context.Context, tx pgx.Tx, orgID string) (map[string][]string, error) {
	rows, err := tx.Query(ctx, `SELECT service_id, depends_on FROM alerting.dependencies WHERE org_id = $1`, orgID)
	if err != nil {
		return nil, err
	}
	graph := map[string][]string{}
	var id string
	var deps []string
	_, err = pgx.ForEachRow(rows, []any{&id, &deps}, func() error { graph[id], deps = deps, nil; return nil })
	return graph, err
}
