package app_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/gateway/app"
)

func TestReceiverChangeInvalidatesCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	token, rcv := e.receiver("changing", nil)
	otherToken, _ := e.receiver("steady", nil)
	wantStatus(t, e.post(token, `{"status":"up"}`), http.StatusAccepted)
	wantStatus(t, e.post(otherToken, `{"status":"up"}`), http.StatusAccepted)
	if n := e.status.calls.Load(); n != 2 {
		t.Fatalf("%d ResolveReceiver calls, want 2", n)
	}

	rcv.Enabled = false
	e.status.set(token, rcv)
	// Cached: the change is not seen yet.
	wantStatus(t, e.post(token, `{"status":"up"}`), http.StatusAccepted)

	if err := e.nc.Publish(bus.SubjectReceiverChanged, []byte(rcv.Id)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() error {
		if rec := e.post(token, `{"status":"up"}`); rec.Code != http.StatusForbidden {
			return errorf("status %d, want 403 once the change is announced", rec.Code)
		}
		return nil
	})
	wantStatus(t, e.post(otherToken, `{"status":"up"}`), http.StatusAccepted)
	if n := e.status.calls.Load(); n != 3 {
		t.Fatalf("%d ResolveReceiver calls, want 3: only the changed receiver is asked again", n)
	}
}

// A receiver that has not changed is asked for again once its cache entry
// expires on the clock, and so a change nobody announced is seen then.
func TestReceiverChangeSeenAfterCacheTTL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{CacheTTL: 30 * time.Second})
	token, rcv := e.receiver("changing", nil)
	wantStatus(t, e.post(token, `{"status":"up"}`), http.StatusAccepted)

	rcv.Enabled = false
	e.status.set(token, rcv)
	e.clock.Advance(30*time.Second - time.Nanosecond)
	wantStatus(t, e.post(token, `{"status":"up"}`), http.StatusAccepted)
	if n := e.status.calls.Load(); n != 1 {
		t.Fatalf("%d ResolveReceiver calls within the TTL, want 1", n)
	}
	e.clock.Advance(time.Nanosecond)
	wantError(t, e.post(token, `{"status":"up"}`), http.StatusForbidden, "forbidden")
	if n := e.status.calls.Load(); n != 2 {
		t.Fatalf("%d ResolveReceiver calls, want 2: the expired entry is asked for again", n)
	}
}

func TestStatusServiceDown(t *testing.T) {
	t.Parallel()
	const ttl, maxStale = 30 * time.Second, time.Hour
	e := newEnv(t, app.Config{CacheTTL: ttl, CacheMaxStale: maxStale, BreakerOpen: time.Minute})
	known, _ := e.receiver("known", nil)
	uncached, _ := e.receiver("uncached", nil)
	wantStatus(t, e.post(known, `{"status":"up"}`), http.StatusAccepted)

	e.grpc.Stop()
	// The entry has expired, so each delivery asks the status service and
	// only the outage makes the gateway fall back to the cache.
	e.clock.Advance(ttl)

	// More deliveries than it takes to open the breaker: the cached
	// receiver keeps working before and after it opens, up to max-stale
	// past its TTL.
	for i := range 8 {
		rec := e.post(known, `{"status":"down"}`)
		if rec.Code != http.StatusAccepted {
			t.Fatalf("delivery %d with the status service down: %d %s", i, rec.Code, rec.Body.String())
		}
	}
	e.clock.Advance(maxStale)
	wantStatus(t, e.post(known, `{"status":"down"}`), http.StatusAccepted)
	e.clock.Advance(time.Nanosecond)
	rec := e.post(known, `{"status":"down"}`)
	wantError(t, rec, http.StatusServiceUnavailable, "unavailable")

	rec = e.post(uncached, `{"status":"down"}`)
	wantError(t, rec, http.StatusServiceUnavailable, "unavailable")
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	if n := len(e.ingested()); n != 10 {
		t.Fatalf("%d events, want 10", n)
	}
	if calls := e.status.calls.Load(); calls != 1 {
		t.Fatalf("%d calls reached the status service, want 1", calls)
	}
}

func TestUnknownTokenIsRememberedBriefly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{NegativeCacheTTL: time.Minute})
	unknown := tokenFor("nobody")
	for range 3 {
		wantError(t, e.post(unknown, `{"status":"up"}`), http.StatusNotFound, "not_found")
	}
	e.clock.Advance(time.Minute - time.Nanosecond)
	wantError(t, e.post(unknown, `{"status":"up"}`), http.StatusNotFound, "not_found")
	if n := e.status.calls.Load(); n != 1 {
		t.Fatalf("%d ResolveReceiver calls, want 1", n)
	}
	e.clock.Advance(time.Nanosecond)
	wantError(t, e.post(unknown, `{"status":"up"}`), http.StatusNotFound, "not_found")
	if n := e.status.calls.Load(); n != 2 {
		t.Fatalf("%d ResolveReceiver calls, want 2: the token is asked for again once remembered for a minute", n)
	}
}

func TestConcurrentMissesShareOneCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	token, _ := e.receiver("popular", nil)
	release := make(chan struct{})
	e.status.mu.Lock()
	e.status.unblocked = release
	e.status.mu.Unlock()

	const n = 8
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { codes <- e.post(token, `{"status":"up"}`).Code })
	}
	testenv.Eventually(t, 5*time.Second, func() error {
		if e.status.calls.Load() == 0 {
			return errorf("no call yet")
		}
		return nil
	})
	close(release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusAccepted {
			t.Fatalf("status %d", c)
		}
	}
	if calls := e.status.calls.Load(); calls != 1 {
		t.Fatalf("%d ResolveReceiver calls for %d concurrent deliveries, want 1", calls, n)
	}
}

func TestMisconfiguredReceiverIgnoresDeliveries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, app.Config{})
	token, _ := e.receiver("broken", func(r *statusv1.Receiver) { r.StatusField = "a..b" })

	rec := e.post(token, `{"status":"up"}`)

	wantStatus(t, rec, http.StatusAccepted)
	if got := decode[acceptedBody](t, rec); got.Result != "ignored" || got.Reason == "" {
		t.Fatalf("body %s", rec.Body.String())
	}
}
