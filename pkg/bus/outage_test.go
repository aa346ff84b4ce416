package bus_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// errDatabaseDown stands for what a store returns while its database is
// down; the consumer learns it is transient from its Unavailable.
var errDatabaseDown = errors.New("connect: database is not accepting connections")

// A dependency that is down for many times MaxDeliver deliveries costs no
// message: each is applied once, after the outage, and none is
// dead-lettered, however the failure says it is transient.
func TestConsumeRetriesThroughAnOutage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		err         error
		unavailable func(error) bool
	}{
		{"marked transient", fmt.Errorf("apply: %w", bus.Transient(errors.New("status service unreachable"))), nil},
		{"NATS publish timeout", fmt.Errorf("publish reply: %w", nats.ErrTimeout), nil},
		{"JetStream without a stream leader", fmt.Errorf("publish: %w", jetstream.ErrNoStreamResponse), nil},
		{"recognised by the consumer's config", fmt.Errorf("apply: %w", errDatabaseDown), func(err error) bool { return errors.Is(err, errDatabaseDown) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, js, logger := setup(t)
			var events []bus.Event
			for i := range 6 {
				events = append(events, statusEvent("org_1", fmt.Sprintf("svc_%d", i%3), i))
			}
			publish(t, js, events...)

			const maxDeliver, outage = 3, 12 // the outage lasts four times MaxDeliver deliveries
			var (
				mu       sync.Mutex
				attempts = map[string]int{}
				applied  = map[string]int{}
				backoffs []int
			)
			h := func(_ context.Context, msg jetstream.Msg) error {
				mu.Lock()
				defer mu.Unlock()
				id := msg.Headers().Get(bus.HeaderCEID)
				if attempts[id]++; attempts[id] <= outage {
					return tt.err
				}
				applied[id]++
				return nil
			}
			consume(t, js, logger, bus.ConsumerConfig{
				MaxDeliver:  maxDeliver,
				Concurrency: 2,
				Backoff:     func(int) time.Duration { return time.Millisecond },
				TransientBackoff: func(attempt int) time.Duration {
					mu.Lock()
					defer mu.Unlock()
					backoffs = append(backoffs, attempt)
					return 5 * time.Millisecond
				},
				Unavailable: tt.unavailable,
			}, h)
			testenv.Eventually(t, waitFor, func() error {
				mu.Lock()
				defer mu.Unlock()
				if len(applied) < len(events) {
					return fmt.Errorf("%d of %d messages applied", len(applied), len(events))
				}
				return nil
			})
			settled(t, js, "test")

			mu.Lock()
			defer mu.Unlock()
			for _, e := range events {
				if applied[e.ID] != 1 || attempts[e.ID] != outage+1 {
					t.Errorf("%s applied %d times in %d attempts, want once after the outage's %d", e.ID, applied[e.ID], attempts[e.ID], outage)
				}
			}
			if n := streamMsgs(t, js, bus.StreamDLQ); n != 0 {
				t.Errorf("%d dead letters, want none", n)
			}
			// The delay grows with the deliveries: each message's n-th
			// transient failure asks for the delay of attempt n.
			slices.Sort(backoffs)
			if len(backoffs) != len(events)*outage || backoffs[0] != 1 || backoffs[len(backoffs)-1] != outage {
				t.Errorf("transient backoff asked for attempts %v, want 1 to %d for each message", backoffs, outage)
			}
		})
	}
}

// Only a message's own failures count towards dead-lettering it, however
// many transient ones come in between, and they are counted across the
// consumer's processes: a replica or a restarted process goes on from the
// count the last one reached.
func TestConsumeCountsOnlyTheMessagesOwnFailures(t *testing.T) {
	t.Parallel()
	_, js, logger := setup(t)
	e := statusEvent("org_1", "svc_1", 1)
	publish(t, js, e)

	// What the handler's successive calls return, across both processes:
	// three failures of the message, with outages in between.
	own := errors.New("payload rejected")
	down := bus.Transient(errors.New("database down"))
	script := []error{own, down, down, own, down, down, down, own}
	var next atomic.Int32
	// firstHandled closes when the first process has played the script up
	// to its second own failure; it then only waits.
	firstHandled := make(chan struct{})
	play := func(limit int32) bus.Handler {
		return func(context.Context, jetstream.Msg) error {
			if next.Load() >= limit {
				return bus.Transient(errors.New("waiting to be stopped"))
			}
			i := next.Add(1) - 1
			if i == limit-1 && limit < int32(len(script)) {
				close(firstHandled)
			}
			return script[i]
		}
	}
	cfg := bus.ConsumerConfig{
		Durable:          "notify",
		MaxDeliver:       3,
		Backoff:          func(int) time.Duration { return time.Millisecond },
		TransientBackoff: func(int) time.Duration { return time.Millisecond },
	}
	first, err := bus.Consume(context.Background(), js, withStream(cfg), play(4), logger)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-firstHandled:
	case <-time.After(waitFor):
		t.Fatal("the first process did not play its part")
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := first.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	if n := streamMsgs(t, js, bus.StreamDLQ); n != 0 {
		t.Fatalf("%d dead letters after two failures of the message, want none", n)
	}

	consume(t, js, logger, cfg, play(int32(len(script))))
	testenv.Eventually(t, waitFor, func() error {
		if n := streamMsgs(t, js, bus.StreamDLQ); n != 1 {
			return fmt.Errorf("%d dead letters", n)
		}
		return nil
	})
	settled(t, js, "notify")
	if n := next.Load(); int(n) != len(script) {
		t.Errorf("handler played %d of the %d results", n, len(script))
	}
	dl := getMsg(t, js, bus.StreamDLQ, 1)
	if got := dl.Header.Get(bus.HeaderFailures); got != "3" {
		t.Errorf("failures header %q, want 3", got)
	}
	if got := dl.Header.Get(bus.HeaderError); got != own.Error() {
		t.Errorf("error header %q, want %q", got, own)
	}
}

func withStream(cfg bus.ConsumerConfig) bus.ConsumerConfig {
	cfg.Stream = bus.StreamStatus
	return cfg
}
