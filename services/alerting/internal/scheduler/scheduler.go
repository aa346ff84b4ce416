// Package scheduler runs what the alerting service does as time passes:
// alerts whose for has elapsed fire (and flapping services' alerts settle
// once stable), and notification groups are flushed when due. All of its
// state is in Postgres (alerts' next evaluation, groups' next flush), on
// the service's clock, so that a restart neither loses a for timer nor
// repeats one, and replicas share the work.
package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/alerting/internal/metrics"
	"github.com/upstatehq/upstate/services/alerting/internal/store"
)

// batch is how many due alerts or groups one query takes, and rounds
// how many queries of each a round makes at most before it lets the
// ticker decide again.
const (
	batch  = 100
	rounds = 10
)

// Scheduler evaluates due alerts and flushes due groups.
type Scheduler struct {
	store    *store.Store
	clock    clockwork.Clock
	interval time.Duration
	kick     chan struct{}
	// committed is called after a round wrote events (the relay's Notify).
	committed func()
	metrics   *metrics.Metrics
	logger    *slog.Logger
}

// New returns a scheduler looking every interval and whenever notified.
func New(st *store.Store, committed func(), m *metrics.Metrics, clock clockwork.Clock, logger *slog.Logger, interval time.Duration) *Scheduler {
	return &Scheduler{store: st, clock: clock, interval: interval, kick: make(chan struct{}, 1), committed: committed, metrics: m, logger: logger}
}

// Notify asks the scheduler to look soon; it never blocks.
func (s *Scheduler) Notify() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run looks for due work until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	// On the service's clock: a test that moves it past an alert's for
	// makes the scheduler look, as time passing would.
	ticker := s.clock.NewTicker(s.interval)
	defer ticker.Stop()
	for {
		s.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-ticker.Chan():
		}
	}
}

// round evaluates the due alerts first, so that an alert firing now is in
// its group's flush of the same round.
func (s *Scheduler) round(ctx context.Context) {
	for range rounds {
		n, err := s.store.EvaluateDue(ctx, pgdb.Now(s.clock), batch)
		if err != nil {
			s.fail(ctx, "evaluate due alerts", err)
			return
		}
		s.metrics.Evaluated(n)
		if n > 0 {
			s.committed()
		}
		if n < batch {
			break
		}
	}
	for range rounds {
		n, err := s.store.FlushDue(ctx, pgdb.Now(s.clock), batch)
		if err != nil {
			s.fail(ctx, "flush due groups", err)
			return
		}
		s.metrics.Notified(n)
		if n > 0 {
			s.committed()
		}
		if n < batch {
			return
		}
	}
}

func (s *Scheduler) fail(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	s.metrics.Failure()
	s.logger.WarnContext(ctx, what+"; retrying", "err", err)
}
