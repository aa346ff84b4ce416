// Package figures fills the read model's daily uptime bars and uptime
// percentages from the SLA service, which owns that arithmetic (time in
// maintenance left out, events applied in any order): the figures of a
// service are fetched again shortly after its status changes and
// periodically (days pass, today's bar grows), never per page view.
package figures

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/pbconv"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
)

// Windows are the uptime windows kept for badges and the page.
var Windows = []string{"24h", "7d", "30d", "90d"}

// Days is how many daily figures are kept per service.
const Days = 90

// Refresher keeps the figures of the services on pages current.
type Refresher struct {
	store    *store.Store
	sla      slav1.SLAServiceClient
	clock    clockwork.Clock
	logger   *slog.Logger
	interval time.Duration
	delay    time.Duration

	// Stored is called after figures were stored.
	Stored func()

	mu    sync.Mutex
	dirty map[string]bool
	kick  chan struct{}
}

// New returns a refresher that fetches every service's figures every
// interval, and a changed service's delay after it is marked.
func New(st *store.Store, sla slav1.SLAServiceClient, clock clockwork.Clock, logger *slog.Logger, interval, delay time.Duration) *Refresher {
	return &Refresher{store: st, sla: sla, clock: clock, logger: logger, interval: interval, delay: delay, dirty: map[string]bool{}, kick: make(chan struct{}, 1)}
}

// Changed marks services whose figures are to be fetched soon.
func (r *Refresher) Changed(serviceIDs []string) {
	r.mu.Lock()
	for _, id := range serviceIDs {
		r.dirty[id] = true
	}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run refreshes until ctx ends: every service on a page at start and
// every interval, the marked ones delay after they are marked (the SLA
// service applies the same STATUS events, a little before or after).
func (r *Refresher) Run(ctx context.Context) {
	all := true
	for {
		r.refresh(ctx, all)
		all = false
		select {
		case <-ctx.Done():
			return
		case <-r.clock.After(r.interval):
			all = true
		case <-r.kick:
			select {
			case <-ctx.Done():
				return
			case <-r.clock.After(r.delay):
			}
		}
	}
}

// refresh fetches the figures of the marked services, or of all.
func (r *Refresher) refresh(ctx context.Context, all bool) {
	r.mu.Lock()
	dirty := r.dirty
	r.dirty = map[string]bool{}
	r.mu.Unlock()
	on, err := r.store.ServicesOnPages(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.logger.Warn("list services on pages", "err", err)
		}
		r.Changed(keys(dirty)) // again next time
		return
	}
	for id, shown := range on {
		if !all && !dirty[id] {
			continue
		}
		if err := r.Refresh(ctx, shown.OrgID, id, shown.Zones); err != nil && ctx.Err() == nil {
			r.logger.Warn("fetch uptime figures", "service_id", id, "err", err)
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Refresh fetches one service's figures, its days in each of zones, and
// stores them.
func (r *Refresher) Refresh(ctx context.Context, orgID, serviceID string, zones []string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	f := store.Figures{Days: map[string][]domain.Day{}, Uptime: map[string]float64{}}
	for _, zone := range zones {
		daily, err := r.sla.GetDailyUptime(ctx, &slav1.GetDailyUptimeRequest{OrgId: orgID, ServiceId: serviceID, Days: Days, TimeZone: zone})
		if err != nil {
			return fmt.Errorf("daily uptime of %s in %s: %w", serviceID, zone, err)
		}
		days := make([]domain.Day, 0, len(daily.GetDays()))
		for _, d := range daily.GetDays() {
			day := domain.Day{
				Date: d.GetDate(), DownSeconds: d.GetDownSeconds(), DegradedSeconds: d.GetDegradedSeconds(), MaintenanceSeconds: d.GetMaintenanceSeconds(),
			}
			if d.Uptime != nil {
				u := d.GetUptime()
				day.Uptime = &u
			}
			if s, ok := pbconv.Status(d.GetWorstStatus()); ok {
				day.Worst = s
			}
			days = append(days, day)
		}
		f.Days[zone] = days
	}
	for _, w := range Windows {
		resp, err := r.sla.GetUptime(ctx, &slav1.GetUptimeRequest{OrgId: orgID, ServiceId: serviceID, Window: w})
		if err != nil {
			return fmt.Errorf("uptime of %s over %s: %w", serviceID, w, err)
		}
		if u := resp.GetUptime(); u.Uptime != nil {
			f.Uptime[w] = u.GetUptime()
		}
	}
	if err := r.store.SetFigures(ctx, serviceID, f, r.clock.Now()); err != nil {
		return err
	}
	if r.Stored != nil {
		r.Stored()
	}
	return nil
}
