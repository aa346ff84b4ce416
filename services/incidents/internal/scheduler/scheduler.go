// Package scheduler starts and ends maintenance windows: at a window's
// start it puts each of its services in maintenance through the status
// service, remembering the status it had; at the end it gives each back
// that status, unless something else changed the service meanwhile. All
// of its state is in Postgres, so a window that started or ended while no
// replica was running is applied when one comes back, and replicas share
// the work (a window is handled by one at a time).
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/bus"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
	"github.com/upstatehq/upstate/services/incidents/internal/events"
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
	now       func() time.Time
}

// New returns a scheduler checking for due windows every interval and
// whenever notified.
func New(st *store.Store, status statusv1.ServiceRegistryServiceClient, committed func(), logger *slog.Logger, interval time.Duration) *Scheduler {
	return &Scheduler{
		store: st, status: status, logger: logger, interval: interval, kick: make(chan struct{}, 1),
		committed: committed, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
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
	ticker := time.NewTicker(s.interval)
	defer ticker.Stop()
	for {
		s.runDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-ticker.C:
		}
	}
}

// runDue handles every window due now; one that fails is retried on the
// next run.
func (s *Scheduler) runDue(ctx context.Context) {
	ids, err := s.store.DueMaintenances(ctx, s.now(), 100)
	if err != nil {
		if ctx.Err() == nil {
			s.logger.WarnContext(ctx, "look for due maintenance windows", "err", err)
		}
		return
	}
	for _, id := range ids {
		if err := s.advance(ctx, id, store.SkipLocked); err != nil && ctx.Err() == nil {
			s.logger.WarnContext(ctx, "maintenance window not advanced; retrying", "maintenance_id", id, "err", err)
		}
	}
}

// Advance starts and/or ends the window now if it is due, waiting for a
// replica that is working on it, so that the caller (an API request that
// moved the window's times) sees the result.
func (s *Scheduler) Advance(ctx context.Context, id string) error {
	return s.advance(ctx, id, store.Wait)
}

func (s *Scheduler) advance(ctx context.Context, id string, skipLocked bool) error {
	// A window whose start and end are both past is started, then ended.
	for range 2 {
		var moved bool
		_, _, err := s.store.ModifyMaintenance(ctx, "", id, skipLocked, func(m domain.Maintenance) (domain.Maintenance, *bus.Event, error) {
			now := s.now()
			if !m.Due(now) {
				return m, nil, nil
			}
			moved = true
			if m.Status == domain.Scheduled {
				return s.start(ctx, m, now)
			}
			return s.end(ctx, m, now)
		})
		if err != nil || !moved {
			return err
		}
		s.committed()
	}
	return nil
}

// start puts the window's services in maintenance and returns it in
// progress. Each service's hold is committed as soon as the service is in
// maintenance, so a failure halfway resumes where it stopped.
func (s *Scheduler) start(ctx context.Context, m domain.Maintenance, now time.Time) (domain.Maintenance, *bus.Event, error) {
	holds, err := s.store.Holds(ctx, m.ID)
	if err != nil {
		return m, nil, err
	}
	for _, sid := range m.ServiceIDs {
		if _, ok := holds[sid]; ok {
			continue
		}
		h, err := s.enter(ctx, m, sid)
		if status.Code(err) == codes.NotFound {
			s.logger.InfoContext(ctx, "maintenance skips a deleted service", "maintenance_id", m.ID, "service_id", sid)
			continue
		}
		if err != nil {
			return m, nil, err
		}
		if err := s.store.AddHold(ctx, m.ID, h); err != nil {
			return m, nil, err
		}
	}
	m.Status, m.StartedAt, m.UpdatedAt = domain.InProgress, now, now
	m.Version++
	ev, err := events.MaintenanceStarted(m)
	return m, &ev, err
}

// enter puts one service in maintenance and returns the hold to record.
func (s *Scheduler) enter(ctx context.Context, m domain.Maintenance, serviceID string) (store.ServiceHold, error) {
	for range 5 {
		resp, err := s.status.GetService(ctx, &statusv1.GetServiceRequest{OrgId: m.OrgID, ServiceId: serviceID})
		if err != nil {
			return store.ServiceHold{}, err
		}
		svc := resp.GetService()
		cur, _ := pbconv.DomainServiceStatus(svc.GetStatus())
		hold := store.ServiceHold{ServiceID: serviceID, PreviousStatus: cur, PreviousDescription: svc.GetStatusDescription(), Version: svc.GetVersion()}
		// Another window already holds it at this version: share its hold.
		shared, err := s.store.SharedHold(ctx, m.ID, serviceID, svc.GetVersion())
		if err != nil || shared != nil {
			if shared != nil {
				hold.PreviousStatus, hold.PreviousDescription = shared.PreviousStatus, shared.PreviousDescription
			}
			return hold, err
		}
		if cur == domain.StatusMaintenance {
			return s.alreadyInMaintenance(ctx, m, hold)
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
			return store.ServiceHold{}, err
		}
		hold.Version = set.GetService().GetVersion()
		return hold, nil
	}
	return store.ServiceHold{}, fmt.Errorf("service %s kept changing while it was put in maintenance", serviceID)
}

// alreadyInMaintenance returns the hold of a service found in maintenance
// when its window starts: if this window put it there (an earlier attempt
// failed before recording it), the status before is in the newest history
// entry; otherwise someone else did and maintenance is what to give back.
func (s *Scheduler) alreadyInMaintenance(ctx context.Context, m domain.Maintenance, hold store.ServiceHold) (store.ServiceHold, error) {
	resp, err := s.status.ListStatusHistory(ctx, &statusv1.ListStatusHistoryRequest{OrgId: m.OrgID, ServiceId: hold.ServiceID, PageSize: 1})
	if err != nil {
		return hold, err
	}
	if ch := resp.GetChanges(); len(ch) == 1 && ch[0].GetVersion() == hold.Version &&
		ch[0].GetSource() == statusv1.Source_SOURCE_MAINTENANCE && ch[0].GetActor() == m.ID {
		hold.PreviousStatus, _ = pbconv.DomainServiceStatus(ch[0].GetPrevious())
		hold.PreviousDescription = ""
	}
	return hold, nil
}

// end gives each service of the window back the status it had, and
// returns the window completed.
func (s *Scheduler) end(ctx context.Context, m domain.Maintenance, now time.Time) (domain.Maintenance, *bus.Event, error) {
	holds, err := s.store.Holds(ctx, m.ID)
	if err != nil {
		return m, nil, err
	}
	for _, h := range holds {
		if h.Ended {
			continue
		}
		if err := s.leave(ctx, m, h); err != nil {
			return m, nil, err
		}
		if err := s.store.EndHold(ctx, m.ID, h.ServiceID); err != nil {
			return m, nil, err
		}
	}
	m.Status, m.EndedAt, m.UpdatedAt = domain.Completed, now, now
	m.Version++
	ev, err := events.MaintenanceEnded(m)
	return m, &ev, err
}

// leave gives one service back its status, unless another window in
// progress shares the hold (the last one to end gives it back) or the
// service changed since it went into maintenance (someone reported a
// status meanwhile, which stands).
func (s *Scheduler) leave(ctx context.Context, m domain.Maintenance, h store.ServiceHold) error {
	shared, err := s.store.SharedHold(ctx, m.ID, h.ServiceID, h.Version)
	if err != nil || shared != nil {
		return err
	}
	_, err = s.status.SetStatus(ctx, &statusv1.SetStatusRequest{
		OrgId: m.OrgID, ServiceId: h.ServiceID, Status: pbconv.ServiceStatus(h.PreviousStatus),
		Description: &h.PreviousDescription, Source: statusv1.Source_SOURCE_MAINTENANCE, Actor: m.ID,
		ExpectedVersion: &h.Version,
	})
	switch status.Code(err) {
	case codes.OK:
		return nil
	case codes.FailedPrecondition, codes.NotFound:
		s.logger.InfoContext(ctx, "maintenance leaves a service that changed meanwhile as it is",
			"maintenance_id", m.ID, "service_id", h.ServiceID)
		return nil
	}
	return err
}

// Cancel cancels the organisation's window if it has not started, or ends
// it now if it is in progress, and returns it afterwards.
func (s *Scheduler) Cancel(ctx context.Context, orgID, id string) (domain.Maintenance, error) {
	m, _, err := s.store.ModifyMaintenance(ctx, orgID, id, store.Wait, func(m domain.Maintenance) (domain.Maintenance, *bus.Event, error) {
		now := s.now()
		switch m.Status {
		case domain.InProgress:
			m.EndsAt = now
			return s.end(ctx, m, now)
		case domain.Scheduled:
			// Normally nothing is held yet; a start that failed halfway
			// may have put some services in maintenance already.
			if _, _, err := s.end(ctx, m, now); err != nil {
				return m, nil, err
			}
			m.Status, m.EndedAt, m.UpdatedAt = domain.Cancelled, now, now
			m.Version++
			return m, nil, nil
		}
		return m, nil, &domain.TransitionError{Reason: "the maintenance is already " + string(m.Status)}
	})
	if err == nil {
		s.committed()
	}
	return m, err
}
