// Package scheduler starts and ends maintenance windows: at a window's
// start it puts each of its services in maintenance through the status
// service, remembering the status it had; at the end it gives each back
// that status, unless something else changed the service meanwhile. All
// of its state is in Postgres, so a window that started or ended while no
// replica was running is applied when one comes back, and replicas share
// the work (a window is handled by one at a time, and the windows acting
// on one service one at a time).
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
		m := w.M
		var ev *bus.Event
		switch {
		case m.Status == domain.Scheduled && !m.EndsAt.After(now):
			// Its whole time passed while no replica ran (or its start
			// kept failing): putting services in maintenance now would
			// only announce it after the fact. Give back whatever it
			// holds and complete it.
			m, ev, err = s.end(ctx, w, now)
		case m.Status == domain.Scheduled && !m.StartsAt.After(now):
			m, ev, err = s.start(ctx, w, now)
		case m.Status == domain.InProgress && !m.EndsAt.After(now):
			m, ev, err = s.end(ctx, w, now)
		default:
			return nil
		}
		if err == nil {
			err = w.Save(ctx, m, ev)
		}
		if err != nil {
			return err
		}
		s.committed()
		s.metrics.Maintenance(transitionName[m.Status])
	}
	return nil
}

// transitionName names the transition into a status, for metrics.
var transitionName = map[domain.MaintenanceStatus]string{
	domain.InProgress: "started",
	domain.Completed:  "ended",
	domain.Cancelled:  "cancelled",
}

// start puts the window's services in maintenance and returns it in
// progress. A service that fails does not keep the others from entering;
// the start is retried as a whole, and services already held are skipped.
func (s *Scheduler) start(ctx context.Context, w *store.Window, now time.Time) (domain.Maintenance, *bus.Event, error) {
	m := w.M
	if err := eachService(m.ServiceIDs, func(sid string) error { return s.enter(ctx, w, sid) }); err != nil {
		return m, nil, err
	}
	m.Status, m.StartedAt, m.UpdatedAt = domain.InProgress, now, now
	m.Version++
	ev, err := events.MaintenanceStarted(m)
	return m, &ev, err
}

// enter puts one service in maintenance, under the service's lock, and
// records the window's hold of it. The hold is written, pending, before
// the status changes, so that a failure in between is recognised on the
// next attempt, by this window or another one.
func (s *Scheduler) enter(ctx context.Context, w *store.Window, serviceID string) error {
	unlock, err := w.LockService(ctx, serviceID)
	if err != nil {
		return err
	}
	defer unlock()
	m := w.M
	for range 5 {
		svc, err := s.getService(ctx, m.OrgID, serviceID)
		if status.Code(err) == codes.NotFound {
			s.logger.InfoContext(ctx, "maintenance skips a deleted service", "maintenance_id", m.ID, "service_id", serviceID)
			return w.DropHold(ctx, serviceID)
		}
		if err != nil {
			return err
		}
		if err := s.resolvePending(ctx, w, svc); err != nil {
			return err
		}
		holds, err := w.Holds(ctx)
		if err != nil {
			return err
		}
		if h, held := holds[serviceID]; held && !h.Pending {
			return nil
		}
		cur, _ := pbconv.DomainServiceStatus(svc.GetStatus())
		hold := store.ServiceHold{ServiceID: serviceID, PreviousStatus: cur, PreviousDescription: svc.GetStatusDescription(), Version: svc.GetStatusVersion()}
		// Another window already holds it at this version: share its hold.
		shared, err := w.SharedHold(ctx, serviceID, svc.GetStatusVersion())
		if err != nil {
			return err
		}
		if shared != nil {
			hold.PreviousStatus, hold.PreviousDescription = shared.PreviousStatus, shared.PreviousDescription
			return w.PutHold(ctx, hold)
		}
		if cur == domain.StatusMaintenance {
			// Someone else put it in maintenance: that is what to give back.
			return w.PutHold(ctx, hold)
		}
		hold.Pending = true
		if err := w.PutHold(ctx, hold); err != nil {
			return err
		}
		desc := "Scheduled maintenance: " + m.Title
		set, err := s.status.SetStatus(ctx, &statusv1.SetStatusRequest{
			OrgId: m.OrgID, ServiceId: serviceID, Status: statusv1.Status_STATUS_MAINTENANCE, Description: &desc,
			Source: statusv1.Source_SOURCE_MAINTENANCE, Actor: m.ID, ExpectedVersion: &hold.Version,
		})
		if status.Code(err) == codes.FailedPrecondition {
			continue // changed between the read and the write: read again
		}
		if err != nil {
			return err
		}
		hold.Pending, hold.Version = false, set.GetService().GetStatusVersion()
		return w.PutHold(ctx, hold)
	}
	return fmt.Errorf("service %s kept changing while it was put in maintenance", serviceID)
}

// resolvePending settles the pending holds, of any window, whose service's
// status moved on since they were written: the window whose maintenance
// change is the newest in the service's history holds it at that version
// (its status version: edits of the service's name take versions too, and
// do not matter here); any other pending hold's change never took effect
// or was overtaken, and is dropped. Pending holds at the current status
// version (the change was not made) stay for their window to retry. Callers hold the service's lock, so no
// window is changing the service meanwhile.
func (s *Scheduler) resolvePending(ctx context.Context, w *store.Window, svc *statusv1.Service) error {
	pending, err := w.PendingHolds(ctx, svc.GetId())
	if err != nil {
		return err
	}
	var newest *statusv1.StatusChange
	for _, p := range pending {
		if p.Version == svc.GetStatusVersion() {
			continue
		}
		if newest == nil {
			resp, err := s.status.ListStatusHistory(ctx, &statusv1.ListStatusHistoryRequest{OrgId: w.M.OrgID, ServiceId: svc.GetId(), PageSize: 1})
			if err != nil {
				return err
			}
			newest = &statusv1.StatusChange{}
			if len(resp.GetChanges()) == 1 {
				newest = resp.GetChanges()[0]
			}
		}
		if newest.GetVersion() == svc.GetStatusVersion() && newest.GetSource() == statusv1.Source_SOURCE_MAINTENANCE &&
			newest.GetActor() == p.MaintenanceID && newest.GetStatus() == statusv1.Status_STATUS_MAINTENANCE {
			err = w.SettleHold(ctx, p, svc.GetStatusVersion())
		} else {
			err = w.DropPendingHold(ctx, p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// end gives each service the window holds back the status it had, and
// returns the window completed. A service that fails does not keep the
// others from leaving; the end is retried, and services already given
// back are skipped.
func (s *Scheduler) end(ctx context.Context, w *store.Window, now time.Time) (domain.Maintenance, *bus.Event, error) {
	m := w.M
	holds, err := w.Holds(ctx)
	if err != nil {
		return m, nil, err
	}
	if err := eachService(slices.Collect(maps.Keys(holds)), func(sid string) error { return s.leave(ctx, w, sid) }); err != nil {
		return m, nil, err
	}
	// Never before its start, whatever the clocks of replicas say.
	m.Status, m.EndedAt, m.UpdatedAt = domain.Completed, maxTime(now, m.StartedAt), now
	m.Version++
	ev, err := events.MaintenanceEnded(m)
	return m, &ev, err
}

// leave gives one service back its status, under the service's lock,
// unless another window shares the hold (the last one to end gives it
// back) or the service changed since it went into maintenance (someone
// reported a status meanwhile, which stands).
func (s *Scheduler) leave(ctx context.Context, w *store.Window, serviceID string) error {
	unlock, err := w.LockService(ctx, serviceID)
	if err != nil {
		return err
	}
	defer unlock()
	holds, err := w.Holds(ctx)
	if err != nil {
		return err
	}
	if h := holds[serviceID]; h.Pending {
		// The start failed halfway on this service: find out whether it
		// went into maintenance.
		svc, err := s.getService(ctx, w.M.OrgID, serviceID)
		if status.Code(err) == codes.NotFound {
			return w.DropHold(ctx, serviceID)
		}
		if err != nil {
			return err
		}
		if err := s.resolvePending(ctx, w, svc); err != nil {
			return err
		}
		if holds, err = w.Holds(ctx); err != nil {
			return err
		}
		if h := holds[serviceID]; h.Pending {
			return w.DropHold(ctx, serviceID) // its change was never made
		}
	}
	h, held := holds[serviceID]
	if !held || h.Ended {
		return nil
	}
	return s.giveBack(ctx, w, h)
}

// giveBack restores a settled hold's status unless another window shares
// it, and marks the hold ended.
func (s *Scheduler) giveBack(ctx context.Context, w *store.Window, h store.ServiceHold) error {
	shared, err := w.SharedHold(ctx, h.ServiceID, h.Version)
	if err != nil {
		return err
	}
	if shared == nil {
		_, err = s.status.SetStatus(ctx, &statusv1.SetStatusRequest{
			OrgId: w.M.OrgID, ServiceId: h.ServiceID, Status: pbconv.ServiceStatus(h.PreviousStatus),
			Description: &h.PreviousDescription, Source: statusv1.Source_SOURCE_MAINTENANCE, Actor: w.M.ID,
			ExpectedVersion: &h.Version,
		})
		switch status.Code(err) {
		case codes.OK:
		case codes.FailedPrecondition, codes.NotFound:
			s.logger.InfoContext(ctx, "maintenance leaves a service that changed meanwhile as it is",
				"maintenance_id", w.M.ID, "service_id", h.ServiceID)
		default:
			return err
		}
	}
	h.Ended = true
	return w.PutHold(ctx, h)
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

func (s *Scheduler) getService(ctx context.Context, orgID, id string) (*statusv1.Service, error) {
	resp, err := s.status.GetService(ctx, &statusv1.GetServiceRequest{OrgId: orgID, ServiceId: id})
	return resp.GetService(), err
}

// Cancel cancels the organisation's window if it has not started, or ends
// it now if it is in progress, and returns it afterwards.
func (s *Scheduler) Cancel(ctx context.Context, orgID, id string) (domain.Maintenance, error) {
	w, err := s.store.LockWindow(ctx, orgID, id, store.Wait)
	if err != nil {
		return domain.Maintenance{}, err
	}
	defer w.Release(ctx)
	now := pgdb.Now(s.clock)
	var m domain.Maintenance
	var ev *bus.Event
	switch w.M.Status {
	case domain.InProgress:
		// Its end is now (never before its start: clocks of replicas
		// differ a little). That is saved first, so that if giving a
		// service back fails the scheduler finishes the end, not the
		// original schedule hours later.
		if now.Before(w.M.EndsAt) {
			moved := w.M
			moved.EndsAt, moved.UpdatedAt = maxTime(now, moved.StartsAt.Add(time.Microsecond)), now
			moved.Version++
			if err := w.Save(ctx, moved, nil); err != nil {
				return w.M, err
			}
		}
		m, ev, err = s.end(ctx, w, now)
	case domain.Scheduled:
		// Normally nothing is held yet; a start that failed halfway may
		// have put some services in maintenance already.
		if m, _, err = s.end(ctx, w, now); err == nil {
			m.Status = domain.Cancelled
			var cancelled bus.Event
			cancelled, err = events.MaintenanceCancelled(m)
			ev = &cancelled
		}
	default:
		return w.M, &domain.TransitionError{Reason: "the maintenance is already " + string(w.M.Status)}
	}
	if err == nil {
		err = w.Save(ctx, m, ev)
	}
	if err != nil {
		return w.M, err
	}
	s.committed()
	s.metrics.Maintenance(transitionName[m.Status])
	return m, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
