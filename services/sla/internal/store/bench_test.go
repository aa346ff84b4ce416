package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/services/sla/internal/domain"
	"github.com/upstatehq/upstate/services/sla/migrations"
)

// The query a status page makes: a service's 90-day uptime and its 90
// daily figures, for a service with 10,000 transitions over the 90 days.
// It reads hourly buckets and a few intervals at the edges, never the
// raw history.
func BenchmarkUptimeAndDaily90d(b *testing.B) {
	st := newStore(b)
	ctx := context.Background()
	now := t0
	r := rand.New(rand.NewPCG(1, 2))
	statuses := []domain.Status{domain.Operational, domain.Down, domain.Operational, domain.Degraded}
	step := 90 * 24 * time.Hour / 10_000
	var batch []domain.ServiceEvent
	for i := range 10_000 {
		at := now.Add(-90*24*time.Hour + time.Duration(i)*step + time.Duration(r.IntN(int(step/2))))
		batch = append(batch, change("svc_bench", int64(i+1), statuses[i%len(statuses)], at))
		if len(batch) == 500 {
			apply(b, st, now, batch...)
			batch = batch[:0]
		}
	}
	apply(b, st, now, batch...)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	window := []domain.Span{{From: now.Add(-90 * 24 * time.Hour), To: now}}
	days := domain.Days(berlin, 90, now)
	spans := make([]domain.Span, len(days))
	for i, d := range days {
		spans[i] = d.Span
	}
	b.Run("window", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := st.Measure(ctx, "svc_bench", window, now, true); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("daily", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := st.Measure(ctx, "svc_bench", spans, now, false); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkApply applies status changes of 50 services in batches of 64,
// as the STATUS consumer does with a backlog, against the baseline of a
// one-row insert transaction per event; events/s is the figure.
func BenchmarkApply(b *testing.B) {
	b.Run("baseline=insert-tx", func(b *testing.B) {
		pool := servicetest.Postgres(b, migrations.Schema, migrations.FS)
		ctx := context.Background()
		if _, err := pool.Exec(ctx, `CREATE TABLE bench_rows (n bigint)`); err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO bench_rows VALUES ($1)`, i)
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("batch=64", func(b *testing.B) {
		st := newStore(b)
		statuses := []domain.Status{domain.Down, domain.Operational}
		n := 0
		for b.Loop() {
			batch := make([]domain.ServiceEvent, 64)
			for i := range batch {
				v := int64(n/50 + 1)
				batch[i] = change(fmt.Sprintf("svc_%d", n%50), v, statuses[v%2], t0.Add(time.Duration(v)*time.Second))
				n++
			}
			apply(b, st, t0, batch...)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	})
}
