package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/upstatehq/upstate/services/sla/internal/domain"
)

// ApplyResult is what Apply did.
type ApplyResult struct {
	// Applied and Stale count the transitions applied and those already
	// known (duplicates).
	Applied, Stale int
	// Due is true when a service with a new transition has SLOs: they
	// are due for evaluation, and the evaluator must be told even if they
	// were due already (an evaluation may have read the intervals before
	// the transition).
	Due bool
}

// Apply applies events of STATUS in one transaction, each idempotently
// and whatever their order: a transition already known is skipped, any
// other is spliced into its service's intervals by version and its
// buckets adjusted (domain.Splice, domain.BucketDeltas), so the result is
// always that of applying every event in version order. A service's
// deletion also deletes its SLOs. The SLOs of a service with a new
// transition are due for evaluation at now at the latest, those due
// already too: an evaluation in progress shares the service's row
// (EvaluateSLO), so the transition commits after it, unseen by it, and
// only the next evaluation counts it. Services are locked in id order,
// so that concurrent batches do not deadlock.
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

// applyEvent applies one event in two round trips: the service's row and
// what the transition is spliced into are read in one pipelined batch,
// and everything it changes is written in another.
func applyEvent(ctx context.Context, tx pgx.Tx, now time.Time, ev domain.ServiceEvent, res *ApplyResult) error {
	b := &pgx.Batch{}
	// Inserting or touching the row locks the service until commit.
	b.Queue(`INSERT INTO sla.services AS s (service_id, org_id) VALUES ($1, $2)
		ON CONFLICT (service_id) DO UPDATE SET org_id = s.org_id`, ev.ServiceID, ev.OrgID)
	if ev.Name != "" {
		b.Queue(`UPDATE sla.services SET name = $2, name_version = $3
			WHERE service_id = $1 AND name_version < $3`, ev.ServiceID, ev.Name, ev.Version)
	}
	if ev.Deleted {
		b.Queue(`UPDATE sla.services SET deleted = true WHERE service_id = $1`, ev.ServiceID)
		b.Queue(`DELETE FROM sla.slos WHERE service_id = $1`, ev.ServiceID)
	}
	if ev.Transition == nil {
		return tx.SendBatch(ctx, b).Close()
	}
	// Postgres keeps microseconds: the buckets' sums must be of the times
	// it gives back.
	t := *ev.Transition
	t.At = t.At.UTC().Truncate(time.Microsecond)
	sp := queueSpliceReads(b, ev.ServiceID, t)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if sp.known {
		res.Stale++
		return nil
	}
	res.Applied++
	changes := domain.Splice(sp.prev, t, sp.after)
	w := &pgx.Batch{}
	queueIntervalWrites(w, ev.ServiceID, changes)
	queueBuckets(w, ev.ServiceID, domain.BucketDeltas(changes))
	// Every SLO of the service, due or not: one due already may have
	// been evaluated on the intervals without t, and left to a tick that
	// comes an interval later, or never if the evaluation found nothing
	// to watch. (LEAST ignores NULL.)
	w.Queue(`UPDATE sla.slos SET evaluate_at = LEAST(evaluate_at, $2) WHERE service_id = $1`,
		ev.ServiceID, now).Exec(func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() > 0 {
			res.Due = true
		}
		return nil
	})
	return tx.SendBatch(ctx, w).Close()
}

// spliceReads is what a transition is spliced into: whether its version
// is known already, the interval before it, and the later intervals it
// changes.
type spliceReads struct {
	known bool
	prev  *domain.Interval
	after []domain.Interval
}

// queueSpliceReads queues the reads of what t is spliced into. The later
// intervals it changes are those starting before it (a clock that went
// backwards; usually none), counting from the later of its time and its
// predecessor's start, and the first one, which t ends.
func queueSpliceReads(b *pgx.Batch, serviceID string, t domain.Transition) *spliceReads {
	sp := &spliceReads{}
	b.Queue(`SELECT EXISTS (SELECT 1 FROM sla.intervals WHERE service_id = $1 AND version = $2)`,
		serviceID, t.Version).QueryRow(func(row pgx.Row) error { return row.Scan(&sp.known) })
	b.Queue(`SELECT `+intervalColumns+` FROM sla.intervals
		WHERE service_id = $1 AND version < $2 ORDER BY version DESC LIMIT 1`, serviceID, t.Version).QueryRow(func(row pgx.Row) error {
		p, err := scanInterval(row)
		switch {
		case err == nil:
			sp.prev = &p
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		return nil
	})
	b.Queue(`WITH prev AS (SELECT start FROM sla.intervals WHERE service_id = $1 AND version < $2 ORDER BY version DESC LIMIT 1)
		SELECT `+intervalColumns+` FROM sla.intervals
		WHERE service_id = $1 AND version > $2
		  AND (start < GREATEST($3, COALESCE((SELECT start FROM prev), $3))
		       OR version = (SELECT min(version) FROM sla.intervals WHERE service_id = $1 AND version > $2))
		ORDER BY version`, serviceID, t.Version, t.At).Query(func(rows pgx.Rows) error {
		var err error
		sp.after, err = collectIntervals(rows)
		return err
	})
	return sp
}

// queueIntervalWrites queues the inserts and updates of spliced intervals.
func queueIntervalWrites(b *pgx.Batch, serviceID string, changes []domain.Change) {
	for _, c := range changes {
		var ends *time.Time
		if !c.New.Open {
			ends = &c.New.End
		}
		if c.Old == nil {
			b.Queue(`INSERT INTO sla.intervals (service_id, version, status, at, start, ends)
				VALUES ($1, $2, $3, $4, $5, $6)`, serviceID, c.New.Version, string(c.New.Status), c.New.At, c.New.Start, ends)
		} else {
			b.Queue(`UPDATE sla.intervals SET start = $3, ends = $4 WHERE service_id = $1 AND version = $2`,
				serviceID, c.New.Version, c.New.Start, ends)
		}
	}
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

// queueBuckets queues adding deltas to the service's hourly buckets, in
// one statement.
func queueBuckets(b *pgx.Batch, serviceID string, deltas map[time.Time]domain.Figures) {
	if len(deltas) == 0 {
		return
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
	b.Queue(`INSERT INTO sla.buckets AS b (service_id, hour, operational_us, degraded_us, down_us, maintenance_us, outages)
		SELECT $1, * FROM unnest($2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
		ON CONFLICT (service_id, hour) DO UPDATE SET
			operational_us = b.operational_us + EXCLUDED.operational_us,
			degraded_us = b.degraded_us + EXCLUDED.degraded_us,
			down_us = b.down_us + EXCLUDED.down_us,
			maintenance_us = b.maintenance_us + EXCLUDED.maintenance_us,
			outages = b.outages + EXCLUDED.outages`, serviceID, hours, op, dg, dn, mt, out)
}
