package grpcapi

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jonboulle/clockwork"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
	"github.com/upstatehq/upstate/services/incidents/internal/events"
	"github.com/upstatehq/upstate/services/incidents/internal/pbconv"
	"github.com/upstatehq/upstate/services/incidents/internal/scheduler"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
)

// Maintenances implements incidentsv1.MaintenanceServiceServer.
type Maintenances struct {
	incidentsv1.UnimplementedMaintenanceServiceServer
	store     *store.Store
	registry  statusv1.ServiceRegistryServiceClient
	scheduler *scheduler.Scheduler
	// changed is called after a commit that wrote an outbox event.
	changed func()
	logger  *slog.Logger
	clock   clockwork.Clock
}

// NewMaintenances returns the MaintenanceService over st; registry checks
// service ids, sched starts and ends windows, and changed is called after
// every committed change.
func NewMaintenances(st *store.Store, registry statusv1.ServiceRegistryServiceClient, sched *scheduler.Scheduler, changed func(), clock clockwork.Clock, logger *slog.Logger) *Maintenances {
	return &Maintenances{store: st, registry: registry, scheduler: sched, changed: changed, clock: clock, logger: logger}
}

const maintenance = "maintenance"

// CreateMaintenance implements the RPC. A window whose start is past
// starts before the call returns.
func (s *Maintenances) CreateMaintenance(ctx context.Context, req *incidentsv1.CreateMaintenanceRequest) (*incidentsv1.CreateMaintenanceResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	n := domain.NewMaintenance{
		Title: req.GetTitle(), Message: req.GetMessage(), ServiceIDs: req.GetServiceIds(),
		StartsAt: optionalTime(req.GetStartsAt()), EndsAt: optionalTime(req.GetEndsAt()),
	}
	at := pgdb.Now(s.clock)
	if err := n.Validate(at); err != nil {
		return nil, toStatus(err, maintenance)
	}
	if err := checkServices(ctx, s.registry, req.GetOrgId(), n.ServiceIDs); err != nil {
		return nil, toStatus(err, maintenance)
	}
	m := n.Schedule(ids.New(ids.Maintenance), req.GetOrgId(), at)
	if err := s.store.CreateMaintenance(ctx, m, events.MaintenanceScheduled); err != nil {
		return nil, toStatus(err, maintenance)
	}
	s.changed()
	m, err := s.advance(ctx, m)
	if err != nil {
		return nil, err
	}
	return &incidentsv1.CreateMaintenanceResponse{Maintenance: pbconv.Maintenance(m)}, nil
}

// advance starts or ends m now if it is due and returns it afterwards. If
// that fails (the status service is unavailable, say) the failure is
// logged here, where it is handled, the scheduler retries in the
// background and m is returned as it is.
func (s *Maintenances) advance(ctx context.Context, m domain.Maintenance) (domain.Maintenance, error) {
	if !m.Due(pgdb.Now(s.clock)) {
		s.scheduler.Notify() // its times moved: the scheduler's next look may be sooner
		return m, nil
	}
	if err := s.scheduler.Advance(ctx, m.ID); err != nil {
		s.logger.WarnContext(ctx, "maintenance window not advanced; the scheduler retries", "maintenance_id", m.ID, "err", err)
		s.scheduler.Notify()
		return m, nil
	}
	after, err := s.store.GetMaintenance(ctx, m.OrgID, m.ID)
	if err != nil {
		return m, toStatus(err, maintenance)
	}
	return after, nil
}

// GetMaintenance implements the RPC.
func (s *Maintenances) GetMaintenance(ctx context.Context, req *incidentsv1.GetMaintenanceRequest) (*incidentsv1.GetMaintenanceResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	m, err := s.store.GetMaintenance(ctx, req.GetOrgId(), req.GetMaintenanceId())
	if err != nil {
		return nil, toStatus(err, maintenance)
	}
	return &incidentsv1.GetMaintenanceResponse{Maintenance: pbconv.Maintenance(m)}, nil
}

// ListMaintenances implements the RPC.
func (s *Maintenances) ListMaintenances(ctx context.Context, req *incidentsv1.ListMaintenancesRequest) (*incidentsv1.ListMaintenancesResponse, error) {
	size, before, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	f := store.MaintenanceFilter{ServiceID: req.GetServiceId(), BeforeID: before}
	var ok bool
	if f.Status, ok = pbconv.DomainMaintenanceStatus(req.GetStatus()); !ok {
		return nil, grpcx.InvalidField("status", "valid values are scheduled, in_progress, completed, cancelled")
	}
	list, err := s.store.ListMaintenances(ctx, req.GetOrgId(), f, size+1)
	if err != nil {
		return nil, toStatus(err, maintenance)
	}
	resp := &incidentsv1.ListMaintenancesResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(m domain.Maintenance) string { return grpcx.EncodeToken(m.ID) })
	for _, m := range list {
		resp.Maintenances = append(resp.Maintenances, pbconv.Maintenance(m))
	}
	return resp, nil
}

// UpdateMaintenance implements the RPC.
func (s *Maintenances) UpdateMaintenance(ctx context.Context, req *incidentsv1.UpdateMaintenanceRequest) (*incidentsv1.UpdateMaintenanceResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	p := domain.MaintenancePatch{Title: req.Title, Message: req.Message}
	if req.GetServiceIds() != nil {
		ids := req.GetServiceIds().GetIds()
		p.ServiceIDs = &ids
	}
	// The list is checked (its length first) before the status service
	// is asked about any id, and asked once per distinct id.
	if err := p.Validate(); err != nil {
		return nil, toStatus(err, maintenance)
	}
	if p.ServiceIDs != nil {
		if err := checkServices(ctx, s.registry, req.GetOrgId(), *p.ServiceIDs); err != nil {
			return nil, toStatus(err, maintenance)
		}
	}
	if req.GetStartsAt() != nil {
		t := optionalTime(req.GetStartsAt())
		p.StartsAt = &t
	}
	if req.GetEndsAt() != nil {
		t := optionalTime(req.GetEndsAt())
		p.EndsAt = &t
	}
	m, err := s.update(ctx, req.GetOrgId(), req.GetMaintenanceId(), p)
	if err != nil {
		return nil, toStatus(err, maintenance)
	}
	if m, err = s.advance(ctx, m); err != nil {
		return nil, err
	}
	return &incidentsv1.UpdateMaintenanceResponse{Maintenance: pbconv.Maintenance(m)}, nil
}

// update applies p to the window under its lock (the scheduler takes the
// same lock to start and end it) and announces the change; a patch that
// changes nothing writes nothing.
func (s *Maintenances) update(ctx context.Context, orgID, id string, p domain.MaintenancePatch) (domain.Maintenance, error) {
	w, err := s.store.LockWindow(ctx, orgID, id, store.Wait)
	if err != nil {
		return domain.Maintenance{}, err
	}
	defer w.Release(ctx)
	if w.M.Status == domain.Scheduled {
		// A start that failed halfway holds some services already; moving
		// the window now would keep them in maintenance until its new start.
		holds, err := w.Holds(ctx)
		if err != nil {
			return w.M, err
		}
		if len(holds) > 0 {
			return w.M, &domain.TransitionError{Reason: "the maintenance is starting (some of its services are in maintenance already); retry shortly"}
		}
	}
	after, err := p.Apply(w.M, pgdb.Now(s.clock))
	if err != nil || after.Version == w.M.Version {
		return after, err
	}
	ev, err := events.MaintenanceUpdated(after)
	if err != nil {
		return w.M, err
	}
	if err := w.Save(ctx, after, &ev); err != nil {
		return w.M, err
	}
	s.changed()
	return after, nil
}

// CancelMaintenance implements the RPC.
func (s *Maintenances) CancelMaintenance(ctx context.Context, req *incidentsv1.CancelMaintenanceRequest) (*incidentsv1.CancelMaintenanceResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	m, err := s.scheduler.Cancel(ctx, req.GetOrgId(), req.GetMaintenanceId())
	if err != nil {
		return nil, toStatus(err, maintenance)
	}
	return &incidentsv1.CancelMaintenanceResponse{Maintenance: pbconv.Maintenance(m)}, nil
}

func optionalTime(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime().UTC().Truncate(time.Microsecond)
}
