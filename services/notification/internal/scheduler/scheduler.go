// Package scheduler runs the escalation engine as time passes: the
// escalations whose next step is due are evaluated and their
// notifications written to the outbox (store.Escalations.EscalateDue).
// All of its state is in Postgres, on the service's clock, so a restart
// neither loses nor repeats a step and replicas share the work. Every
// hour it also prunes finished escalations and the notification history
// past their retention.
package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
	"github.com/upstatehq/upstate/services/notification/internal/store"
)

// batch is how many due escalations one transaction takes, and rounds
// how many transactions a round makes at most before the ticker decides
// again.
const (
	batch  = 100
	rounds = 10
)

// EscalationRetention is how long an escalation is kept once finished
// (its alert resolved, nothing left to do); pruneEvery is how often
// pruning runs.
const (
	EscalationRetention = 7 * 24 * time.Hour
	pruneEvery          = time.Hour
)

// Scheduler evaluates due escalations.
type Scheduler struct {
	esc     *store.Escalations
	history *channelstore.Store
	// keep is how long delivered and dead notifications are kept.
	keep     time.Duration
	clock    clockwork.Clock
	interval time.Duration
	kick     chan struct{}
	// committed is called after a round wrote notifications (the relay's
	// Notify).
	committed func()
	logger    *slog.Logger
}

// New returns a scheduler looking every interval and whenever notified,
// keeping delivered and dead notifications of history for keep.
func New(esc *store.Escalations, history *channelstore.Store, keep time.Duration, committed func(), clock clockwork.Clock, logger *slog.Logger, interval time.Duration) *Scheduler {
	return &Scheduler{esc: esc, history: history, keep: keep, clock: clock, interval: interval, kick: make(chan struct{}, 1), committed: committed, logger: logger}
}

// Notify asks the scheduler to look soon; it never blocks.
func (s *Scheduler) Notify() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run looks for due escalations until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	// On the service's clock: a test that moves it past a step's delay
	// makes the scheduler look, as time passing would.
	ticker := s.clock.NewTicker(s.interval)
	defer ticker.Stop()
	var pruned time.Time
	for {
		s.round(ctx)
		if now := pgdb.Now(s.clock); now.Sub(pruned) >= pruneEvery && s.prune(ctx, now) {
			pruned = now
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-ticker.Chan():
		}
	}
}

// prune deletes what is past its retention and says whether it could.
// Replicas pruning at once delete each row once.
func (s *Scheduler) prune(ctx context.Context, now time.Time) bool {
	esc, err := s.esc.PruneFinished(ctx, now.Add(-EscalationRetention))
	if err == nil {
		var hist int64
		if hist, err = s.history.PruneHistory(ctx, now.Add(-s.keep)); err == nil {
			s.logger.DebugContext(ctx, "pruned", "escalations", esc, "notifications", hist)
			return true
		}
	}
	if ctx.Err() == nil {
		s.logger.WarnContext(ctx, "prune finished escalations and notifications; retrying", "err", err)
	}
	return false
}

func (s *Scheduler) round(ctx context.Context) {
	for range rounds {
		n, err := s.esc.EscalateDue(ctx, pgdb.Now(s.clock), batch)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.WarnContext(ctx, "escalate due alerts; retrying", "err", err)
			}
			return
		}
		if n > 0 {
			s.committed()
		}
		if n < batch {
			return
		}
	}
}
