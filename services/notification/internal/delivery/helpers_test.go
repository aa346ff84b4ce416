package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification"
	"github.com/upstatehq/upstate/services/notification/internal/channelapi"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
	"github.com/upstatehq/upstate/services/notification/internal/delivery"
	"github.com/upstatehq/upstate/services/notification/migrations"
	"github.com/upstatehq/upstate/webhook"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)

const waitFor = 20 * time.Second

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// sink is a real HTTP receiver: answer decides each response; it counts
// the requests and, per webhook-id, the successes it answered, and checks
// every signature as a receiver does, against the clock when it arrives.
type sink struct {
	t      *testing.T
	clock  clockwork.Clock
	srv    *httptest.Server
	answer func(r *http.Request, n int) (int, http.Header)
	// movingClock is set by a test that moves the clock while requests
	// are on their way, faster than the signature's tolerance: see verify.
	movingClock bool
	start       time.Time

	mu        sync.Mutex
	requests  int
	times     []time.Time
	delivered map[string]int
	// answered is the clock when the sink last answered each webhook-id.
	answered map[string]time.Time
	badSig   int
}

func newSink(t *testing.T, clock clockwork.Clock, answer func(r *http.Request, n int) (int, http.Header)) *sink {
	s := &sink{t: t, clock: clock, answer: answer, start: clock.Now(), delivered: map[string]int{}, answered: map[string]time.Time{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.t.Errorf("read the request: %v", err)
		return
	}
	s.mu.Lock()
	s.requests++
	s.times = append(s.times, time.Now())
	count := s.requests
	if err := s.verify(r.Header, body); err != nil {
		s.t.Logf("bad signature (clock at %s): %v", s.clock.Now().Format(time.TimeOnly), err)
		s.badSig++
	}
	s.answered[r.Header.Get(webhook.HeaderWebhookID)] = s.clock.Now()
	s.mu.Unlock()
	code, h := s.answer(r, count)
	for k, v := range h {
		w.Header()[k] = v
	}
	w.WriteHeader(code)
	if code >= 200 && code < 300 {
		s.mu.Lock()
		s.delivered[r.Header.Get("webhook-id")]++
		s.mu.Unlock()
	}
}

// verify checks a request's signature at the clock of its arrival, as a
// receiver does. Under a moving clock (movingClock) that check cannot
// hold: the test moves the clock by a minute every poll, so a request
// signed when it was sent arrives minutes "late" after a few polls of
// real time on a busy machine. It asks there instead that the request be
// signed no earlier than the sink's previous answer to the same
// notification and no later than now: every attempt is signed anew, when
// it is made. s.mu is held.
func (s *sink) verify(h http.Header, body []byte) error {
	sig := webhook.Signature{Secret: secret, Scheme: webhook.SchemeStandardWebhooks}
	now := s.clock.Now()
	err := webhook.Verify(sig, h, body, now)
	if !s.movingClock || !errors.Is(err, webhook.ErrTimestampOutOfRange) {
		return err
	}
	unix, perr := strconv.ParseInt(h.Get(webhook.HeaderWebhookTimestamp), 10, 64)
	if perr != nil {
		return err
	}
	sent := time.Unix(unix, 0)
	floor, ok := s.answered[h.Get(webhook.HeaderWebhookID)]
	if !ok {
		floor = s.start
	}
	if sent.Before(floor.Truncate(time.Second)) || sent.After(now) {
		return fmt.Errorf("signed at %s, before the previous answer at %s or after now (%s): %w",
			sent.Format(time.TimeOnly), floor.Format(time.TimeOnly), now.Format(time.TimeOnly), err)
	}
	return webhook.Verify(sig, h, body, sent)
}

func (s *sink) stats() (requests int, delivered map[string]int, badSig int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := make(map[string]int, len(s.delivered))
	for k, v := range s.delivered {
		d[k] = v
	}
	return s.requests, d, s.badSig
}

// env is a worker on a fresh database and JetStream.
type env struct {
	t     *testing.T
	js    jetstream.JetStream
	db    *pgxpool.Pool
	store *channelstore.Store
	clock *clockwork.FakeClock
	reg   *prometheus.Registry
}

func newEnv(t *testing.T) *env {
	t.Helper()
	_, js := servicetest.NATS(t)
	db := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	return &env{t: t, js: js, db: db, store: channelstore.New(db),
		clock: clockwork.NewFakeClockAt(t0), reg: prometheus.NewRegistry()}
}

// start runs a worker until the test ends (or stop is called).
func (e *env) start(cfg delivery.Config, mailer delivery.Mailer) (stop func(context.Context) error) {
	e.t.Helper()
	if cfg.AllowPrivate == nil {
		cfg.AllowPrivate = loopback
	}
	if cfg.Backoff == nil {
		cfg.Backoff = func(int) time.Duration { return 20 * time.Millisecond }
	}
	w := delivery.New(cfg, e.store, mailer, e.clock, e.reg, logging.Discard())
	if err := w.Start(context.Background(), e.js); err != nil {
		e.t.Fatal(err)
	}
	var once sync.Once
	stop = func(ctx context.Context) error {
		var err error
		once.Do(func() { err = w.Stop(ctx) })
		return err
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = stop(ctx)
	})
	return stop
}

// enqueue enqueues n webhook notifications to url, keys k0…, and returns
// their ids.
func (e *env) enqueue(url string, n int) []string {
	e.t.Helper()
	var out []string
	for i := range n {
		id, err := notification.Enqueue(context.Background(), e.js, &notificationv1.Notification{
			OrgId: "org_a", IdempotencyKey: fmt.Sprintf("alt_1:%d", i),
			Destination: &notificationv1.Notification_Webhook{Webhook: &notificationv1.WebhookDestination{Url: url, Secret: secret}},
			Content:     &notificationv1.Content{Kind: notificationv1.Kind_KIND_TRIGGER, Title: "API is down", AlertId: "alt_1", Severity: notificationv1.Severity_SEVERITY_CRITICAL},
			CreatedAt:   timestamppb.New(e.clock.Now()),
		})
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

// statuses counts the organisation's notifications by status.
func (e *env) statuses() map[channelstore.Status]int {
	e.t.Helper()
	list, err := e.store.ListNotifications(context.Background(), "org_a", channelstore.Filter{}, "", 200)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[channelstore.Status]int{}
	for _, n := range list {
		out[n.Status]++
	}
	return out
}

// waitStatus waits until want notifications have status s.
func (e *env) waitStatus(s channelstore.Status, want int) {
	e.t.Helper()
	testenv.Eventually(e.t, waitFor, func() error {
		if got := e.statuses(); got[s] != want {
			return fmt.Errorf("statuses %v, want %d %s", got, want, s)
		}
		return nil
	})
}

// streamMsgs is how many messages a stream holds.
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

// counter reads notification_deliveries_total{outcome}.
func (e *env) counter(outcome string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "notification_deliveries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// enqueueToChannel enqueues a critical trigger to a channel.
func enqueueToChannel(t *testing.T, e *env, channelID, key string) string {
	t.Helper()
	id, err := notification.Enqueue(context.Background(), e.js, &notificationv1.Notification{
		OrgId: "org_a", IdempotencyKey: key,
		Destination: &notificationv1.Notification_ChannelId{ChannelId: channelID},
		Content:     &notificationv1.Content{Kind: notificationv1.Kind_KIND_TRIGGER, Title: "API is down", AlertId: "alt_1", Severity: notificationv1.Severity_SEVERITY_CRITICAL},
		CreatedAt:   timestamppb.New(e.clock.Now()),
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// retryByHand retries a dead notification through the NotificationService.
func retryByHand(t *testing.T, e *env, id string) {
	t.Helper()
	srv := channelapi.New(e.store, e.js, e.clock)
	if _, err := srv.RetryNotification(context.Background(), &notificationv1.RetryNotificationRequest{OrgId: "org_a", NotificationId: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.RetryNotification(context.Background(), &notificationv1.RetryNotificationRequest{OrgId: "org_a", NotificationId: id}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("retrying a pending notification: %v, want FAILED_PRECONDITION", err)
	}
}
