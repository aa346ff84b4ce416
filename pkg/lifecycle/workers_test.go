package lifecycle

import (
	"context"
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
