// Package grpcapi serves the status service's gRPC API over the store.
package grpcapi

import (
	"context"

	"github.com/jonboulle/clockwork"
	"github.com/upstatehq/upstate/pkg/groupcommit"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/events"
	"github.com/upstatehq/upstate/services/status/internal/pbconv"
	"github.com/upstatehq/upstate/services/status/internal/store"
)

// Server implements statusv1.ServiceRegistryServiceServer.
type Server struct {
	statusv1.UnimplementedServiceRegistryServiceServer
	store *store.Store
	// reports gathers concurrent SetStatus calls into shared transactions.
	reports *groupcommit.Group[store.StatusRequest, store.StatusResult]
	// changed is called after a commit that wrote an outbox event.
	changed func()
	clock   clockwork.Clock
}

// New returns the gRPC API; changed is called after every committed change.
func New(st *store.Store, changed func(), clock clockwork.Clock) *Server {
	one := func(ctx context.Context, r store.StatusRequest) (store.StatusResult, error) {
		res, err := st.SetStatuses(ctx, []store.StatusRequest{r}, events.StatusChanged)
		if err != nil {
			return store.StatusResult{}, err
		}
		return res[0].Value, res[0].Err
	}
	all := func(ctx context.Context, rs []store.StatusRequest) ([]groupcommit.Result[store.StatusResult], error) {
		return st.SetStatuses(ctx, rs, events.StatusChanged)
	}
	return &Server{
		store: st, changed: changed, clock: clock,
		// Group commit: under load, concurrent changes share a commit (and
		// its fsync) instead of queueing for one each.
		reports: groupcommit.New(groupcommit.Isolate(all, one), groupcommit.Options{}),
	}
}

// CreateService implements the RPC.
func (s *Server) CreateService(ctx context.Context, req *statusv1.CreateServiceRequest) (*statusv1.CreateServiceResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	name, err := domain.ValidateName(req.GetName())
	if err != nil {
		return nil, toStatus(err)
	}
	if err := domain.ValidateDescription("description", req.GetDescription()); err != nil {
		return nil, toStatus(err)
	}
	st := domain.Operational
	if req.GetStatus() != statusv1.Status_STATUS_UNSPECIFIED {
		var ok bool
		if st, ok = pbconv.DomainStatus(req.GetStatus()); !ok {
			return nil, invalidStatus()
		}
	}
	svc := domain.NewService(ids.New(ids.Service), req.GetOrgId(), name, req.GetDescription(), st, pgdb.Now(s.clock))
	if err := s.store.CreateService(ctx, svc, events.ServiceCreated); err != nil {
		return nil, toStatus(err)
	}
	s.changed()
	return &statusv1.CreateServiceResponse{Service: pbconv.Service(svc)}, nil
}

// GetService implements the RPC.
func (s *Server) GetService(ctx context.Context, req *statusv1.GetServiceRequest) (*statusv1.GetServiceResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	svc, err := s.store.GetService(ctx, req.GetOrgId(), req.GetServiceId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &statusv1.GetServiceResponse{Service: pbconv.Service(svc)}, nil
}

// ListServices implements the RPC.
func (s *Server) ListServices(ctx context.Context, req *statusv1.ListServicesRequest) (*statusv1.ListServicesResponse, error) {
	size, after, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	// One extra row tells whether another page follows.
	svcs, err := s.store.ListServices(ctx, req.GetOrgId(), after, size+1)
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &statusv1.ListServicesResponse{}
	svcs, resp.NextPageToken = grpcx.CutPage(svcs, size, func(v domain.Service) string { return grpcx.EncodeToken(v.ID) })
	for _, svc := range svcs {
		resp.Services = append(resp.Services, pbconv.Service(svc))
	}
	return resp, nil
}

// ListAllServices implements the RPC: every organisation's services, for
// the services that keep their own copy of them.
func (s *Server) ListAllServices(ctx context.Context, req *statusv1.ListAllServicesRequest) (*statusv1.ListAllServicesResponse, error) {
	size, err := grpcx.PageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	after, err := grpcx.DecodeToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	svcs, err := s.store.ListAllServices(ctx, after, size+1)
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &statusv1.ListAllServicesResponse{}
	svcs, resp.NextPageToken = grpcx.CutPage(svcs, size, func(v domain.Service) string { return grpcx.EncodeToken(v.ID) })
	for _, svc := range svcs {
		resp.Services = append(resp.Services, pbconv.Service(svc))
	}
	return resp, nil
}

// UpdateService implements the RPC.
func (s *Server) UpdateService(ctx context.Context, req *statusv1.UpdateServiceRequest) (*statusv1.UpdateServiceResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if req.Name == nil && req.Description == nil && req.Tags == nil {
		return nil, toStatus(&domain.ValidationError{Field: "name", Message: "name, description or tags is required"})
	}
	edit := domain.ServiceEdit{Description: req.Description}
	if req.Name != nil {
		n, err := domain.ValidateName(req.GetName())
		if err != nil {
			return nil, toStatus(err)
		}
		edit.Name = &n
	}
	if err := domain.ValidateDescription("description", req.GetDescription()); err != nil {
		return nil, toStatus(err)
	}
	if req.Tags != nil {
		tags := req.GetTags().GetTags()
		if err := domain.ValidateTags(tags); err != nil {
			return nil, toStatus(err)
		}
		edit.Tags = &tags
	}
	svc, err := s.store.UpdateService(ctx, req.GetOrgId(), req.GetServiceId(), edit, pgdb.Now(s.clock), events.ServiceUpdated)
	if err != nil {
		return nil, toStatus(err)
	}
	s.changed()
	return &statusv1.UpdateServiceResponse{Service: pbconv.Service(svc)}, nil
}

// DeleteService implements the RPC.
func (s *Server) DeleteService(ctx context.Context, req *statusv1.DeleteServiceRequest) (*statusv1.DeleteServiceResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := s.store.DeleteService(ctx, req.GetOrgId(), req.GetServiceId(), pgdb.Now(s.clock), events.ServiceDeleted); err != nil {
		return nil, toStatus(err)
	}
	s.changed()
	return &statusv1.DeleteServiceResponse{}, nil
}

// SetStatus implements the RPC.
func (s *Server) SetStatus(ctx context.Context, req *statusv1.SetStatusRequest) (*statusv1.SetStatusResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	st, ok := pbconv.DomainStatus(req.GetStatus())
	if !ok {
		return nil, invalidStatus()
	}
	if err := domain.ValidateDescription("description", req.GetDescription()); err != nil {
		return nil, toStatus(err)
	}
	report := domain.Report{
		Status: st, Description: req.Description, Source: pbconv.DomainSource(req.GetSource()),
		Actor: req.GetActor(), At: pgdb.Now(s.clock), ExpectedVersion: req.ExpectedVersion,
	}
	// Reporters often repeat the current status (monitors every minute, CI
	// on every run). Such a report changes nothing, so it is answered from a
	// plain read without taking the row lock; concurrent repeats then no
	// longer queue behind each other. A change racing with it is ordered
	// after it, which is a valid order for two concurrent reports.
	current, err := s.store.GetService(ctx, req.GetOrgId(), req.GetServiceId())
	if err != nil {
		return nil, toStatus(err)
	}
	switch _, _, outcome := domain.Apply(current, report); outcome {
	case domain.VersionMismatch:
		return nil, toStatus(domain.ErrVersionMismatch)
	case domain.Unchanged:
		return &statusv1.SetStatusResponse{Service: pbconv.Service(current), Previous: pbconv.Status(current.Status)}, nil
	}
	res, err := s.reports.Do(ctx, store.StatusRequest{OrgID: req.GetOrgId(), ServiceID: req.GetServiceId(), Report: report})
	if err != nil {
		return nil, toStatus(err)
	}
	if res.Change != nil {
		s.changed()
	}
	return &statusv1.SetStatusResponse{
		Service: pbconv.Service(res.After), Changed: res.Change != nil, Previous: pbconv.Status(res.Before.Status),
	}, nil
}

// ListStatusHistory implements the RPC.
func (s *Server) ListStatusHistory(ctx context.Context, req *statusv1.ListStatusHistoryRequest) (*statusv1.ListStatusHistoryResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	size, err := grpcx.PageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	before, err := decodeVersionToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	changes, err := s.store.ListHistory(ctx, req.GetOrgId(), req.GetServiceId(), before, size+1)
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &statusv1.ListStatusHistoryResponse{}
	changes, resp.NextPageToken = grpcx.CutPage(changes, size, func(c domain.Change) string { return encodeVersionToken(c.Version) })
	for _, c := range changes {
		resp.Changes = append(resp.Changes, pbconv.Change(c))
	}
	return resp, nil
}
