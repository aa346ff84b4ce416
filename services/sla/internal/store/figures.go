package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/sla/internal/domain"
)

// Measure returns the service's Figures over each span, up to now, and its
// open interval (nil if it has none): whole hours summed from the
// buckets, the pieces at either end and the open interval measured from
// intervals, in three queries whatever the number of spans. With outages
// false, the outages going on at each span's start are not looked up and
// Figures.Outages is not to be used.
func (st *Store) Measure(ctx context.Context, serviceID string, spans []domain.Span, now time.Time, outages bool) ([]domain.Figures, *domain.Interval, error) {
	figs, open, err := measure(ctx, st.pool, serviceID, spans, now, outages)
	if err != nil {
		return nil, nil, fmt.Errorf("measure %s: %w", serviceID, err)
	}
	return figs, open, nil
}

func measure(ctx context.Context, q querier, serviceID string, spans []domain.Span, now time.Time, outages bool) ([]domain.Figures, *domain.Interval, error) {
	plans := make([]domain.Plan, len(spans))
	sums := make([]domain.Summary, len(spans))
	for i, s := range spans {
		plans[i] = domain.PlanSpan(s.Until(now))
	}
	if err := sumHours(ctx, q, serviceID, plans, sums); err != nil {
		return nil, nil, err
	}
	if err := pieces(ctx, q, serviceID, plans, sums, outages); err != nil {
		return nil, nil, err
	}
	open, err := scanInterval(q.QueryRow(ctx, `SELECT `+intervalColumns+` FROM sla.intervals
		WHERE service_id = $1 AND ends IS NULL ORDER BY version DESC LIMIT 1`, serviceID))
	var openp *domain.Interval
	switch {
	case err == nil:
		openp = &open
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, nil, err
	}
	out := make([]domain.Figures, len(plans))
	for i, p := range plans {
		sums[i].Open = openp
		out[i] = p.Figures(sums[i], now)
	}
	return out, openp, nil
}

// sumHours sums the buckets of each plan's whole hours.
func sumHours(ctx context.Context, q querier, serviceID string, plans []domain.Plan, sums []domain.Summary) error {
	var idx []int64
	var lo, hi []time.Time
	for i, p := range plans {
		if !p.Hours.Empty() {
			idx, lo, hi = append(idx, int64(i)), append(lo, p.Hours.From), append(hi, p.Hours.To)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	// One index range scan per span (LATERAL): a join would let the
	// planner compare every bucket with every span.
	rows, err := q.Query(ctx, `SELECT r.i, coalesce(s.op, 0), coalesce(s.dg, 0), coalesce(s.dn, 0), coalesce(s.mt, 0), coalesce(s.out, 0)
		FROM unnest($2::bigint[], $3::timestamptz[], $4::timestamptz[]) AS r(i, lo, hi)
		CROSS JOIN LATERAL (
			SELECT sum(b.operational_us)::bigint AS op, sum(b.degraded_us)::bigint AS dg, sum(b.down_us)::bigint AS dn,
			       sum(b.maintenance_us)::bigint AS mt, sum(b.outages)::bigint AS out
			FROM sla.buckets b WHERE b.service_id = $1 AND b.hour >= r.lo AND b.hour < r.hi
		) s`, serviceID, idx, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var i, op, dg, dn, mt, out int64
		if err := rows.Scan(&i, &op, &dg, &dn, &mt, &out); err != nil {
			return err
		}
		sums[i].Hours = domain.Figures{
			Operational: time.Duration(op) * time.Microsecond, Degraded: time.Duration(dg) * time.Microsecond,
			Down: time.Duration(dn) * time.Microsecond, Maintenance: time.Duration(mt) * time.Microsecond, Outages: out,
		}
	}
	return rows.Err()
}

// pieces reads the closed intervals overlapping each plan's pieces (and
// with outages, those going on at each span's start).
func pieces(ctx context.Context, q querier, serviceID string, plans []domain.Plan, sums []domain.Summary, outages bool) error {
	// Each query span is (plan, piece), piece -1 for the span's start.
	var plan, piece []int64
	var lo, hi []time.Time
	for i, p := range plans {
		for j, s := range p.Pieces {
			plan, piece, lo, hi = append(plan, int64(i)), append(piece, int64(j)), append(lo, s.From), append(hi, s.To)
		}
		sums[i].Pieces = make([][]domain.Interval, len(p.Pieces))
		if outages && !p.Span.Empty() {
			plan, piece, lo, hi = append(plan, int64(i)), append(piece, -1), append(lo, p.Span.From), append(hi, p.Span.From)
		}
	}
	if len(plan) == 0 {
		return nil
	}
	// The intervals overlapping [lo, hi) are those from the latest one
	// starting at or before lo to the last one starting before hi: starts
	// grow with versions. For lo = hi that is the one going on at lo, if
	// it started before.
	rows, err := q.Query(ctx, `SELECT r.plan, r.piece, iv.version, iv.status, iv.at, iv.start, iv.ends
		FROM unnest($2::bigint[], $3::bigint[], $4::timestamptz[], $5::timestamptz[]) AS r(plan, piece, lo, hi)
		CROSS JOIN LATERAL (
			SELECT coalesce(max(start), '-infinity') AS s0 FROM sla.intervals WHERE service_id = $1 AND start <= r.lo
		) f
		CROSS JOIN LATERAL (
			SELECT * FROM sla.intervals i
			WHERE i.service_id = $1 AND i.start >= f.s0 AND i.start < r.hi AND i.ends IS NOT NULL
		) iv`, serviceID, plan, piece, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var i, j int64
		var iv domain.Interval
		var status string
		var ends time.Time
		if err := rows.Scan(&i, &j, &iv.Version, &status, &iv.At, &iv.Start, &ends); err != nil {
			return err
		}
		iv.Status, iv.End = domain.Status(status), ends
		if j < 0 {
			sums[i].AtFrom = append(sums[i].AtFrom, iv)
		} else {
			sums[i].Pieces[j] = append(sums[i].Pieces[j], iv)
		}
	}
	return rows.Err()
}
