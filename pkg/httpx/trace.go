package httpx

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/upstatehq/upstate/pkg/tracing"
)

// Tracers gives the tracer of a request by its method and route
// template: that of the service serving the route, on a listener several
// services share.
type Tracers func(method, route string) trace.Tracer

// traceRequests starts a server span per request, continuing the
// caller's trace when its traceparent header names one. The span is named
// after the route template, never the path: paths carry webhook tokens.
func traceRequests(tracers Tracers) echo.MiddlewareFunc {
	prop := tracing.Propagator()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			ctx := prop.Extract(req.Context(), propagation.HeaderCarrier(req.Header))
			ctx, span := tracers(req.Method, route).Start(ctx, req.Method+" "+route,
				trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(
					attribute.String("http.request.method", req.Method),
					attribute.String("http.route", route),
				))
			defer span.End()
			c.SetRequest(req.WithContext(ctx))
			err := next(c)
			if err != nil {
				// Render now, as the access log does, so that the span
				// has the status sent.
				c.Error(err)
			}
			status := c.Response().Status
			span.SetAttributes(attribute.Int("http.response.status_code", status))
			if status >= http.StatusInternalServerError {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			return nil
		}
	}
}
