package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestTrackerTimesFromTheFirstShrink(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := tracker{start: t0}
	samples := []struct {
		after   time.Duration
		backlog uint64
	}{
		{0, 1000}, {time.Second, 1000}, {2 * time.Second, 800}, {4 * time.Second, 300}, {6 * time.Second, 0},
	}
	for i, s := range samples {
		if done := tr.observe(t0.Add(s.after), s.backlog); done != (i == len(samples)-1) {
			t.Fatalf("sample %d: done = %v", i, done)
		}
	}
	got := tr.result(false)
	// Draining began after the sample at 1 s: 1000 in 5 s.
	want := result{Backlog: 1000, Drained: 1000, Seconds: 5, Rate: 200, FromStartSeconds: 6}
	if got != want {
		t.Fatalf("result %+v, want %+v", got, want)
	}
}

func TestTrackerTimedOutReportsWhatDrained(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := tracker{start: t0}
	tr.observe(t0, 500)
	tr.observe(t0.Add(time.Second), 400)
	tr.observe(t0.Add(3*time.Second), 100)
	got := tr.result(true)
	want := result{Backlog: 500, Drained: 400, Seconds: 3, Rate: 400.0 / 3, FromStartSeconds: 3, TimedOut: true}
	if got != want {
		t.Fatalf("result %+v, want %+v", got, want)
	}
}

func TestWatchWaitsForTheConsumer(t *testing.T) {
	t.Parallel()
	calls := 0
	poll := func(context.Context) (uint64, error) {
		calls++
		switch {
		case calls < 3:
			return 0, jetstream.ErrConsumerNotFound
		case calls < 5:
			return 10, nil
		default:
			return 0, nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := watch(ctx, time.Millisecond, poll)
	if err != nil || res.Backlog != 10 || res.Drained != 10 || res.TimedOut {
		t.Fatalf("watch = %+v, %v", res, err)
	}
}

func TestWatchWithoutBacklogFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := watch(ctx, time.Millisecond, func(context.Context) (uint64, error) { return 0, jetstream.ErrConsumerNotFound })
	if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		t.Fatalf("err = %v, want the consumer not found", err)
	}
}
