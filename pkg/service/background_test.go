package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/service"
)

// A failed start stops what it started; a started background drains its
// consumers before it stops its loops, names the service when stopping
// fails, and stops once.
func TestBackground(t *testing.T) {
	ctx := context.Background()
	errStart := errors.New("consumer refused")
	b := service.NewBackground("thing")
	loopStopped := make(chan struct{})
	err := b.Start(ctx, func(w *lifecycle.Workers) error {
		w.Go(func(ctx context.Context) { <-ctx.Done(); close(loopStopped) })
		return errStart
	})
	if !errors.Is(err, errStart) {
		t.Fatalf("Start = %v, want %v", err, errStart)
	}
	select {
	case <-loopStopped:
	case <-time.After(5 * time.Second):
		t.Fatal("a failed start left its loop running")
	}
	if err := b.Stop(ctx); err != nil {
		t.Fatalf("Stop after a failed start = %v, want nil", err)
	}

	var order []string
	errDrain := errors.New("drain lost")
	if err := b.Start(ctx, func(w *lifecycle.Workers) error {
		w.DrainFirst(func(context.Context) error { order = append(order, "consumer"); return errDrain })
		w.Go(func(ctx context.Context) { <-ctx.Done(); order = append(order, "loop") })
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	err = b.Stop(ctx)
	if !errors.Is(err, errDrain) || err.Error() != "stop thing service: drain lost" {
		t.Errorf("Stop = %v, want stop thing service: drain lost", err)
	}
	if len(order) != 2 || order[0] != "consumer" || order[1] != "loop" {
		t.Errorf("stopped in order %v, want consumer then loop", order)
	}
	if err := b.Stop(ctx); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
}
