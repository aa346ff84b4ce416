package consumer_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/alerting/internal/consumer"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
	"github.com/upstatehq/upstate/services/alerting/internal/events"
	"github.com/upstatehq/upstate/services/alerting/internal/store"
	"github.com/upstatehq/upstate/services/alerting/migrations"
)

// slo is the SLO an event of the SLA service carries, at version v.
func slo(v int64) *slav1.SLO {
	return &slav1.SLO{Id: "slo_1", OrgId: "org_a", ServiceId: "svc_1", Name: "availability", Target: 0.999, Window: "30d", Version: v}
}

// An SLOBurning event raises the alert of a rule that includes SLO events
// on a service whose status alone would not; SLOExhausted changes nothing,
// an older SLOBurnStopped arriving late is ignored, and the newer one
// resolves the alert. A rule without SLO events raises nothing.
func TestSLOEventsRaiseAndResolveAlerts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var n atomic.Int64
	pool := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	st := store.New(pool, events.Announcer{}, func(p string) string { return fmt.Sprintf("%s_%d", p, n.Add(1)) })
	_, js := servicetest.NATS(t)
	clock := clockwork.NewFakeClockAt(t0.Add(10 * time.Minute))
	d := consumer.Deps{Store: st, Changed: func() {}, Clock: clock, Logger: logging.Discard()}
	for _, start := range []func(context.Context, jetstream.JetStream, consumer.Deps, consumer.Config) (*consumer.Consumer, error){
		consumer.StartStatus, consumer.StartSLO,
	} {
		c, err := start(ctx, js, d, consumer.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Stop(context.Background()) })
	}
	for i, include := range []bool{true, false} {
		spec := domain.DefaultSpec()
		spec.Name, spec.Selector, spec.Statuses, spec.IncludeSLOEvents = fmt.Sprintf("rule %d", i),
			domain.Selector{ServiceIDs: []string{"svc_1"}}, []domain.Status{domain.Down}, include
		rule := domain.Rule{ID: fmt.Sprintf("rul_%d", i), OrgID: "org_a", Spec: spec, CreatedAt: t0, UpdatedAt: t0, Version: 1}
		if err := st.CreateRule(ctx, rule); err != nil {
			t.Fatal(err)
		}
	}

	// The service is degraded: not one of the rules' statuses.
	created := &statusv1.ServiceCreated{Service: &statusv1.Service{Id: "svc_1", OrgId: "org_a", Name: "Checkout",
		Status: statusv1.Status_STATUS_DEGRADED, StatusChangedAt: timestamppb.New(t0), UpdatedAt: timestamppb.New(t0), Version: 1, StatusVersion: 1}}
	if err := bus.Publish(ctx, js, event(t, bus.StatusSubject("org_a", "svc_1"), "svc_1:1", created)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		var known int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM alerting.services WHERE id = 'svc_1' AND name = 'Checkout'`).Scan(&known)
		if err != nil || known != 1 {
			return fmt.Errorf("service not applied yet (%v)", err)
		}
		return nil
	})

	burning := t0.Add(5 * time.Minute)
	sla := bus.SLASubject("org_a", "slo_1")
	publish := func(id string, e bus.Event) {
		t.Helper()
		e.ID = id
		if err := bus.Publish(ctx, js, e); err != nil {
			t.Fatal(err)
		}
	}
	publish("slo_1:2", event(t, sla, "", &slav1.SLOBurning{Slo: slo(2), At: timestamppb.New(burning)}))
	publish("slo_1:3", event(t, sla, "", &slav1.SLOExhausted{Slo: slo(3), At: timestamppb.New(burning.Add(time.Minute))}))
	publish("slo_1:1", event(t, sla, "", &slav1.SLOBurnStopped{Slo: slo(1), At: timestamppb.New(t0)}))
	open := func() ([]domain.Alert, error) {
		list, err := st.ListAlerts(ctx, "org_a", store.AlertFilter{}, 10, clock.Now())
		if err != nil {
			return nil, err
		}
		var out []domain.Alert
		for _, a := range list {
			if a.Open() {
				out = append(out, a)
			}
		}
		return out, nil
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		list, err := open()
		if err != nil {
			return err
		}
		if len(list) != 1 || list[0].RuleID != "rul_0" || list[0].State != domain.Firing || !list[0].ActiveSince.Equal(burning) {
			return fmt.Errorf("open alerts %+v", list)
		}
		return nil
	})

	publish("slo_1:4", event(t, sla, "", &slav1.SLOBurnStopped{Slo: slo(4), At: timestamppb.New(burning.Add(20 * time.Minute))}))
	testenv.Eventually(t, 10*time.Second, func() error {
		list, err := open()
		if err != nil || len(list) != 0 {
			return fmt.Errorf("open alerts %+v (%v)", list, err)
		}
		return nil
	})
}
