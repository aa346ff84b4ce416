package standalone

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/natsd"
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/pkg/testenv"
	alerting "github.com/upstatehq/upstate/services/alerting/app"
	edge "github.com/upstatehq/upstate/services/edge/app"
	gateway "github.com/upstatehq/upstate/services/gateway/app"
	incidents "github.com/upstatehq/upstate/services/incidents/app"
	notification "github.com/upstatehq/upstate/services/notification/app"
	sla "github.com/upstatehq/upstate/services/sla/app"
	status "github.com/upstatehq/upstate/services/status/app"
	statuspage "github.com/upstatehq/upstate/services/statuspage/app"
)

const readerName, readerPassword = "team-reader", "reader-secret"

// authServer is an embedded server with the services' users and the
// reader, and an administrator for the test's own checks.
type authServer struct {
	url   string
	auths map[string]bus.Auth
	admin jetstream.JetStream
}

func startAuthServer(t *testing.T) *authServer {
	t.Helper()
	users, auths, err := NATSUsers(readerName, readerPassword)
	if err != nil {
		t.Fatal(err)
	}
	all := &natsd.Subjects{Allow: []string{">"}}
	users = append(users, natsd.User{Name: "admin", Password: "admin", Publish: all, Subscribe: all})
	srv, err := natsd.Start(natsd.Config{Port: -1, StoreDir: t.TempDir(), Users: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	s := &authServer{url: srv.ClientURL(), auths: auths}
	_, s.admin = s.connect(t, "admin", bus.Auth{User: "admin", Password: "admin"})
	return s
}

// errs collects a connection's asynchronous errors (permission violations).
type errs struct {
	mu   sync.Mutex
	list []error
}

func (e *errs) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, err)
}

// violation reports whether the server refused an operation on subject.
func (e *errs) violation(subject string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, err := range e.list {
		if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), subject) {
			return nil
		}
	}
	return errors.New("no permission violation on " + subject + " yet")
}

// connect connects as a client with auth, with the inbox of unit when it
// is a service's user.
func (s *authServer) connect(t *testing.T, unit string, auth bus.Auth) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, js, err := s.connectErrs(t, unit, auth, nil)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

func (s *authServer) connectErrs(t *testing.T, unit string, auth bus.Auth, e *errs) (*nats.Conn, jetstream.JetStream, error) {
	t.Helper()
	opts := []nats.Option{nats.UserInfo(auth.User, auth.Password)}
	if _, ok := s.auths[unit]; ok {
		opts = append(opts, nats.CustomInboxPrefix(service.InboxPrefix(unit)))
	}
	if e != nil {
		opts = append(opts, nats.ErrorHandler(e.handler))
	}
	nc, err := nats.Connect(s.url, opts...)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	return nc, js, err
}

// service connects as a service's user, as service.Infra does, and makes
// sure the streams exist.
func (s *authServer) service(t *testing.T, unit string, e *errs) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, js, err := s.connectErrs(t, unit, s.auths[unit], e)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	owned := map[string][]string{status.Name: status.Streams, incidents.Name: incidents.Streams,
		sla.Name: sla.Streams, gateway.Name: gateway.Streams}[unit]
	if err := bus.EnsureStreams(ctx, js, bus.StreamOptions{Owned: append([]string{}, owned...)}); err != nil {
		t.Fatalf("%s ensures the streams: %v", unit, err)
	}
	return nc, js
}

func (s *authServer) count(t *testing.T, stream string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s.admin.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// publish publishes one message to subject as a client allowed to.
func publish(t *testing.T, js jetstream.JetStream, subject string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.Publish(ctx, subject, []byte("event")); err != nil {
		t.Fatalf("publish to %s: %v", subject, err)
	}
}

// shortCtx bounds one request that the server may refuse by not
// answering it.
func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// readOne reads the first message of stream through a new ordered
// consumer, as `nats sub --all` would.
func readOne(js jetstream.JetStream, stream string) (jetstream.Msg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, err
	}
	return cons.Next(jetstream.FetchMaxWait(2 * time.Second))
}

func TestNATSRefusesUnauthenticatedClients(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	for name, opts := range map[string][]nats.Option{
		"anonymous":      nil,
		"wrong password": {nats.UserInfo(NATSUser(gateway.Name), "guess")},
		"reader guessed": {nats.UserInfo(readerName, "guess")},
	} {
		nc, err := nats.Connect(s.url, opts...)
		if err == nil {
			nc.Close()
			t.Errorf("%s: connected", name)
		} else if !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("%s: %v, want an authorization error", name, err)
		}
	}
}

func TestNATSGatewayCannotTouchStatus(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	_, statusJS := s.service(t, status.Name, nil)
	publish(t, statusJS, bus.StatusSubject("org", "svc"))

	var e errs
	nc, js := s.service(t, gateway.Name, &e)
	// What it uses works: INGEST and its bucket of idempotency keys.
	publish(t, js, bus.IngestSubject("org", "rcv"))
	kv, err := js.CreateOrUpdateKeyValue(shortCtx(t), jetstream.KeyValueConfig{Bucket: idempotencyBucket, TTL: time.Hour})
	if err != nil {
		t.Fatalf("the gateway cannot create its bucket: %v", err)
	}
	if _, err := kv.Create(shortCtx(t), "key", []byte("dlv_1")); err != nil {
		t.Fatalf("the gateway cannot store a key: %v", err)
	}
	if _, err := kv.Get(shortCtx(t), "key"); err != nil {
		t.Fatalf("the gateway cannot read a key: %v", err)
	}

	// A forged status event is refused by the server and never stored.
	if err := nc.Publish(bus.StatusSubject("org", "svc"), []byte("forged")); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() error { return e.violation(bus.StatusSubject("org", "svc")) })
	if n := s.count(t, bus.StreamStatus); n != 1 {
		t.Errorf("STATUS holds %d messages, want the status service's 1", n)
	}
	// Neither a consumer on STATUS nor a plain subscription reads it.
	if _, err := readOne(js, bus.StreamStatus); err == nil {
		t.Error("the gateway read STATUS")
	}
	if _, err := nc.SubscribeSync(bus.SubjectsStatus); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() error { return e.violation(bus.SubjectsStatus) })
}

// A service updates the definitions of the streams it owns and of no
// other: the gateway cannot shorten STATUS's retention.
func TestNATSServicesUpdateOnlyTheirStreams(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	_, statusJS := s.service(t, status.Name, nil)
	var e errs
	_, gatewayJS := s.service(t, gateway.Name, &e)
	edit := func(js jetstream.JetStream, stream string) error {
		st, err := js.Stream(shortCtx(t), stream)
		if err != nil {
			return err
		}
		cfg := st.CachedInfo().Config
		cfg.MaxAge = 48 * time.Hour
		_, err = js.UpdateStream(shortCtx(t), cfg)
		return err
	}
	if err := edit(gatewayJS, bus.StreamStatus); err == nil {
		t.Error("the gateway updated STATUS")
	}
	testenv.Eventually(t, 5*time.Second, func() error { return e.violation("$JS.API.STREAM.UPDATE." + bus.StreamStatus) })
	if err := edit(gatewayJS, bus.StreamIngest); err != nil {
		t.Errorf("the gateway cannot update its INGEST: %v", err)
	}
	if err := edit(statusJS, bus.StreamStatus); err != nil {
		t.Errorf("the status service cannot update its STATUS: %v", err)
	}
}

// The SLA service consumes STATUS with its durable consumer and publishes
// its own events, and cannot forge a status event.
func TestNATSSLAConsumesStatusAndPublishesSLA(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	_, statusJS := s.service(t, status.Name, nil)
	publish(t, statusJS, bus.StatusSubject("org", "svc"))

	var e errs
	nc, js := s.service(t, sla.Name, &e)
	publish(t, js, bus.SLASubject("org", "slo_1"))
	cons, err := js.CreateOrUpdateConsumer(shortCtx(t), bus.StreamStatus, jetstream.ConsumerConfig{
		Durable: slaDurable, AckPolicy: jetstream.AckExplicitPolicy, FilterSubjects: []string{bus.SubjectsStatus},
	})
	if err != nil {
		t.Fatalf("the SLA service cannot create its consumer: %v", err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(2 * time.Second))
	if err != nil {
		t.Fatalf("the SLA service cannot read STATUS: %v", err)
	}
	if err := msg.DoubleAck(shortCtx(t)); err != nil {
		t.Fatalf("the SLA service cannot acknowledge: %v", err)
	}
	if err := nc.Publish(bus.StatusSubject("org", "svc"), []byte("forged")); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() error { return e.violation(bus.StatusSubject("org", "svc")) })
	if n := s.count(t, bus.StreamStatus); n != 1 {
		t.Errorf("STATUS holds %d messages, want the status service's 1", n)
	}
}

func TestNATSReaderReadsPublicStreamsOnly(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	_, statusJS := s.service(t, status.Name, nil)
	_, incidentsJS := s.service(t, incidents.Name, nil)
	_, gatewayJS := s.service(t, gateway.Name, nil)
	_, slaJS := s.service(t, sla.Name, nil)
	_, alertingJS := s.service(t, alerting.Name, nil)
	_, edgeJS := s.service(t, edge.Name, nil)
	publish(t, statusJS, bus.StatusSubject("org", "svc"))
	publish(t, incidentsJS, bus.IncidentsSubject("org", "inc_1"))
	publish(t, slaJS, bus.SLASubject("org", "slo_1"))
	publish(t, gatewayJS, bus.IngestSubject("org", "rcv"))
	publish(t, alertingJS, bus.AlertsSubject("org", "alt_1"))
	publish(t, edgeJS, bus.AuditSubject("org", "aud_1"))

	var e errs
	nc, js, err := s.connectErrs(t, readerName, bus.Auth{User: readerName, Password: readerPassword}, &e)
	if err != nil {
		t.Fatal(err)
	}
	for _, stream := range []string{bus.StreamStatus, bus.StreamIncidents, bus.StreamSLA, bus.StreamAlerts, bus.StreamAudit} {
		msg, err := readOne(js, stream)
		if err != nil {
			t.Fatalf("the reader cannot read %s: %v", stream, err)
		}
		if string(msg.Data()) != "event" {
			t.Errorf("read %q from %s", msg.Data(), stream)
		}
	}
	// A push ordered consumer found by subject, as `nats sub --all` makes.
	legacy, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	sub, err := legacy.SubscribeSync(bus.SubjectsIncidents, nats.OrderedConsumer(), nats.DeliverAll())
	if err != nil {
		t.Fatalf("the reader cannot subscribe to INCIDENTS as nats sub --all does: %v", err)
	}
	if _, err := sub.NextMsg(2 * time.Second); err != nil {
		t.Fatalf("the reader's ordered push consumer read nothing: %v", err)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	// Its own durable consumer: created, read, acknowledged, deleted.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cons, err := js.CreateConsumer(ctx, bus.StreamStatus, jetstream.ConsumerConfig{Durable: "my-team", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("the reader cannot create its durable consumer: %v", err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(2 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := msg.DoubleAck(ctx); err != nil {
		t.Fatalf("the reader cannot acknowledge: %v", err)
	}
	if err := js.DeleteConsumer(ctx, bus.StreamStatus, "my-team"); err != nil {
		t.Fatalf("the reader cannot delete its consumer: %v", err)
	}

	// INGEST and DLQ are not readable.
	for _, stream := range []string{bus.StreamIngest, bus.StreamDLQ} {
		if _, err := readOne(js, stream); err == nil {
			t.Errorf("the reader read %s", stream)
		}
	}
	// A forged IngestEvent is refused and never stored, as is a forged
	// status event.
	for _, subject := range []string{bus.IngestSubject("org", "rcv"), bus.StatusSubject("org", "svc")} {
		if err := nc.Publish(subject, []byte("forged")); err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 5*time.Second, func() error { return e.violation(subject) })
	}
	if n := s.count(t, bus.StreamIngest); n != 1 {
		t.Errorf("INGEST holds %d messages, want the gateway's 1", n)
	}
	if n := s.count(t, bus.StreamStatus); n != 1 {
		t.Errorf("STATUS holds %d messages, want the status service's 1", n)
	}
	// Streams and the services' consumers are not the reader's to change.
	if err := js.DeleteStream(shortCtx(t), bus.StreamStatus); err == nil {
		t.Error("the reader deleted STATUS")
	}
	if _, err := s.admin.CreateConsumer(shortCtx(t), bus.StreamStatus, jetstream.ConsumerConfig{Durable: incidentsDurable}); err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteConsumer(shortCtx(t), bus.StreamStatus, incidentsDurable); err == nil {
		t.Error("the reader deleted the incidents service's consumer")
	}
	if _, err := js.Publish(shortCtx(t), bus.IngestSubject("org", "rcv"), []byte("forged")); err == nil {
		t.Error("the reader's JetStream publish to INGEST was acknowledged")
	}
	// Nor are the services' replies.
	if _, err := nc.SubscribeSync(service.InboxPrefix(gateway.Name) + ".>"); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() error { return e.violation(service.InboxPrefix(gateway.Name)) })
}

// The alerting service publishes alert events and nothing else upstate
// keeps: a forged status change is refused.
func TestNATSAlertingPublishesAlertsOnly(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	var e errs
	nc, js := s.service(t, alerting.Name, &e)
	publish(t, js, bus.AlertsSubject("org", "alt_1"))
	if err := nc.Publish(bus.StatusSubject("org", "svc"), []byte("forged")); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() error { return e.violation(bus.StatusSubject("org", "svc")) })
	if n := s.count(t, bus.StreamStatus); n != 0 {
		t.Errorf("STATUS holds %d messages, want none", n)
	}
}

// The status page service publishes nothing upstate keeps: a forged
// status change or incident event is refused.
func TestNATSStatusPagePublishesNothing(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	var e errs
	nc, _ := s.service(t, statuspage.Name, &e)
	for _, subject := range []string{bus.StatusSubject("org", "svc"), bus.IncidentsSubject("org", "inc_1")} {
		if err := nc.Publish(subject, []byte("forged")); err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 5*time.Second, func() error { return e.violation(subject) })
	}
	for _, stream := range []string{bus.StreamStatus, bus.StreamIncidents} {
		if n := s.count(t, stream); n != 0 {
			t.Errorf("%s holds %d messages, want none", stream, n)
		}
	}
}

// The edge hears the STATUS and INCIDENTS subjects (the console's live
// updates) and nothing else: it may neither publish an event nor listen to
// the webhook deliveries of INGEST.
func TestNATSEdgeHearsStatusAndIncidentsOnly(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	_, statusJS := s.service(t, status.Name, nil)
	var e errs
	nc, _ := s.service(t, edge.Name, &e)
	heard, err := nc.SubscribeSync(bus.StatusSubject("org", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.SubscribeSync(bus.IngestSubject("org", "*")); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() error { return e.violation(bus.IngestSubject("org", "*")) })
	publish(t, statusJS, bus.StatusSubject("org", "svc"))
	if _, err := heard.NextMsg(5 * time.Second); err != nil {
		t.Errorf("the edge did not hear a status event: %v", err)
	}
	if err := nc.Publish(bus.StatusSubject("org", "svc"), []byte("forged")); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() error { return e.violation(bus.StatusSubject("org", "svc")) })
}

// The notification service cannot forge the events it reads: a status
// change or an alert event of its own is refused.
func TestNATSNotificationForgesNoStatusOrAlert(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	var e errs
	nc, _ := s.service(t, notification.Name, &e)
	for _, subject := range []string{bus.StatusSubject("org", "svc"), bus.AlertsSubject("org", "alt_1")} {
		if err := nc.Publish(subject, []byte("forged")); err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 5*time.Second, func() error { return e.violation(subject) })
	}
	for _, stream := range []string{bus.StreamStatus, bus.StreamAlerts} {
		if n := s.count(t, stream); n != 0 {
			t.Errorf("%s holds %d messages, want none", stream, n)
		}
	}
}
