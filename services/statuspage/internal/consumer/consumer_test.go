package consumer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
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
	"github.com/upstatehq/upstate/services/statuspage/internal/consumer"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
	"github.com/upstatehq/upstate/services/statuspage/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const waitFor = 10 * time.Second

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// event is m as its service publishes it on subject, under id.
func event(t *testing.T, subject, id string, m proto.Message) bus.Event {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return bus.Event{Subject: subject, ID: id, Type: string(m.ProtoReflect().Descriptor().FullName()), Source: "upstate/test", Time: t0, Data: data}
}

func statusEvent(t *testing.T, version int64, m proto.Message) bus.Event {
	return event(t, bus.StatusSubject("org_a", "svc_1"), fmt.Sprintf("svc_1:%d", version), m)
}

func changed(v int64, prev, s statusv1.Status, at time.Time, desc string) *statusv1.StatusChanged {
	return &statusv1.StatusChanged{OrgId: "org_a", ServiceId: "svc_1", ServiceName: "API", Previous: prev, Status: s,
		Description: desc, Version: v, ChangedAt: timestamppb.New(at)}
}

func incident(v int64, s incidentsv1.IncidentStatus) *incidentsv1.Incident {
	return &incidentsv1.Incident{Id: "inc_1", OrgId: "org_a", Title: "API errors", Status: s, Severity: statusv1.Severity_SEVERITY_MAJOR,
		ServiceIds: []string{"svc_1"}, CreatedAt: timestamppb.New(t0), UpdatedAt: timestamppb.New(t0.Add(time.Duration(v) * time.Minute)), Version: v,
		Updates: []*incidentsv1.IncidentUpdate{{CreatedAt: timestamppb.New(t0), Status: incidentsv1.IncidentStatus_INCIDENT_STATUS_INVESTIGATING, Message: "Looking"}}}
}

func start(t *testing.T, st *store.Store, queued func()) {
	t.Helper()
	_, js := servicetest.NATS(t)
	c, err := consumer.Start(context.Background(), js, st, consumer.Hooks{Queued: queued}, clockwork.NewFakeClockAt(t0.Add(time.Hour)), nil, logging.Discard(),
		consumer.Config{MaxDeliver: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	publish(t, js)
}

// publish sends svc_1's creation, a change to down and back (out of
// order, the first also duplicated under another id), an edit, an
// incident opened, updated twice (one a duplicate) and resolved, and a
// maintenance window scheduled and cancelled.
func publish(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	svc := &statusv1.Service{Id: "svc_1", OrgId: "org_a", Name: "API", Status: statusv1.Status_STATUS_OPERATIONAL,
		Version: 1, CreatedAt: timestamppb.New(t0), StatusChangedAt: timestamppb.New(t0)}
	renamed := proto.CloneOf(svc)
	renamed.Name, renamed.Version = "Public API", 4
	down := statusEvent(t, 2, changed(2, statusv1.Status_STATUS_OPERATIONAL, statusv1.Status_STATUS_DOWN, t0.Add(time.Minute), "Database unreachable"))
	downAgain := down
	downAgain.ID = "svc_1:2:again"
	incEvent := func(id string, m proto.Message) bus.Event {
		return event(t, bus.IncidentsSubject("org_a", "inc_1"), id, m)
	}
	window := &incidentsv1.Maintenance{Id: "mnt_1", OrgId: "org_a", Title: "Upgrade", ServiceIds: []string{"svc_1"},
		StartsAt: timestamppb.New(t0.Add(48 * time.Hour)), EndsAt: timestamppb.New(t0.Add(49 * time.Hour)),
		Status: incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_SCHEDULED, CreatedAt: timestamppb.New(t0), Version: 1}
	events := []bus.Event{
		statusEvent(t, 1, &statusv1.ServiceCreated{Service: svc}),
		statusEvent(t, 3, changed(3, statusv1.Status_STATUS_DOWN, statusv1.Status_STATUS_OPERATIONAL, t0.Add(2*time.Minute), "")),
		down,
		statusEvent(t, 4, &statusv1.ServiceUpdated{Service: renamed}),
		downAgain,
		incEvent("inc_1:1", &incidentsv1.IncidentOpened{Incident: incident(1, incidentsv1.IncidentStatus_INCIDENT_STATUS_INVESTIGATING)}),
		incEvent("inc_1:3", &incidentsv1.IncidentResolved{Incident: incident(3, incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED)}),
		incEvent("inc_1:2", &incidentsv1.IncidentUpdated{Incident: incident(2, incidentsv1.IncidentStatus_INCIDENT_STATUS_MONITORING)}),
		incEvent("inc_1:2:again", &incidentsv1.IncidentUpdated{Incident: incident(2, incidentsv1.IncidentStatus_INCIDENT_STATUS_MONITORING)}),
		event(t, bus.IncidentsSubject("org_a", "mnt_1"), "mnt_1:1", &incidentsv1.MaintenanceScheduled{Maintenance: window}),
	}
	if err := bus.PublishOrdered(context.Background(), js, events); err != nil {
		t.Fatal(err)
	}
}

// Events out of order and duplicated leave the page showing the newest
// state, a post per status change, the incident at its newest version;
// the subscriber is queued one delivery per change, incident version and
// window event, whatever was redelivered.
func TestConsumersFeedTheReadModelAndQueueOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	st := store.New(pool)
	// The service is known before its events (as a page's creation seeds
	// it from the status service), and the page shows it.
	if err := st.SeedService(ctx, domain.ServiceState{ServiceID: "svc_1", OrgID: "org_a", Name: "API", Status: domain.Operational}, t0); err != nil {
		t.Fatal(err)
	}
	page, err := st.CreatePage(ctx, domain.Page{OrgID: "org_a", Name: "Example", Slug: "example", CreatedAt: t0,
		Components: []domain.Component{{ServiceID: "svc_1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSubscriber(ctx, store.NewSubscriber{Subscriber: domain.Subscriber{PageID: page.ID, Kind: domain.KindWebhook,
		URL: "https://hooks.example.com", CreatedAt: t0}, Secret: "whsec_x", UnsubscribeToken: "u1"}); err != nil {
		t.Fatal(err)
	}
	// An email subscriber who never confirmed hears nothing.
	if _, err := st.CreateSubscriber(ctx, store.NewSubscriber{Subscriber: domain.Subscriber{PageID: page.ID, Kind: domain.KindEmail,
		Email: "a@example.com", CreatedAt: t0}, ConfirmToken: "c2", UnsubscribeToken: "u2"}); err != nil {
		t.Fatal(err)
	}
	start(t, st, func() {})

	testenv.Eventually(t, waitFor, func() error {
		v, err := st.View(ctx, page.ID, t0.Add(-time.Hour))
		if err != nil {
			return err
		}
		c := v.Page.Components[0]
		switch {
		case c.Name != "Public API" || c.Status != domain.Operational:
			return fmt.Errorf("component %+v, want Public API operational", c)
		case len(v.Posts) != 2:
			return fmt.Errorf("%d posts, want 2", len(v.Posts))
		case v.Posts[1].Post(c.Name) != "Public API is down: Database unreachable":
			return fmt.Errorf("first post %q", v.Posts[1].Post(c.Name))
		case len(v.Incidents) != 1 || v.Incidents[0].Status != "resolved" || v.Incidents[0].Version != 3:
			return fmt.Errorf("incidents %+v, want inc_1 resolved at version 3", v.Incidents)
		case len(v.Windows) != 1 || v.Windows[0].Status != "scheduled":
			return fmt.Errorf("windows %+v, want mnt_1 scheduled", v.Windows)
		}
		return nil
	})
	// Two changes, incident versions 1 and 3 (version 2 arrived after 3:
	// overtaken), one window scheduled.
	testenv.Eventually(t, waitFor, func() error {
		n, err := countDeliveries(ctx, pool)
		if err != nil {
			return err
		}
		if n != 5 {
			return fmt.Errorf("%d deliveries queued, want 5", n)
		}
		return nil
	})
}

func countDeliveries(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var n int
	err := pool.QueryRow(ctx, `SELECT count(*) FROM statuspage.deliveries`).Scan(&n)
	return n, err
}
