package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/sla/internal/domain"
	"github.com/upstatehq/upstate/services/sla/internal/events"
	"github.com/upstatehq/upstate/services/sla/internal/pbconv"
	"github.com/upstatehq/upstate/services/sla/internal/store"
)

// Server implements slav1.SLAServiceServer.
type Server struct {
	slav1.UnimplementedSLAServiceServer
	store    *store.Store
	registry statusv1.ServiceRegistryServiceClient
	// due is called after an SLO was created or changed: it is due for
	// evaluation.
	due   func()
	clock clockwork.Clock
}

// New returns the SLAService over st; registry answers for services the
// SLA service has no event of yet.
func New(st *store.Store, registry statusv1.ServiceRegistryServiceClient, due func(), clock clockwork.Clock) *Server {
	return &Server{store: st, registry: registry, due: due, clock: clock}
}

const (
	service = "service"
	slo     = "slo"
)

// serviceOf returns the organisation's service as the SLA service knows
// it. A service it has no event of yet (just created) is asked of the
// status service, which owns services: it exists, with no time counted.
func (s *Server) serviceOf(ctx context.Context, orgID, id string) (store.Service, error) {
	svc, err := s.store.Service(ctx, orgID, id)
	switch {
	case err == nil && svc.Deleted:
		return svc, domain.ErrNotFound
	case err == nil || !isNotFound(err):
		return svc, err
	}
	resp, err := s.registry.GetService(ctx, &statusv1.GetServiceRequest{OrgId: orgID, ServiceId: id})
	if status.Code(err) == codes.NotFound {
		return svc, domain.ErrNotFound
	}
	if err != nil {
		return svc, fmt.Errorf("check service %s: %w", id, err)
	}
	return store.Service{ID: id, OrgID: orgID, Name: resp.GetService().GetName()}, nil
}

func isNotFound(err error) bool { return errors.Is(err, domain.ErrNotFound) }

func optionalTime(ts *timestamppb.Timestamp) *time.Time {
	if ts == nil {
		return nil
	}
	t := ts.AsTime()
	return &t
}

// GetUptime implements the RPC.
func (s *Server) GetUptime(ctx context.Context, req *slav1.GetUptimeRequest) (*slav1.GetUptimeResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	now := pgdb.Now(s.clock)
	span, err := domain.UptimeRange(req.GetWindow(), optionalTime(req.GetFrom()), optionalTime(req.GetTo()), now)
	if err != nil {
		return nil, toStatus(err, service)
	}
	svc, err := s.serviceOf(ctx, req.GetOrgId(), req.GetServiceId())
	if err != nil {
		return nil, toStatus(err, service)
	}
	figs, _, err := s.store.Measure(ctx, svc.ID, []domain.Span{span}, now, true)
	if err != nil {
		return nil, toStatus(err, service)
	}
	return &slav1.GetUptimeResponse{Uptime: pbconv.Uptime(svc.ID, svc.Name, span.Until(now), figs[0])}, nil
}

// GetDailyUptime implements the RPC.
func (s *Server) GetDailyUptime(ctx context.Context, req *slav1.GetDailyUptimeRequest) (*slav1.GetDailyUptimeResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	n, loc, err := domain.DailyRequest(int(req.GetDays()), req.GetTimeZone())
	if err != nil {
		return nil, toStatus(err, service)
	}
	svc, err := s.serviceOf(ctx, req.GetOrgId(), req.GetServiceId())
	if err != nil {
		return nil, toStatus(err, service)
	}
	now := pgdb.Now(s.clock)
	days := domain.Days(loc, n, now)
	spans := make([]domain.Span, len(days))
	for i, d := range days {
		spans[i] = d.Span
	}
	figs, _, err := s.store.Measure(ctx, svc.ID, spans, now, false)
	if err != nil {
		return nil, toStatus(err, service)
	}
	resp := &slav1.GetDailyUptimeResponse{Days: make([]*slav1.DailyUptime, len(days))}
	for i, d := range days {
		resp.Days[i] = pbconv.Daily(d, figs[i])
	}
	return resp, nil
}

// ListUptime implements the RPC.
func (s *Server) ListUptime(ctx context.Context, req *slav1.ListUptimeRequest) (*slav1.ListUptimeResponse, error) {
	size, after, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	now := pgdb.Now(s.clock)
	span, err := domain.UptimeRange(req.GetWindow(), optionalTime(req.GetFrom()), optionalTime(req.GetTo()), now)
	if err != nil {
		return nil, toStatus(err, service)
	}
	svcs, err := s.store.ListServices(ctx, req.GetOrgId(), after, size+1)
	if err != nil {
		return nil, toStatus(err, service)
	}
	resp := &slav1.ListUptimeResponse{}
	svcs, resp.NextPageToken = grpcx.CutPage(svcs, size, func(v store.Service) string { return grpcx.EncodeToken(v.ID) })
	for _, svc := range svcs {
		figs, _, err := s.store.Measure(ctx, svc.ID, []domain.Span{span}, now, true)
		if err != nil {
			return nil, toStatus(err, service)
		}
		resp.Uptimes = append(resp.Uptimes, pbconv.Uptime(svc.ID, svc.Name, span.Until(now), figs[0]))
	}
	return resp, nil
}

// withState returns the SLO with its state now.
func (s *Server) withState(ctx context.Context, o domain.SLO) (*slav1.SLO, error) {
	now := pgdb.Now(s.clock)
	st, err := s.store.State(ctx, o, now)
	if err != nil {
		return nil, toStatus(err, slo)
	}
	return pbconv.SLO(o, st, now), nil
}

// CreateSLO implements the RPC.
func (s *Server) CreateSLO(ctx context.Context, req *slav1.CreateSLORequest) (*slav1.CreateSLOResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	n := domain.NewSLO{ServiceID: req.GetServiceId(), Name: req.GetName(), Target: req.GetTarget(), Window: req.GetWindow()}
	if err := n.Validate(); err != nil {
		return nil, toStatus(err, slo)
	}
	if _, err := s.serviceOf(ctx, req.GetOrgId(), n.ServiceID); err != nil {
		if isNotFound(err) {
			return nil, grpcx.InvalidField("service_id", fmt.Sprintf("service %s not found", n.ServiceID))
		}
		return nil, toStatus(err, slo)
	}
	o := n.Create(ids.New(ids.SLO), req.GetOrgId(), pgdb.Now(s.clock))
	if err := s.store.CreateSLO(ctx, o); err != nil {
		return nil, toStatus(err, slo)
	}
	s.due()
	pb, err := s.withState(ctx, o)
	if err != nil {
		return nil, err
	}
	return &slav1.CreateSLOResponse{Slo: pb}, nil
}

// GetSLO implements the RPC.
func (s *Server) GetSLO(ctx context.Context, req *slav1.GetSLORequest) (*slav1.GetSLOResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	o, err := s.store.GetSLO(ctx, req.GetOrgId(), req.GetSloId())
	if err != nil {
		return nil, toStatus(err, slo)
	}
	pb, err := s.withState(ctx, o)
	if err != nil {
		return nil, err
	}
	return &slav1.GetSLOResponse{Slo: pb}, nil
}

// ListSLOs implements the RPC.
func (s *Server) ListSLOs(ctx context.Context, req *slav1.ListSLOsRequest) (*slav1.ListSLOsResponse, error) {
	size, after, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListSLOs(ctx, req.GetOrgId(), req.GetServiceId(), after, size+1)
	if err != nil {
		return nil, toStatus(err, slo)
	}
	resp := &slav1.ListSLOsResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(o domain.SLO) string { return grpcx.EncodeToken(o.ID) })
	for _, o := range list {
		pb, err := s.withState(ctx, o)
		if err != nil {
			return nil, err
		}
		resp.Slos = append(resp.Slos, pb)
	}
	return resp, nil
}

// UpdateSLO implements the RPC.
func (s *Server) UpdateSLO(ctx context.Context, req *slav1.UpdateSLORequest) (*slav1.UpdateSLOResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	p := domain.SLOPatch{Name: req.Name, Target: req.Target, Window: req.Window}
	o, err := s.store.UpdateSLO(ctx, req.GetOrgId(), req.GetSloId(), p, pgdb.Now(s.clock))
	if err != nil {
		return nil, toStatus(err, slo)
	}
	s.due()
	pb, err := s.withState(ctx, o)
	if err != nil {
		return nil, err
	}
	return &slav1.UpdateSLOResponse{Slo: pb}, nil
}

// DeleteSLO implements the RPC.
func (s *Server) DeleteSLO(ctx context.Context, req *slav1.DeleteSLORequest) (*slav1.DeleteSLOResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := s.store.DeleteSLO(ctx, req.GetOrgId(), req.GetSloId(), pgdb.Now(s.clock), events.SLOEvent); err != nil {
		return nil, toStatus(err, slo)
	}
	return &slav1.DeleteSLOResponse{}, nil
}
