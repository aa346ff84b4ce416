package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/upstatehq/upstate/pkg/lifecycle"
)

// Background is a service's background work (consumers, loops, metrics
// collectors) from its Start to its Stop, on workers of its own.
type Background struct {
	// name names the service in Stop's error.
	name    string
	workers *lifecycle.Workers // nil when stopped
}

// NewBackground returns the background of the service name ("alerting":
// "stop alerting service: …").
func NewBackground(name string) *Background { return &Background{name: name} }

// Start runs start on new workers, which keeps consumers started on
// their context to drain first (DrainFirst), and loops and collectors to
// stop after. If start fails, what it started is stopped.
func (b *Background) Start(ctx context.Context, start func(*lifecycle.Workers) error) error {
	w := lifecycle.NewWorkers(ctx)
	if err := start(w); err != nil {
		return errors.Join(err, w.Stop(ctx))
	}
	b.workers = w
	return nil
}

// Stop drains the consumers, stops the rest and returns when everything
// has stopped or ctx ends. Stopping again, or before Start, does nothing.
func (b *Background) Stop(ctx context.Context) error {
	if b.workers == nil {
		return nil
	}
	err := b.workers.Stop(ctx)
	b.workers = nil
	if err != nil {
		return fmt.Errorf("stop %s service: %w", b.name, err)
	}
	return nil
}
