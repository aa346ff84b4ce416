package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
	"github.com/upstatehq/upstate/services/alerting/internal/store"
	"github.com/upstatehq/upstate/services/alerting/migrations"
)

// BenchmarkApplyStatusEvent applies one status change of one of 1,000
// services per operation, in an organisation with 10 rules and with
// 1,000: two rules select every service (by tag), the others other
// services (half by id, half by another team's tag). An event costs what
// the rules selecting its service cost, not what the organisation's
// rules do, so the two cost about the same.
func BenchmarkApplyStatusEvent(b *testing.B) {
	// The baseline: a one-row insert transaction on the same database.
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
	})
	for _, rules := range []int{10, 1000} {
		b.Run(fmt.Sprintf("rules=%d", rules), func(b *testing.B) {
			ctx := context.Background()
			st := newStore(b)
			for i := range rules {
				spec := domain.DefaultSpec()
				spec.Name, spec.For = fmt.Sprintf("rule %d", i), time.Hour
				switch {
				case i == 0:
					spec.Selector = domain.Selector{Tags: map[string]string{"team": "payments"}}
				case i == 1:
					spec.Selector = domain.Selector{Tags: map[string]string{"tier": "1"}}
				case i%2 == 0:
					spec.Selector = domain.Selector{ServiceIDs: []string{fmt.Sprintf("svc_other_%d", i)}}
				default:
					spec.Selector = domain.Selector{Tags: map[string]string{"team": fmt.Sprintf("team_%d", i)}}
				}
				if err := st.CreateRule(ctx, domain.Rule{ID: fmt.Sprintf("rul_%d", i), OrgID: "org_a", Spec: spec, CreatedAt: t0, UpdatedAt: t0, Version: 1}); err != nil {
					b.Fatal(err)
				}
			}
			versions := map[int]int64{}
			event := func(svc int, now time.Duration) store.ServiceEvent {
				v := versions[svc] + 1
				versions[svc] = v
				status, prev := domain.Down, domain.Operational
				if v%2 == 1 {
					status, prev = domain.Operational, domain.Down
				}
				kind := domain.Changed
				if v == 1 {
					kind = domain.Created
				}
				return store.ServiceEvent{OrgID: "org_a", ServiceID: fmt.Sprintf("svc_%d", svc), Version: v, Name: "S",
					Tags:    map[string]string{"team": "payments", "tier": "1"},
					Entries: []domain.Change{{Version: v, Kind: kind, Status: status, Previous: prev, At: at(now)}}}
			}
			for svc := range 1000 {
				if _, err := st.ApplyServiceEvents(ctx, []store.ServiceEvent{event(svc, 0)}, t0); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				now := time.Duration(i+1) * time.Millisecond
				if _, err := st.ApplyServiceEvents(ctx, []store.ServiceEvent{event(i%1000, now)}, at(now)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
