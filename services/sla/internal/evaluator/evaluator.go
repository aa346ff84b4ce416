// Package evaluator is the SLA service's burn timer: it evaluates the
// SLOs that are due (store.DueSLOs) on the service's clock, so that a
// service that stays down keeps burning, and runs out of budget, without
// any new status event. The timer is a column of each SLO, so it
// survives restarts, and replicas share the work (an SLO is evaluated by
// one at a time).
package evaluator

import (
	"context"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/sla/internal/events"
	"github.com/upstatehq/upstate/services/sla/internal/metrics"
	"github.com/upstatehq/upstate/services/sla/internal/store"
)

// Evaluator evaluates due SLOs.
type Evaluator struct {
	store    *store.Store
	interval time.Duration
	kick     chan struct{}
	// committed is called after an evaluation wrote events (the outbox
	// relay's Notify).
	committed func()
	clock     clockwork.Clock
	metrics   *metrics.Metrics
	logger    *slog.Logger
}

// New returns an evaluator looking for due SLOs every interval and
// whenever notified; SLOs being watched are evaluated every interval.
func New(st *store.Store, committed func(), clock clockwork.Clock, m *metrics.Metrics, logger *slog.Logger, interval time.Duration) *Evaluator {
	return &Evaluator{store: st, interval: interval, kick: make(chan struct{}, 1), committed: committed, clock: clock, metrics: m, logger: logger}
}

// Notify asks the evaluator to look for due SLOs soon; it never blocks.
func (e *Evaluator) Notify() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Run evaluates due SLOs until ctx ends.
func (e *Evaluator) Run(ctx context.Context) {
	// On the service's clock: a test that moves it makes the evaluator
	// look, as time passing would.
	ticker := e.clock.NewTicker(e.interval)
	defer ticker.Stop()
	for {
		e.runDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-e.kick:
		case <-ticker.Chan():
		}
	}
}

const batch = 100

// runDue evaluates every SLO due now. One that fails is logged and
// stays due: the next round tries it again.
func (e *Evaluator) runDue(ctx context.Context) {
	for {
		now := pgdb.Now(e.clock)
		ids, err := e.store.DueSLOs(ctx, now, batch)
		if err != nil {
			if ctx.Err() == nil {
				e.logger.WarnContext(ctx, "look for due slos", "err", err)
			}
			return
		}
		evaluated := 0
		for _, id := range ids {
			ev, err := e.store.EvaluateSLO(ctx, id, now, e.interval, events.SLOEvent)
			if err != nil {
				if ctx.Err() == nil {
					e.metrics.EvaluationFailure()
					e.logger.WarnContext(ctx, "slo not evaluated; retrying", "slo_id", id, "err", err)
				}
				continue
			}
			if ev.Skipped {
				continue
			}
			evaluated++
			if len(ev.Events) > 0 {
				e.committed()
				for _, k := range ev.Events {
					e.metrics.SLOEvent(string(k))
					e.logger.InfoContext(ctx, "slo "+string(k), "slo_id", id, "service_id", ev.SLO.ServiceID)
				}
			}
		}
		// Another page only if this one was full and made progress.
		if len(ids) < batch || evaluated == 0 {
			return
		}
	}
}
