package groupcommit_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/upstatehq/upstate/pkg/groupcommit"
)

// A batch is applied in a span continuing its caller's trace, so that
// what it writes (outbox events) is in that trace; an untraced caller's
// batch has no span.
func TestBatchContinuesTheCallersTrace(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	var applied trace.SpanContext
	g := groupcommit.New(func(ctx context.Context, reqs []int) []groupcommit.Result[int] {
		applied = trace.SpanContextFromContext(ctx)
		return make([]groupcommit.Result[int], len(reqs))
	}, groupcommit.Options{})

	ctx, caller := tp.Tracer("test").Start(context.Background(), "caller")
	if _, err := g.Do(ctx, 1); err != nil {
		t.Fatal(err)
	}
	caller.End()
	spans := rec.Ended()
	if len(spans) != 2 || spans[0].Name() != "group commit" {
		t.Fatalf("spans %v, want the group commit's and the caller's", spans)
	}
	commit := spans[0]
	if commit.Parent().SpanID() != caller.SpanContext().SpanID() || applied.SpanID() != commit.SpanContext().SpanID() {
		t.Errorf("batch applied in %v under %v; want the group commit span under the caller's %v",
			applied, commit.Parent(), caller.SpanContext())
	}

	if _, err := g.Do(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if applied.IsValid() {
		t.Errorf("an untraced caller's batch was applied in span %v", applied)
	}
}
