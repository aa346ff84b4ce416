package bus_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// applier is a batch handler standing for a database: a batch is applied
// whole or not at all, and what it applied is kept per subject in order.
type applier struct {
	mu        sync.Mutex
	bySubject map[string][]string
	batches   []int // sizes of the batches applied
	// fail, if set, says why a batch is refused (nil: apply it).
	fail func(ids []string) error
}

func (a *applier) handle(_ context.Context, msgs []jetstream.Msg) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.Headers().Get(bus.HeaderCEID)
	}
	if a.fail != nil {
		if err := a.fail(ids); err != nil {
			return err
		}
	}
	if a.bySubject == nil {
		a.bySubject = map[string][]string{}
	}
	for i, m := range msgs {
		a.bySubject[m.Subject()] = append(a.bySubject[m.Subject()], ids[i])
	}
	a.batches = append(a.batches, len(msgs))
	return nil
}

func (a *applier) applied() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, ids := range a.bySubject {
		n += len(ids)
	}
	return n
}

// consumeBatch starts a batch consumer on STATUS and stops it when the
// test ends.
func consumeBatch(t testing.TB, js jetstream.JetStream, cfg bus.ConsumerConfig, h bus.BatchHandler) {
	t.Helper()
	cfg.Stream, cfg.Durable = bus.StreamStatus, "batch"
	c, err := bus.ConsumeBatch(context.Background(), js, cfg, h, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stop consumer: %v", err)
		}
	})
}

// events publishes n events spread over services svc_0…svc_{services-1}
// and returns the ids expected per subject, in order.
func publishSpread(t testing.TB, js jetstream.JetStream, n, services int) map[string][]string {
	t.Helper()
	want := map[string][]string{}
	var events []bus.Event
	for i := range n {
		e := statusEvent("org_1", fmt.Sprintf("svc_%d", i%services), i)
		events = append(events, e)
		want[e.Subject] = append(want[e.Subject], e.ID)
	}
	publish(t, js, events...)
	return want
}

func checkApplied(t testing.TB, a *applier, want map[string][]string) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for subject, ids := range want {
		if got := a.bySubject[subject]; !slices.Equal(got, ids) {
			t.Errorf("%s applied %v, want %v", subject, got, ids)
		}
	}
}

// A backlog is applied in batches of several messages, each message once
// and every subject in stream order.
func TestConsumeBatchAppliesBacklogInBatches(t *testing.T) {
	t.Parallel()
	_, js, _ := setup(t)
	want := publishSpread(t, js, 300, 7)

	var a applier
	consumeBatch(t, js, bus.ConsumerConfig{Concurrency: 2, BatchSize: 64, MaxBatch: 32}, a.handle)
	testenv.Eventually(t, waitFor, func() error {
		if n := a.applied(); n < 300 {
			return fmt.Errorf("applied %d of 300", n)
		}
		return nil
	})
	settled(t, js, "batch")
	checkApplied(t, &a, want)
	a.mu.Lock()
	defer a.mu.Unlock()
	if largest := slices.Max(a.batches); largest < 2 || largest > 32 {
		t.Errorf("batch sizes %v: want some above 1, none above MaxBatch 32", a.batches)
	}
}

// A message that fails on its own fails alone: its batch is split, the
// others are applied in order, and it is dead-lettered after MaxDeliver
// failures of its own.
func TestConsumeBatchIsolatesPoisonMessage(t *testing.T) {
	t.Parallel()
	_, js, _ := setup(t)
	want := publishSpread(t, js, 40, 4)
	const poison = "svc_1:13"
	for s, ids := range want {
		want[s] = slices.DeleteFunc(ids, func(id string) bool { return id == poison })
	}

	a := applier{fail: func(ids []string) error {
		if slices.Contains(ids, poison) {
			return errors.New("payload rejected")
		}
		return nil
	}}
	consumeBatch(t, js, bus.ConsumerConfig{
		MaxDeliver: 2,
		Backoff:    func(int) time.Duration { return time.Millisecond },
	}, a.handle)
	testenv.Eventually(t, waitFor, func() error {
		if n := streamMsgs(t, js, bus.StreamDLQ); n != 1 {
			return fmt.Errorf("%d dead letters", n)
		}
		if n := a.applied(); n < 39 {
			return fmt.Errorf("applied %d of 39", n)
		}
		return nil
	})
	settled(t, js, "batch")
	checkApplied(t, &a, want)
	if id := getMsg(t, js, bus.StreamDLQ, 1).Header.Get(bus.HeaderCEID); id != poison {
		t.Errorf("dead-lettered %s, want %s", id, poison)
	}
}

// Through an outage of the handler's dependency, messages are held in
// place: once it ends every subject's messages are applied in stream
// order, none overtaken by a later one, and none dead-lettered.
func TestConsumeBatchKeepsOrderThroughAnOutage(t *testing.T) {
	t.Parallel()
	for _, maxBatch := range []int{1, 16} {
		t.Run(fmt.Sprintf("max batch %d", maxBatch), func(t *testing.T) {
			t.Parallel()
			_, js, _ := setup(t)
			want := publishSpread(t, js, 60, 3)

			calls := 0
			a := applier{fail: func([]string) error {
				// Down for the first 40 tries, more than every message
				// would get if each failure were redelivered.
				if calls++; calls <= 40 {
					return bus.Transient(errors.New("database down"))
				}
				return nil
			}}
			consumeBatch(t, js, bus.ConsumerConfig{
				MaxBatch:         maxBatch,
				Concurrency:      2,
				MaxDeliver:       2,
				TransientBackoff: func(int) time.Duration { return time.Millisecond },
			}, a.handle)
			testenv.Eventually(t, waitFor, func() error {
				if n := a.applied(); n < 60 {
					return fmt.Errorf("applied %d of 60", n)
				}
				return nil
			})
			settled(t, js, "batch")
			checkApplied(t, &a, want)
			if n := streamMsgs(t, js, bus.StreamDLQ); n != 0 {
				t.Errorf("%d dead letters, want none", n)
			}
		})
	}
}
