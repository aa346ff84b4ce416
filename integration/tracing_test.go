package integration

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/pkg/tracing"
)

// The sender's trace: a webhook arrives as part of a trace begun
// elsewhere, as a monitoring tool that traces its own calls sends it.
const (
	senderTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	senderSpanID  = "00f067aa0ba902b7"
)

// One webhook is one trace: from the sender's traceparent through the
// gateway, the gateway's gRPC call to the status service, the INGEST
// stream, the status service's outbox, STATUS and every service that
// consumes it, and on through the incidents service's outbox and
// INCIDENTS — each span a child of the one before it.
func TestOneWebhookIsOneTrace(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	s := startStackTraced(t, nil, nil, tracing.WithProcessor(rec))
	svc := s.createService(bootstrapKey, "Checkout")
	_, path := s.autoReceiver("monitor", svc, "major")
	// Alone in their batches: a batch continues the trace of its first
	// message and links the others.
	s.awaitConsumersIdle(bus.StreamIngest, bus.StreamStatus, bus.StreamIncidents)

	r := s.post(path, `{"status":"down"}`, "traceparent", "00-"+senderTraceID+"-"+senderSpanID+"-01")
	if r.Status != http.StatusAccepted {
		t.Fatalf("delivery: %d %s", r.Status, r.Body)
	}
	want := []string{
		"gateway: POST /api/webhooks/incoming/:token",
		"gateway: upstate.status.v1.ReceiverService/ResolveReceiver",
		"status: upstate.status.v1.ReceiverService/ResolveReceiver",
		"status: process INGEST",
		"incidents: process STATUS",
		"sla: process STATUS",
		"alerting: process STATUS",
		"statuspage: process STATUS",
		"statuspage: process INCIDENTS",
	}
	var spans []sdktrace.ReadOnlySpan
	testenv.Eventually(t, 15*time.Second, func() error {
		spans = inTrace(rec, senderTraceID)
		got := spanNames(spans)
		var missing []string
		for _, w := range want {
			if !slices.Contains(got, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("trace %s lacks %q; has %q", senderTraceID, missing, got)
		}
		return nil
	})
	assertConnected(t, spans, senderSpanID)
	// Each hop is the child of the one that caused it.
	parentOf := func(name string) string {
		t.Helper()
		child := findSpan(t, spans, name)
		return spanName(findByID(t, spans, child.Parent().SpanID().String()))
	}
	for child, parent := range map[string]string{
		"status: process INGEST":        "gateway: POST /api/webhooks/incoming/:token",
		"incidents: process STATUS":     "status: process INGEST",
		"statuspage: process INCIDENTS": "incidents: process STATUS",
	} {
		if got := parentOf(child); got != parent {
			t.Errorf("parent of %q = %q, want %q", child, got, parent)
		}
	}
}

// An API call carries its caller's trace to the service that owns the
// change, over gRPC, and on to the consumers of the change's event.
func TestAPICallIsOneTrace(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	s := startStackTraced(t, nil, nil, tracing.WithProcessor(rec))
	svc := s.createService(bootstrapKey, "Search")
	s.awaitConsumersIdle(bus.StreamStatus)

	const traceID = "0af7651916cd43dd8448eb211c80319c"
	req, err := http.NewRequest(http.MethodPut, s.baseURL+"/api/v1/services/"+svc, strings.NewReader(`{"status":"degraded"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bootstrapKey)
	req.Header.Set("traceparent", "00-"+traceID+"-b7ad6b7169203331-01")
	if r := send(t, req); r.Status != http.StatusOK {
		t.Fatalf("report status: %d %s", r.Status, r.Body)
	}
	testenv.Eventually(t, 15*time.Second, func() error {
		got := spanNames(inTrace(rec, traceID))
		for _, w := range []string{
			"edge: PUT /api/v1/services/:id",
			"status: upstate.status.v1.ServiceRegistryService/SetStatus",
			"sla: process STATUS",
		} {
			if !slices.Contains(got, w) {
				return fmt.Errorf("trace %s lacks %q; has %q", traceID, w, got)
			}
		}
		return nil
	})
}

// awaitConsumersIdle waits until every consumer of streams has handled
// all it was given.
func (s *stack) awaitConsumersIdle(streams ...string) {
	s.t.Helper()
	ctx := context.Background()
	testenv.Eventually(s.t, 15*time.Second, func() error {
		for _, name := range streams {
			st, err := s.js.Stream(ctx, name)
			if err != nil {
				return err
			}
			consumers := st.ListConsumers(ctx)
			for info := range consumers.Info() {
				if info.NumPending > 0 || info.NumAckPending > 0 {
					return fmt.Errorf("consumer %s of %s has %d pending, %d unacknowledged",
						info.Name, name, info.NumPending, info.NumAckPending)
				}
			}
			if err := consumers.Err(); err != nil {
				return err
			}
		}
		return nil
	})
}

// inTrace returns the ended spans of the trace.
func inTrace(rec *tracetest.SpanRecorder, traceID string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, sp := range rec.Ended() {
		if sp.SpanContext().TraceID().String() == traceID {
			out = append(out, sp)
		}
	}
	return out
}

// spanName is "<service>: <span name>".
func spanName(sp sdktrace.ReadOnlySpan) string {
	svc, _ := sp.Resource().Set().Value(attribute.Key("service.name"))
	return svc.AsString() + ": " + sp.Name()
}

func spanNames(spans []sdktrace.ReadOnlySpan) []string {
	names := make([]string, len(spans))
	for i, sp := range spans {
		names[i] = spanName(sp)
	}
	return names
}

func findSpan(t *testing.T, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, sp := range spans {
		if spanName(sp) == name {
			return sp
		}
	}
	t.Fatalf("no span %q", name)
	return nil
}

func findByID(t *testing.T, spans []sdktrace.ReadOnlySpan, id string) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, sp := range spans {
		if sp.SpanContext().SpanID().String() == id {
			return sp
		}
	}
	t.Fatalf("no span %s in the trace", id)
	return nil
}

// assertConnected checks that spans form one tree under the sender's
// span: each one's parent is another of them, or the sender's.
func assertConnected(t *testing.T, spans []sdktrace.ReadOnlySpan, root string) {
	t.Helper()
	ids := map[string]bool{root: true}
	for _, sp := range spans {
		ids[sp.SpanContext().SpanID().String()] = true
	}
	for _, sp := range spans {
		if p := sp.Parent().SpanID().String(); !ids[p] {
			t.Errorf("span %q has parent %s, outside the trace's spans", spanName(sp), p)
		}
	}
}
