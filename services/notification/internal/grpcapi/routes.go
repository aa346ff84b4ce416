package grpcapi

import (
	"context"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/notification/internal/domain"
	"github.com/upstatehq/upstate/services/notification/internal/pbconv"
	"github.com/upstatehq/upstate/services/notification/internal/store"
)

// Routes implements RouteService.
type Routes struct {
	notificationv1.UnimplementedRouteServiceServer
	store    *store.Store
	registry statusv1.ServiceRegistryServiceClient
	clock    clockwork.Clock
}

// NewRoutes returns the route API over st; registry checks service ids.
func NewRoutes(st *store.Store, registry statusv1.ServiceRegistryServiceClient, clock clockwork.Clock) *Routes {
	return &Routes{store: st, registry: registry, clock: clock}
}

const route = "route"

// routeFields are the fields of RouteSpec an update mask may name.
var routeFields = []string{"name", "events", "services", "channel_ids"}

func applyRoute(s domain.RouteSpec, in *notificationv1.RouteSpec, fields []string) domain.RouteSpec {
	for _, f := range fields {
		switch f {
		case "name":
			s.Name = in.GetName()
		case "events":
			s.Events = in.GetEvents()
		case "services":
			s.Services = pbconv.Selector(in.GetServices())
		case "channel_ids":
			s.ChannelIDs = in.GetChannelIds()
		}
	}
	return s.Normalize()
}

// check validates spec and the services it selects by id.
func (r *Routes) check(ctx context.Context, orgID string, spec domain.RouteSpec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	return checkServices(ctx, r.registry, orgID, "services.service_ids", spec.Services.ServiceIDs)
}

// CreateRoute implements the RPC.
func (r *Routes) CreateRoute(ctx context.Context, req *notificationv1.CreateRouteRequest) (*notificationv1.CreateRouteResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	spec := applyRoute(domain.RouteSpec{}, req.GetSpec(), routeFields)
	if err := r.check(ctx, req.GetOrgId(), spec); err != nil {
		return nil, toStatus(err, route)
	}
	now := pgdb.Now(r.clock)
	rt := domain.Route{ID: ids.New(ids.Route), OrgID: req.GetOrgId(), Spec: spec, CreatedAt: now, UpdatedAt: now}
	if err := r.store.CreateRoute(ctx, rt); err != nil {
		return nil, toStatus(err, route)
	}
	return &notificationv1.CreateRouteResponse{Route: pbconv.Route(rt)}, nil
}

// GetRoute implements the RPC.
func (r *Routes) GetRoute(ctx context.Context, req *notificationv1.GetRouteRequest) (*notificationv1.GetRouteResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	rt, err := r.store.GetRoute(ctx, req.GetOrgId(), req.GetRouteId())
	if err != nil {
		return nil, toStatus(err, route)
	}
	return &notificationv1.GetRouteResponse{Route: pbconv.Route(rt)}, nil
}

// ListRoutes implements the RPC.
func (r *Routes) ListRoutes(ctx context.Context, req *notificationv1.ListRoutesRequest) (*notificationv1.ListRoutesResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	size, before, err := page(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	list, err := r.store.ListRoutes(ctx, req.GetOrgId(), before, size+1)
	if err != nil {
		return nil, toStatus(err, route)
	}
	resp := &notificationv1.ListRoutesResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(rt domain.Route) string { return grpcx.EncodeToken(rt.ID) })
	for _, rt := range list {
		resp.Routes = append(resp.Routes, pbconv.Route(rt))
	}
	return resp, nil
}

// UpdateRoute implements the RPC.
func (r *Routes) UpdateRoute(ctx context.Context, req *notificationv1.UpdateRouteRequest) (*notificationv1.UpdateRouteResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	fields := req.GetUpdateMask().GetPaths()
	if err := checkMask(fields, routeFields, route); err != nil {
		return nil, err
	}
	now := pgdb.Now(r.clock)
	rt, err := r.store.UpdateRoute(ctx, req.GetOrgId(), req.GetRouteId(), func(rt domain.Route) (domain.Route, error) {
		rt.Spec = applyRoute(rt.Spec, req.GetSpec(), fields)
		rt.UpdatedAt = now
		return rt, r.check(ctx, req.GetOrgId(), rt.Spec)
	})
	if err != nil {
		return nil, toStatus(err, route)
	}
	return &notificationv1.UpdateRouteResponse{Route: pbconv.Route(rt)}, nil
}

// DeleteRoute implements the RPC.
func (r *Routes) DeleteRoute(ctx context.Context, req *notificationv1.DeleteRouteRequest) (*notificationv1.DeleteRouteResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := r.store.DeleteRoute(ctx, req.GetOrgId(), req.GetRouteId()); err != nil {
		return nil, toStatus(err, route)
	}
	return &notificationv1.DeleteRouteResponse{}, nil
}
