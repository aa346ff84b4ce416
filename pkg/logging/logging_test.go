package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/upstatehq/upstate/pkg/logging"
)

// A line logged in a span names its trace and span; one logged outside
// any span names neither.
func TestTraceIDs(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			logger := logging.New(&buf, logging.Options{Format: format}).With("service", "status")
			ctx, span := sdktrace.NewTracerProvider().Tracer("test").Start(context.Background(), "op")
			defer span.End()
			sc := span.SpanContext()

			logger.InfoContext(logging.WithRequestID(ctx, "req-1"), "in a span")
			line := buf.String()
			for _, want := range []string{sc.TraceID().String(), sc.SpanID().String(), "req-1", "trace_id", "span_id"} {
				if !bytes.Contains([]byte(line), []byte(want)) {
					t.Errorf("line %q lacks %q", line, want)
				}
			}
			if format == "json" {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatal(err)
				}
				if m["trace_id"] != sc.TraceID().String() || m["span_id"] != sc.SpanID().String() || m["service"] != "status" {
					t.Errorf("line = %v", m)
				}
			}

			buf.Reset()
			logger.InfoContext(context.Background(), "outside")
			if bytes.Contains(buf.Bytes(), []byte("trace_id")) {
				t.Errorf("line outside a span has a trace id: %s", buf.String())
			}
		})
	}
}
