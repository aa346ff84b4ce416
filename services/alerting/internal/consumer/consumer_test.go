package consumer_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/alerting/internal/consumer"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
	"github.com/upstatehq/upstate/services/alerting/internal/events"
	"github.com/upstatehq/upstate/services/alerting/internal/store"
	"github.com/upstatehq/upstate/services/alerting/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// event is an event as its service publishes it: its ce-type is the
// message's full name.
func event(t *testing.T, subject, id string, m proto.Message) bus.Event {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return bus.Event{Subject: subject, ID: id, Type: string(m.ProtoReflect().Descriptor().FullName()), Source: "test", Time: t0, Data: data}
}

func changed(v int64, prev, status statusv1.Status, at time.Duration) *statusv1.StatusChanged {
	return &statusv1.StatusChanged{OrgId: "org_a", ServiceId: "svc_1", ServiceName: "Checkout", Previous: prev, Status: status,
		Version: v, ChangedAt: timestamppb.New(t0.Add(at)), Tags: map[string]string{"team": "payments"}}
}

// Status events delivered twice and out of order, with the service's
// creation and an edit among them, end in the alert state of in-order
// delivery; a maintenance window becomes a silence.
func TestConsumersApplyEventsInAnyOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var n atomic.Int64
	st := store.New(servicetest.Postgres(t, migrations.Schema, migrations.FS), events.Announcer{},
		func(p string) string { return fmt.Sprintf("%s_%d", p, n.Add(1)) })
	_, js := servicetest.NATS(t)
	clock := clockwork.NewFakeClockAt(t0.Add(10 * time.Minute))
	d := consumer.Deps{Store: st, Changed: func() {}, Clock: clock, Logger: logging.Discard()}
	for _, start := range []func(context.Context, jetstream.JetStream, consumer.Deps, consumer.Config) (*consumer.Consumer, error){
		consumer.StartStatus, consumer.StartIncidents,
	} {
		c, err := start(ctx, js, d, consumer.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Stop(context.Background()) })
	}
	spec := domain.DefaultSpec()
	spec.Name, spec.Selector, spec.Statuses, spec.For = "payments", domain.Selector{Tags: map[string]string{"team": "payments"}},
		[]domain.Status{domain.Down, domain.Degraded}, 2*time.Minute
	if err := st.CreateRule(ctx, domain.Rule{ID: "rul_1", OrgID: "org_a", Spec: spec, CreatedAt: t0, UpdatedAt: t0, Version: 1}); err != nil {
		t.Fatal(err)
	}

	subject := bus.StatusSubject("org_a", "svc_1")
	created := &statusv1.ServiceCreated{Service: &statusv1.Service{Id: "svc_1", OrgId: "org_a", Name: "Checkout",
		Status: statusv1.Status_STATUS_OPERATIONAL, StatusChangedAt: timestamppb.New(t0), UpdatedAt: timestamppb.New(t0), Version: 1, StatusVersion: 1}}
	up := statusv1.Status_STATUS_OPERATIONAL
	down, degraded := statusv1.Status_STATUS_DOWN, statusv1.Status_STATUS_DEGRADED
	evs := []bus.Event{
		event(t, subject, "svc_1:1", created),
		event(t, subject, "svc_1:2", changed(2, up, down, time.Minute)),
		event(t, subject, "svc_1:3", changed(3, down, up, 2*time.Minute)),
		event(t, subject, "svc_1:4", changed(4, up, degraded, 3*time.Minute)),
		event(t, subject, "svc_1:5", changed(5, degraded, down, 4*time.Minute)),
	}
	// Reversed, each twice under different message ids (as a relay that
	// republished after the duplicate window would).
	for i := len(evs) - 1; i >= 0; i-- {
		for copy := range 2 {
			e := evs[i]
			e.ID = fmt.Sprintf("%s#%d", e.ID, copy)
			if err := bus.Publish(ctx, js, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		list, err := st.ListAlerts(ctx, "org_a", store.AlertFilter{}, 10, clock.Now())
		if err != nil {
			return err
		}
		var open []domain.Alert
		for _, a := range list {
			if a.Open() {
				open = append(open, a)
			}
		}
		// In order: pending at 1m, resolved at 2m, pending again at 3m
		// (degraded, then down, one run), firing by 5m.
		if len(open) != 1 || !open[0].ActiveSince.Equal(t0.Add(3*time.Minute)) || open[0].State != domain.Firing {
			return fmt.Errorf("open alerts %+v", open)
		}
		return nil
	})

	m := &incidentsv1.Maintenance{Id: "mnt_1", OrgId: "org_a", Title: "DB", ServiceIds: []string{"svc_1"},
		StartsAt: timestamppb.New(t0), EndsAt: timestamppb.New(t0.Add(time.Hour)), Version: 1,
		Status: incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_SCHEDULED}
	if err := bus.Publish(ctx, js, event(t, bus.IncidentsSubject("org_a", "mnt_1"), "mnt_1:1", &incidentsv1.MaintenanceScheduled{Maintenance: m})); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		list, err := st.ListSilences(ctx, "org_a", "", clock.Now(), 10)
		if err != nil || len(list) != 1 || list[0].MaintenanceID != "mnt_1" {
			return fmt.Errorf("active silences %+v, %v", list, err)
		}
		return nil
	})
}
