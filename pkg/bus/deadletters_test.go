package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// Dead letters are listed with who gave up on them and why, and a replay
// puts each back on its subject once: the consumer, fixed, handles them,
// and the DLQ is empty afterwards.
func TestReplayDeadLetters(t *testing.T) {
	t.Parallel()
	_, js, logger := setup(t)
	ctx := context.Background()
	publish(t, js, statusEvent("org_1", "svc_1", 1), statusEvent("org_1", "svc_2", 1), statusEvent("org_1", "svc_3", 1))

	var mu sync.Mutex
	broken := true
	var handled []string
	consume(t, js, logger, bus.ConsumerConfig{}, func(_ context.Context, m jetstream.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		if broken && m.Subject() != bus.StatusSubject("org_1", "svc_2") {
			return bus.Permanent(errors.New("handler bug"))
		}
		handled = append(handled, m.Subject())
		return nil
	})
	testenv.Eventually(t, waitFor, func() error {
		if n := streamMsgs(t, js, bus.StreamDLQ); n != 2 {
			return fmt.Errorf("%d dead letters", n)
		}
		return nil
	})

	dls, err := bus.DeadLetters(ctx, js, "test", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 2 || dls[0].Subject != bus.StatusSubject("org_1", "svc_1") || dls[1].Subject != bus.StatusSubject("org_1", "svc_3") ||
		dls[0].Stream != bus.StreamStatus || dls[0].Consumer != "test" || dls[0].Error != "handler bug" {
		t.Fatalf("dead letters = %+v", dls)
	}
	if other, err := bus.DeadLetters(ctx, js, "someone-else", 10); err != nil || len(other) != 0 {
		t.Fatalf("another consumer's dead letters = %+v, %v", other, err)
	}

	mu.Lock()
	broken = false
	mu.Unlock()
	n, err := bus.Replay(ctx, js, "test", 1)
	if err != nil || n != 1 {
		t.Fatalf("replayed %d, %v; want 1 (the limit)", n, err)
	}
	if n, err = bus.Replay(ctx, js, "", 10); err != nil || n != 1 {
		t.Fatalf("replayed %d, %v; want the 1 left", n, err)
	}
	testenv.Eventually(t, waitFor, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(handled) != 3 {
			return fmt.Errorf("handled %v", handled)
		}
		return nil
	})
	mu.Lock()
	want := []string{bus.StatusSubject("org_1", "svc_2"), bus.StatusSubject("org_1", "svc_1"), bus.StatusSubject("org_1", "svc_3")}
	for i := range want {
		if handled[i] != want[i] {
			t.Errorf("handled %v, want %v", handled, want)
			break
		}
	}
	mu.Unlock()
	if n := streamMsgs(t, js, bus.StreamDLQ); n != 0 {
		t.Fatalf("%d dead letters left after the replay", n)
	}
	if n, err := bus.Replay(ctx, js, "", 10); err != nil || n != 0 {
		t.Fatalf("second replay: %d, %v", n, err)
	}
}
