package store_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
	"github.com/upstatehq/upstate/services/incidents/internal/events"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
)

// relayed takes every event out of the outbox, oldest first, as the relay
// does.
func relayed(t *testing.T, st *store.Store) []bus.Event {
	t.Helper()
	var out []bus.Event
	if _, err := st.Outbox.RelayBatch(context.Background(), 100, func(_ context.Context, evs []bus.Event) error {
		out = append(out, evs...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCreateMaintenanceWritesMaintenanceScheduled(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	ctx := context.Background()
	n := domain.NewMaintenance{Title: "Database upgrade", ServiceIDs: []string{"svc_1"}, StartsAt: t0.Add(time.Hour), EndsAt: t0.Add(2 * time.Hour)}
	if err := n.Validate(t0); err != nil {
		t.Fatal(err)
	}
	m := n.Schedule(ids.New(ids.Maintenance), "org_a", t0)
	if err := st.CreateMaintenance(ctx, m, events.MaintenanceScheduled); err != nil {
		t.Fatal(err)
	}
	if got := count(`SELECT count(*) FROM incidents.maintenances`); got != 1 {
		t.Fatalf("%d windows stored", got)
	}
	evs := relayed(t, st)
	if len(evs) != 1 || evs[0].Type != events.TypeMaintenanceScheduled || evs[0].Subject != bus.IncidentsSubject("org_a", m.ID) ||
		evs[0].ID != m.ID+":1" || !evs[0].Time.Equal(t0) {
		t.Fatalf("events = %+v, want one MaintenanceScheduled %s:1", evs, m.ID)
	}
	var ev incidentsv1.MaintenanceScheduled
	if err := proto.Unmarshal(evs[0].Data, &ev); err != nil {
		t.Fatal(err)
	}
	if got := ev.GetMaintenance(); got.GetId() != m.ID || got.GetStatus() != incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_SCHEDULED ||
		got.GetTitle() != "Database upgrade" || !got.GetStartsAt().AsTime().Equal(t0.Add(time.Hour)) || got.GetVersion() != 1 {
		t.Fatalf("MaintenanceScheduled = %v", &ev)
	}

	// A window that could not be stored announces nothing.
	if err := st.CreateMaintenance(ctx, m, events.MaintenanceScheduled); err == nil {
		t.Fatal("the same window stored twice")
	}
	if evs := relayed(t, st); len(evs) != 0 {
		t.Fatalf("a failed create wrote %+v", evs)
	}
}
