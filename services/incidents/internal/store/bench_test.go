package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
	"github.com/upstatehq/upstate/services/incidents/internal/events"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
	"github.com/upstatehq/upstate/services/incidents/migrations"
)

// BenchmarkApplyStatusChange measures how fast the STATUS consumer's
// transaction applies events (what bounds catching up after an outage),
// against a baseline of a one-row insert transaction on the same database.
// Compare ns/op: the ratio, not the absolute figure, carries over to other
// machines (the test database does not fsync).
func BenchmarkApplyStatusChange(b *testing.B) {
	pool := testenv.NewPool(b, testenv.NewDatabase(b))
	ctx := context.Background()
	if err := pgdb.Migrate(ctx, pool, migrations.Schema, migrations.FS); err != nil {
		b.Fatal(err)
	}
	st := store.New(pool)
	newID := func() string { return ids.New(ids.Incident) }

	b.Run("baseline=insert-tx", func(b *testing.B) {
		if _, err := pool.Exec(ctx, `CREATE TABLE bench_rows (n bigint)`); err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			tx, err := pool.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO bench_rows VALUES ($1)`, i); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A receiver flapping: every event opens or resolves an incident.
	b.Run("receiver-open-resolve", func(b *testing.B) {
		statuses := []domain.ServiceStatus{domain.StatusDown, domain.StatusOperational}
		for i := 1; b.Loop(); i++ {
			c := domain.StatusChange{OrgID: "org_b", ServiceID: "svc_flap", ServiceName: "Flap", Status: statuses[i%2],
				Version: int64(i), ChangedAt: time.Now(), ReceiverID: "whr_b", AutoIncident: true, Severity: domain.Major}
			if _, err := st.ApplyStatusChange(ctx, c, newID, events.IncidentChanged); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A stale copy: dropped by the version check.
	b.Run("duplicate", func(b *testing.B) {
		c := domain.StatusChange{OrgID: "org_b", ServiceID: "svc_dup", ServiceName: "Dup", Status: domain.StatusDown,
			Version: 1, ChangedAt: time.Now(), ReceiverID: "whr_b", AutoIncident: true}
		if _, err := st.ApplyStatusChange(ctx, c, newID, events.IncidentChanged); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if res, err := st.ApplyStatusChange(ctx, c, newID, events.IncidentChanged); err != nil || !res.Stale {
				b.Fatal(fmt.Sprint(res, err))
			}
		}
	})
}
