package deliver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
	"github.com/upstatehq/upstate/services/statuspage/internal/deliver"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
	"github.com/upstatehq/upstate/services/statuspage/migrations"
	"github.com/upstatehq/upstate/webhook"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// receiver records what it is sent and fails the first fail requests.
type receiver struct {
	mu       sync.Mutex
	fail     int
	requests []received
}

type received struct {
	header http.Header
	body   []byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, received{req.Header.Clone(), body})
	if len(r.requests) <= r.fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) got() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.requests...)
}

// A status change reaches a webhook subscriber as Statuspage's
// component_update, signed with its secret; a failed attempt is retried
// after its delay with the same id and body, and a delivered one is never
// sent again.
func TestComponentUpdateSignedRetriedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rcv := &receiver{fail: 1}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)

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
		URL: srv.URL, CreatedAt: t0}, Secret: secret, UnsubscribeToken: "tok"})
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
	d := deliver.New(st, nil, deliver.Config{PublicURL: "https://status.example.com", AllowPrivate: true}, clock, nil, logging.Discard())
	if n, err := d.Once(ctx); err != nil || n != 1 {
		t.Fatalf("first round: %d sent, %v; want 1", n, err)
	}
	if n, err := d.Once(ctx); err != nil || n != 0 {
		t.Fatalf("before the retry delay: %d sent, %v; want 0", n, err)
	}
	clock.Advance(2 * time.Second) // the longest first delay
	if n, err := d.Once(ctx); err != nil || n != 1 {
		t.Fatalf("after the retry delay: %d sent, %v; want 1", n, err)
	}
	clock.Advance(time.Hour)
	if n, err := d.Once(ctx); err != nil || n != 0 {
		t.Fatalf("after delivery: %d sent, %v; want 0", n, err)
	}

	got := rcv.got()
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2 (a failure, then the delivery)", len(got))
	}
	if got[0].header.Get("webhook-id") != got[1].header.Get("webhook-id") || string(got[0].body) != string(got[1].body) {
		t.Error("the retry is not the same message (id and body)")
	}
	sig := webhook.Signature{Secret: secret, Scheme: webhook.SchemeStandardWebhooks}
	if err := webhook.Verify(sig, got[1].header, got[1].body, clock.Now().Add(-time.Hour)); err != nil { // when it was sent
		t.Errorf("signature: %v", err)
	}
	var p compat.ComponentPayload
	if err := json.Unmarshal(got[1].body, &p); err != nil {
		t.Fatal(err)
	}
	if p.ComponentUpdate.OldStatus != "operational" || p.ComponentUpdate.NewStatus != "major_outage" || p.Component.Name != "Public API" ||
		p.Page.ID != page.ID || p.Page.StatusIndicator != "critical" || p.Meta.Unsubscribe != "https://status.example.com/status/example/unsubscribe/tok" {
		t.Errorf("payload %+v", p)
	}
	if p.ComponentUpdate.ComponentID != page.Components[0].ID || sub.ID == "" {
		t.Errorf("component_update names %s, want %s", p.ComponentUpdate.ComponentID, page.Components[0].ID)
	}
}

// Without AllowPrivate, a subscriber's URL on the loopback is refused.
func TestPrivateAddressesRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	st := store.New(servicetest.Postgres(t, migrations.Schema, migrations.FS))
	if err := st.SeedService(ctx, domain.ServiceState{ServiceID: "svc_1", OrgID: "org_a", Name: "API", Status: domain.Operational, Version: 1}, t0); err != nil {
		t.Fatal(err)
	}
	page, err := st.CreatePage(ctx, domain.Page{OrgID: "org_a", Name: "Example", Slug: "example", CreatedAt: t0, Components: []domain.Component{{ServiceID: "svc_1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSubscriber(ctx, store.NewSubscriber{Subscriber: domain.Subscriber{PageID: page.ID, Kind: domain.KindWebhook, URL: srv.URL, CreatedAt: t0},
		Secret: secret, UnsubscribeToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyServices(ctx, t0, domain.ServiceEvent{OrgID: "org_a", ServiceID: "svc_1", Version: 2, HasStatus: true, Status: domain.Down, At: t0,
		Post: &domain.Post{ServiceID: "svc_1", Version: 2, At: t0, Previous: domain.Operational, Status: domain.Down}}); err != nil {
		t.Fatal(err)
	}
	d := deliver.New(st, nil, deliver.Config{PublicURL: "https://status.example.com"}, clockwork.NewFakeClockAt(t0), nil, logging.Discard())
	if n, err := d.Once(ctx); err != nil || n != 1 {
		t.Fatalf("%d tried, %v", n, err)
	}
	if len(rcv.got()) != 0 {
		t.Error("a delivery reached a loopback address")
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
