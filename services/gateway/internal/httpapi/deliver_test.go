package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/testenv"
	ingestv1 "github.com/upstatehq/upstate/proto/gen/upstate/ingest/v1"
	"github.com/upstatehq/upstate/services/gateway/internal/domain"
	"github.com/upstatehq/upstate/services/gateway/internal/idempotency"
	"github.com/upstatehq/upstate/services/gateway/internal/metrics"
	"github.com/upstatehq/upstate/services/gateway/internal/ratelimit"
	"github.com/upstatehq/upstate/services/gateway/internal/receivers"
)

// oneReceiver resolves every token to the same receiver.
type oneReceiver struct{ rcv *domain.Receiver }

func (o oneReceiver) Resolve(context.Context, receivers.Key, string) (*domain.Receiver, error) {
	return o.rcv, nil
}

type deliverEnv struct {
	t     *testing.T
	clock *clockwork.FakeClock
	js    jetstream.JetStream
	idem  *idempotency.Store
	rcv   *domain.Receiver
	serv  http.Handler
}

func newDeliverEnv(t *testing.T) *deliverEnv {
	t.Helper()
	srv := testenv.StartNATS(t)
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	nc, js, err := bus.Connect(ctx, srv.ClientURL(), "httpapi-test", logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if err := bus.EnsureStreams(ctx, js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	idem := idempotency.New(js, time.Hour, 1)
	if err := idem.Open(ctx); err != nil {
		t.Fatal(err)
	}
	rcv := domain.Compile(domain.ReceiverConfig{ID: "whr_1", OrgID: "org_1", Enabled: true, ServiceID: "svc_1", StatusField: "status"})
	clock := clockwork.NewFakeClock()
	pub, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	h := New(oneReceiver{rcv}, ratelimit.New(1000, 1000, 100), idem, nc, pub,
		Options{}, clock, logger, metrics.New(nil))
	e := httpx.NewEcho(logger, nil, httpx.Options{})
	h.Register(e)
	return &deliverEnv{t: t, clock: clock, js: js, idem: idem, rcv: rcv, serv: e}
}

func (e *deliverEnv) post(key string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, routePrefix+strings.Repeat("a", 64), strings.NewReader(`{"status":"down"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	rec := httptest.NewRecorder()
	e.serv.ServeHTTP(rec, req)
	return rec
}

// events returns the IngestEvents on INGEST by Nats-Msg-Id.
func (e *deliverEnv) events() map[string]*ingestv1.IngestEvent {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.js.Stream(ctx, bus.StreamIngest)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]*ingestv1.IngestEvent{}
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			e.t.Fatal(err)
		}
		var ev ingestv1.IngestEvent
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			e.t.Fatal(err)
		}
		out[m.Header.Get(jetstream.MsgIDHeader)] = &ev
	}
	return out
}

func wantAccepted(t *testing.T, rec *httptest.ResponseRecorder, id string) {
	t.Helper()
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"delivery_id":"`+id+`"`) {
		t.Fatalf("answer %d %s, want 202 with delivery id %s", rec.Code, rec.Body.String(), id)
	}
	if rec.Header().Get(headerReplayed) != "true" {
		t.Fatal("replay not marked as such")
	}
}

// A key recorded by a request whose publish never happened (it failed, or
// its gateway died) must not be answered 202 without the delivery stored.
func TestReplayPublishesUnderTheOriginalID(t *testing.T) {
	t.Parallel()
	e := newDeliverEnv(t)
	original := ids.New(ids.Delivery)
	if _, first, err := e.idem.Claim(context.Background(), e.rcv.ID, "k1", idempotency.Record{DeliveryID: original}); err != nil || !first {
		t.Fatalf("claim: %v %v", first, err)
	}

	wantAccepted(t, e.post("k1"), original)
	evs := e.events()
	if len(evs) != 1 || evs[original] == nil || evs[original].GetDeliveryId() != original {
		t.Fatalf("INGEST holds %v, want one event with delivery id %s", evs, original)
	}

	// Another retry is stored once: JetStream drops the duplicate.
	wantAccepted(t, e.post("k1"), original)
	if n := len(e.events()); n != 1 {
		t.Fatalf("INGEST holds %d events, want 1", n)
	}
}

// A replay whose publish fails answers 503, and a later retry still
// publishes under the original id.
func TestReplayPublishFailureIsUnavailable(t *testing.T) {
	t.Parallel()
	e := newDeliverEnv(t)
	ctx := context.Background()
	original := ids.New(ids.Delivery)
	if _, _, err := e.idem.Claim(ctx, e.rcv.ID, "k1", idempotency.Record{DeliveryID: original}); err != nil {
		t.Fatal(err)
	}
	if err := e.js.DeleteStream(ctx, bus.StreamIngest); err != nil {
		t.Fatal(err)
	}
	rec := e.post("k1")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("answer %d %s, want 503 with Retry-After", rec.Code, rec.Body.String())
	}

	if err := bus.EnsureStreams(ctx, e.js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	wantAccepted(t, e.post("k1"), original)
	if evs := e.events(); len(evs) != 1 || evs[original] == nil {
		t.Fatalf("INGEST holds %v, want one event with delivery id %s", evs, original)
	}
}

// A first publish that fails keeps the key, so the retry is published under
// the id the first request was given (it may have been stored after all).
func TestFailedPublishKeepsTheKey(t *testing.T) {
	t.Parallel()
	e := newDeliverEnv(t)
	ctx := context.Background()
	if err := e.js.DeleteStream(ctx, bus.StreamIngest); err != nil {
		t.Fatal(err)
	}
	if rec := e.post("k1"); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("answer %d %s, want 503", rec.Code, rec.Body.String())
	}
	rec, first, err := e.idem.Claim(ctx, e.rcv.ID, "k1", idempotency.Record{DeliveryID: ids.New(ids.Delivery)})
	original := rec.DeliveryID
	if err != nil || first {
		t.Fatalf("claim after failed publish: first=%v err=%v, want the key kept", first, err)
	}
	if err := bus.EnsureStreams(ctx, e.js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	wantAccepted(t, e.post("k1"), original)
	if evs := e.events(); len(evs) != 1 || evs[original] == nil {
		t.Fatalf("INGEST holds %v, want one event with delivery id %s", evs, original)
	}
}

// A retry after INGEST's duplicate window (here: a stream that no longer
// holds the first copy) is republished with the first attempt's
// received_at as well as its id, so that the status service orders it
// where the delivery belongs, not as the newest.
func TestRetryRepublishesTheOriginalReceivedAt(t *testing.T) {
	t.Parallel()
	e := newDeliverEnv(t)
	ctx := context.Background()
	first := e.post("k1")
	if first.Code != http.StatusAccepted {
		t.Fatalf("first answer %d %s", first.Code, first.Body.String())
	}
	evs := e.events()
	if len(evs) != 1 {
		t.Fatalf("INGEST holds %d events, want 1", len(evs))
	}
	var original *ingestv1.IngestEvent
	for _, ev := range evs {
		original = ev
	}
	if got := original.GetReceivedAt().AsTime(); !got.Equal(e.clock.Now()) {
		t.Fatalf("received_at %s, want the clock's %s", got, e.clock.Now())
	}
	e.clock.Advance(time.Hour)

	if err := e.js.DeleteStream(ctx, bus.StreamIngest); err != nil {
		t.Fatal(err)
	}
	if err := bus.EnsureStreams(ctx, e.js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	wantAccepted(t, e.post("k1"), original.GetDeliveryId())
	retry := e.events()[original.GetDeliveryId()]
	if retry == nil {
		t.Fatal("retry not republished under the original id")
	}
	if got, want := retry.GetReceivedAt().AsTime(), original.GetReceivedAt().AsTime(); !got.Equal(want) {
		t.Fatalf("retry received_at %s, want the first attempt's %s", got, want)
	}
}
