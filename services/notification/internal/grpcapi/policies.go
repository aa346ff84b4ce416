package grpcapi

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
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
	pol, err := create(ctx, req.GetOrgId(), policy, p.clock, applyPolicy(domain.PolicySpec{}, req.GetSpec(), policyFields), domain.PolicySpec.Validate,
		func(spec domain.PolicySpec, now time.Time) domain.Policy {
			return domain.Policy{ID: ids.New(ids.Policy), OrgID: req.GetOrgId(), Spec: spec, CreatedAt: now, UpdatedAt: now, Version: 1}
		}, p.store.CreatePolicy)
	if err != nil {
		return nil, err
	}
	return &notificationv1.CreatePolicyResponse{Policy: pbconv.Policy(pol)}, nil
}

// GetPolicy implements the RPC.
func (p *Policies) GetPolicy(ctx context.Context, req *notificationv1.GetPolicyRequest) (*notificationv1.GetPolicyResponse, error) {
	pol, err := get(ctx, req.GetOrgId(), req.GetPolicyId(), policy, p.store.GetPolicy)
	if err != nil {
		return nil, err
	}
	return &notificationv1.GetPolicyResponse{Policy: pbconv.Policy(pol)}, nil
}

// ListPolicies implements the RPC.
func (p *Policies) ListPolicies(ctx context.Context, req *notificationv1.ListPoliciesRequest) (*notificationv1.ListPoliciesResponse, error) {
	policies, next, err := list(ctx, req, policy, p.store.ListPolicies, func(pol domain.Policy) string { return pol.ID }, pbconv.Policy)
	if err != nil {
		return nil, err
	}
	return &notificationv1.ListPoliciesResponse{Policies: policies, NextPageToken: next}, nil
}

// UpdatePolicy implements the RPC; a change moves the version.
func (p *Policies) UpdatePolicy(ctx context.Context, req *notificationv1.UpdatePolicyRequest) (*notificationv1.UpdatePolicyResponse, error) {
	pol, err := update(ctx, req, req.GetPolicyId(), policy, policyFields, p.clock, p.store.UpdatePolicy,
		func(pol domain.Policy, fields []string, now time.Time) (domain.Policy, error) {
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
		return nil, err
	}
	return &notificationv1.UpdatePolicyResponse{Policy: pbconv.Policy(pol)}, nil
}

// DeletePolicy implements the RPC.
func (p *Policies) DeletePolicy(ctx context.Context, req *notificationv1.DeletePolicyRequest) (*notificationv1.DeletePolicyResponse, error) {
	if err := remove(ctx, req.GetOrgId(), req.GetPolicyId(), policy, p.store.DeletePolicy); err != nil {
		return nil, err
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
