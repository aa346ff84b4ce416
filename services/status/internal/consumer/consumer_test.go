package consumer_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	ingestv1 "github.com/upstatehq/upstate/proto/gen/upstate/ingest/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/consumer"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/events"
	"github.com/upstatehq/upstate/services/status/internal/store"
	"github.com/upstatehq/upstate/services/status/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const waitFor = 10 * time.Second

// env is the consumer with its store, outbox relay and a real JetStream.
type env struct {
	t   *testing.T
	dsn string
	st  *store.Store
	nc  *nats.Conn
	js  jetstream.JetStream
}

func start(t *testing.T) *env { return startWith(t, consumer.Config{}) }

func startWith(t *testing.T, cfg consumer.Config) *env {
	t.Helper()
	ctx := context.Background()
	dsn := testenv.NewDatabase(t)
	pool := testenv.NewPool(t, dsn)
	if err := pgdb.Migrate(ctx, pool, migrations.Schema, migrations.FS); err != nil {
		t.Fatal(err)
	}
	st := store.New(pool)
	nc, js := servicetest.NATS(t)

	// A slow poll: events must go out because the consumer notifies the
	// relay, not because the relay happens to look.
	relay := outbox.NewRelay(st.Outbox, js, logging.Discard(), time.Minute)
	relayCtx, stopRelay := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { relay.Run(relayCtx) })
	c, err := consumer.Start(ctx, js, nc, st, relay.Notify, clockwork.NewRealClock(), logging.Discard(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(ctx, waitFor)
		defer cancel()
		if err := c.Stop(stopCtx); err != nil {
			t.Error(err)
		}
		stopRelay()
		wg.Wait()
	})
	return &env{t: t, dsn: dsn, st: st, nc: nc, js: js}
}

// service creates a service and publishes its creation event before it
// returns, so that the STATUS stream holds it (message 1) before the test
// goes on.
func (e *env) service(org, name string) domain.Service {
	e.t.Helper()
	ctx := context.Background()
	s := domain.NewService(ids.New(ids.Service), org, name, "", domain.Operational, time.Now().UTC().Truncate(time.Microsecond))
	if err := e.st.CreateService(ctx, s, events.ServiceCreated); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.Outbox.RelayBatch(ctx, 100, func(ctx context.Context, evs []bus.Event) error {
		return bus.PublishOrdered(ctx, e.js, evs)
	}); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) receiver(org string, spec domain.ReceiverSpec) domain.Receiver {
	e.t.Helper()
	spec, err := spec.Normalize()
	if err != nil {
		e.t.Fatal(err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	now := time.Now().UTC().Truncate(time.Microsecond)
	r := domain.Receiver{ReceiverSpec: spec, ID: ids.New(ids.Receiver), OrgID: org,
		TokenHash: domain.HashToken(hex.EncodeToString(b)), TokenPrefix: "tok", CreatedAt: now, UpdatedAt: now}
	if err := e.st.CreateReceiver(context.Background(), r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// subscribe collects core NATS messages on subject.
func (e *env) subscribe(subject string) *nats.Subscription {
	e.t.Helper()
	sub, err := e.nc.SubscribeSync(subject)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.nc.Flush(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = sub.Unsubscribe() })
	return sub
}

// publish puts ev on INGEST as the gateway does, with msgID as Nats-Msg-Id.
func (e *env) publish(ev *ingestv1.IngestEvent, msgID string) {
	e.t.Helper()
	data, err := proto.Marshal(ev)
	if err != nil {
		e.t.Fatal(err)
	}
	msg := nats.NewMsg(bus.IngestSubject(ev.GetOrgId(), ev.GetReceiverId()))
	msg.Data = data
	msg.Header.Set(jetstream.MsgIDHeader, msgID)
	if _, err := e.js.PublishMsg(context.Background(), msg); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) outcome(sub *nats.Subscription) *statusv1.Delivery {
	e.t.Helper()
	msg, err := sub.NextMsg(waitFor)
	if err != nil {
		e.t.Fatalf("no delivery outcome: %v", err)
	}
	var out ingestv1.DeliveryOutcome
	if err := proto.Unmarshal(msg.Data, &out); err != nil {
		e.t.Fatal(err)
	}
	return out.GetDelivery()
}

func (e *env) streamMsgs(stream string) uint64 {
	e.t.Helper()
	s, err := e.js.Stream(context.Background(), stream)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return info.State.Msgs
}

func event(r domain.Receiver, status statusv1.Status, raw, message, reply string) *ingestv1.IngestEvent {
	return &ingestv1.IngestEvent{
		DeliveryId: ids.New(ids.Delivery), OrgId: r.OrgID, ReceiverId: r.ID,
		ReceivedAt: timestamppb.Now(), SourceIp: "198.51.100.4",
		Payload: []byte(`{"state":"` + raw + `"}`), Result: statusv1.DeliveryResult_DELIVERY_RESULT_PROCESSED,
		RawStatus: raw, MappedStatus: status, Message: message, ReplySubject: reply,
	}
}

func TestConsumerAppliesDeliveries(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := context.Background()
	svc := e.service("org_a", "Checkout")
	r := e.receiver("org_a", domain.ReceiverSpec{Name: "Monitor", Enabled: true, ServiceNameField: "service",
		AutoIncident: domain.AutoIncident{Enabled: true, Severity: domain.SeverityCritical}})
	statusEvents := testenv.Watch(t, e.js, bus.StreamStatus)
	reply := nats.NewInbox()
	replies := e.subscribe(reply)

	ev := event(r, statusv1.Status_STATUS_DOWN, "red", "checkout failing", reply)
	ev.ServiceName = "checkout"
	e.publish(ev, ev.GetDeliveryId())

	d := e.outcome(replies)
	if d.GetId() != ev.GetDeliveryId() || d.GetResult() != statusv1.DeliveryResult_DELIVERY_RESULT_PROCESSED ||
		d.GetServiceId() != svc.ID || d.GetPreviousStatus() != statusv1.Status_STATUS_OPERATIONAL ||
		d.GetNewStatus() != statusv1.Status_STATUS_DOWN || d.GetRawStatus() != "red" || d.GetSourceIp() != "198.51.100.4" {
		t.Fatalf("outcome = %v", d)
	}

	log, err := e.st.ListDeliveries(ctx, "org_a", r.ID)
	if err != nil || len(log) != 1 || log[0].ID != ev.GetDeliveryId() || log[0].NewStatus != domain.Down {
		t.Fatalf("delivery log = %+v, %v", log, err)
	}
	got, err := e.st.GetService(ctx, "org_a", svc.ID)
	if err != nil || got.Status != domain.Down || got.StatusDescription != "checkout failing" {
		t.Fatalf("service = %+v, %v", got, err)
	}

	// The service's creation, relayed with the change, comes first.
	msg := statusEvents.Next(waitFor)
	for msg.Headers().Get(bus.HeaderCEType) != events.TypeStatusChanged {
		msg = statusEvents.Next(waitFor)
	}
	var sc statusv1.StatusChanged
	if err := proto.Unmarshal(msg.Data(), &sc); err != nil {
		t.Fatal(err)
	}
	if msg.Subject() != bus.StatusSubject("org_a", svc.ID) || sc.GetReceiverId() != r.ID || sc.GetDeliveryId() != ev.GetDeliveryId() ||
		!sc.GetAutoIncident().GetEnabled() || sc.GetAutoIncident().GetSeverity() != statusv1.Severity_SEVERITY_CRITICAL ||
		sc.GetSource() != statusv1.Source_SOURCE_WEBHOOK || sc.GetVersion() != 2 || sc.GetStatus() != statusv1.Status_STATUS_DOWN {
		t.Fatalf("StatusChanged on %s = %v", msg.Subject(), &sc)
	}

	// The gateway's own verdicts are logged as they are, without waiting.
	rejected := event(r, statusv1.Status_STATUS_UNSPECIFIED, "", "", "")
	rejected.Result, rejected.Error = statusv1.DeliveryResult_DELIVERY_RESULT_AUTH_FAILED, "signature mismatch"
	e.publish(rejected, rejected.GetDeliveryId())
	testenv.Eventually(t, waitFor, func() error {
		d, err := e.st.GetDelivery(ctx, "org_a", r.ID, rejected.GetDeliveryId())
		if err != nil {
			return err
		}
		if d.Result != domain.AuthFailed || d.Error != "signature mismatch" {
			return fmt.Errorf("logged as %+v", d)
		}
		return nil
	})
}

// A delivery that reaches the consumer twice (a lost ack, a gateway
// publish retried past the duplicate window) is applied once: one
// StatusChanged, and the same outcome both times.
func TestStatusChangedPublishedOnceForRedeliveredEvent(t *testing.T) {
	t.Parallel()
	e := start(t)
	svc := e.service("org_a", "API")
	r := e.receiver("org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: svc.ID})
	reply := nats.NewInbox()
	replies := e.subscribe(reply)

	ev := event(r, statusv1.Status_STATUS_DEGRADED, "slow", "", reply)
	// Different message ids, so the stream keeps both copies.
	e.publish(ev, ev.GetDeliveryId())
	e.publish(ev, ev.GetDeliveryId()+"-again")

	first, second := e.outcome(replies), e.outcome(replies)
	if !proto.Equal(first, second) || first.GetNewStatus() != statusv1.Status_STATUS_DEGRADED {
		t.Fatalf("outcomes differ:\n%v\n%v", first, second)
	}
	// The service's creation, and one change.
	testenv.Eventually(t, waitFor, func() error {
		if n := e.streamMsgs(bus.StreamStatus); n != 2 {
			return fmt.Errorf("%d events on STATUS", n)
		}
		return nil
	})
	// Both copies were handled before their outcomes were sent, so nothing
	// more is on its way: one change, and nothing left in the outbox.
	got, err := e.st.GetService(context.Background(), "org_a", svc.ID)
	if err != nil || got.Version != 2 {
		t.Fatalf("service = %+v, %v", got, err)
	}
	if _, err := e.st.Outbox.RelayBatch(context.Background(), 10, func(_ context.Context, evs []bus.Event) error {
		return fmt.Errorf("%d events still in the outbox", len(evs))
	}); err != nil {
		t.Fatal(err)
	}
	if n := e.streamMsgs(bus.StreamStatus); n != 2 {
		t.Fatalf("%d events on STATUS, want 2", n)
	}
}

func TestConsumerDeadLettersMalformedEvents(t *testing.T) {
	t.Parallel()
	e := start(t)
	r := e.receiver("org_a", domain.ReceiverSpec{Name: "CI", ServiceNameField: "service"})

	msg := nats.NewMsg(bus.IngestSubject("org_a", r.ID))
	msg.Data = []byte("not protobuf \xff\xff")
	if _, err := e.js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	// Decodable but naming another receiver than its subject does.
	wrong := event(r, statusv1.Status_STATUS_DOWN, "down", "", "")
	wrong.ReceiverId = "whr_other"
	data, _ := proto.Marshal(wrong)
	if _, err := e.js.Publish(context.Background(), bus.IngestSubject("org_a", r.ID), data); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, waitFor, func() error {
		if n := e.streamMsgs(bus.StreamDLQ); n != 2 {
			return fmt.Errorf("%d dead letters, want 2", n)
		}
		return nil
	})
}

// An event for a receiver of organisation A, published on organisation
// B's subject as B's (as whoever can publish on INGEST could), is forged:
// dead-lettered as such, not applied, not recorded and not answered.
func TestConsumerDeadLettersForgedEvents(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := context.Background()
	svc := e.service("org_a", "API")
	r := e.receiver("org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: svc.ID})
	e.service("org_b", "API")
	dlq := testenv.Watch(t, e.js, bus.StreamDLQ)
	reply := nats.NewInbox()
	replies := e.subscribe(reply)

	forged := event(r, statusv1.Status_STATUS_DOWN, "down", "forged", reply)
	forged.OrgId = "org_b"
	e.publish(forged, forged.GetDeliveryId())

	dl := dlq.Next(waitFor)
	if got := dl.Headers().Get(bus.HeaderOriginalSubject); got != bus.IngestSubject("org_b", r.ID) {
		t.Fatalf("dead letter of %s, want the forged event", got)
	}
	if cause := dl.Headers().Get(bus.HeaderError); !strings.Contains(cause, "forged delivery") || !strings.Contains(cause, "another organisation") {
		t.Fatalf("dead-lettered for %q, want it called forged", cause)
	}
	got, err := e.st.GetService(ctx, "org_a", svc.ID)
	if err != nil || got.Status != domain.Operational || got.Version != 1 {
		t.Fatalf("service after the forged event = %+v, %v", got, err)
	}
	if log, err := e.st.ListDeliveries(ctx, "org_a", r.ID); err != nil || len(log) != 0 {
		t.Fatalf("delivery log after the forged event = %+v, %v", log, err)
	}

	// The receiver's own organisation is still served; its answer is the
	// first: the forged event got none.
	genuine := event(r, statusv1.Status_STATUS_DOWN, "down", "", reply)
	e.publish(genuine, genuine.GetDeliveryId())
	if d := e.outcome(replies); d.GetId() != genuine.GetDeliveryId() || d.GetNewStatus() != statusv1.Status_STATUS_DOWN {
		t.Fatalf("first outcome = %v, want the genuine delivery's", d)
	}
}

func TestConsumerAnswersForDeletedReceiver(t *testing.T) {
	t.Parallel()
	e := start(t)
	r := e.receiver("org_a", domain.ReceiverSpec{Name: "CI", ServiceNameField: "service"})
	if err := e.st.DeleteReceiver(context.Background(), "org_a", r.ID); err != nil {
		t.Fatal(err)
	}
	reply := nats.NewInbox()
	replies := e.subscribe(reply)
	ev := event(r, statusv1.Status_STATUS_DOWN, "down", "", reply)
	e.publish(ev, ev.GetDeliveryId())

	d := e.outcome(replies)
	if d.GetResult() != statusv1.DeliveryResult_DELIVERY_RESULT_IGNORED || d.GetId() != ev.GetDeliveryId() {
		t.Fatalf("outcome = %v", d)
	}
	if _, err := e.st.ListDeliveries(context.Background(), "org_a", r.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deliveries of a deleted receiver: %v", err)
	}
	if n := e.streamMsgs(bus.StreamDLQ); n != 0 {
		t.Fatalf("%d dead letters, want none", n)
	}
}

// Deliveries the gateway accepted while the database is down are applied
// once it is back, in order, however long the outage outlasts the
// consumer's limit of failures: none is dead-lettered, while a delivery
// that cannot be read still is.
func TestConsumerWaitsOutADatabaseOutage(t *testing.T) {
	t.Parallel()
	const maxDeliver = 3
	var tries atomic.Int64
	e := startWith(t, consumer.Config{
		MaxDeliver: maxDeliver,
		TransientBackoff: func(int) time.Duration {
			tries.Add(1)
			return 20 * time.Millisecond
		},
	})
	ctx := context.Background()
	var services []domain.Service
	var receivers []domain.Receiver
	for i := range 3 {
		svc := e.service("org_a", fmt.Sprintf("API %d", i))
		services = append(services, svc)
		receivers = append(receivers, e.receiver("org_a", domain.ReceiverSpec{Name: svc.Name, Enabled: true, ServiceID: svc.ID}))
	}

	restore := testenv.RefuseConnections(t, e.dsn)
	var sent []*ingestv1.IngestEvent
	for _, r := range receivers {
		for _, st := range []statusv1.Status{statusv1.Status_STATUS_DEGRADED, statusv1.Status_STATUS_DOWN} {
			ev := event(r, st, st.String(), "", "")
			e.publish(ev, ev.GetDeliveryId())
			sent = append(sent, ev)
		}
	}
	poison := nats.NewMsg(bus.IngestSubject("org_a", receivers[0].ID))
	poison.Data = []byte("not protobuf \xff\xff")
	if _, err := e.js.PublishMsg(ctx, poison); err != nil {
		t.Fatal(err)
	}
	// The deliveries have failed three times the limit, each.
	testenv.Eventually(t, waitFor, func() error {
		if n := tries.Load(); n < maxDeliver*3 {
			return fmt.Errorf("%d tries during the outage", n)
		}
		return nil
	})
	if n := e.streamMsgs(bus.StreamDLQ); n != 0 {
		t.Fatalf("%d dead letters during the outage, want none", n)
	}

	restore()
	testenv.Eventually(t, waitFor, func() error {
		for _, ev := range sent {
			if _, err := e.st.GetDelivery(ctx, "org_a", ev.GetReceiverId(), ev.GetDeliveryId()); err != nil {
				return fmt.Errorf("delivery %s: %w", ev.GetDeliveryId(), err)
			}
		}
		return nil
	})
	for i, svc := range services {
		log, err := e.st.ListDeliveries(ctx, "org_a", receivers[i].ID)
		if err != nil || len(log) != 2 {
			t.Errorf("%s: delivery log %+v, %v; want both deliveries, once", svc.Name, log, err)
		}
		// Held through the outage, they are applied in order: both
		// change the service, degraded then down.
		got, err := e.st.GetService(ctx, "org_a", svc.ID)
		if err != nil || got.Status != domain.Down || got.Version != svc.Version+2 {
			t.Errorf("%s after the outage: %+v, %v; want down at version %d", svc.Name, got, err, svc.Version+2)
		}
		for _, d := range log {
			if d.Result != domain.Processed {
				t.Errorf("%s: delivery %s %s (%s), want both processed in order", svc.Name, d.ID, d.Result, d.Error)
			}
		}
	}
	testenv.Eventually(t, waitFor, func() error {
		if n := e.streamMsgs(bus.StreamDLQ); n != 1 {
			return fmt.Errorf("%d dead letters, want the unreadable delivery alone", n)
		}
		return nil
	})
}
