// Package grpcapi serves the status page service's gRPC API
// (StatusPageService) over the store.
package grpcapi

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jonboulle/clockwork"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/pgdb"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	statuspagev1 "github.com/upstatehq/upstate/proto/gen/upstate/statuspage/v1"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/pbconv"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
)

// Server implements statuspagev1.StatusPageServiceServer.
type Server struct {
	statuspagev1.UnimplementedStatusPageServiceServer
	store    *store.Store
	registry statusv1.ServiceRegistryServiceClient
	// changed is called after a page's components changed: their
	// services' figures are to be fetched, and custom domains reloaded.
	changed func(serviceIDs []string)
	clock   clockwork.Clock
	// publicURL is the base of the pages' addresses ("": unknown).
	publicURL string
}

// New returns the StatusPageService over st; registry answers for
// services the read model has no event of yet; publicURL is the base of
// the pages' addresses ("": unknown).
func New(st *store.Store, registry statusv1.ServiceRegistryServiceClient, changed func([]string), clock clockwork.Clock, publicURL string) *Server {
	return &Server{store: st, registry: registry, changed: changed, clock: clock, publicURL: publicURL}
}

const (
	page       = "status page"
	subscriber = "subscriber"
)

// resolve checks that the components' services are the organisation's:
// those the read model does not know yet (just created) are asked of the
// status service, which owns services, and recorded.
func (s *Server) resolve(ctx context.Context, orgID string, comps []domain.Component) error {
	ids := make([]string, 0, len(comps))
	for _, c := range comps {
		ids = append(ids, c.ServiceID)
	}
	known, err := s.store.KnownServices(ctx, orgID, ids)
	if err != nil {
		return err
	}
	for i, c := range comps {
		if _, ok := known[c.ServiceID]; ok || c.ServiceID == "" {
			continue
		}
		resp, err := s.registry.GetService(ctx, &statusv1.GetServiceRequest{OrgId: orgID, ServiceId: c.ServiceID})
		if status.Code(err) == codes.NotFound || status.Code(err) == codes.InvalidArgument {
			return &domain.ValidationError{Field: "components[" + strconv.Itoa(i) + "].service_id", Message: "no service " + c.ServiceID}
		}
		if err != nil {
			return fmt.Errorf("check service %s: %w", c.ServiceID, err)
		}
		svc := resp.GetService()
		st, _ := pbconv.Status(svc.GetStatus())
		if err := s.store.SeedService(ctx, domain.ServiceState{
			ServiceID: svc.GetId(), OrgID: orgID, Name: svc.GetName(), Status: st, Description: svc.GetStatusDescription(), Version: svc.GetVersion(),
		}, svc.GetStatusChangedAt().AsTime()); err != nil {
			return err
		}
	}
	return nil
}

func services(comps []domain.Component) []string {
	out := make([]string, 0, len(comps))
	for _, c := range comps {
		out = append(out, c.ServiceID)
	}
	return out
}

func normalize(p *domain.Page) {
	p.Name = strings.TrimSpace(p.Name)
	p.CustomDomain = domain.NormalizeDomain(p.CustomDomain)
	for i := range p.Components {
		p.Components[i].Name = strings.TrimSpace(p.Components[i].Name)
		p.Components[i].Group = strings.TrimSpace(p.Components[i].Group)
	}
}

// CreatePage implements the RPC.
func (s *Server) CreatePage(ctx context.Context, req *statuspagev1.CreatePageRequest) (*statuspagev1.CreatePageResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	p := domain.Page{
		OrgID: req.GetOrgId(), Name: req.GetName(), Slug: req.GetSlug(), TimeZone: req.GetTimeZone(),
		CustomDomain: req.GetCustomDomain(), Components: pbconv.Components(req.GetComponents()), CreatedAt: pgdb.Now(s.clock),
	}
	normalize(&p)
	if err := p.Validate(); err != nil {
		return nil, toStatus(err, page)
	}
	if err := s.resolve(ctx, p.OrgID, p.Components); err != nil {
		return nil, toStatus(err, page)
	}
	created, err := s.store.CreatePage(ctx, p)
	if err != nil {
		return nil, toStatus(err, page)
	}
	s.changed(services(created.Components))
	return &statuspagev1.CreatePageResponse{Page: pbconv.Page(created, s.publicURL)}, nil
}

// GetPage implements the RPC.
func (s *Server) GetPage(ctx context.Context, req *statuspagev1.GetPageRequest) (*statuspagev1.GetPageResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	p, err := s.store.GetPage(ctx, req.GetOrgId(), req.GetPageId())
	if err != nil {
		return nil, toStatus(err, page)
	}
	return &statuspagev1.GetPageResponse{Page: pbconv.Page(p, s.publicURL)}, nil
}

// ListPages implements the RPC.
func (s *Server) ListPages(ctx context.Context, req *statuspagev1.ListPagesRequest) (*statuspagev1.ListPagesResponse, error) {
	size, after, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListPages(ctx, req.GetOrgId(), after, size+1)
	if err != nil {
		return nil, toStatus(err, page)
	}
	resp := &statuspagev1.ListPagesResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(p domain.Page) string { return grpcx.EncodeToken(p.ID) })
	for _, p := range list {
		resp.Pages = append(resp.Pages, pbconv.Page(p, s.publicURL))
	}
	return resp, nil
}

// UpdatePage implements the RPC.
func (s *Server) UpdatePage(ctx context.Context, req *statuspagev1.UpdatePageRequest) (*statuspagev1.UpdatePageResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	change := store.PageChange{Name: req.Name, Slug: req.Slug, TimeZone: req.TimeZone, CustomDomain: req.CustomDomain}
	if req.GetReplaceComponents() {
		comps := pbconv.Components(req.GetComponents())
		change.Components = &comps
		if err := s.resolve(ctx, req.GetOrgId(), comps); err != nil {
			return nil, toStatus(err, page)
		}
	}
	p, err := s.store.UpdatePage(ctx, req.GetOrgId(), req.GetPageId(), change, pgdb.Now(s.clock), func(p *domain.Page) error {
		normalize(p)
		return p.Validate()
	})
	if err != nil {
		return nil, toStatus(err, page)
	}
	s.changed(services(p.Components))
	return &statuspagev1.UpdatePageResponse{Page: pbconv.Page(p, s.publicURL)}, nil
}

// DeletePage implements the RPC.
func (s *Server) DeletePage(ctx context.Context, req *statuspagev1.DeletePageRequest) (*statuspagev1.DeletePageResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := s.store.DeletePage(ctx, req.GetOrgId(), req.GetPageId()); err != nil {
		return nil, toStatus(err, page)
	}
	s.changed(nil)
	return &statuspagev1.DeletePageResponse{}, nil
}

// ListSubscribers implements the RPC.
func (s *Server) ListSubscribers(ctx context.Context, req *statuspagev1.ListSubscribersRequest) (*statuspagev1.ListSubscribersResponse, error) {
	size, after, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListSubscribers(ctx, req.GetOrgId(), req.GetPageId(), after, size+1)
	if err != nil {
		return nil, toStatus(err, page)
	}
	resp := &statuspagev1.ListSubscribersResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(s domain.Subscriber) string { return grpcx.EncodeToken(s.ID) })
	for _, sub := range list {
		resp.Subscribers = append(resp.Subscribers, pbconv.Subscriber(sub))
	}
	return resp, nil
}

// DeleteSubscriber implements the RPC.
func (s *Server) DeleteSubscriber(ctx context.Context, req *statuspagev1.DeleteSubscriberRequest) (*statuspagev1.DeleteSubscriberResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := s.store.DeleteSubscriber(ctx, req.GetOrgId(), req.GetPageId(), req.GetSubscriberId()); err != nil {
		return nil, toStatus(err, subscriber)
	}
	return &statuspagev1.DeleteSubscriberResponse{}, nil
}
