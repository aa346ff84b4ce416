package bus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/upstatehq/upstate/pkg/bus"
)

func TestRetryUnavailable(t *testing.T) {
	t.Parallel()
	errRefused := errors.New("stream name already in use with a different configuration")
	for _, tc := range []struct {
		name      string
		failures  []error // op's results before it succeeds
		wantCalls int
		wantErr   error
	}{
		{"succeeds at once", nil, 1, nil},
		{"unanswered, then created", []error{nats.ErrTimeout, fmt.Errorf("create consumer: %w", context.DeadlineExceeded)}, 3, nil},
		{"refused: not retried", []error{errRefused}, 1, errRefused},
		{"never answered: gives up", []error{nats.ErrTimeout, nats.ErrTimeout, nats.ErrTimeout, nats.ErrTimeout, nats.ErrTimeout, nats.ErrTimeout, nats.ErrTimeout}, 6, nats.ErrTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			err := bus.RetryUnavailable(context.Background(), func(context.Context) error {
				calls++
				if calls <= len(tc.failures) {
					return tc.failures[calls-1]
				}
				return nil
			})
			if calls != tc.wantCalls || !errors.Is(err, tc.wantErr) {
				t.Fatalf("%d calls, err %v; want %d calls, err %v", calls, err, tc.wantCalls, tc.wantErr)
			}
		})
	}
}

// An ended context stops the retries.
func TestRetryUnavailableStopsWithItsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := bus.RetryUnavailable(ctx, func(context.Context) error {
		calls++
		cancel()
		return nats.ErrTimeout
	})
	if calls != 1 || !errors.Is(err, nats.ErrTimeout) {
		t.Fatalf("%d calls, err %v; want 1 call and the timeout", calls, err)
	}
}
