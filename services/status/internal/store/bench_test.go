package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/events"
)

// BenchmarkApplyIngest applies webhook deliveries that each change their
// service (50 services, one receiver each, alternating down and
// operational), in batches of 1, 64 and 256, against the baseline of one
// raw outbox-shaped transaction per change (lock a row, update it, insert
// a row). deliveries/s is the figure; the harness's Postgres does not
// fsync, so the gain of batching under a durable Postgres, where each
// commit waits for the disk, is larger than it shows here.
func BenchmarkApplyIngest(b *testing.B) {
	ctx := context.Background()
	b.Run("baseline=outbox-tx", func(b *testing.B) {
		pool := testenv.NewPool(b, testenv.NewDatabase(b))
		if _, err := pool.Exec(ctx, `CREATE TABLE bench_rows (id int PRIMARY KEY, n bigint);
			CREATE TABLE bench_log (n bigint); INSERT INTO bench_rows VALUES (1, 0)`); err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			tx, err := pool.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, q := range []string{`SELECT n FROM bench_rows WHERE id = 1 FOR UPDATE`,
				`UPDATE bench_rows SET n = n + 1 WHERE id = 1`, `INSERT INTO bench_log VALUES (1)`} {
				if _, err := tx.Exec(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	})
	for _, size := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			st, _ := newStore(b)
			var recvs []domain.Receiver
			for i := range 50 {
				svc := newService(b, st, "org_a", fmt.Sprintf("svc-%d", i))
				r, _ := newReceiver(b, st, "org_a", domain.ReceiverSpec{Name: svc.Name, Enabled: true, ServiceID: svc.ID})
				recvs = append(recvs, r)
			}
			statuses := []domain.Status{domain.Down, domain.Operational}
			n := 0
			for b.Loop() {
				batch := make([]domain.Ingest, size)
				for i := range batch {
					r := n % len(recvs)
					batch[i] = ingest(recvs[r], statuses[(n/len(recvs))%2], "")
					n++
				}
				if _, err := st.ApplyIngestBatch(ctx, batch, time.Now(), events.StatusChanged); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}
