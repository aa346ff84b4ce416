package grpcapi

import (
	"context"
	"errors"
	"reflect"
	"strings"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification/internal/domain"
	"github.com/upstatehq/upstate/services/notification/internal/escalation"
	"github.com/upstatehq/upstate/services/notification/internal/pbconv"
	"github.com/upstatehq/upstate/services/notification/internal/store"
)

// Policies implements EscalationPolicyService.
type Policies struct {
	notificationv1.UnimplementedEscalationPolicyServiceServer
	store *store.Store
	clock clockwork.Clock
}

// NewPolicies returns the escalation policy API over st.
func NewPolicies(st *store.Store, clock clockwork.Clock) *Policies {
	return &Policies{store: st, clock: clock}
}

const policy = "escalation policy"

// policyFields are the fields of EscalationPolicySpec an update mask may
// name.
var policyFields = []string{"name", "steps", "repeat"}

func applyPolicy(s domain.PolicySpec, in *notificationv1.EscalationPolicySpec, fields []string) domain.PolicySpec {
	for _, f := range fields {
		switch f {
		case "name":
			s.Name = in.GetName()
		case "steps":
			s.Steps = pbconv.Steps(in.GetSteps())
		case "repeat":
			s.Repeat = int(in.GetRepeat())
		}
	}
	return s.Normalize()
}

// CreatePolicy implements the RPC.
func (p *Policies) CreatePolicy(ctx context.Context, req *notificationv1.CreatePolicyRequest) (*notificationv1.CreatePolicyResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	spec := applyPolicy(domain.PolicySpec{}, req.GetSpec(), policyFields)
	if err := spec.Validate(); err != nil {
		return nil, toStatus(err, policy)
	}
	now := pgdb.Now(p.clock)
	pol := domain.Policy{ID: ids.New(ids.Policy), OrgID: req.GetOrgId(), Spec: spec, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := p.store.CreatePolicy(ctx, pol); err != nil {
		return nil, toStatus(err, policy)
	}
	return &notificationv1.CreatePolicyResponse{Policy: pbconv.Policy(pol)}, nil
}

// GetPolicy implements the RPC.
func (p *Policies) GetPolicy(ctx context.Context, req *notificationv1.GetPolicyRequest) (*notificationv1.GetPolicyResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	pol, err := p.store.GetPolicy(ctx, req.GetOrgId(), req.GetPolicyId())
	if err != nil {
		return nil, toStatus(err, policy)
	}
	return &notificationv1.GetPolicyResponse{Policy: pbconv.Policy(pol)}, nil
}

// ListPolicies implements the RPC.
func (p *Policies) ListPolicies(ctx context.Context, req *notificationv1.ListPoliciesRequest) (*notificationv1.ListPoliciesResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	size, before, err := page(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	list, err := p.store.ListPolicies(ctx, req.GetOrgId(), before, size+1)
	if err != nil {
		return nil, toStatus(err, policy)
	}
	resp := &notificationv1.ListPoliciesResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(pol domain.Policy) string { return grpcx.EncodeToken(pol.ID) })
	for _, pol := range list {
		resp.Policies = append(resp.Policies, pbconv.Policy(pol))
	}
	return resp, nil
}

// UpdatePolicy implements the RPC; a change moves the version.
func (p *Policies) UpdatePolicy(ctx context.Context, req *notificationv1.UpdatePolicyRequest) (*notificationv1.UpdatePolicyResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	fields := req.GetUpdateMask().GetPaths()
	if err := checkMask(fields, policyFields, policy); err != nil {
		return nil, err
	}
	now := pgdb.Now(p.clock)
	pol, err := p.store.UpdatePolicy(ctx, req.GetOrgId(), req.GetPolicyId(), func(pol domain.Policy) (domain.Policy, error) {
		spec := applyPolicy(pol.Spec, req.GetSpec(), fields)
		if err := spec.Validate(); err != nil {
			return pol, err
		}
		if !reflect.DeepEqual(spec, pol.Spec) {
			pol.Spec, pol.UpdatedAt = spec, now
			pol.Version++
		}
		return pol, nil
	})
	if err != nil {
		return nil, toStatus(err, policy)
	}
	return &notificationv1.UpdatePolicyResponse{Policy: pbconv.Policy(pol)}, nil
}

// DeletePolicy implements the RPC.
func (p *Policies) DeletePolicy(ctx context.Context, req *notificationv1.DeletePolicyRequest) (*notificationv1.DeletePolicyResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := p.store.DeletePolicy(ctx, req.GetOrgId(), req.GetPolicyId()); err != nil {
		return nil, toStatus(err, policy)
	}
	return &notificationv1.DeletePolicyResponse{}, nil
}

// ResolveTargets implements the RPC.
func (p *Policies) ResolveTargets(ctx context.Context, req *notificationv1.ResolveTargetsRequest) (*notificationv1.ResolveTargetsResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	targets := pbconv.Targets(req.GetTargets())
	// The targets are checked as those of a policy's step are.
	step := domain.PolicySpec{Name: "targets", Policy: escalation.Policy{Steps: []escalation.Step{{Targets: targets}}}}
	if err := step.Validate(); err != nil {
		var verr *domain.ValidationError
		if errors.As(err, &verr) {
			return nil, grpcx.InvalidField(strings.Replace(verr.Field, "steps[0].", "", 1), verr.Message)
		}
		return nil, toStatus(err, policy)
	}
	at := p.clock.Now().UTC()
	if req.GetAt() != nil {
		at = timeOf(req.GetAt())
	}
	res, err := p.store.Resolve(ctx, req.GetOrgId(), targets, at)
	if err != nil {
		return nil, toStatus(err, policy)
	}
	resp := &notificationv1.ResolveTargetsResponse{ChannelIds: res.ChannelIDs}
	for _, r := range res.Recipients {
		resp.Recipients = append(resp.Recipients, &notificationv1.Recipient{UserId: r.UserID, ChannelIds: r.ChannelIDs})
		resp.UserIds = append(resp.UserIds, r.UserID)
	}
	return resp, nil
}
