package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/sla/internal/domain"
)

// ApplyResult is what Apply did.
type ApplyResult struct {
	// Applied and Stale count the transitions applied and those already
	// known (duplicates).
	Applied, Stale int
	// Due is true when an SLO was marked for evaluation.
	Due bool
}

// Apply applies events of STATUS in one transaction, each idempotently
// and whatever their order: a transition already known is skipped, any
// other is spliced into its service's intervals by version and its
// buckets adjusted (domain.Splice, domain.BucketDeltas), so the result is
// always that of applying every event in version order. A service's
// deletion also deletes its SLOs. The SLOs of a service with a new
// transition are marked due for evaluation at now. Services are locked in
// id order, so that concurrent batches do not deadlock.
func (st *Store) Apply(ctx context.Context, now time.Time, events ...domain.ServiceEvent) (ApplyResult, error) {
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b domain.ServiceEvent) int {
		return cmp.Or(cmp.Compare(a.ServiceID, b.ServiceID), cmp.Compare(a.Version, b.Version))
	})
	var res ApplyResult
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		res = ApplyResult{}
		for _, ev := range sorted {
			if err := applyEvent(ctx, tx, now, ev, &res); err != nil {
				return fmt.Errorf("service %s version %d: %w", ev.ServiceID, ev.Version, err)
			}
		}
		return nil
	})
	if err != nil {
		return ApplyResult{}, fmt.Errorf("apply status events: %w", err)
	}
	return res, nil
}

func applyEvent(ctx context.Context, tx pgx.Tx, now time.Time, ev domain.ServiceEvent, res *ApplyResult) error {
	// Inserting or touching the row locks the service until commit.
	if _, err := tx.Exec(ctx, `INSERT INTO sla.services AS s (service_id, org_id) VALUES ($1, $2)
		ON CONFLICT (service_id) DO UPDATE SET org_id = s.org_id`, ev.ServiceID, ev.OrgID); err != nil {
		return err
	}
	if ev.Name != "" {
		if _, err := tx.Exec(ctx, `UPDATE sla.services SET name = $2, name_version = $3
			WHERE service_id = $1 AND name_version < $3`, ev.ServiceID, ev.Name, ev.Version); err != nil {
			return err
		}
	}
	if ev.Deleted {
		if _, err := tx.Exec(ctx, `UPDATE sla.services SET deleted = true WHERE service_id = $1`, ev.ServiceID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sla.slos WHERE service_id = $1`, ev.ServiceID); err != nil {
			return err
		}
	}
	if ev.Transition == nil {
		return nil
	}
	// Postgres keeps microseconds: the buckets' sums must be of the times
	// it gives back.
	t := *ev.Transition
	t.At = t.At.UTC().Truncate(time.Microsecond)
	applied, err := splice(ctx, tx, ev.ServiceID, t)
	if err != nil {
		return err
	}
	if !applied {
		res.Stale++
		return nil
	}
	res.Applied++
	tag, err := tx.Exec(ctx, `UPDATE sla.slos SET evaluate_at = $2
		WHERE service_id = $1 AND (evaluate_at IS NULL OR evaluate_at > $2)`, ev.ServiceID, now)
	if err != nil {
		return err
	}
	if tag.RowsAffected() > 0 {
		res.Due = true
	}
	return nil
}

const intervalColumns = `version, status, at, start, ends`

func scanInterval(row pgx.Row) (domain.Interval, error) {
	var iv domain.Interval
	var status string
	var ends *time.Time
	err := row.Scan(&iv.Version, &status, &iv.At, &iv.Start, &ends)
	iv.Status = domain.Status(status)
	if ends == nil {
		iv.Open = true
	} else {
		iv.End = *ends
	}
	return iv, err
}

func collectIntervals(rows pgx.Rows) ([]domain.Interval, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Interval, error) { return scanInterval(r) })
}

// splice inserts t into the service's intervals, unless its version is
// known, and adjusts the buckets; it reports whether it did.
func splice(ctx context.Context, tx pgx.Tx, serviceID string, t domain.Transition) (bool, error) {
	var known bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sla.intervals WHERE service_id = $1 AND version = $2)`,
		serviceID, t.Version).Scan(&known); err != nil || known {
		return false, err
	}
	var prev *domain.Interval
	p, err := scanInterval(tx.QueryRow(ctx, `SELECT `+intervalColumns+` FROM sla.intervals
		WHERE service_id = $1 AND version < $2 ORDER BY version DESC LIMIT 1`, serviceID, t.Version))
	switch {
	case err == nil:
		prev = &p
	case !errors.Is(err, pgx.ErrNoRows):
		return false, err
	}
	start := t.At
	if prev != nil && prev.Start.After(start) {
		start = prev.Start
	}
	// The later intervals t changes: those starting before it (a clock
	// that went backwards; usually none) and the first one, which t ends.
	rows, err := tx.Query(ctx, `SELECT `+intervalColumns+` FROM sla.intervals
		WHERE service_id = $1 AND version > $2
		  AND (start < $3 OR version = (SELECT min(version) FROM sla.intervals WHERE service_id = $1 AND version > $2))
		ORDER BY version`, serviceID, t.Version, start)
	if err != nil {
		return false, err
	}
	after, err := collectIntervals(rows)
	if err != nil {
		return false, err
	}
	changes := domain.Splice(prev, t, after)
	for _, c := range changes {
		var ends *time.Time
		if !c.New.Open {
			ends = &c.New.End
		}
		if c.Old == nil {
			_, err = tx.Exec(ctx, `INSERT INTO sla.intervals (service_id, version, status, at, start, ends)
				VALUES ($1, $2, $3, $4, $5, $6)`, serviceID, c.New.Version, string(c.New.Status), c.New.At, c.New.Start, ends)
		} else {
			_, err = tx.Exec(ctx, `UPDATE sla.intervals SET start = $3, ends = $4 WHERE service_id = $1 AND version = $2`,
				serviceID, c.New.Version, c.New.Start, ends)
		}
		if err != nil {
			return false, err
		}
	}
	return true, addBuckets(ctx, tx, serviceID, domain.BucketDeltas(changes))
}

// addBuckets adds deltas to the service's hourly buckets in one statement.
func addBuckets(ctx context.Context, tx pgx.Tx, serviceID string, deltas map[time.Time]domain.Figures) error {
	if len(deltas) == 0 {
		return nil
	}
	n := len(deltas)
	hours := make([]time.Time, 0, n)
	op, dg, dn, mt, out := make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	for h, f := range deltas {
		hours = append(hours, h)
		op, dg = append(op, f.Operational.Microseconds()), append(dg, f.Degraded.Microseconds())
		dn, mt = append(dn, f.Down.Microseconds()), append(mt, f.Maintenance.Microseconds())
		out = append(out, f.Outages)
	}
	_, err := tx.Exec(ctx, `INSERT INTO sla.buckets AS b (service_id, hour, operational_us, degraded_us, down_us, maintenance_us, outages)
		SELECT $1, * FROM unnest($2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
		ON CONFLICT (service_id, hour) DO UPDATE SET
			operational_us = b.operational_us + EXCLUDED.operational_us,
			degraded_us = b.degraded_us + EXCLUDED.degraded_us,
			down_us = b.down_us + EXCLUDED.down_us,
			maintenance_us = b.maintenance_us + EXCLUDED.maintenance_us,
			outages = b.outages + EXCLUDED.outages`, serviceID, hours, op, dg, dn, mt, out)
	return err
}
