package httpx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// A traced listener continues the caller's trace, names the span after
// the route (never the path, which may hold a token), and logs the
// request under the trace's id.
func TestTraceRequests(t *testing.T) {
	for _, mode := range logModes {
		t.Run(mode.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("test")
			logs := &testenv.LogBuffer{}
			logger := logging.New(logs, logging.Options{Format: "json"})
			var access *AccessLog
			if mode.async {
				access = NewAccessLog(logger, prometheus.NewRegistry(), 0)
			}
			e := NewEcho(logger, prometheus.NewRegistry(), Options{
				AccessLog: access,
				Tracers:   func(string, string) trace.Tracer { return tracer },
			})
			var inHandler trace.SpanContext
			e.POST("/hooks/:token", func(c echo.Context) error {
				inHandler = trace.SpanContextFromContext(c.Request().Context())
				return echo.NewHTTPError(http.StatusBadGateway)
			})
			req := httptest.NewRequest(http.MethodPost, "/hooks/"+strings.Repeat("ab", 32), nil)
			req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			e.ServeHTTP(httptest.NewRecorder(), req)
			if access != nil {
				if err := access.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
			}

			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			sp := spans[0]
			if sp.Name() != "POST /hooks/:token" || sp.SpanKind() != trace.SpanKindServer {
				t.Errorf("span %q of kind %v", sp.Name(), sp.SpanKind())
			}
			if sp.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || sp.Parent().SpanID().String() != "00f067aa0ba902b7" {
				t.Errorf("span does not continue the caller's trace: %v under %v", sp.SpanContext(), sp.Parent())
			}
			if inHandler.SpanID() != sp.SpanContext().SpanID() {
				t.Error("the handler's context does not hold the request's span")
			}
			if sp.Status().Code.String() != "Error" {
				t.Errorf("a 502 left status %v", sp.Status())
			}
			if line := logs.String(); !strings.Contains(line, `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`) ||
				!strings.Contains(line, `"span_id":"`+sp.SpanContext().SpanID().String()+`"`) {
				t.Errorf("access log without the request's trace: %s", line)
			}
		})
	}
}
