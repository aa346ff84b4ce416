package consumer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/sla/internal/consumer"
	"github.com/upstatehq/upstate/services/sla/internal/domain"
	"github.com/upstatehq/upstate/services/sla/internal/store"
	"github.com/upstatehq/upstate/services/sla/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const waitFor = 10 * time.Second

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

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
		Type: string(m.ProtoReflect().Descriptor().FullName()), Source: "upstate/status", Time: t0, Data: data,
	}
}

func changed(v int64, s statusv1.Status, at time.Time) *statusv1.StatusChanged {
	return &statusv1.StatusChanged{OrgId: "org_a", ServiceId: "svc_1", ServiceName: "API", Status: s, Version: v, ChangedAt: timestamppb.New(at)}
}

// A service's events published out of order and twice, with an edit, an
// event of a type the SLA service does not know and one that cannot be
// decoded among them, give the intervals of the events in order; only the
// undecodable one is dead-lettered.
func TestConsumerAppliesOutOfOrderAndDeadLettersGarbage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.New(servicetest.Postgres(t, migrations.Schema, migrations.FS))
	_, js := servicetest.NATS(t)
	c, err := consumer.Start(ctx, js, st, func() {}, clockwork.NewFakeClockAt(t0), nil, logging.Discard(), consumer.Config{MaxDeliver: 1})
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

	svc := &statusv1.Service{Id: "svc_1", OrgId: "org_a", Name: "API", Status: statusv1.Status_STATUS_OPERATIONAL,
		Version: 1, CreatedAt: timestamppb.New(t0)}
	renamed := proto.CloneOf(svc)
	renamed.Name, renamed.Version = "Public API", 3
	garbage := statusEvent(t, 9, changed(9, statusv1.Status_STATUS_DOWN, t0))
	garbage.Data, garbage.ID = []byte{0xff, 0xff, 0xff}, "garbage"
	unknown := statusEvent(t, 10, &statusv1.Service{})
	unknown.Type, unknown.ID = "upstate.status.v1.SomethingNew", "unknown"
	recovered := changed(4, statusv1.Status_STATUS_OPERATIONAL, t0.Add(2*time.Hour))
	recovered.ServiceName = "Public API"
	events := []bus.Event{
		statusEvent(t, 4, recovered),
		statusEvent(t, 2, changed(2, statusv1.Status_STATUS_DOWN, t0.Add(time.Hour))),
		garbage, unknown,
		statusEvent(t, 3, &statusv1.ServiceUpdated{Service: renamed}),
		statusEvent(t, 1, &statusv1.ServiceCreated{Service: svc}),
	}
	if err := bus.PublishOrdered(ctx, js, events); err != nil {
		t.Fatal(err)
	}
	// The stream drops a copy under the same id; a republished copy under
	// another id (a relay that published twice, long apart) is a duplicate
	// the store drops.
	again := statusEvent(t, 2, changed(2, statusv1.Status_STATUS_DOWN, t0.Add(time.Hour)))
	again.ID = "svc_1:2:again"
	if err := bus.Publish(ctx, js, again); err != nil {
		t.Fatal(err)
	}

	now := t0.Add(3 * time.Hour)
	want := domain.Figures{Operational: 2 * time.Hour, Down: time.Hour, Outages: 1}
	testenv.Eventually(t, waitFor, func() error {
		figs, _, err := st.Measure(ctx, "svc_1", []domain.Span{{From: t0.Add(-time.Hour), To: now}}, now, true)
		if err != nil {
			return err
		}
		if figs[0] != want {
			return fmt.Errorf("figures %+v, want %+v", figs[0], want)
		}
		return nil
	})
	svcInfo, err := st.Service(ctx, "org_a", "svc_1")
	if err != nil || svcInfo.Name != "Public API" {
		t.Fatalf("service = %+v, %v", svcInfo, err)
	}
	testenv.Eventually(t, waitFor, func() error {
		dlq, err := js.Stream(ctx, bus.StreamDLQ)
		if err != nil {
			return err
		}
		info, err := dlq.Info(ctx)
		if err != nil {
			return err
		}
		if info.State.Msgs != 1 {
			return fmt.Errorf("%d dead letters, want the undecodable event", info.State.Msgs)
		}
		return nil
	})
}
