package tracing_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/upstatehq/upstate/pkg/tracing"
)

// Without an endpoint tracing is off: no providers, nothing to shut down.
func TestOffWithoutEndpoint(t *testing.T) {
	tr, err := tracing.New(context.Background(), tracing.Options{Protocol: "grpc"})
	if err != nil || tr != nil {
		t.Fatalf("New without endpoint = %v, %v; want nil, nil", tr, err)
	}
	if tp := tr.Provider("status"); tp != nil {
		t.Errorf("Provider of tracing off = %v", tp)
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	if tp := tracing.ProviderFrom(tracing.ContextWithProvider(context.Background(), nil)); tp != nil {
		t.Errorf("a context given no provider has %v", tp)
	}
}

func TestRefusesUnknownProtocol(t *testing.T) {
	if _, err := tracing.New(context.Background(), tracing.Options{Endpoint: "http://127.0.0.1:4317", Protocol: "carrier-pigeon"}); err == nil {
		t.Fatal("an unknown protocol was accepted")
	}
}

// Each service's spans carry its name; the services share one pipeline.
func TestProviderPerService(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "")
	rec := tracetest.NewSpanRecorder()
	tr := tracing.WithProcessor(rec)
	for _, name := range []string{"gateway", "status", "gateway"} {
		tp := tr.Provider(name)
		ctx := tracing.ContextWithProvider(context.Background(), tp)
		_, span := tracing.ProviderFrom(ctx).Tracer(tracing.Tracer).Start(ctx, "op")
		span.End()
	}
	if tr.Provider("status") != tr.Provider("status") {
		t.Error("a service got two providers")
	}
	var names []string
	for _, sp := range rec.Ended() {
		v, _ := sp.Resource().Set().Value(attribute.Key("service.name"))
		names = append(names, v.AsString())
	}
	if got := names; len(got) != 3 || got[0] != "gateway" || got[1] != "status" || got[2] != "gateway" {
		t.Errorf("service names = %v", got)
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
