package deliver_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification"
	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
	"github.com/upstatehq/upstate/services/statuspage/internal/deliver"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
	"github.com/upstatehq/upstate/services/statuspage/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// queue is the delivery queue of a test: the real NOTIFY work queue,
// enqueued to with the notification service's Enqueue (failing the first
// fail hand-offs, as a lost NATS connection would) and read by a consumer
// of the test's in place of the delivery workers.
type queue struct {
	js       jetstream.JetStream
	consumer jetstream.Consumer
	fail     int
}

func newQueue(t *testing.T, fail int) *queue {
	t.Helper()
	_, js := servicetest.NATS(t)
	c, err := js.CreateOrUpdateConsumer(context.Background(), bus.StreamNotify, jetstream.ConsumerConfig{Durable: "test", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	return &queue{js: js, consumer: c, fail: fail}
}

func (q *queue) enqueue(ctx context.Context, n *notificationv1.Notification) error {
	if q.fail > 0 {
		q.fail--
		return errors.New("nats: connection closed")
	}
	_, err := notification.Enqueue(ctx, q.js, n)
	return err
}

// take reads what the queue holds within wait.
func (q *queue) take(t *testing.T, wait time.Duration) []*notificationv1.Notification {
	t.Helper()
	batch, err := q.consumer.Fetch(10, jetstream.FetchMaxWait(wait))
	if err != nil {
		t.Fatal(err)
	}
	var out []*notificationv1.Notification
	for msg := range batch.Messages() {
		var n notificationv1.Notification
		if err := proto.Unmarshal(msg.Data(), &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, &n)
		if err := msg.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// one reads the queue's only notification.
func (q *queue) one(t *testing.T) *notificationv1.Notification {
	t.Helper()
	got := q.take(t, 500*time.Millisecond)
	if len(got) != 1 {
		t.Fatalf("%d notifications enqueued, want 1: %v", len(got), got)
	}
	return got[0]
}

// A status change reaches a webhook subscriber's queue entry as
// Statuspage's component_update, for the subscriber's URL and secret (the
// notification service signs and delivers it); a failed hand-off is
// retried after its delay, and a redelivered event or a handed-over
// delivery is never enqueued again.
func TestComponentUpdateHandedToTheQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	q := newQueue(t, 1)
	st := store.New(servicetest.Postgres(t, migrations.Schema, migrations.FS))
	if err := st.SeedService(ctx, domain.ServiceState{ServiceID: "svc_1", OrgID: "org_a", Name: "API", Status: domain.Operational, Version: 1}, t0); err != nil {
		t.Fatal(err)
	}
	page, err := st.CreatePage(ctx, domain.Page{OrgID: "org_a", Name: "Example", Slug: "example", CreatedAt: t0,
		Components: []domain.Component{{ServiceID: "svc_1", Name: "Public API"}}})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := st.CreateSubscriber(ctx, store.NewSubscriber{Subscriber: domain.Subscriber{PageID: page.ID, Kind: domain.KindWebhook,
		URL: "https://hooks.example.com/status", CreatedAt: t0}, Secret: secret, UnsubscribeToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	change := domain.ServiceEvent{OrgID: "org_a", ServiceID: "svc_1", Version: 2, HasStatus: true, Status: domain.Down, At: t0,
		Post: &domain.Post{ServiceID: "svc_1", Version: 2, At: t0, ServiceName: "API", Previous: domain.Operational, Status: domain.Down}}
	for range 2 { // the event redelivered
		if _, err := st.ApplyServices(ctx, t0, change); err != nil {
			t.Fatal(err)
		}
	}

	clock := clockwork.NewFakeClockAt(t0)
	d := deliver.New(st, q.enqueue, deliver.Config{PublicURL: "https://status.example.com"}, clock, nil, logging.Discard())
	if n, err := d.Once(ctx); err != nil || n != 1 {
		t.Fatalf("first round: %d tried, %v; want 1", n, err)
	}
	if n, err := d.Once(ctx); err != nil || n != 0 {
		t.Fatalf("before the retry delay: %d tried, %v; want 0", n, err)
	}
	clock.Advance(2 * time.Second) // the longest first delay
	if n, err := d.Once(ctx); err != nil || n != 1 {
		t.Fatalf("after the retry delay: %d tried, %v; want 1", n, err)
	}
	clock.Advance(time.Hour)
	if n, err := d.Once(ctx); err != nil || n != 0 {
		t.Fatalf("after the hand-off: %d tried, %v; want 0", n, err)
	}

	n := q.one(t)
	hook := n.GetWebhook()
	if n.GetOrgId() != "org_a" || n.GetSource() != deliver.Source || n.GetContent().GetTitle() != "Example: Public API is major outage" ||
		hook.GetUrl() != "https://hooks.example.com/status" || hook.GetSecret() != secret || !strings.HasPrefix(n.GetIdempotencyKey(), "msg_"+sub.ID+"_") {
		t.Fatalf("notification %v", n)
	}
	var p compat.ComponentPayload
	if err := json.Unmarshal(hook.GetBody(), &p); err != nil {
		t.Fatal(err)
	}
	if p.ComponentUpdate.OldStatus != "operational" || p.ComponentUpdate.NewStatus != "major_outage" || p.Component.Name != "Public API" ||
		p.Page.ID != page.ID || p.Page.StatusIndicator != "critical" || p.Meta.Unsubscribe != "https://status.example.com/status/example/unsubscribe/tok" {
		t.Errorf("payload %+v", p)
	}
	if p.ComponentUpdate.ComponentID != page.Components[0].ID {
		t.Errorf("component_update names %s, want %s", p.ComponentUpdate.ComponentID, page.Components[0].ID)
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	t.Parallel()
	for n, ceiling := range map[int]time.Duration{0: 2 * time.Second, 1: 4 * time.Second, 5: 64 * time.Second, 20: time.Hour} {
		for range 100 {
			if d := deliver.Backoff(n); d < ceiling/2 || d > ceiling {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", n, d, ceiling/2, ceiling)
			}
		}
	}
}
