package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
	"github.com/upstatehq/upstate/services/statuspage/migrations"
)

// Replicas apply batches of the same incidents at once, in any order, on
// pages they share: no batch is ever picked as a deadlock victim (which
// failed whole batches, then applied their events one by one). Postgres
// counts the deadlocks it broke; the count is read once the connections
// that may have had one have exited.
func TestConcurrentBatchesDoNotDeadlock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	st := store.New(pool)
	for _, id := range []string{"svc_a", "svc_b", "svc_c", "svc_d"} {
		if err := st.SeedService(ctx, domain.ServiceState{ServiceID: id, OrgID: "org_1", Name: id, Status: domain.Operational, Version: 1}, t0); err != nil {
			t.Fatal(err)
		}
	}
	for i, svcs := range [][]string{{"svc_a", "svc_b"}, {"svc_c", "svc_d"}, {"svc_b", "svc_c"}} {
		var cs []domain.Component
		for _, s := range svcs {
			cs = append(cs, domain.Component{ServiceID: s})
		}
		if _, err := st.CreatePage(ctx, domain.Page{OrgID: "org_1", Name: "Page", Slug: fmt.Sprintf("page-%d", i), CreatedAt: t0, Components: cs}); err != nil {
			t.Fatal(err)
		}
	}
	services := [][]string{{"svc_a", "svc_d"}, {"svc_b"}, {"svc_c", "svc_a"}, {"svc_d", "svc_b"}}
	batch := func(version int64) []domain.IncidentEvent {
		var evs []domain.IncidentEvent
		for i := range 16 {
			evs = append(evs, domain.IncidentEvent{Incident: domain.Incident{
				ID: fmt.Sprintf("inc_%02d", i), OrgID: "org_1", Title: "Down", Status: "investigating", Severity: "major",
				ServiceIDs: services[i%len(services)], CreatedAt: t0, UpdatedAt: t0.Add(time.Duration(version) * time.Second), Version: version,
			}})
		}
		return evs
	}
	for v := int64(1); v <= 20; v++ {
		forward := batch(v)
		backward := slices.Clone(forward)
		slices.Reverse(backward)
		var wg sync.WaitGroup
		for _, evs := range [][]domain.IncidentEvent{forward, backward, batch(v + 100)} {
			wg.Go(func() {
				if _, err := st.ApplyIncidents(ctx, t0, evs, nil); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}

	dsn := pool.Config().ConnString()
	pool.Close()
	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	testenv.Eventually(t, 10*time.Second, func() error {
		var others int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&others); err != nil {
			return err
		}
		if others > 0 {
			return fmt.Errorf("%d connections of the test still open", others)
		}
		return nil
	})
	var deadlocks int64
	if err := admin.QueryRow(ctx, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&deadlocks); err != nil {
		t.Fatal(err)
	}
	if deadlocks != 0 {
		t.Fatalf("Postgres broke %d deadlocks between the batches", deadlocks)
	}
}
