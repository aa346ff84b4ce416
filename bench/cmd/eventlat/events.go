package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// typeStatusChanged is the ce-type of the events matched.
const typeStatusChanged = "upstate.status.v1.StatusChanged"

// events are the StatusChanged events read so far: when the stream stored
// each, by the delivery that caused it.
type events struct {
	mu   sync.Mutex
	at   map[string]time.Time
	stop func()
}

func (e *events) lookup(id string) (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.at[id]
	return t, ok
}

// subscribe reads stream from now on with an ordered consumer.
func subscribe(ctx context.Context, nc *nats.Conn, stream string) (*events, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	c, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	e := &events{at: map[string]time.Time{}}
	cc, err := c.Consume(func(m jetstream.Msg) {
		if m.Headers().Get("ce-type") != typeStatusChanged {
			return
		}
		var ev statusv1.StatusChanged
		md, err := m.Metadata()
		if err != nil || proto.Unmarshal(m.Data(), &ev) != nil || ev.GetDeliveryId() == "" {
			return
		}
		e.mu.Lock()
		e.at[ev.GetDeliveryId()] = md.Timestamp
		e.mu.Unlock()
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		fmt.Fprintln(os.Stderr, "eventlat: read", stream+":", err)
	}))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	e.stop = cc.Stop
	return e, nil
}
