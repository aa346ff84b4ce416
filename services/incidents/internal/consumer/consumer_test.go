package consumer_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/consumer"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
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

// start runs the consumer with cfg on a database of its own and a real
// JetStream, and returns its store, the JetStream and the database's DSN.
func start(t *testing.T, cfg consumer.Config) (*store.Store, jetstream.JetStream, string) {
	t.Helper()
	ctx := context.Background()
	dsn := testenv.NewDatabase(t)
	pool := testenv.NewPool(t, dsn)
	if err := pgdb.Migrate(ctx, pool, migrations.Schema, migrations.FS); err != nil {
		t.Fatal(err)
	}
	st := store.New(pool)
	_, js := servicetest.NATS(t)
	c, err := consumer.Start(ctx, js, st, func() {}, nil, logging.Discard(), cfg)
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
	return st, js, dsn
}

func deadLetters(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	dlq, err := js.Stream(context.Background(), bus.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	info, err := dlq.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// The STATUS stream carries a service's creation, edits and deletion
// besides its status changes, all on the service's subject and sharing its
// versions. The consumer applies the status changes and acknowledges the
// others: none is dead-lettered, a status change at a version after an
// edit still opens the receiver's incident, and the deletion resolves it.
func TestConsumerAppliesStatusChangesAndAcknowledgesOtherEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, js, _ := start(t, consumer.Config{})

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
	if err := bus.PublishOrdered(ctx, js, events); err != nil {
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
	if n := deadLetters(t, js); n != 0 {
		t.Errorf("%d events dead-lettered", n)
	}
	// Opened by the change, resolved by the deletion.
	list, err := st.ListIncidents(ctx, "org_a", store.IncidentFilter{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ReceiverID != "whr_1" || len(list[0].ServiceIDs) != 1 || list[0].ServiceIDs[0] != "svc_1" {
		t.Fatalf("incidents = %+v, want the receiver's for svc_1", list)
	}
	if last := list[0].Updates[len(list[0].Updates)-1]; list[0].Status != domain.Resolved || last.Message != "Public API was deleted." {
		t.Fatalf("incident %s, last entry %+v; want resolved by the deletion", list[0].Status, last)
	}
}

// Status changes that arrive while the database is down open their
// incidents once it is back, however long the outage outlasts the
// consumer's limit of failures: none is dead-lettered, while an event that
// cannot be read still is.
func TestConsumerWaitsOutADatabaseOutage(t *testing.T) {
	t.Parallel()
	const maxDeliver = 3
	ctx := context.Background()
	var tries atomic.Int64
	st, js, dsn := start(t, consumer.Config{
		MaxDeliver: maxDeliver,
		TransientBackoff: func(int) time.Duration {
			tries.Add(1)
			return 20 * time.Millisecond
		},
	})

	restore := testenv.RefuseConnections(t, dsn)
	var events []bus.Event
	for i := range 3 {
		svc := fmt.Sprintf("svc_%d", i)
		ev := statusEvent(t, 2, &statusv1.StatusChanged{
			OrgId: "org_a", ServiceId: svc, ServiceName: "API " + svc, Previous: statusv1.Status_STATUS_OPERATIONAL,
			Status: statusv1.Status_STATUS_DOWN, Source: statusv1.Source_SOURCE_WEBHOOK, Actor: "whr_1",
			Version: 2, ChangedAt: timestamppb.Now(), ReceiverId: "whr_1",
			AutoIncident: &statusv1.AutoIncident{Enabled: true, Severity: statusv1.Severity_SEVERITY_MAJOR},
		})
		ev.Subject, ev.ID = bus.StatusSubject("org_a", svc), svc+":2"
		events = append(events, ev)
	}
	if err := bus.PublishOrdered(ctx, js, events); err != nil {
		t.Fatal(err)
	}
	poison := bus.NewMsg(context.Background(), statusEvent(t, 3, &statusv1.StatusChanged{}))
	poison.Data = []byte("not protobuf \xff\xff")
	if _, err := js.PublishMsg(ctx, poison); err != nil {
		t.Fatal(err)
	}
	// The events have failed three times the limit, each.
	testenv.Eventually(t, waitFor, func() error {
		if n := tries.Load(); n < maxDeliver*3 {
			return fmt.Errorf("%d tries during the outage", n)
		}
		return nil
	})
	if n := deadLetters(t, js); n != 0 {
		t.Fatalf("%d dead letters during the outage, want none", n)
	}

	restore()
	open := true
	testenv.Eventually(t, waitFor, func() error {
		list, err := st.ListIncidents(ctx, "org_a", store.IncidentFilter{Open: &open}, 10)
		if err != nil {
			return err
		}
		if len(list) != len(events) {
			return fmt.Errorf("%d open incidents, want one per service", len(list))
		}
		return nil
	})
	testenv.Eventually(t, waitFor, func() error {
		if n := deadLetters(t, js); n != 1 {
			return fmt.Errorf("%d dead letters, want the unreadable event alone", n)
		}
		return nil
	})
}
