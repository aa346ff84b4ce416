package grpcapi

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/ids"
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
	check := func(spec domain.RouteSpec) error { return r.check(ctx, req.GetOrgId(), spec) }
	rt, err := create(ctx, req.GetOrgId(), route, r.clock, applyRoute(domain.RouteSpec{}, req.GetSpec(), routeFields), check,
		func(spec domain.RouteSpec, now time.Time) domain.Route {
			return domain.Route{ID: ids.New(ids.Route), OrgID: req.GetOrgId(), Spec: spec, CreatedAt: now, UpdatedAt: now}
		}, r.store.CreateRoute)
	if err != nil {
		return nil, err
	}
	return &notificationv1.CreateRouteResponse{Route: pbconv.Route(rt)}, nil
}

// GetRoute implements the RPC.
func (r *Routes) GetRoute(ctx context.Context, req *notificationv1.GetRouteRequest) (*notificationv1.GetRouteResponse, error) {
	rt, err := get(ctx, req.GetOrgId(), req.GetRouteId(), route, r.store.GetRoute)
	if err != nil {
		return nil, err
	}
	return &notificationv1.GetRouteResponse{Route: pbconv.Route(rt)}, nil
}

// ListRoutes implements the RPC.
func (r *Routes) ListRoutes(ctx context.Context, req *notificationv1.ListRoutesRequest) (*notificationv1.ListRoutesResponse, error) {
	routes, next, err := list(ctx, req, route, r.store.ListRoutes, func(rt domain.Route) string { return rt.ID }, pbconv.Route)
	if err != nil {
		return nil, err
	}
	return &notificationv1.ListRoutesResponse{Routes: routes, NextPageToken: next}, nil
}

// UpdateRoute implements the RPC.
func (r *Routes) UpdateRoute(ctx context.Context, req *notificationv1.UpdateRouteRequest) (*notificationv1.UpdateRouteResponse, error) {
	rt, err := update(ctx, req, req.GetRouteId(), route, routeFields, r.clock, r.store.UpdateRoute,
		func(rt domain.Route, fields []string, now time.Time) (domain.Route, error) {
			rt.Spec = applyRoute(rt.Spec, req.GetSpec(), fields)
			rt.UpdatedAt = now
			return rt, r.check(ctx, req.GetOrgId(), rt.Spec)
		})
	if err != nil {
		return nil, err
	}
	return &notificationv1.UpdateRouteResponse{Route: pbconv.Route(rt)}, nil
}

// DeleteRoute implements the RPC.
func (r *Routes) DeleteRoute(ctx context.Context, req *notificationv1.DeleteRouteRequest) (*notificationv1.DeleteRouteResponse, error) {
	if err := remove(ctx, req.GetOrgId(), req.GetRouteId(), route, r.store.DeleteRoute); err != nil {
		return nil, err
	}
	return &notificationv1.DeleteRouteResponse{}, nil
}
