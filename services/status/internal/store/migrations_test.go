package store_test

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/events"
	"github.com/upstatehq/upstate/services/status/internal/store"
	"github.com/upstatehq/upstate/services/status/migrations"
)

// A database migrated before the newest applied deliveries had their own
// table starts them from what its delivery logs still hold, so an older
// delivery arriving after the upgrade is not applied either.
func TestAppliedDeliveriesStartFromTheLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.NewPool(t, testenv.NewDatabase(t))
	before := fstest.MapFS{}
	// Today's store writes the tags column (0005) to make the services,
	// and the outbox's trace columns (0006) with their events.
	for _, name := range []string{"0001_services.sql", "0002_receivers.sql", "0003_event_versions.sql", "0005_service_tags.sql", "0006_outbox_trace.sql"} {
		data, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		before[name] = &fstest.MapFile{Data: data}
	}
	if err := pgdb.Migrate(ctx, pool, migrations.Schema, before); err != nil {
		t.Fatal(err)
	}
	st := store.New(pool)
	api := newService(t, st, "org_a", "API")
	billing := newService(t, st, "org_a", "Billing")
	gone := newService(t, st, "org_a", "Gone")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "Monitor", Enabled: true, ServiceNameField: "service"})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, d := range []struct {
		id, result, serviceID string
		at                    time.Time
	}{
		{"dlv_1", "processed", api.ID, t0},
		{"dlv_2", "processed", api.ID, t0.Add(time.Second)}, // the newest applied to API
		{"dlv_3", "ignored", api.ID, t0.Add(2 * time.Second)},
		{"dlv_4", "processed", billing.ID, t0},
		{"dlv_5", "processed", gone.ID, t0},
	} {
		if _, err := pool.Exec(ctx, `INSERT INTO status.deliveries (id, receiver_id, org_id, received_at, result, service_id)
			VALUES ($1, $2, 'org_a', $3, $4, $5)`, d.id, r.ID, d.at, d.result, d.serviceID); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.DeleteService(ctx, "org_a", gone.ID, t0, events.ServiceDeleted); err != nil {
		t.Fatal(err)
	}

	if err := pgdb.Migrate(ctx, pool, migrations.Schema, migrations.FS); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT service_id, delivery_id FROM status.applied_deliveries WHERE receiver_id = $1`, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var svc, id string
		if err := rows.Scan(&svc, &id); err != nil {
			t.Fatal(err)
		}
		got[svc] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[api.ID] != "dlv_2" || got[billing.ID] != "dlv_4" {
		t.Fatalf("applied deliveries = %v, want dlv_2 for API and dlv_4 for Billing", got)
	}

	late := ingest(r, domain.Down, "")
	late.ServiceName, late.ReceivedAt = api.Name, t0.Add(time.Second/2)
	if res := apply(t, st, late); res.Change != nil || res.Delivery.Result != domain.Ignored {
		t.Fatalf("delivery older than the newest applied: %+v", res)
	}
}
