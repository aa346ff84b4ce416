package bus_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

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
