package outbox

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
)

// An event written in a traced change is relayed, however much later and
// from whatever context, with the trace context of that change; one
// written outside any trace goes out without one.
func TestRelayPublishesTheWritersTrace(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	js := connect(t)
	ctx, span := sdktrace.NewTracerProvider().Tracer("test").Start(context.Background(), "change")
	span.End()
	sc := span.SpanContext()
	events := []bus.Event{
		{Subject: bus.StatusSubject("org_a", "svc_1"), ID: "svc_1:1", Type: "test.v1.Event", Source: "test", Time: time.Now(), Data: []byte("1")},
		{Subject: bus.StatusSubject("org_a", "svc_1"), ID: "svc_1:2", Type: "test.v1.Event", Source: "test", Time: time.Now(), Data: []byte("2")},
	}
	if err := pgx.BeginFunc(ctx, o.pool, func(tx pgx.Tx) error { return o.Write(ctx, tx, events[0]) }); err != nil {
		t.Fatal(err)
	}
	write(t, o, events[1])

	relay := NewRelay(o, js, logging.Discard(), time.Hour)
	if err := relay.drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(context.Background(), bus.StreamStatus)
	if err != nil {
		t.Fatal(err)
	}
	want := "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01"
	for seq, tp := range map[uint64]string{1: want, 2: ""} {
		m, err := st.GetMsg(context.Background(), seq)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Header.Get("traceparent"); got != tp {
			t.Errorf("event %d relayed with traceparent %q, want %q", seq, got, tp)
		}
	}
}
