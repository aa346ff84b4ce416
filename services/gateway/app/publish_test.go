package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/gateway/app"
)

// swallowIngest stands in for a JetStream that takes deliveries and never
// acknowledges them: INGEST is gone and a plain subscriber on its subjects
// receives every publish without answering. It returns how many it has
// received so far, and the undo.
func (e *env) swallowIngest() (received func() int64, restore func()) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.js.DeleteStream(ctx, bus.StreamIngest); err != nil {
		e.t.Fatal(err)
	}
	var n atomic.Int64
	sub, err := e.nc.Subscribe(bus.SubjectsIngest, func(*nats.Msg) { n.Add(1) })
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.nc.Flush(); err != nil {
		e.t.Fatal(err)
	}
	return n.Load, func() {
		e.t.Helper()
		if err := sub.Unsubscribe(); err != nil {
			e.t.Fatal(err)
		}
		if err := bus.EnsureStreams(ctx, e.js, bus.StreamOptions{}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// A delivery is answered 202 only once JetStream has acknowledged it: one
// that is never acknowledged is answered 503 after the publish timeout,
// and does not keep its place in the window of publishes in flight.
func TestDeliverUnacknowledgedIsUnavailable(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	e := newEnvOn(t, app.Config{PublishWindow: 1, PublishTimeout: timeout}, nil)
	token, _ := e.receiver("r", nil)
	_, restore := e.swallowIngest()

	start := time.Now()
	rec := e.post(token, `{"status":"down"}`)
	wantError(t, rec, http.StatusServiceUnavailable, httpx.CodeUnavailable)
	if took := time.Since(start); took < timeout {
		t.Fatalf("answered 503 after %v, before the publish timeout of %v", took, timeout)
	}
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	if n := e.deliveries("processed"); n != 0 {
		t.Fatalf("an unacknowledged delivery counted as processed (%v)", n)
	}

	// The window holds one publish; the lost one has left it.
	restore()
	wantStatus(t, e.post(token, `{"status":"down"}`), http.StatusAccepted)
	if n := len(e.ingested()); n != 1 {
		t.Fatalf("INGEST holds %d messages, want the acknowledged delivery only", n)
	}
}

// With the window of publishes in flight full, a delivery waits only
// briefly for room and is answered 503, rather than queueing without
// bound behind publishes JetStream is not acknowledging.
func TestDeliverFullPublishWindowIsUnavailable(t *testing.T) {
	t.Parallel()
	const timeout = 3 * time.Second
	e := newEnvOn(t, app.Config{PublishWindow: 1, PublishTimeout: timeout}, nil)
	token, _ := e.receiver("r", nil)
	received, _ := e.swallowIngest()

	var (
		wg    sync.WaitGroup
		first *httptest.ResponseRecorder
	)
	wg.Go(func() { first = e.post(token, `{"status":"down"}`) }) // takes the window's one place
	testenv.Eventually(t, 5*time.Second, func() error {
		if received() == 0 {
			return errorf("the first delivery is not published yet")
		}
		return nil
	})
	start := time.Now()
	rec := e.post(token, `{"status":"operational"}`)
	took := time.Since(start)
	wantError(t, rec, http.StatusServiceUnavailable, httpx.CodeUnavailable)
	if took >= timeout {
		t.Fatalf("the second delivery waited %v, as long as a publish may take: it queued for the window", took)
	}
	wg.Wait()
	wantError(t, first, http.StatusServiceUnavailable, httpx.CodeUnavailable)
}
