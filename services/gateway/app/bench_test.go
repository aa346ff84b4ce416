package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/logging"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/gateway/app"
	"github.com/upstatehq/upstate/webhook"
)

// BenchmarkDeliver measures the whole handler path of a signed delivery
// with a warm receiver cache: echo's middleware (request id, access log,
// metrics, body limit), token check, rate limit, cache hit, HMAC, JSON
// decode, mapping and a JetStream publish to the embedded server, answered
// once it is acknowledged. serial is the latency of one delivery; parallel
// the throughput of 64 concurrent senders (ns/op is then wall time over
// deliveries). Both write the access log from the request, to a buffer;
// parallel-async-log writes it as a host does, from its own goroutine, in
// JSON (to nowhere).
//
// For a CPU profile of the webhook path:
//
//	go test -run '^$' -bench 'Deliver/parallel-async' -benchmem -cpuprofile cpu.out ./app
func BenchmarkDeliver(b *testing.B) {
	e := newEnv(b, app.Config{RateLimit: 1e9, RateBurst: 1e9})
	sig := webhook.Signature{Secret: "bench-secret", Scheme: webhook.SchemeHex}
	token, _ := e.receiver("bench", func(r *statusv1.Receiver) {
		r.Signature = &statusv1.Signature{Secret: "bench-secret", Scheme: "hex"}
	})
	body := []byte(`{"status":"degraded","message":"elevated latency","component":{"id":"api"}}`)
	header := http.Header{"Content-Type": {"application/json"}}
	if err := webhook.Sign(sig, header, body, e.clock.Now()); err != nil {
		b.Fatal(err)
	}
	send := func() int {
		req := httptest.NewRequest(http.MethodPost, "/api/webhooks/incoming/"+token, strings.NewReader(string(body)))
		req.Header = header.Clone()
		rec := httptest.NewRecorder()
		e.echo.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := send(); code != http.StatusAccepted { // warms the cache
		b.Fatalf("warm-up delivery: %d", code)
	}

	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if code := send(); code != http.StatusAccepted {
				b.Fatalf("status %d", code)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		// 64 senders at once, like the wrk runs of the performance notes.
		b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if code := send(); code != http.StatusAccepted {
					b.Errorf("status %d", code)
					return
				}
			}
		})
	})
	b.Run("parallel-async-log", func(b *testing.B) {
		reg := prometheus.NewRegistry()
		logger := logging.New(io.Discard, logging.Options{Format: "json"})
		access := httpx.NewAccessLog(logger, reg, 0)
		defer func() { _ = access.Close(context.Background()) }()
		host := httpx.NewEcho(logger, reg, httpx.Options{RedactPath: app.RedactPath, AccessLog: access})
		e.gw.RegisterHTTP(host)
		b.ReportAllocs()
		b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest(http.MethodPost, "/api/webhooks/incoming/"+token, strings.NewReader(string(body)))
				req.Header = header.Clone()
				rec := httptest.NewRecorder()
				host.ServeHTTP(rec, req)
				if rec.Code != http.StatusAccepted {
					b.Errorf("status %d", rec.Code)
					return
				}
			}
		})
	})
	if calls := e.status.calls.Load(); calls != 1 {
		b.Fatalf("%d ResolveReceiver calls, want 1: the cache must stay warm", calls)
	}
}
