package bus_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// recorder is a handler that records the ids it saw, per subject.
type recorder struct {
	mu        sync.Mutex
	bySubject map[string][]string
	total     int
}

func (r *recorder) handle(_ context.Context, msg jetstream.Msg) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bySubject == nil {
		r.bySubject = map[string][]string{}
	}
	r.bySubject[msg.Subject()] = append(r.bySubject[msg.Subject()], msg.Headers().Get(bus.HeaderCEID))
	r.total++
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

func TestConsumeHandlesEveryMessage(t *testing.T) {
	t.Parallel()
	for _, concurrency := range []int{1, 4} {
		t.Run(fmt.Sprintf("concurrency %d", concurrency), func(t *testing.T) {
			t.Parallel()
			_, js, logger := setup(t)
			var events []bus.Event
			for i := range 200 {
				events = append(events, statusEvent("org_1", fmt.Sprintf("svc_%d", i%5), i))
			}
			publish(t, js, events...)

			var r recorder
			consume(t, js, logger, bus.ConsumerConfig{Concurrency: concurrency, BatchSize: 16}, r.handle)
			testenv.Eventually(t, waitFor, func() error {
				if n := r.count(); n < len(events) {
					return fmt.Errorf("handled %d of %d", n, len(events))
				}
				return nil
			})
			settled(t, js, "test")

			r.mu.Lock()
			defer r.mu.Unlock()
			if r.total != len(events) {
				t.Errorf("handled %d messages, want %d", r.total, len(events))
			}
			for i := range 5 {
				svc := fmt.Sprintf("svc_%d", i)
				var want []string
				for _, e := range events {
					if strings.HasSuffix(e.Subject, "."+svc) {
						want = append(want, e.ID)
					}
				}
				if got := r.bySubject[bus.StatusSubject("org_1", svc)]; !slices.Equal(got, want) {
					t.Errorf("%s handled in order %v, want %v", svc, got, want)
				}
			}
		})
	}
}

func TestConsumeRedeliversFailedMessageWithDelay(t *testing.T) {
	t.Parallel()
	_, js, logger := setup(t)
	publish(t, js, statusEvent("org_1", "svc_1", 1))

	const delay = 300 * time.Millisecond
	var (
		mu       sync.Mutex
		attempts []time.Time
	)
	h := func(_ context.Context, msg jetstream.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, time.Now())
		if len(attempts) <= 2 {
			return errors.New("database unavailable")
		}
		return nil
	}
	consume(t, js, logger, bus.ConsumerConfig{
		Backoff: func(int) time.Duration { return delay },
	}, h)
	info := settled(t, js, "test")

	mu.Lock()
	defer mu.Unlock()
	if len(attempts) != 3 {
		t.Fatalf("handled %d times, want 3", len(attempts))
	}
	for i := 1; i < len(attempts); i++ {
		if gap := attempts[i].Sub(attempts[i-1]); gap < delay-50*time.Millisecond {
			t.Errorf("retry %d came after %s, want the %s backoff", i, gap, delay)
		}
	}
	if info.Delivered.Consumer != 3 || info.AckFloor.Stream != 1 {
		t.Errorf("consumer delivered %d, ack floor at stream seq %d; want 3 deliveries, seq 1 acked",
			info.Delivered.Consumer, info.AckFloor.Stream)
	}
	if n := streamMsgs(t, js, bus.StreamDLQ); n != 0 {
		t.Errorf("%d dead letters, want none", n)
	}
}

func TestConsumeDeadLetters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		handler    func(ctx context.Context, msg jetstream.Msg) error
		deliveries int
		failures   string
		errText    string
	}{
		{
			name:       "after max deliver",
			handler:    func(context.Context, jetstream.Msg) error { return errors.New("receiver rejected\nthe payload") },
			deliveries: 3,
			failures:   "3",
			errText:    "receiver rejected the payload",
		},
		{
			name: "permanent at once",
			handler: func(context.Context, jetstream.Msg) error {
				return fmt.Errorf("decode: %w", bus.Permanent(errors.New("bad protobuf")))
			},
			deliveries: 1,
			errText:    "decode: bad protobuf",
		},
		{
			name:       "panicking handler",
			handler:    func(context.Context, jetstream.Msg) error { panic("nil map") },
			deliveries: 3,
			failures:   "3",
			errText:    "handler panicked: nil map",
		},
		{
			name: "permanent wins over transient",
			handler: func(context.Context, jetstream.Msg) error {
				return bus.Permanent(bus.Transient(errors.New("bad protobuf")))
			},
			deliveries: 1,
			errText:    "bad protobuf",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, js, logger := setup(t)
			e := statusEvent("org_1", "svc_1", 1)
			publish(t, js, e)

			var calls atomic.Int32
			h := func(ctx context.Context, msg jetstream.Msg) error {
				calls.Add(1)
				return tt.handler(ctx, msg)
			}
			consume(t, js, logger, bus.ConsumerConfig{
				Durable:    "notify",
				MaxDeliver: 3,
				Backoff:    func(int) time.Duration { return 10 * time.Millisecond },
			}, h)

			testenv.Eventually(t, waitFor, func() error {
				if n := streamMsgs(t, js, bus.StreamDLQ); n != 1 {
					return fmt.Errorf("%d dead letters", n)
				}
				return nil
			})
			settled(t, js, "notify")
			if n := calls.Load(); int(n) != tt.deliveries {
				t.Errorf("handler called %d times, want %d", n, tt.deliveries)
			}

			dl := getMsg(t, js, bus.StreamDLQ, 1)
			if dl.Subject != "upstate.dlq.STATUS.notify" || string(dl.Data) != string(e.Data) {
				t.Errorf("dead letter %s %q", dl.Subject, dl.Data)
			}
			want := map[string]string{
				bus.HeaderError:            tt.errText,
				bus.HeaderOriginalSubject:  e.Subject,
				bus.HeaderOriginalSequence: "1",
				bus.HeaderDeliveries:       fmt.Sprint(tt.deliveries),
				bus.HeaderFailures:         tt.failures,
				bus.HeaderCEID:             e.ID,
				bus.HeaderCEType:           e.Type,
				jetstream.MsgIDHeader:      "STATUS.notify.1",
			}
			for k, v := range want {
				if got := dl.Header.Get(k); got != v {
					t.Errorf("dead letter header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestConsumeKeepsMessageWhileDeadLetterFails(t *testing.T) {
	t.Parallel()
	_, js, logger := setup(t)
	ctx := context.Background()
	if err := js.DeleteStream(ctx, bus.StreamDLQ); err != nil {
		t.Fatal(err)
	}
	publish(t, js, statusEvent("org_1", "svc_1", 1))

	var calls atomic.Int32
	consume(t, js, logger, bus.ConsumerConfig{
		TransientBackoff: func(int) time.Duration { return 20 * time.Millisecond },
	}, func(context.Context, jetstream.Msg) error {
		calls.Add(1)
		return bus.Permanent(errors.New("poison"))
	})
	// With nowhere to put it, the message must come back, not vanish.
	testenv.Eventually(t, waitFor, func() error {
		if n := calls.Load(); n < 3 {
			return fmt.Errorf("delivered %d times", n)
		}
		return nil
	})
	if err := bus.EnsureStreams(ctx, js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, waitFor, func() error {
		if n := streamMsgs(t, js, bus.StreamDLQ); n != 1 {
			return fmt.Errorf("%d dead letters", n)
		}
		return nil
	})
	settled(t, js, "test")
}

func TestConsumeStopWaitsForInFlightHandler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		stop func(c *bus.Consumer, cancel context.CancelFunc) error
	}{
		{"Stop", func(c *bus.Consumer, _ context.CancelFunc) error {
			return c.Stop(context.Background())
		}},
		{"ctx cancelled", func(c *bus.Consumer, cancel context.CancelFunc) error {
			cancel()
			return c.Stop(context.Background())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, js, logger := setup(t)
			publish(t, js, statusEvent("org_1", "svc_1", 1))

			started, release := make(chan struct{}), make(chan struct{})
			var ctxErr atomic.Value
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c, err := bus.Consume(ctx, js, bus.ConsumerConfig{Stream: bus.StreamStatus, Durable: "test"},
				func(ctx context.Context, msg jetstream.Msg) error {
					close(started)
					<-release
					ctxErr.Store(fmt.Sprint(ctx.Err()))
					return nil
				}, logger)
			if err != nil {
				t.Fatal(err)
			}
			<-started

			stopped := make(chan error, 1)
			go func() { stopped <- tt.stop(c, cancel) }()
			select {
			case err := <-stopped:
				t.Fatalf("stopped (%v) while a handler was running", err)
			case <-time.After(200 * time.Millisecond):
			}
			close(release)
			select {
			case err := <-stopped:
				if err != nil {
					t.Fatalf("Stop: %v", err)
				}
			case <-time.After(waitFor):
				t.Fatal("Stop did not return after the handler finished")
			}
			if got := ctxErr.Load(); got != "<nil>" {
				t.Errorf("handler context ended during a graceful stop: %v", got)
			}
			settled(t, js, "test")
		})
	}
}

func TestConsumeStopDeadlineCancelsHandler(t *testing.T) {
	t.Parallel()
	_, js, logger := setup(t)
	publish(t, js, statusEvent("org_1", "svc_1", 1))

	started, returned := make(chan struct{}), make(chan struct{})
	c, err := bus.Consume(context.Background(), js, bus.ConsumerConfig{Stream: bus.StreamStatus, Durable: "test"},
		func(ctx context.Context, msg jetstream.Msg) error {
			close(started)
			<-ctx.Done()
			close(returned)
			return ctx.Err()
		}, logger)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := c.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop past its deadline returned %v", err)
	}
	select {
	case <-returned:
	case <-time.After(waitFor):
		t.Fatal("handler context not cancelled after the Stop deadline")
	}
}

func TestConsumeRecreatesDeletedConsumer(t *testing.T) {
	t.Parallel()
	_, js, logger := setup(t)
	var r recorder
	consume(t, js, logger, bus.ConsumerConfig{}, r.handle)
	publish(t, js, statusEvent("org_1", "svc_1", 1))
	testenv.Eventually(t, waitFor, func() error {
		if r.count() != 1 {
			return errors.New("first message not handled")
		}
		return nil
	})

	if err := js.DeleteConsumer(context.Background(), bus.StreamStatus, "test"); err != nil {
		t.Fatal(err)
	}
	publish(t, js, statusEvent("org_1", "svc_1", 2))
	// The recreated consumer starts from the beginning of the stream:
	// handlers are idempotent, so seeing message 1 again is expected.
	testenv.Eventually(t, waitFor, func() error {
		r.mu.Lock()
		defer r.mu.Unlock()
		if !slices.Contains(r.bySubject[bus.StatusSubject("org_1", "svc_1")], "svc_1:2") {
			return errors.New("message published after the deletion not handled")
		}
		return nil
	})
}

// Deliveries that ended without a result (the process died while handling,
// a nak lost with the connection, a message left in the client's buffer
// past AckWait, as happens during outages) are no failure of the message.
func TestConsumeIgnoresDeliveriesThatLeftNoResult(t *testing.T) {
	t.Parallel()
	_, js, logger := setup(t)
	ctx := context.Background()
	publish(t, js, statusEvent("org_1", "svc_1", 1))

	// Three deliveries that end without a result: the server keeps
	// redelivering (it has no limit).
	cons, err := js.CreateOrUpdateConsumer(ctx, bus.StreamStatus, jetstream.ConsumerConfig{
		Durable: "test", AckPolicy: jetstream.AckExplicitPolicy, MaxDeliver: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(waitFor))
		if err != nil {
			t.Fatal(err)
		}
		for msg := range batch.Messages() {
			if err := msg.Nak(); err != nil {
				t.Fatal(err)
			}
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
	}

	var calls atomic.Int32
	consume(t, js, logger, bus.ConsumerConfig{MaxDeliver: 2}, func(context.Context, jetstream.Msg) error {
		calls.Add(1)
		return nil
	})
	info := settled(t, js, "test")
	if n := calls.Load(); n != 1 {
		t.Errorf("handler called %d times, want once", n)
	}
	if info.AckFloor.Stream != 1 {
		t.Errorf("ack floor at stream seq %d, want 1", info.AckFloor.Stream)
	}
	if n := streamMsgs(t, js, bus.StreamDLQ); n != 0 {
		t.Errorf("%d dead letters, want none", n)
	}
}
