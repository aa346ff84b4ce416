package bus

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// headerMsg is a delivered message as far as tracing reads one.
type headerMsg struct {
	jetstream.Msg
	h nats.Header
}

func (m headerMsg) Headers() nats.Header { return m.h }
func (m headerMsg) Subject() string      { return "upstate.status.org_a.svc_1" }

// A batch's span continues the trace of its first traced message and
// links every other traced one; messages without a trace add nothing.
func TestBatchSpanParentAndLinks(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	var traced []trace.SpanContext
	var batch []jetstream.Msg
	for i := range 4 {
		h := nats.Header{}
		if i != 1 {
			ctx, span := tp.Tracer("test").Start(context.Background(), "producer")
			TraceOf(ctx).setHeaders(h)
			span.End()
			traced = append(traced, span.SpanContext())
		}
		batch = append(batch, headerMsg{h: h})
	}
	c := &Consumer{tracer: tp.Tracer("test"), cfg: ConsumerConfig{Stream: "STATUS", Durable: "d"}}
	_, span := c.startSpan(context.Background(), batch)
	endSpan(span, nil)

	sp := rec.Ended()[len(rec.Ended())-1]
	if sp.Parent().SpanID() != traced[0].SpanID() || sp.SpanContext().TraceID() != traced[0].TraceID() {
		t.Errorf("parent = %v, want the first message's %v", sp.Parent(), traced[0])
	}
	links := sp.Links()
	if len(links) != 2 || links[0].SpanContext.SpanID() != traced[1].SpanID() || links[1].SpanContext.SpanID() != traced[2].SpanID() {
		t.Errorf("links = %v, want the third and fourth messages' spans", links)
	}
	if !sp.Parent().IsRemote() {
		t.Error("the parent is another process's span: it must be remote")
	}
}

// What is logged about a message is logged in its publisher's trace.
func TestMsgContext(t *testing.T) {
	h := nats.Header{}
	Trace{Parent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}.setHeaders(h)
	sc := trace.SpanContextFromContext(msgContext(headerMsg{h: h}))
	if sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || sc.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("context of a traced message = %v", sc)
	}
	if sc := trace.SpanContextFromContext(msgContext(headerMsg{h: nats.Header{}})); sc.IsValid() {
		t.Errorf("context of an untraced message = %v", sc)
	}
}
