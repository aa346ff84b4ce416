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

func TestStatusServiceDown(t *testing.T) {
	t.Parallel()
	// Every entry is expired at once, so each delivery asks the status
	// service and only the outage makes the gateway fall back to the cache.
	e := newEnv(t, app.Config{CacheTTL: time.Nanosecond, BreakerOpen: time.Minute})
	known, _ := e.receiver("known", nil)
	uncached, _ := e.receiver("uncached", nil)
	wantStatus(t, e.post(known, `{"status":"up"}`), http.StatusAccepted)

	e.grpc.Stop()

	// More deliveries than it takes to open the breaker: the cached
	// receiver keeps working before and after it opens.
	for i := range 8 {
		rec := e.post(known, `{"status":"down"}`)
		if rec.Code != http.StatusAccepted {
			t.Fatalf("delivery %d with the status service down: %d %s", i, rec.Code, rec.Body.String())
		}
	}
	rec := e.post(uncached, `{"status":"down"}`)
	wantError(t, rec, http.StatusServiceUnavailable, "unavailable")
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	if n := len(e.ingested()); n != 9 {
		t.Fatalf("%d events, want 9", n)
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
	if n := e.status.calls.Load(); n != 1 {
		t.Fatalf("%d ResolveReceiver calls, want 1", n)
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
