package lifecycle

import (
	"context"
	"fmt"
	"sync"
)

// Workers are a service's background loops (serving gRPC, relaying the
// outbox, a scheduler): they run on a context of their own, cut off from
// the start request's, until Stop cancels it and waits for them.
type Workers struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewWorkers returns workers whose context carries parent's values but
// not its cancellation: a service outlives the context it was started
// with.
func NewWorkers(parent context.Context) *Workers {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	return &Workers{ctx: ctx, cancel: cancel}
}

// Context is cancelled when Stop is called.
func (w *Workers) Context() context.Context { return w.ctx }

// Go runs fn with the workers' context.
func (w *Workers) Go(fn func(ctx context.Context)) {
	w.wg.Go(func() { fn(w.ctx) })
}

// Stop cancels the workers' context and waits until every function
// started by Go has returned, or ctx ends.
func (w *Workers) Stop(ctx context.Context) error {
	w.cancel()
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("background work still running: %w", ctx.Err())
	}
}
