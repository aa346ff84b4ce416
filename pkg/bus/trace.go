package bus

import (
	"context"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/upstatehq/upstate/pkg/tracing"
)

// Trace is the W3C trace context an event travels with: the
// traceparent and tracestate of the span it was published under, kept
// with an outbox row so that the relay publishes the event in the trace
// of the change that wrote it. The zero Trace is no trace.
type Trace struct {
	Parent, State string
}

// TraceOf returns the trace context of ctx's span (zero without one).
func TraceOf(ctx context.Context) Trace {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return Trace{}
	}
	c := traceCarrier{}
	tracing.Propagator().Inject(ctx, c)
	return Trace{Parent: c.Get(headerTraceparent), State: c.Get(headerTracestate)}
}

// The W3C headers, in NATS headers as in HTTP; NATS header names are
// case-sensitive, and these are lowercase as the W3C writes them.
const (
	headerTraceparent = "traceparent"
	headerTracestate  = "tracestate"
)

// setHeaders writes t into h.
func (t Trace) setHeaders(h nats.Header) {
	if t.Parent == "" {
		return
	}
	h.Set(headerTraceparent, t.Parent)
	if t.State != "" {
		h.Set(headerTracestate, t.State)
	}
}

// traceCarrier is a NATS header as the propagator reads and writes it,
// with names kept exactly as given.
type traceCarrier nats.Header

func (c traceCarrier) Get(key string) string { return nats.Header(c).Get(key) }
func (c traceCarrier) Set(key, value string) { nats.Header(c).Set(key, value) }
func (c traceCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// tracerFrom is the tracer of the service whose context ctx is, or nil.
func tracerFrom(ctx context.Context) trace.Tracer {
	tp := tracing.ProviderFrom(ctx)
	if tp == nil {
		return nil
	}
	return tp.Tracer(tracing.Tracer)
}

// msgSpanContext is the span context a message was published under, or
// an invalid one.
func msgSpanContext(msg jetstream.Msg) trace.SpanContext {
	h := msg.Headers()
	if h == nil || h.Get(headerTraceparent) == "" {
		return trace.SpanContext{}
	}
	ctx := tracing.Propagator().Extract(context.Background(), traceCarrier(h))
	return trace.SpanContextFromContext(ctx)
}

// msgContext is a context in the trace msg was published in, if any, so
// that what is logged about the message leads to its trace.
func msgContext(msg jetstream.Msg) context.Context {
	ctx := context.Background()
	if sc := msgSpanContext(msg); sc.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	return ctx
}

// startSpan starts the span of one handler call over batch, when the
// consumer traces: a child of the first message's publisher (so that a
// lone message continues its trace) linked to every other message's, as
// the OpenTelemetry messaging conventions do for batches.
func (c *Consumer) startSpan(ctx context.Context, batch []jetstream.Msg) (context.Context, trace.Span) {
	if c.tracer == nil {
		return ctx, nil
	}
	var links []trace.Link
	for i, msg := range batch {
		sc := msgSpanContext(msg)
		if !sc.IsValid() {
			continue
		}
		if i == 0 {
			ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
			continue
		}
		links = append(links, trace.Link{SpanContext: sc})
	}
	return c.tracer.Start(ctx, "process "+c.cfg.Stream,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithLinks(links...),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.destination.name", batch[0].Subject()),
			attribute.String("messaging.consumer.group.name", c.cfg.Durable),
			attribute.Int("messaging.batch.message_count", len(batch)),
		))
}

// endSpan ends span (nil when the consumer does not trace) with the
// handler's result.
func endSpan(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
