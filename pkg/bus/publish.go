package bus

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// batchWindow is how many publishes of one batch await their
// acknowledgement at a time. It keeps a large batch from filling the
// JetStream handle's shared limit of pending asynchronous publishes.
const batchWindow = 256

// Event is one event to publish: a protobuf body and its CloudEvents
// attributes.
type Event struct {
	// Subject is the NATS subject, which selects the stream.
	Subject string
	// ID is unique per event and stable across republishing; it is both
	// ce-id and Nats-Msg-Id, so JetStream stores a republished event once.
	ID string
	// Type is the versioned event type, e.g. upstate.status.v1.StatusChanged.
	Type string
	// Source names the producer, e.g. upstate/status.
	Source string
	// Time is when the fact happened, not when it was published.
	Time time.Time
	// Data is the serialized protobuf message.
	Data []byte
	// Trace is the trace context the event is published in (zero: that
	// of the context it is published or written to an outbox with).
	Trace Trace
}

// NewMsg returns e as a NATS message with CloudEvents headers (binary
// content mode), Nats-Msg-Id set to e.ID and the W3C trace context of
// e.Trace, or else of ctx's span, so that its consumers continue the
// trace.
func NewMsg(ctx context.Context, e Event) *nats.Msg {
	m := nats.NewMsg(e.Subject)
	m.Data = e.Data
	m.Header.Set(HeaderCESpecVersion, CESpecVersion)
	m.Header.Set(HeaderCEID, e.ID)
	m.Header.Set(HeaderCEType, e.Type)
	m.Header.Set(HeaderCESource, e.Source)
	m.Header.Set(HeaderCETime, e.Time.UTC().Format(time.RFC3339Nano))
	m.Header.Set(HeaderContentType, ContentTypeProtobuf)
	// The same header jetstream.WithMsgID sets; set here so every path
	// that sends an Event de-duplicates, including asynchronous publishes.
	m.Header.Set(jetstream.MsgIDHeader, e.ID)
	if e.Trace.Parent == "" {
		e.Trace = TraceOf(ctx)
	}
	e.Trace.setHeaders(m.Header)
	return m
}

// Publish publishes e and waits until JetStream has stored it (or had
// already stored an event with the same id).
func Publish(ctx context.Context, js jetstream.JetStream, e Event) error {
	if _, err := js.PublishMsg(ctx, NewMsg(ctx, e)); err != nil {
		return fmt.Errorf("publish %s to %s: %w", e.ID, e.Subject, err)
	}
	return nil
}

// pendingAck is an event published asynchronously and its future.
type pendingAck struct {
	event  Event
	future jetstream.PubAckFuture
}

func (p pendingAck) wait(ctx context.Context) error {
	select {
	case <-p.future.Ok():
		return nil
	case err := <-p.future.Err():
		return fmt.Errorf("publish %s to %s: %w", p.event.ID, p.event.Subject, err)
	case <-ctx.Done():
		return fmt.Errorf("publish %s to %s: %w", p.event.ID, p.event.Subject, ctx.Err())
	}
}
