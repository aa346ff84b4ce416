package bus_test

import (
	"context"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/tracing"
)

// tracedContext returns a context in a span of its own, and the span.
func tracedContext(t testing.TB, tp trace.TracerProvider) (context.Context, trace.SpanContext) {
	t.Helper()
	ctx, span := tp.Tracer("test").Start(context.Background(), "producer")
	t.Cleanup(func() { span.End() })
	return ctx, span.SpanContext()
}

// An event published in a span carries its W3C trace context in its
// headers, and one carrying a trace of its own (an outbox row's) keeps it.
func TestPublishCarriesTraceContext(t *testing.T) {
	t.Parallel()
	_, js, _ := setup(t)
	tp := sdktrace.NewTracerProvider()
	ctx, sc := tracedContext(t, tp)
	if err := bus.Publish(ctx, js, statusEvent("org_a", "svc_1", 1)); err != nil {
		t.Fatal(err)
	}
	stored := bus.Trace{Parent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", State: "vendor=1"}
	own := statusEvent("org_a", "svc_1", 2)
	own.Trace = stored
	if err := bus.PublishOrdered(ctx, js, []bus.Event{own}); err != nil {
		t.Fatal(err)
	}
	if err := bus.Publish(context.Background(), js, statusEvent("org_a", "svc_1", 3)); err != nil {
		t.Fatal(err)
	}

	want := "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01"
	if got := getMsg(t, js, bus.StreamStatus, 1).Header.Get("traceparent"); got != want {
		t.Errorf("traceparent of an event published in a span = %q, want %q", got, want)
	}
	h := getMsg(t, js, bus.StreamStatus, 2).Header
	if h.Get("traceparent") != stored.Parent || h.Get("tracestate") != stored.State {
		t.Errorf("event with a trace of its own went out with %q %q", h.Get("traceparent"), h.Get("tracestate"))
	}
	if got := getMsg(t, js, bus.StreamStatus, 3).Header.Get("traceparent"); got != "" {
		t.Errorf("event published outside any span has traceparent %q", got)
	}
}

// A consumer started with a service's tracer provider traces each
// handler call as a child of the message's publisher, and handlers see
// the span in their context.
func TestConsumerSpans(t *testing.T) {
	t.Parallel()
	_, js, logger := setup(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	pub, sc := tracedContext(t, tp)
	if err := bus.Publish(pub, js, statusEvent("org_a", "svc_1", 1)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []trace.SpanContext
	ctx := tracing.ContextWithProvider(context.Background(), tp)
	c, err := bus.Consume(ctx, js, bus.ConsumerConfig{Stream: bus.StreamStatus, Durable: "traced"},
		func(ctx context.Context, _ jetstream.Msg) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, trace.SpanContextFromContext(ctx))
			return nil
		}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	settled(t, js, "traced")

	var spans []sdktrace.ReadOnlySpan
	for _, sp := range rec.Ended() {
		if sp.Name() == "process "+bus.StreamStatus {
			spans = append(spans, sp)
		}
	}
	if len(spans) != 1 {
		t.Fatalf("%d consumer spans, want 1", len(spans))
	}
	sp := spans[0]
	if sp.Parent().SpanID() != sc.SpanID() || sp.SpanContext().TraceID() != sc.TraceID() {
		t.Errorf("consumer span's parent = %v, want the publisher's %v", sp.Parent(), sc)
	}
	if sp.SpanKind() != trace.SpanKindConsumer {
		t.Errorf("kind = %v", sp.SpanKind())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0].SpanID() != sp.SpanContext().SpanID() {
		t.Errorf("handler saw span %v, want the consumer span", seen)
	}
}

// Without a tracer provider in its context, a consumer starts no span
// and its handlers see none.
func TestConsumerUntraced(t *testing.T) {
	t.Parallel()
	_, js, logger := setup(t)
	ctx, _ := tracedContext(t, sdktrace.NewTracerProvider())
	publish(t, js, statusEvent("org_a", "svc_1", 1))
	if err := bus.Publish(ctx, js, statusEvent("org_a", "svc_1", 2)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	traced := 0
	consume(t, js, logger, bus.ConsumerConfig{}, func(ctx context.Context, _ jetstream.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		if trace.SpanContextFromContext(ctx).IsValid() {
			traced++
		}
		return nil
	})
	settled(t, js, "test")
	mu.Lock()
	defer mu.Unlock()
	if traced != 0 {
		t.Errorf("%d handler calls saw a span", traced)
	}
}
