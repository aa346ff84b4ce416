package grpcapi

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
	"github.com/upstatehq/upstate/services/alerting/internal/pbconv"
	"github.com/upstatehq/upstate/services/alerting/internal/store"
)

// Rules implements alertingv1.RuleServiceServer.
type Rules struct {
	alertingv1.UnimplementedRuleServiceServer
	store    *store.Store
	registry statusv1.ServiceRegistryServiceClient
	// changed is called after a commit that may have written events or
	// scheduled alerts.
	changed func()
	clock   clockwork.Clock
}

// NewRules returns the RuleService over st; registry checks service ids.
func NewRules(st *store.Store, registry statusv1.ServiceRegistryServiceClient, changed func(), clock clockwork.Clock) *Rules {
	return &Rules{store: st, registry: registry, changed: changed, clock: clock}
}

const rule = "alert rule"

// fields of RuleSpec an update mask may name, by their proto names.
var specFields = []string{"name", "selector", "statuses", "for", "severity", "escalation_policy_id", "labels",
	"include_slo_events", "group_by", "group_wait", "group_interval", "repeat_interval", "flap_threshold", "flap_window"}

// applySpec sets on spec the fields of in that fields names; a field
// absent from in (a duration not given, an empty list) takes its default.
func applySpec(spec domain.RuleSpec, in *alertingv1.RuleSpec, fields []string) (domain.RuleSpec, error) {
	def := domain.DefaultSpec()
	for _, f := range fields {
		switch f {
		case "name":
			spec.Name = in.GetName()
		case "selector":
			sel := in.GetSelector()
			spec.Selector = domain.Selector{ServiceIDs: sel.GetServiceIds(), Tags: sel.GetTags(), All: sel.GetAll()}
		case "statuses":
			spec.Statuses = def.Statuses
			if len(in.GetStatuses()) > 0 {
				spec.Statuses = nil
				for _, s := range in.GetStatuses() {
					st, ok := pbconv.DomainStatus(s)
					if !ok {
						return spec, &domain.ValidationError{Field: "statuses", Message: "valid values are operational, degraded, down, maintenance"}
					}
					spec.Statuses = append(spec.Statuses, st)
				}
			}
		case "for":
			spec.For = durationOr(in.GetFor(), def.For)
		case "severity":
			spec.Severity = def.Severity
			if in.GetSeverity() != alertingv1.Severity_SEVERITY_UNSPECIFIED {
				sev, ok := pbconv.DomainSeverity(in.GetSeverity())
				if !ok {
					return spec, &domain.ValidationError{Field: "severity", Message: "valid values are info, warning, critical"}
				}
				spec.Severity = sev
			}
		case "escalation_policy_id":
			spec.EscalationPolicyID = in.GetEscalationPolicyId()
		case "labels":
			spec.Labels = in.GetLabels()
		case "include_slo_events":
			spec.IncludeSLOEvents = in.GetIncludeSloEvents()
		case "group_by":
			spec.GroupBy = def.GroupBy
			if len(in.GetGroupBy()) > 0 {
				spec.GroupBy = in.GetGroupBy()
			}
		case "group_wait":
			spec.GroupWait = durationOr(in.GetGroupWait(), def.GroupWait)
		case "group_interval":
			spec.GroupInterval = durationOr(in.GetGroupInterval(), def.GroupInterval)
		case "repeat_interval":
			spec.RepeatInterval = durationOr(in.GetRepeatInterval(), def.RepeatInterval)
		case "flap_threshold":
			spec.FlapThreshold = def.FlapThreshold
			if in.GetFlapThreshold() != 0 {
				spec.FlapThreshold = int(in.GetFlapThreshold())
			}
		case "flap_window":
			spec.FlapWindow = durationOr(in.GetFlapWindow(), def.FlapWindow)
		default:
			return spec, &domain.ValidationError{Field: "update_mask", Message: fmt.Sprintf("%q is not a field of a rule", f)}
		}
	}
	return spec.Normalize(), nil
}

// durationOr is d, or fallback when it is not given. A malformed one
// becomes negative, which validation refuses.
func durationOr(d *durationpb.Duration, fallback time.Duration) time.Duration {
	if d == nil {
		return fallback
	}
	if d.CheckValid() != nil {
		return -1
	}
	return d.AsDuration()
}

// CreateRule implements the RPC.
func (s *Rules) CreateRule(ctx context.Context, req *alertingv1.CreateRuleRequest) (*alertingv1.CreateRuleResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	spec, err := applySpec(domain.DefaultSpec(), req.GetSpec(), specFields)
	if err != nil {
		return nil, toStatus(err, rule)
	}
	if err := s.check(ctx, req.GetOrgId(), spec); err != nil {
		return nil, toStatus(err, rule)
	}
	now := pgdb.Now(s.clock)
	r := domain.Rule{ID: ids.New(ids.Rule), OrgID: req.GetOrgId(), Spec: spec, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.store.CreateRule(ctx, r); err != nil {
		return nil, toStatus(err, rule)
	}
	s.changed()
	return &alertingv1.CreateRuleResponse{Rule: pbconv.Rule(r)}, nil
}

// check validates spec and the services its selector names.
func (s *Rules) check(ctx context.Context, orgID string, spec domain.RuleSpec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	return checkServices(ctx, s.registry, orgID, "selector.service_ids", spec.Selector.ServiceIDs)
}

// GetRule implements the RPC.
func (s *Rules) GetRule(ctx context.Context, req *alertingv1.GetRuleRequest) (*alertingv1.GetRuleResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	r, err := s.store.GetRule(ctx, req.GetOrgId(), req.GetRuleId())
	if err != nil {
		return nil, toStatus(err, rule)
	}
	return &alertingv1.GetRuleResponse{Rule: pbconv.Rule(r)}, nil
}

// ListRules implements the RPC.
func (s *Rules) ListRules(ctx context.Context, req *alertingv1.ListRulesRequest) (*alertingv1.ListRulesResponse, error) {
	size, before, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListRules(ctx, req.GetOrgId(), before, size+1)
	if err != nil {
		return nil, toStatus(err, rule)
	}
	resp := &alertingv1.ListRulesResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(r domain.Rule) string { return grpcx.EncodeToken(r.ID) })
	for _, r := range list {
		resp.Rules = append(resp.Rules, pbconv.Rule(r))
	}
	return resp, nil
}

// UpdateRule implements the RPC.
func (s *Rules) UpdateRule(ctx context.Context, req *alertingv1.UpdateRuleRequest) (*alertingv1.UpdateRuleResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	fields := req.GetUpdateMask().GetPaths()
	if len(fields) == 0 {
		return nil, grpcx.InvalidField("update_mask", "names no field to change")
	}
	for _, f := range fields {
		if !slices.Contains(specFields, f) {
			return nil, grpcx.InvalidField("update_mask", fmt.Sprintf("%q is not a field of a rule", f))
		}
	}
	now := pgdb.Now(s.clock)
	after, err := s.store.UpdateRule(ctx, req.GetOrgId(), req.GetRuleId(), now, func(r domain.Rule) (domain.Rule, error) {
		spec, err := applySpec(r.Spec, req.GetSpec(), fields)
		if err != nil {
			return r, err
		}
		if err := s.check(ctx, req.GetOrgId(), spec); err != nil {
			return r, err
		}
		if reflect.DeepEqual(spec, r.Spec) {
			return r, nil
		}
		r.Spec, r.UpdatedAt = spec, now
		r.Version++
		return r, nil
	})
	if err != nil {
		return nil, toStatus(err, rule)
	}
	s.changed()
	return &alertingv1.UpdateRuleResponse{Rule: pbconv.Rule(after)}, nil
}

// DeleteRule implements the RPC.
func (s *Rules) DeleteRule(ctx context.Context, req *alertingv1.DeleteRuleRequest) (*alertingv1.DeleteRuleResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := s.store.DeleteRule(ctx, req.GetOrgId(), req.GetRuleId(), pgdb.Now(s.clock)); err != nil {
		return nil, toStatus(err, rule)
	}
	s.changed()
	return &alertingv1.DeleteRuleResponse{}, nil
}
