package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// In a work queue, a message that the handler defers comes back after the
// delay it asked for, however often, without being dead-lettered (its
// failures are not counted) and without holding up the messages behind
// it, even those of the worker its subject hashes to.
func TestIndependentConsumerDefersWithoutHolding(t *testing.T) {
	t.Parallel()
	_, js, logger := setup(t)
	const delay = 200 * time.Millisecond
	var events []bus.Event
	for i := range 20 {
		events = append(events, bus.Event{Subject: bus.NotifySubject("org_1", fmt.Sprintf("ntf_%d", i)), ID: fmt.Sprint(i),
			Type: "upstate.notification.v1.Notification", Source: "upstate/test", Time: time.Now(), Data: []byte{byte(i)}})
	}
	publish(t, js, events...)

	var (
		mu       sync.Mutex
		attempts []time.Time // of message 0
		done     = map[byte]time.Time{}
	)
	h := func(_ context.Context, msg jetstream.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		n := msg.Data()[0]
		if n == 0 && len(attempts) < 4 {
			attempts = append(attempts, time.Now())
			return bus.Defer(errors.New("far side answered 503"), delay)
		}
		done[n] = time.Now()
		return nil
	}
	c, err := bus.Consume(context.Background(), js, bus.ConsumerConfig{Stream: bus.StreamNotify, Durable: "work", MaxDeliver: 1, Concurrency: 2, Independent: true}, h, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })

	testenv.Eventually(t, waitFor, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(done) != 20 {
			return fmt.Errorf("%d of 20 handled", len(done))
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(attempts); i++ {
		if gap := attempts[i].Sub(attempts[i-1]); gap < delay-50*time.Millisecond {
			t.Errorf("deferred attempt %d came after %s, want %s", i, gap, delay)
		}
	}
	for n, at := range done {
		if n != 0 && at.After(attempts[1]) {
			t.Errorf("message %d was handled after message 0's retry: held behind it", n)
		}
	}
	if n := streamMsgs(t, js, bus.StreamDLQ); n != 0 {
		t.Errorf("%d dead letters, want none", n)
	}
	testenv.Eventually(t, waitFor, func() error {
		if n := streamMsgs(t, js, bus.StreamNotify); n != 0 {
			return fmt.Errorf("%d messages left in the work queue", n)
		}
		return nil
	})
}
