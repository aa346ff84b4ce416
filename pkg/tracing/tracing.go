// Package tracing gives every upstate service OpenTelemetry tracing from
// the shared infrastructure: a process builds one Tracing, the service
// host hands each service a tracer provider named after it, and the HTTP
// middleware (httpx), gRPC (grpcx), the bus (consumers and publishes) and
// the outbox carry the W3C trace context from there. A service writes no
// tracing code of its own.
//
// Without an OTLP endpoint tracing is off: there are no providers, the
// middleware and stats handlers are not installed, and incoming
// traceparent headers are not even read, so the hot paths cost what they
// cost before.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Options say where spans go. The OTLP exporter reads the other standard
// OTEL_EXPORTER_OTLP_* variables itself (headers, timeout, certificates,
// compression), and the SDK reads OTEL_TRACES_SAMPLER(_ARG),
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and the OTEL_BSP_* batch
// settings.
type Options struct {
	// Endpoint is OTEL_EXPORTER_OTLP_ENDPOINT; TracesEndpoint is
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. Tracing is on when either is set.
	Endpoint, TracesEndpoint string
	// Protocol is OTEL_EXPORTER_OTLP_PROTOCOL (or its _TRACES_ variant):
	// grpc (default) or http/protobuf.
	Protocol string
}

// Enabled says whether o sends spans anywhere.
func (o Options) Enabled() bool { return o.Endpoint != "" || o.TracesEndpoint != "" }

// Tracing is a process's tracing: one span pipeline, and a tracer
// provider per service name sharing it. The nil *Tracing is tracing off.
type Tracing struct {
	processor sdktrace.SpanProcessor

	mu        sync.Mutex
	providers map[string]*sdktrace.TracerProvider
}

// New returns the process's tracing: nil (off) unless o names an
// endpoint, else an OTLP exporter behind a batching processor. The
// exporter connects lazily: a collector that is down loses spans, never
// requests.
func New(ctx context.Context, o Options) (*Tracing, error) {
	if !o.Enabled() {
		return nil, nil
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch p := strings.ToLower(o.Protocol); p {
	case "", "grpc":
		exp, err = otlptracegrpc.New(ctx)
	case "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: want grpc or http/protobuf", o.Protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	return WithProcessor(sdktrace.NewBatchSpanProcessor(exp)), nil
}

// WithProcessor returns tracing that hands every span to p, for tests
// (a tracetest.SpanRecorder) and for callers with an exporter of their
// own.
func WithProcessor(p sdktrace.SpanProcessor) *Tracing {
	return &Tracing{processor: p, providers: map[string]*sdktrace.TracerProvider{}}
}

// Provider returns the tracer provider of the service name (its spans
// carry service.name=name, unless OTEL_SERVICE_NAME overrides it), or nil
// when tracing is off.
func (t *Tracing) Provider(name string) trace.TracerProvider {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if tp, ok := t.providers[name]; ok {
		return tp
	}
	// Later options win: the environment's service name over ours.
	res, err := resource.New(context.Background(),
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", name)),
		resource.WithFromEnv(),
	)
	if err != nil {
		// Only a malformed OTEL_RESOURCE_ATTRIBUTES gets here; the
		// attributes that did parse are kept.
		res = resource.NewSchemaless(append(res.Attributes(), attribute.String("service.name", name))...)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(t.processor), sdktrace.WithResource(res))
	t.providers[name] = tp
	return tp
}

// Shutdown sends the spans still buffered and stops the pipeline.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	// The providers share the processor: shutting down the first flushes
	// every service's spans; the others only let go of it.
	for _, tp := range t.providers {
		errs = append(errs, tp.Shutdown(ctx))
	}
	errs = append(errs, t.processor.Shutdown(ctx))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("shut tracing down: %w", err)
	}
	return nil
}

// Propagator is how trace context travels in HTTP and NATS headers and
// gRPC metadata: W3C traceparent and tracestate.
func Propagator() propagation.TextMapPropagator { return propagation.TraceContext{} }

type providerKey struct{}

// ContextWithProvider returns ctx carrying the service's tracer provider,
// for what a service starts with that context (its consumers) to trace
// with. A nil tp leaves ctx as it is.
func ContextWithProvider(ctx context.Context, tp trace.TracerProvider) context.Context {
	if tp == nil {
		return ctx
	}
	return context.WithValue(ctx, providerKey{}, tp)
}

// ProviderFrom returns the tracer provider ctx carries, or nil (tracing
// off).
func ProviderFrom(ctx context.Context) trace.TracerProvider {
	tp, _ := ctx.Value(providerKey{}).(trace.TracerProvider)
	return tp
}

// Tracer is the name of upstate's instrumentation scope.
const Tracer = "github.com/upstatehq/upstate"
