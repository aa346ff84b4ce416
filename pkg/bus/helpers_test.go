package bus_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

const waitFor = 10 * time.Second

// testLogger logs to the test's output until the test ends, then drops
// lines, so a goroutine finishing late cannot write to a finished test.
func testLogger(t testing.TB) *slog.Logger {
	w := &closingWriter{w: t.Output()}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type closingWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (c *closingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return len(p), nil
	}
	return c.w.Write(p)
}

func (c *closingWriter) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
}

// setup starts a server, connects to it and creates the streams.
func setup(t testing.TB) (*nats.Conn, jetstream.JetStream, *slog.Logger) {
	t.Helper()
	logger := testLogger(t)
	srv := testenv.StartNATS(t)
	nc, js, err := bus.Connect(context.Background(), srv.ClientURL(), t.Name(), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if err := bus.EnsureStreams(context.Background(), js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	return nc, js, logger
}

func statusEvent(org, svc string, n int) bus.Event {
	return bus.Event{
		Subject: bus.StatusSubject(org, svc),
		ID:      fmt.Sprintf("%s:%d", svc, n),
		Type:    "upstate.status.v1.StatusChanged",
		Source:  "upstate/test",
		Time:    time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
		Data:    fmt.Appendf(nil, "%s-%d", svc, n),
	}
}

func publish(t testing.TB, js jetstream.JetStream, events ...bus.Event) {
	t.Helper()
	if err := bus.PublishOrdered(context.Background(), js, events); err != nil {
		t.Fatal(err)
	}
}

func streamMsgs(t testing.TB, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func getMsg(t testing.TB, js jetstream.JetStream, stream string, seq uint64) *jetstream.RawStreamMsg {
	t.Helper()
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(context.Background(), seq)
	if err != nil {
		t.Fatalf("get %s #%d: %v", stream, seq, err)
	}
	return m
}

// consume starts a consumer on STATUS and stops it when the test ends.
func consume(t testing.TB, js jetstream.JetStream, logger *slog.Logger, cfg bus.ConsumerConfig, h bus.Handler) *bus.Consumer {
	t.Helper()
	cfg.Stream = bus.StreamStatus
	if cfg.Durable == "" {
		cfg.Durable = "test"
	}
	c, err := bus.Consume(context.Background(), js, cfg, h, logger)
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
	return c
}

// settled waits until the consumer has delivered every message of the
// stream and has none waiting for an acknowledgement or a retry.
func settled(t testing.TB, js jetstream.JetStream, durable string) *jetstream.ConsumerInfo {
	t.Helper()
	var info *jetstream.ConsumerInfo
	testenv.Eventually(t, waitFor, func() error {
		c, err := js.Consumer(context.Background(), bus.StreamStatus, durable)
		if err != nil {
			return err
		}
		info, err = c.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 || info.NumRedelivered != 0 {
			return fmt.Errorf("pending %d, ack pending %d, redelivered %d",
				info.NumPending, info.NumAckPending, info.NumRedelivered)
		}
		return nil
	})
	return info
}
