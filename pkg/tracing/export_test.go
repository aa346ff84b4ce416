package tracing_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	collectorv1 "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/tracing"
)

// collector is an OTLP trace receiver that keeps the service names of
// the spans it is sent.
type collector struct {
	collectorv1.UnimplementedTraceServiceServer
	mu       sync.Mutex
	services []string
}

func (c *collector) Export(_ context.Context, req *collectorv1.ExportTraceServiceRequest) (*collectorv1.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				c.services = append(c.services, a.GetValue().GetStringValue())
			}
		}
	}
	return &collectorv1.ExportTraceServiceResponse{}, nil
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.services...)
}

// sendSpan starts tracing as configured by the environment and o, sends
// one span of service status and shuts down, which flushes it.
func sendSpan(t *testing.T, o tracing.Options) {
	t.Helper()
	tr, err := tracing.New(context.Background(), o)
	if err != nil || tr == nil {
		t.Fatalf("New = %v, %v", tr, err)
	}
	_, span := tr.Provider("status").Tracer(tracing.Tracer).Start(context.Background(), "op")
	span.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// With OTEL_EXPORTER_OTLP_ENDPOINT set, spans go to that collector over
// OTLP/gRPC (the default) or OTLP/HTTP, under the service's name.
func TestExportsToTheCollector(t *testing.T) {
	t.Run("grpc", func(t *testing.T) {
		c := &collector{}
		srv := grpc.NewServer()
		collectorv1.RegisterTraceServiceServer(srv, c)
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = srv.Serve(lis) }()
		t.Cleanup(srv.Stop)
		endpoint := "http://" + lis.Addr().String()
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
		sendSpan(t, tracing.Options{Endpoint: endpoint})
		if got := c.got(); len(got) != 1 || got[0] != "status" {
			t.Errorf("collector got spans of %v, want one of status", got)
		}
	})
	t.Run("http/protobuf", func(t *testing.T) {
		c := &collector{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			req := &collectorv1.ExportTraceServiceRequest{}
			if err == nil {
				err = proto.Unmarshal(body, req)
			}
			if r.URL.Path != "/v1/traces" || err != nil {
				t.Errorf("collector got %s %s: %v", r.Method, r.URL.Path, err)
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			_, _ = c.Export(r.Context(), req)
			w.Header().Set("Content-Type", "application/x-protobuf")
		}))
		t.Cleanup(srv.Close)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
		sendSpan(t, tracing.Options{Endpoint: srv.URL, Protocol: "http/protobuf"})
		if got := c.got(); len(got) != 1 || got[0] != "status" {
			t.Errorf("collector got spans of %v, want one of status", got)
		}
	})
}
