// Package backfill fills a newly deployed SLA service's intervals from
// the status service's history, which goes back further than the 30 days
// STATUS keeps. It runs once per database, alongside the consumer: both
// apply by version, so what they both see is counted once, and the
// result equals following the stream from the start. Its progress is
// kept per page of services, so a restart carries on.
package backfill

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/pgdb"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/sla/internal/pbconv"
	"github.com/upstatehq/upstate/services/sla/internal/store"
)

// Backfill fills history from the status service.
type Backfill struct {
	store    *store.Store
	registry statusv1.ServiceRegistryServiceClient
	// due is called when an SLO became due for evaluation.
	due    func()
	clock  clockwork.Clock
	logger *slog.Logger
}

// New returns the backfill.
func New(st *store.Store, registry statusv1.ServiceRegistryServiceClient, due func(), clock clockwork.Clock, logger *slog.Logger) *Backfill {
	return &Backfill{store: st, registry: registry, due: due, clock: clock, logger: logger}
}

// retryLimit caps the wait before a failed backfill tries again.
const retryLimit = time.Minute

// Run backfills until it is done or ctx ends, retrying after failures
// (the status service not up yet, say) with a growing delay.
func (b *Backfill) Run(ctx context.Context) {
	for failures := 0; ; failures++ {
		err := b.Once(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		delay := min(time.Duration(1<<min(failures, 10))*time.Second, retryLimit)
		b.logger.WarnContext(ctx, "backfill from the status history failed; retrying", "err", err, "retry_in", delay)
		t := time.NewTimer(delay) // a wait on the infrastructure, not on the service's clock
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Once runs the backfill to its end unless it was done before.
func (b *Backfill) Once(ctx context.Context) error {
	state, err := b.store.Backfill(ctx)
	if err != nil || state.Done {
		return err
	}
	if state.PageToken == "" {
		b.logger.InfoContext(ctx, "backfill from the status history started")
	}
	filled := 0
	token := state.PageToken
	for {
		resp, err := b.registry.ListAllServices(ctx, &statusv1.ListAllServicesRequest{PageSize: 100, PageToken: token})
		if err != nil {
			return fmt.Errorf("list services: %w", err)
		}
		for _, svc := range resp.GetServices() {
			if err := b.service(ctx, svc); err != nil {
				return fmt.Errorf("service %s: %w", svc.GetId(), err)
			}
			filled++
		}
		token = resp.GetNextPageToken()
		var done *time.Time
		if token == "" {
			now := pgdb.Now(b.clock)
			done = &now
		}
		if err := b.store.SaveBackfill(ctx, token, done); err != nil {
			return err
		}
		if done != nil {
			b.logger.InfoContext(ctx, "backfill from the status history done", "services", filled)
			return nil
		}
	}
}

// service fills one service: its history a page at a time, then its
// creation, which the oldest change tells the status of.
func (b *Backfill) service(ctx context.Context, svc *statusv1.Service) error {
	var all []*statusv1.StatusChange
	token := ""
	for {
		resp, err := b.registry.ListStatusHistory(ctx, &statusv1.ListStatusHistoryRequest{
			OrgId: svc.GetOrgId(), ServiceId: svc.GetId(), PageSize: 200, PageToken: token,
		})
		if status.Code(err) == codes.NotFound {
			return nil // deleted meanwhile: its deletion comes by STATUS
		}
		if err != nil {
			return fmt.Errorf("list history: %w", err)
		}
		all = append(all, resp.GetChanges()...)
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	evs := pbconv.History(svc, all)
	for len(evs) > 0 {
		n := min(len(evs), 500)
		res, err := b.store.Apply(ctx, pgdb.Now(b.clock), evs[:n]...)
		if err != nil {
			return err
		}
		if res.Due {
			b.due()
		}
		evs = evs[n:]
	}
	return nil
}
