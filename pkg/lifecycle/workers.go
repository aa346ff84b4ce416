package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Workers are a service's background work: its consumers and its loops
// (relaying the outbox, a scheduler). They run on a context of their own,
// cut off from the start request's. Stop drains the consumers first, so
// that the loops' last runs (the outbox relay's) still publish what the
// consumers committed, then cancels the loops and waits for them.
type Workers struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	drains []func(context.Context) error
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

// DrainFirst registers the stop of a consumer started on Context: Stop
// calls it, in the order registered, before it cancels the loops.
func (w *Workers) DrainFirst(stop func(context.Context) error) {
	w.drains = append(w.drains, stop)
}

// Stop drains what DrainFirst registered, then cancels the workers'
// context and waits until every function started by Go has returned, or
// ctx ends.
func (w *Workers) Stop(ctx context.Context) error {
	var errs []error
	for _, drain := range w.drains {
		errs = append(errs, drain(ctx))
	}
	w.drains = nil
	w.cancel()
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("background work still running: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}
