package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/alerting/internal/domain"
)

const serviceColumns = `id, org_id, name, tags, status, version, deleted, slo_burning_since`

func scanService(row pgx.Row) (domain.Service, error) {
	var s domain.Service
	var status string
	var slo *time.Time
	err := row.Scan(&s.ID, &s.OrgID, &s.Name, &s.Tags, &status, &s.Version, &s.Deleted, &slo)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, domain.ErrNotFound
	}
	s.Status, s.SLOBurningSince = domain.Status(status), timeOf(slo)
	return s, err
}

// timeline returns the service's newest known versions, newest first.
func timeline(ctx context.Context, tx pgx.Tx, id string) ([]domain.Change, error) {
	rows, err := tx.Query(ctx, `SELECT version, kind, status, previous, at FROM alerting.timeline
		WHERE service_id = $1 ORDER BY version DESC LIMIT $2`, id, timelineDepth)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Change, error) {
		var c domain.Change
		var kind, status, prev string
		err := r.Scan(&c.Version, &kind, &status, &prev, &c.At)
		c.Kind, c.Status, c.Previous, c.At = domain.ChangeKind(kind), domain.Status(status), domain.Status(prev), c.At.UTC()
		return c, err
	})
}

// ServiceEvent is what an event of the STATUS stream tells of a service.
type ServiceEvent struct {
	OrgID, ServiceID string
	// Version is the event's version: Name and Tags are applied when it is
	// the newest seen.
	Version int64
	Name    string
	Tags    map[string]string
	// Entries are the timeline entries it gives: its own version (a
	// creation, a status change or an edit) and, for an edit, the status
	// it found (an observation at that status's version).
	Entries []domain.Change
	// Deleted is set by ServiceDeleted.
	Deleted bool
}

// retention is how long a service's timeline keeps versions.
const retention = 7 * 24 * time.Hour

// ApplyServiceEvents applies events of the STATUS stream in one
// transaction: each service's name and tags from its newest event, the
// versions of its timeline (a duplicate or one already known adds
// nothing; a status change replaces an observation of its version), then
// every rule is evaluated at now on each service that changed, once. It
// returns how many services were evaluated. Order and repeats do not
// matter: the evaluation reads the timeline, not the events.
func (st *Store) ApplyServiceEvents(ctx context.Context, evs []ServiceEvent, now time.Time) (int, error) {
	byOrg := map[string][]string{}
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		clear(byOrg)
		sorted := slices.Clone(evs)
		slices.SortStableFunc(sorted, func(a, b ServiceEvent) int {
			if a.ServiceID < b.ServiceID {
				return -1
			} else if a.ServiceID > b.ServiceID {
				return 1
			}
			return 0
		})
		changed := map[string]string{}
		for _, ev := range sorted {
			c, err := applyServiceEvent(ctx, tx, ev)
			if err != nil {
				return fmt.Errorf("apply event %s:%d: %w", ev.ServiceID, ev.Version, err)
			}
			if c {
				changed[ev.ServiceID] = ev.OrgID
			}
		}
		for _, id := range slices.Sorted(maps.Keys(changed)) {
			byOrg[changed[id]] = append(byOrg[changed[id]], id)
		}
		for _, org := range slices.Sorted(maps.Keys(byOrg)) {
			if _, err := tx.Exec(ctx, `DELETE FROM alerting.timeline t USING alerting.services s
				WHERE t.service_id = s.id AND s.id = ANY($1) AND t.at < $2 AND t.version < s.status_version`,
				byOrg[org], now.Add(-retention)); err != nil {
				return err
			}
			if err := st.evaluateServices(ctx, tx, org, byOrg[org], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ids := range byOrg {
		n += len(ids)
	}
	return n, nil
}

// applyServiceEvent records one event; it reports whether anything the
// evaluation reads changed.
func applyServiceEvent(ctx context.Context, tx pgx.Tx, ev ServiceEvent) (bool, error) {
	// The service's row: created at its first event, its name and tags
	// from its newest, deleted for good by its deletion.
	tag, err := tx.Exec(ctx, `INSERT INTO alerting.services AS s (id, org_id, name, tags, version, deleted)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET
			name = CASE WHEN EXCLUDED.version > s.version AND EXCLUDED.name <> '' THEN EXCLUDED.name ELSE s.name END,
			tags = CASE WHEN EXCLUDED.version > s.version AND NOT EXCLUDED.deleted THEN EXCLUDED.tags ELSE s.tags END,
			version = greatest(s.version, EXCLUDED.version),
			deleted = s.deleted OR EXCLUDED.deleted
		WHERE s.org_id = EXCLUDED.org_id AND (EXCLUDED.version > s.version OR (EXCLUDED.deleted AND NOT s.deleted))`,
		ev.ServiceID, ev.OrgID, ev.Name, nonNil(ev.Tags), ev.Version, ev.Deleted)
	if err != nil {
		return false, err
	}
	changed := tag.RowsAffected() > 0
	for _, c := range ev.Entries {
		tag, err := tx.Exec(ctx, `INSERT INTO alerting.timeline AS t (service_id, version, kind, status, previous, at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (service_id, version) DO UPDATE SET kind = EXCLUDED.kind, previous = EXCLUDED.previous, at = EXCLUDED.at
			WHERE t.kind = 'observed' AND EXCLUDED.kind IN ('changed', 'created')`,
			ev.ServiceID, c.Version, string(c.Kind), string(c.Status), string(c.Previous), c.At)
		if err != nil {
			return false, err
		}
		changed = changed || tag.RowsAffected() > 0
	}
	return changed, nil
}

// ApplySLOBurns applies SLO events in one transaction: each SLO's newest
// burning state (older versions change nothing), the earliest burn of
// each service, and every rule evaluated at now on the services whose
// burn changed.
func (st *Store) ApplySLOBurns(ctx context.Context, burns []domain.SLOBurn, now time.Time) error {
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		changed := map[string]string{}
		for _, b := range burns {
			tag, err := tx.Exec(ctx, `INSERT INTO alerting.slo_burns AS b (service_id, slo_id, burning, since, version)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (service_id, slo_id) DO UPDATE SET burning = EXCLUDED.burning, since = EXCLUDED.since, version = EXCLUDED.version
				WHERE b.version < EXCLUDED.version`, b.ServiceID, b.SLOID, b.Burning, b.At, b.Version)
			if err != nil {
				return err
			}
			if tag.RowsAffected() > 0 {
				changed[b.ServiceID] = b.OrgID
			}
		}
		byOrg := map[string][]string{}
		for _, id := range slices.Sorted(maps.Keys(changed)) {
			if _, err := tx.Exec(ctx, `INSERT INTO alerting.services (id, org_id) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, changed[id]); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE alerting.services SET slo_burning_since =
				(SELECT min(since) FROM alerting.slo_burns WHERE service_id = $1 AND burning) WHERE id = $1`, id); err != nil {
				return err
			}
			byOrg[changed[id]] = append(byOrg[changed[id]], id)
		}
		for _, org := range slices.Sorted(maps.Keys(byOrg)) {
			if err := st.evaluateServices(ctx, tx, org, byOrg[org], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply %d SLO events: %w", len(burns), err)
	}
	return nil
}

// EvaluateDue evaluates, at now, the services of up to limit alerts whose
// next evaluation is due (they fire, or stop flapping), each in a
// transaction of its own. It returns how many it evaluated.
func (st *Store) EvaluateDue(ctx context.Context, now time.Time, limit int) (int, error) {
	rows, err := st.pool.Query(ctx, `SELECT DISTINCT org_id, service_id FROM alerting.alerts
		WHERE next_eval_at <= $1 LIMIT $2`, now, limit)
	if err != nil {
		return 0, fmt.Errorf("find due alerts: %w", err)
	}
	type due struct{ org, svc string }
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (due, error) {
		var d due
		return d, r.Scan(&d.org, &d.svc)
	})
	if err != nil {
		return 0, fmt.Errorf("find due alerts: %w", err)
	}
	for _, d := range list {
		if err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
			return st.evaluateServices(ctx, tx, d.org, []string{d.svc}, now)
		}); err != nil {
			return 0, fmt.Errorf("evaluate service %s: %w", d.svc, err)
		}
	}
	return len(list), nil
}
