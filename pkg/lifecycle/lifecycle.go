// Package lifecycle runs a process's components and stops them in reverse
// order of start, the way a deferred stack would, with one deadline for the
// whole shutdown.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Stack holds stop functions, run last-in first-out.
type Stack struct {
	logger *slog.Logger
	stops  []stop
}

type stop struct {
	name string
	fn   func(context.Context) error
}

// NewStack returns an empty stack logging to logger.
func NewStack(logger *slog.Logger) *Stack { return &Stack{logger: logger} }

// Push registers fn to run at Unwind, before every function pushed earlier.
func (s *Stack) Push(name string, fn func(context.Context) error) {
	s.stops = append(s.stops, stop{name, fn})
}

// Unwind runs the stop functions, newest first, and returns their errors
// joined. Each runs even if an earlier one failed.
func (s *Stack) Unwind(ctx context.Context) error {
	var errs []error
	for i := len(s.stops) - 1; i >= 0; i-- {
		st := s.stops[i]
		s.logger.Info("stopping", "component", st.name)
		if err := st.fn(ctx); err != nil {
			s.logger.Error("stop failed", "component", st.name, "err", err)
			errs = append(errs, fmt.Errorf("stop %s: %w", st.name, err))
		}
	}
	s.stops = nil
	return errors.Join(errs...)
}

// SignalContext returns a context cancelled on SIGINT or SIGTERM.
func SignalContext(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}
