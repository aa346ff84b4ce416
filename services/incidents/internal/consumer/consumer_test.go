package consumer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/consumer"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
	"github.com/upstatehq/upstate/services/incidents/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const waitFor = 10 * time.Second

// statusEvent is an event of org_a's svc_1 at version, as the status
// service publishes it: its ce-type is the message's full name.
func statusEvent(t *testing.T, version int64, m proto.Message) bus.Event {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return bus.Event{
		Subject: bus.StatusSubject("org_a", "svc_1"), ID: fmt.Sprintf("svc_1:%d", version),
		Type: string(m.ProtoReflect().Descriptor().FullName()), Source: "upstate/status",
		Time: time.Now(), Data: data,
	}
}

// The STATUS stream carries a service's creation, edits and deletion
// besides its status changes, all on the service's subject and sharing its
// versions. The consumer applies the status changes and acknowledges the
// others: none is dead-lettered, and a status change at a version after an
// edit still opens the receiver's incident.
func TestConsumerAppliesStatusChangesAndAcknowledgesOtherEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.NewPool(t, testenv.NewDatabase(t))
	if err := pgdb.Migrate(ctx, pool, migrations.Schema, migrations.FS); err != nil {
		t.Fatal(err)
	}
	st := store.New(pool)
	nc, js, err := bus.Connect(ctx, testenv.StartNATS(t).ClientURL(), t.Name(), logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if err := bus.EnsureStreams(ctx, js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	c, err := consumer.Start(ctx, js, st, func() {}, nil, logging.Discard(), consumer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(ctx, waitFor)
		defer cancel()
		if err := c.Stop(stopCtx); err != nil {
			t.Error(err)
		}
	})

	svc := &statusv1.Service{Id: "svc_1", OrgId: "org_a", Name: "API", Status: statusv1.Status_STATUS_DOWN, Version: 1, StatusVersion: 1}
	renamed := proto.CloneOf(svc)
	renamed.Name, renamed.Version = "Public API", 2
	events := []bus.Event{
		statusEvent(t, 1, &statusv1.ServiceCreated{Service: svc}),
		statusEvent(t, 2, &statusv1.ServiceUpdated{Service: renamed}),
		statusEvent(t, 3, &statusv1.StatusChanged{
			OrgId: "org_a", ServiceId: "svc_1", ServiceName: "Public API", Previous: statusv1.Status_STATUS_DOWN,
			Status: statusv1.Status_STATUS_DEGRADED, Source: statusv1.Source_SOURCE_WEBHOOK, Actor: "whr_1",
			Version: 3, ChangedAt: timestamppb.Now(), ReceiverId: "whr_1",
			AutoIncident: &statusv1.AutoIncident{Enabled: true, Severity: statusv1.Severity_SEVERITY_MAJOR},
		}),
		statusEvent(t, 4, &statusv1.ServiceDeleted{OrgId: "org_a", ServiceId: "svc_1", ServiceName: "Public API", Version: 4, DeletedAt: timestamppb.Now()}),
	}
	if err := bus.PublishBatch(ctx, js, events); err != nil {
		t.Fatal(err)
	}

	testenv.Eventually(t, waitFor, func() error {
		cons, err := js.Consumer(ctx, bus.StreamStatus, consumer.Durable)
		if err != nil {
			return err
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		if info.AckFloor.Stream != uint64(len(events)) || info.NumAckPending != 0 || info.NumRedelivered != 0 {
			return fmt.Errorf("acknowledged up to %d of %d, %d pending, %d redelivered",
				info.AckFloor.Stream, len(events), info.NumAckPending, info.NumRedelivered)
		}
		return nil
	})
	dlq, err := js.Stream(ctx, bus.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	info, err := dlq.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Errorf("%d events dead-lettered", info.State.Msgs)
	}
	open := true
	list, err := st.ListIncidents(ctx, "org_a", store.IncidentFilter{Open: &open}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ReceiverID != "whr_1" || len(list[0].ServiceIDs) != 1 || list[0].ServiceIDs[0] != "svc_1" {
		t.Fatalf("open incidents = %+v, want the receiver's for svc_1", list)
	}
}
