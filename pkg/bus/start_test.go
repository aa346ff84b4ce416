package bus_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// handledIDs waits until r handled want's messages on org_1's svc_1 and
// the consumer settled, then checks that those were exactly want.
func handledIDs(t *testing.T, r *recorder, js jetstream.JetStream, durable string, want ...string) {
	t.Helper()
	subject := bus.StatusSubject("org_1", "svc_1")
	testenv.Eventually(t, waitFor, func() error {
		r.mu.Lock()
		defer r.mu.Unlock()
		if got := r.bySubject[subject]; len(got) < len(want) {
			return fmt.Errorf("handled %v, want %v", got, want)
		}
		return nil
	})
	settled(t, js, durable)
	r.mu.Lock()
	defer r.mu.Unlock()
	if got := r.bySubject[subject]; !slices.Equal(got, want) {
		t.Errorf("handled %v, want %v", got, want)
	}
}

func TestConsumeStarts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// start is the consumer's start, given the time the second of
		// three earlier messages was stored.
		start func(second time.Time) bus.Start
		want  []string
	}{
		{"from the oldest", func(time.Time) bus.Start { return bus.FromOldest }, []string{"svc_1:1", "svc_1:2", "svc_1:3", "svc_1:4"}},
		{"from now", func(time.Time) bus.Start { return bus.FromNow }, []string{"svc_1:4"}},
		{"from a time", bus.FromTime, []string{"svc_1:2", "svc_1:3", "svc_1:4"}},
		{"from the zero time", func(time.Time) bus.Start { return bus.FromTime(time.Time{}) }, []string{"svc_1:1", "svc_1:2", "svc_1:3", "svc_1:4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, js, logger := setup(t)
			for i := 1; i <= 3; i++ {
				publish(t, js, statusEvent("org_1", "svc_1", i))
			}
			second := getMsg(t, js, bus.StreamStatus, 2).Time

			var r recorder
			consume(t, js, logger, bus.ConsumerConfig{Start: tt.start(second)}, r.handle)
			publish(t, js, statusEvent("org_1", "svc_1", 4))
			handledIDs(t, &r, js, "test", tt.want...)
		})
	}
}

// TestConsumeRestartKeepsPosition restarts a consumer that missed messages
// while it was down, with a start that would skip them if it were applied
// again: the consumer exists, so it resumes where it stopped.
func TestConsumeRestartKeepsPosition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// first is the start the consumer is created with; again the one
		// it is restarted with, given when the messages it missed were
		// stored.
		first bus.Start
		again func(missed time.Time) bus.Start
	}{
		{"from now, again from now", bus.FromNow, func(time.Time) bus.Start { return bus.FromNow }},
		{"from a time, again from a later one", bus.FromTime(time.Now().Add(-time.Hour)),
			func(missed time.Time) bus.Start { return bus.FromTime(missed.Add(time.Second)) }},
		{"from the oldest, again from now", bus.FromOldest, func(time.Time) bus.Start { return bus.FromNow }},
		{"from now, again from the oldest", bus.FromNow, func(time.Time) bus.Start { return bus.FromOldest }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, js, logger := setup(t)
			publish(t, js, statusEvent("org_1", "svc_1", 0))

			var r recorder
			c := consume(t, js, logger, bus.ConsumerConfig{Start: tt.first}, r.handle)
			publish(t, js, statusEvent("org_1", "svc_1", 1))
			testenv.Eventually(t, waitFor, func() error {
				if r.count() == 0 {
					return errors.New("nothing handled")
				}
				return nil
			})
			settled(t, js, "test")
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			if err := c.Stop(ctx); err != nil {
				t.Fatal(err)
			}

			publish(t, js, statusEvent("org_1", "svc_1", 2))
			publish(t, js, statusEvent("org_1", "svc_1", 3))
			missed := getMsg(t, js, bus.StreamStatus, 4).Time
			var again recorder
			consume(t, js, logger, bus.ConsumerConfig{Start: tt.again(missed)}, again.handle)
			publish(t, js, statusEvent("org_1", "svc_1", 4))
			handledIDs(t, &again, js, "test", "svc_1:2", "svc_1:3", "svc_1:4")
		})
	}
}

// TestConsumeReplicasStartingAtOnce starts replicas of a new consumer at
// once with different starts, as replicas computing "an hour ago" each from
// their own clock do: whichever creates it, the others join it.
func TestConsumeReplicasStartingAtOnce(t *testing.T) {
	t.Parallel()
	_, js, logger := setup(t)
	base := time.Now()
	errs := make(chan error, 4)
	for i := range cap(errs) {
		go func() {
			c, err := bus.Consume(context.Background(), js, bus.ConsumerConfig{
				Stream: bus.StreamStatus, Durable: "test", Start: bus.FromTime(base.Add(time.Duration(i) * time.Millisecond)),
			}, func(context.Context, jetstream.Msg) error { return nil }, logger)
			if err == nil {
				t.Cleanup(func() {
					ctx, cancel := context.WithTimeout(context.Background(), waitFor)
					defer cancel()
					_ = c.Stop(ctx)
				})
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
