// Package scheduler starts and ends maintenance windows: at a window's
// start it puts each of its services in maintenance through the status
// service, remembering the status it had; at the end it gives each back
// that status, unless something else changed the service meanwhile. All
// of its state is in Postgres, so a window that started or ended while no
// replica was running is applied when one comes back, and replicas share
// the work (a window is handled by one at a time, and the windows acting
// on one service one at a time). What a window does — when it starts and
// ends, which window holds which service, what each gets back — is decided
// by the domain's plans (Maintenance.NextStep, PlanEnter, PlanLeave,
// Maintenance.Cancel); the scheduler gathers their inputs under the locks
// and carries them out.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jonboulle/clockwork"
	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/pgdb"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
	"github.com/upstatehq/upstate/services/incidents/internal/events"
	"github.com/upstatehq/upstate/services/incidents/internal/metrics"
	"github.com/upstatehq/upstate/services/incidents/internal/pbconv"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
)

// Scheduler runs maintenance windows.
type Scheduler struct {
	store    *store.Store
	status   statusv1.ServiceRegistryServiceClient
	logger   *slog.Logger
	interval time.Duration
	kick     chan struct{}
	// committed is called after a window's event was committed (the
	// outbox relay's Notify).
	committed func()
	clock     clockwork.Clock
	// retries delays windows that failed; only Run's goroutine uses it.
	retries map[string]retry
	metrics *metrics.Metrics
}

// New returns a scheduler checking for due windows every interval and
// whenever notified.
func New(st *store.Store, status statusv1.ServiceRegistryServiceClient, committed func(), m *metrics.Metrics, clock clockwork.Clock, logger *slog.Logger, interval time.Duration) *Scheduler {
	return &Scheduler{
		store: st, status: status, logger: logger, interval: interval, kick: make(chan struct{}, 1), metrics: m,
		committed: committed, clock: clock, retries: map[string]retry{},
	}
}

// Notify asks the scheduler to look for due windows soon; it never blocks.
func (s *Scheduler) Notify() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run handles due windows until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	// On the service's clock: a test that moves it past a window's start
	// makes the scheduler look, as time passing would.
	ticker := s.clock.NewTicker(s.interval)
	defer ticker.Stop()
	for {
		s.runDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-ticker.Chan():
		}
	}
}

// runDue handles every window due now. One that fails is retried with a
// growing delay (up to retryLimit), and left out of the due list
// meanwhile, so that windows that keep failing do not hold up the others.
func (s *Scheduler) runDue(ctx context.Context) {
	now := pgdb.Now(s.clock)
	waiting := []string{} // not nil: NULL would match no id at all
	for id, r := range s.retries {
		if now.Before(r.at) {
			waiting = append(waiting, id)
		}
	}
	ids, err := s.store.DueMaintenances(ctx, now, waiting, 100)
	if err != nil {
		if ctx.Err() == nil {
			s.logger.WarnContext(ctx, "look for due maintenance windows", "err", err)
		}
		return
	}
	for _, id := range ids {
		err := s.advanceBounded(ctx, id)
		if err == nil || ctx.Err() != nil {
			delete(s.retries, id)
			continue
		}
		s.metrics.MaintenanceFailure()
		r := s.retries[id]
		r.failures++
		r.at = pgdb.Now(s.clock).Add(min(time.Duration(1<<min(r.failures, 16))*time.Second, retryLimit))
		s.retries[id] = r
		s.logger.WarnContext(ctx, "maintenance window not advanced; retrying", "maintenance_id", id, "failures", r.failures, "err", err)
	}
}

// retryLimit caps the delay before a failing window is tried again.
const retryLimit = 5 * time.Minute

// retry is when a failing window is tried next.
type retry struct {
	failures int
	at       time.Time
}

// windowTimeout bounds the work on one window in the background, so that
// a status service that hangs holds up the other windows for a while only.
const windowTimeout = time.Minute

func (s *Scheduler) advanceBounded(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, windowTimeout)
	defer cancel()
	return s.advance(ctx, id, store.SkipLocked)
}

// Advance starts and/or ends the window now if it is due, waiting for a
// replica that is working on it, so that the caller (an API request that
// moved the window's times) sees the result.
func (s *Scheduler) Advance(ctx context.Context, id string) error {
	return s.advance(ctx, id, store.Wait)
}

func (s *Scheduler) advance(ctx context.Context, id string, skipLocked bool) error {
	w, err := s.store.LockWindow(ctx, "", id, skipLocked)
	if w == nil || err != nil {
		return err
	}
	defer w.Release(ctx)
	// A window whose start is past is started, and then ended if its end
	// is past too.
	for range 2 {
		now := pgdb.Now(s.clock)
		var after domain.Maintenance
		switch w.M.NextStep(now) {
		case domain.StepStart:
			after, err = w.M.Started(now), s.start(ctx, w)
		case domain.StepEnd:
			after, err = w.M.Ended(now), s.end(ctx, w)
		default:
			return nil
		}
		if err == nil {
			err = s.save(ctx, w, after)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// save writes the window as a step left it, with the event announcing
// that step.
func (s *Scheduler) save(ctx context.Context, w *store.Window, after domain.Maintenance) error {
	ev, err := transitions[after.Status].event(after)
	if err != nil {
		return err
	}
	if err := w.Save(ctx, after, &ev); err != nil {
		return err
	}
	s.committed()
	s.metrics.Maintenance(transitions[after.Status].name)
	return nil
}

// transitions names the transition into a status, for metrics, and gives
// the event announcing it.
var transitions = map[domain.MaintenanceStatus]struct {
	name  string
	event func(domain.Maintenance) (bus.Event, error)
}{
	domain.InProgress: {"started", events.MaintenanceStarted},
	domain.Completed:  {"ended", events.MaintenanceEnded},
	domain.Cancelled:  {"cancelled", events.MaintenanceCancelled},
}

// start puts the window's services in maintenance. A service that fails
// does not keep the others from entering; the start is retried as a
// whole, and services already held are skipped.
func (s *Scheduler) start(ctx context.Context, w *store.Window) error {
	return eachService(w.M.ServiceIDs, func(sid string) error { return s.enter(ctx, w, sid) })
}

// enter carries out the window's plan for one service at its start, under
// the service's lock. A hold is written, pending, before the status
// changes, so that a failure in between is recognised on the next attempt,
// by this window or another one.
func (s *Scheduler) enter(ctx context.Context, w *store.Window, serviceID string) error {
	unlock, err := w.LockService(ctx, serviceID)
	if err != nil {
		return err
	}
	defer unlock()
	for range 5 {
		svc, err := s.getService(ctx, w.M.OrgID, serviceID)
		if err != nil {
			return err
		}
		var holds []domain.Hold
		if svc != nil {
			if holds, err = w.ServiceHolds(ctx, serviceID); err != nil {
				return err
			}
		}
		last, err := s.lastChange(ctx, w.M.OrgID, svc, holds)
		if err != nil {
			return err
		}
		p := domain.PlanEnter(w.M, svc, last, holds)
		if err := s.settle(ctx, w, p.Settle); err != nil {
			return err
		}
		switch p.Action {
		case domain.EnterNone:
			return nil
		case domain.EnterForget:
			s.logger.InfoContext(ctx, "maintenance skips a deleted service", "maintenance_id", w.M.ID, "service_id", serviceID)
			return w.DropHold(ctx, serviceID)
		case domain.EnterShare, domain.EnterAlready:
			return w.PutHold(ctx, p.Hold)
		}
		if err := w.PutHold(ctx, p.Hold); err != nil {
			return err
		}
		set, err := s.status.SetStatus(ctx, &statusv1.SetStatusRequest{
			OrgId: w.M.OrgID, ServiceId: serviceID, Status: statusv1.Status_STATUS_MAINTENANCE, Description: &p.Description,
			Source: statusv1.Source_SOURCE_MAINTENANCE, Actor: w.M.ID, ExpectedVersion: &p.Hold.Version,
		})
		if status.Code(err) == codes.FailedPrecondition {
			continue // changed between the read and the write: read again
		}
		if err != nil {
			return err
		}
		return w.PutHold(ctx, p.Hold.Settled(set.GetService().GetStatusVersion()))
	}
	return fmt.Errorf("service %s kept changing while it was put in maintenance", serviceID)
}

// settle writes the settlements of pending holds a plan made.
func (s *Scheduler) settle(ctx context.Context, w *store.Window, settle []domain.Settlement) error {
	for _, st := range settle {
		var err error
		if st.Drop {
			err = w.DropPendingHold(ctx, st.Hold)
		} else {
			err = w.SettleHold(ctx, st.Hold, st.Version)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// end gives each service the window holds back the status it had. A
// service that fails does not keep the others from leaving; the end is
// retried, and services already given back are skipped.
func (s *Scheduler) end(ctx context.Context, w *store.Window) error {
	holds, err := w.Holds(ctx)
	if err != nil {
		return err
	}
	return eachService(slices.Collect(maps.Keys(holds)), func(sid string) error { return s.leave(ctx, w, sid) })
}

// leave carries out the window's plan for one service at its end, under
// the service's lock: the status goes back unless another window shares
// the hold (the last one to end gives it back) or the service changed
// since it went into maintenance (someone reported a status meanwhile,
// which stands).
func (s *Scheduler) leave(ctx context.Context, w *store.Window, serviceID string) error {
	unlock, err := w.LockService(ctx, serviceID)
	if err != nil {
		return err
	}
	defer unlock()
	holds, err := w.ServiceHolds(ctx, serviceID)
	if err != nil {
		return err
	}
	var svc *domain.ServiceState
	if domain.LeaveNeedsService(w.M.ID, holds) {
		// The start failed halfway on this service: find out whether it
		// went into maintenance.
		if svc, err = s.getService(ctx, w.M.OrgID, serviceID); err != nil {
			return err
		}
	}
	last, err := s.lastChange(ctx, w.M.OrgID, svc, holds)
	if err != nil {
		return err
	}
	p := domain.PlanLeave(w.M.ID, svc, last, holds)
	if err := s.settle(ctx, w, p.Settle); err != nil {
		return err
	}
	switch p.Action {
	case domain.LeaveNone:
		return nil
	case domain.LeaveForget:
		return w.DropHold(ctx, serviceID)
	case domain.LeaveGiveBack:
		h := p.Hold
		_, err = s.status.SetStatus(ctx, &statusv1.SetStatusRequest{
			OrgId: w.M.OrgID, ServiceId: serviceID, Status: pbconv.ServiceStatus(h.PreviousStatus),
			Description: &h.PreviousDescription, Source: statusv1.Source_SOURCE_MAINTENANCE, Actor: w.M.ID,
			ExpectedVersion: &h.Version,
		})
		switch status.Code(err) {
		case codes.OK:
		case codes.FailedPrecondition, codes.NotFound:
			s.logger.InfoContext(ctx, "maintenance leaves a service that changed meanwhile as it is",
				"maintenance_id", w.M.ID, "service_id", serviceID)
		default:
			return err
		}
	}
	return w.PutHold(ctx, p.Hold)
}

// eachService calls fn for every service, also after one fails, and
// returns the failures together: one service the status service refuses
// does not keep a window's other services from entering or leaving.
func eachService(ids []string, fn func(serviceID string) error) error {
	var errs []error
	for _, sid := range ids {
		if err := fn(sid); err != nil {
			errs = append(errs, fmt.Errorf("service %s: %w", sid, err))
		}
	}
	return errors.Join(errs...)
}

// getService returns the service as the status service has it; nil if it
// was deleted.
func (s *Scheduler) getService(ctx context.Context, orgID, id string) (*domain.ServiceState, error) {
	resp, err := s.status.GetService(ctx, &statusv1.GetServiceRequest{OrgId: orgID, ServiceId: id})
	if status.Code(err) == codes.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	svc := pbconv.ServiceState(resp.GetService())
	return &svc, nil
}

// lastChange returns the newest change of the service's status history
// when settling the pending holds among holds needs it. Callers hold the
// service's lock, so no window changes the service meanwhile.
func (s *Scheduler) lastChange(ctx context.Context, orgID string, svc *domain.ServiceState, holds []domain.Hold) (domain.LastChange, error) {
	if svc == nil || !domain.NeedsLastChange(*svc, holds) {
		return domain.LastChange{}, nil
	}
	resp, err := s.status.ListStatusHistory(ctx, &statusv1.ListStatusHistoryRequest{OrgId: orgID, ServiceId: svc.ID, PageSize: 1})
	if err != nil || len(resp.GetChanges()) == 0 {
		return domain.LastChange{}, err
	}
	return pbconv.LastChange(resp.GetChanges()[0]), nil
}

// Cancel cancels the organisation's window if it has not started, or ends
// it now if it is in progress, and returns it afterwards.
func (s *Scheduler) Cancel(ctx context.Context, orgID, id string) (domain.Maintenance, error) {
	w, err := s.store.LockWindow(ctx, orgID, id, store.Wait)
	if err != nil {
		return domain.Maintenance{}, err
	}
	defer w.Release(ctx)
	c, err := w.M.Cancel(pgdb.Now(s.clock))
	if err != nil {
		return w.M, err
	}
	if c.Moved != nil {
		if err := w.Save(ctx, *c.Moved, nil); err != nil {
			return w.M, err
		}
	}
	if err := s.end(ctx, w); err != nil {
		return w.M, err
	}
	if err := s.save(ctx, w, c.After); err != nil {
		return w.M, err
	}
	return c.After, nil
}
