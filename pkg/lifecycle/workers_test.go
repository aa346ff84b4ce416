package lifecycle

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWorkersStop(t *testing.T) {
	start, cancelStart := context.WithCancel(context.Background())
	w := NewWorkers(start)
	stopped := make(chan struct{})
	w.Go(func(ctx context.Context) { <-ctx.Done(); close(stopped) })
	cancelStart() // the start request ending must not stop the workers
	select {
	case <-stopped:
		t.Fatal("workers stopped with the context they were started from")
	case <-time.After(50 * time.Millisecond):
	}
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
	default:
		t.Fatal("Stop returned before the worker did")
	}

	stuck := NewWorkers(context.Background())
	release := make(chan struct{})
	stuck.Go(func(context.Context) { <-release })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := stuck.Stop(ctx); err == nil {
		t.Fatal("Stop of a worker that ignores its context returned no error")
	}
	close(release)
}

// A consumer registered with DrainFirst is drained while the loops still
// run, so their last runs see what it did.
func TestWorkersDrainConsumersFirst(t *testing.T) {
	w := NewWorkers(context.Background())
	loopRunning := make(chan bool, 1)
	stopped := make(chan struct{})
	w.Go(func(ctx context.Context) { <-ctx.Done(); close(stopped) })
	w.DrainFirst(func(context.Context) error {
		select {
		case <-stopped:
			loopRunning <- false
		default:
			loopRunning <- true
		}
		return errors.New("consumer drain failed")
	})
	err := w.Stop(context.Background())
	if !<-loopRunning {
		t.Fatal("the loops were stopped before the consumer was drained")
	}
	if err == nil || err.Error() != "consumer drain failed" {
		t.Fatalf("Stop = %v, want the drain's error", err)
	}
}
