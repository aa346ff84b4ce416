package lifecycle

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/logging"
)

func TestRunStatus(t *testing.T) {
	opts := func() (Options, error) {
		return Options{Log: logging.Options{Level: "error"}, ShutdownTimeout: time.Second}, nil
	}
	tests := []struct {
		name string
		load func() (Options, error)
		run  func(context.Context, *Process) error
		want int
	}{
		{"clean", opts, func(context.Context, *Process) error { return nil }, 0},
		{"configuration refused", func() (Options, error) { return Options{}, errors.New("bad") }, nil, 2},
		{"start failed", opts, func(context.Context, *Process) error { return errors.New("listen: in use") }, 1},
		{"drain failed", opts, func(_ context.Context, p *Process) error {
			p.Push("nats", func(context.Context) error { return errors.New("drain: timeout") })
			return nil
		}, 1},
		{"drain timed out", opts, func(_ context.Context, p *Process) error {
			p.Push("stuck", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
			return nil
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Run("test", tt.load, tt.run); got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
		})
	}
}
