package grpcapi

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
	"github.com/upstatehq/upstate/services/alerting/internal/pbconv"
	"github.com/upstatehq/upstate/services/alerting/internal/store"
)

// Silences implements alertingv1.SilenceServiceServer and
// alertingv1.DependencyServiceServer.
type Silences struct {
	alertingv1.UnimplementedSilenceServiceServer
	alertingv1.UnimplementedDependencyServiceServer
	store    *store.Store
	registry statusv1.ServiceRegistryServiceClient
	changed  func()
	clock    clockwork.Clock
}

// NewSilences returns the SilenceService and DependencyService over st;
// registry checks service ids.
func NewSilences(st *store.Store, registry statusv1.ServiceRegistryServiceClient, changed func(), clock clockwork.Clock) *Silences {
	return &Silences{store: st, registry: registry, changed: changed, clock: clock}
}

const silence = "silence"

func optionalTime(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime().UTC().Truncate(time.Microsecond)
}

// CreateSilence implements the RPC.
func (s *Silences) CreateSilence(ctx context.Context, req *alertingv1.CreateSilenceRequest) (*alertingv1.CreateSilenceResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	m := req.GetMatchers()
	n := domain.NewSilence{
		Matchers: domain.Matchers{ServiceIDs: m.GetServiceIds(), Tags: m.GetTags(), RuleIDs: m.GetRuleIds()},
		StartsAt: optionalTime(req.GetStartsAt()), EndsAt: optionalTime(req.GetEndsAt()), Comment: req.GetComment(),
	}
	now := pgdb.Now(s.clock)
	if err := n.Validate(now); err != nil {
		return nil, toStatus(err, silence)
	}
	sil := n.Create(ids.New(ids.Silence), req.GetOrgId(), actor(req.GetCreatedBy()), now)
	if err := s.store.CreateSilence(ctx, sil); err != nil {
		return nil, toStatus(err, silence)
	}
	return &alertingv1.CreateSilenceResponse{Silence: pbconv.Silence(sil)}, nil
}

// GetSilence implements the RPC.
func (s *Silences) GetSilence(ctx context.Context, req *alertingv1.GetSilenceRequest) (*alertingv1.GetSilenceResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	sil, err := s.store.GetSilence(ctx, req.GetOrgId(), req.GetSilenceId())
	if err != nil {
		return nil, toStatus(err, silence)
	}
	return &alertingv1.GetSilenceResponse{Silence: pbconv.Silence(sil)}, nil
}

// ListSilences implements the RPC.
func (s *Silences) ListSilences(ctx context.Context, req *alertingv1.ListSilencesRequest) (*alertingv1.ListSilencesResponse, error) {
	size, before, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	var activeAt time.Time
	if req.GetActiveOnly() {
		activeAt = pgdb.Now(s.clock)
	}
	list, err := s.store.ListSilences(ctx, req.GetOrgId(), before, activeAt, size+1)
	if err != nil {
		return nil, toStatus(err, silence)
	}
	resp := &alertingv1.ListSilencesResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(s domain.Silence) string { return grpcx.EncodeToken(s.ID) })
	for _, sil := range list {
		resp.Silences = append(resp.Silences, pbconv.Silence(sil))
	}
	return resp, nil
}

// DeleteSilence implements the RPC.
func (s *Silences) DeleteSilence(ctx context.Context, req *alertingv1.DeleteSilenceRequest) (*alertingv1.DeleteSilenceResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	sil, err := s.store.ExpireSilence(ctx, req.GetOrgId(), req.GetSilenceId(), pgdb.Now(s.clock))
	if err != nil {
		return nil, toStatus(err, silence)
	}
	s.changed()
	return &alertingv1.DeleteSilenceResponse{Silence: pbconv.Silence(sil)}, nil
}

// SetDependencies implements the RPC.
func (s *Silences) SetDependencies(ctx context.Context, req *alertingv1.SetDependenciesRequest) (*alertingv1.SetDependenciesResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if len(req.GetDependsOn()) > domain.MaxDependencies {
		return nil, toStatus(&domain.ValidationError{Field: "depends_on", Message: "must hold at most 100 services"}, "service")
	}
	if err := checkServices(ctx, s.registry, req.GetOrgId(), "service_id", []string{req.GetServiceId()}); err != nil {
		if _, ok := err.(*domain.ValidationError); ok {
			return nil, toStatus(domain.ErrNotFound, "service")
		}
		return nil, toStatus(err, "service")
	}
	if err := checkServices(ctx, s.registry, req.GetOrgId(), "depends_on", req.GetDependsOn()); err != nil {
		return nil, toStatus(err, "service")
	}
	deps, err := s.store.SetDependencies(ctx, req.GetOrgId(), req.GetServiceId(), req.GetDependsOn())
	if err != nil {
		return nil, toStatus(err, "service")
	}
	s.changed()
	return &alertingv1.SetDependenciesResponse{ServiceId: req.GetServiceId(), DependsOn: deps}, nil
}

// GetDependencies implements the RPC.
func (s *Silences) GetDependencies(ctx context.Context, req *alertingv1.GetDependenciesRequest) (*alertingv1.GetDependenciesResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := checkServices(ctx, s.registry, req.GetOrgId(), "service_id", []string{req.GetServiceId()}); err != nil {
		if _, ok := err.(*domain.ValidationError); ok {
			return nil, toStatus(domain.ErrNotFound, "service")
		}
		return nil, toStatus(err, "service")
	}
	deps, err := s.store.Dependencies(ctx, req.GetOrgId(), req.GetServiceId())
	if err != nil {
		return nil, toStatus(err, "service")
	}
	return &alertingv1.GetDependenciesResponse{ServiceId: req.GetServiceId(), DependsOn: deps}, nil
}
