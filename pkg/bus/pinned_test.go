package bus_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// Two replicas of a Pinned consumer: one takes every message, in stream
// order, while the other waits; stopped, it hands over at once (not after
// the pinned TTL), and the other takes what follows, in order.
func TestConsumePinnedOneReplicaAtATime(t *testing.T) {
	t.Parallel()
	_, js, logger := setup(t)
	cfg := bus.ConsumerConfig{Pinned: true, Concurrency: 4, BatchSize: 16, AckWait: 30 * time.Second}
	var a, b recorder
	ca := consume(t, js, logger, cfg, a.handle)
	cb := consume(t, js, logger, cfg, b.handle)

	var events []bus.Event
	for i := range 100 {
		events = append(events, statusEvent("org_1", "svc_1", i))
	}
	publish(t, js, events[:50]...)
	testenv.Eventually(t, waitFor, func() error {
		if n := a.count() + b.count(); n < 50 {
			return fmt.Errorf("handled %d of 50", n)
		}
		return nil
	})
	pinned, standby, stop := &a, &b, ca
	if b.count() > 0 {
		pinned, standby, stop = &b, &a, cb
	}
	if standby.count() != 0 {
		t.Fatalf("both replicas took messages: %d and %d", a.count(), b.count())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := stop.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	publish(t, js, events[50:]...)
	// Well under the pinned TTL (AckWait and more).
	testenv.Eventually(t, 10*time.Second, func() error {
		if n := standby.count(); n < 50 {
			return fmt.Errorf("the standby handled %d of 50 after the hand-over", n)
		}
		return nil
	})
	subject := bus.StatusSubject("org_1", "svc_1")
	got := append(slices.Clone(pinned.bySubject[subject]), standby.bySubject[subject]...)
	var want []string
	for _, e := range events {
		want = append(want, e.ID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("handled in order %v, want %v", got, want)
	}
}

// The pinned replica loses its connection holding messages it never
// acknowledges, and the pin moves on (as when the consumer's leader moves
// with a NATS node): the replica taking over is given the messages that
// follow at once, but the lost ones only after AckWait. It holds the newer
// ones back until the older are redelivered and applied, so the subject's
// order holds.
func TestConsumePinnedHandOverKeepsTheOrder(t *testing.T) {
	t.Parallel()
	logger := testLogger(t)
	srv := testenv.StartNATS(t)
	connect := func(name string) (*nats.Conn, jetstream.JetStream) {
		nc, js, err := bus.Connect(context.Background(), srv.ClientURL(), name, logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		return nc, js
	}
	ncA, jsA := connect("holder")
	_, js := connect("successor")
	if err := bus.EnsureStreams(context.Background(), js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := bus.ConsumerConfig{Pinned: true, BatchSize: 16, AckWait: 2 * time.Second}

	got := make(chan struct{})
	stuck := make(chan struct{})
	var once sync.Once
	consume(t, jsA, logger, cfg, func(context.Context, jetstream.Msg) error {
		once.Do(func() { close(got) })
		<-stuck
		return errors.New("never applied")
	})
	// Before the consumer's Stop (cleanups run last first).
	t.Cleanup(func() { close(stuck) })
	var events []bus.Event
	for i := range 20 {
		events = append(events, statusEvent("org_1", "svc_1", i))
	}
	publish(t, js, events[:10]...)
	select {
	case <-got:
	case <-time.After(waitFor):
		t.Fatal("the first replica was given nothing")
	}
	ncA.Close()
	st, err := js.Stream(context.Background(), bus.StreamStatus)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UnpinConsumer(context.Background(), "test", "replicas"); err != nil {
		t.Fatal(err)
	}

	var b recorder
	consume(t, js, logger, cfg, b.handle)
	publish(t, js, events[10:]...)
	testenv.Eventually(t, waitFor, func() error {
		if n := b.count(); n < 20 {
			return fmt.Errorf("the successor applied %d of 20", n)
		}
		return nil
	})
	var want []string
	for _, e := range events {
		want = append(want, e.ID)
	}
	if got := b.bySubject[bus.StatusSubject("org_1", "svc_1")]; !slices.Equal(got, want) {
		t.Fatalf("applied in order %v, want %v", got, want)
	}
}
