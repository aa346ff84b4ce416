package grpcapi

import (
	"context"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/pgdb"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
	"github.com/upstatehq/upstate/services/alerting/internal/pbconv"
	"github.com/upstatehq/upstate/services/alerting/internal/store"
)

// Alerts implements alertingv1.AlertServiceServer.
type Alerts struct {
	alertingv1.UnimplementedAlertServiceServer
	store   *store.Store
	changed func()
	clock   clockwork.Clock
}

// NewAlerts returns the AlertService over st.
func NewAlerts(st *store.Store, changed func(), clock clockwork.Clock) *Alerts {
	return &Alerts{store: st, changed: changed, clock: clock}
}

const alert = "alert"

// GetAlert implements the RPC.
func (s *Alerts) GetAlert(ctx context.Context, req *alertingv1.GetAlertRequest) (*alertingv1.GetAlertResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	a, err := s.store.GetAlert(ctx, req.GetOrgId(), req.GetAlertId(), pgdb.Now(s.clock))
	if err != nil {
		return nil, toStatus(err, alert)
	}
	return &alertingv1.GetAlertResponse{Alert: pbconv.Alert(a)}, nil
}

// ListAlerts implements the RPC.
func (s *Alerts) ListAlerts(ctx context.Context, req *alertingv1.ListAlertsRequest) (*alertingv1.ListAlertsResponse, error) {
	size, before, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	f := store.AlertFilter{ServiceID: req.GetServiceId(), RuleID: req.GetRuleId(), BeforeID: before}
	var ok bool
	if f.State, ok = pbconv.DomainState(req.GetState()); !ok {
		return nil, grpcx.InvalidField("state", "valid values are pending, firing, resolved")
	}
	list, err := s.store.ListAlerts(ctx, req.GetOrgId(), f, size+1, pgdb.Now(s.clock))
	if err != nil {
		return nil, toStatus(err, alert)
	}
	resp := &alertingv1.ListAlertsResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(a domain.Alert) string { return grpcx.EncodeToken(a.ID) })
	for _, a := range list {
		resp.Alerts = append(resp.Alerts, pbconv.Alert(a))
	}
	return resp, nil
}

// AcknowledgeAlert implements the RPC.
func (s *Alerts) AcknowledgeAlert(ctx context.Context, req *alertingv1.AcknowledgeAlertRequest) (*alertingv1.AcknowledgeAlertResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(req.GetNote()) > 1000 {
		return nil, grpcx.InvalidField("note", "must be at most 1000 characters")
	}
	a, err := s.store.Acknowledge(ctx, req.GetOrgId(), req.GetAlertId(), actor(req.GetActor()), req.GetNote(), pgdb.Now(s.clock))
	if err != nil {
		return nil, toStatus(err, alert)
	}
	s.changed()
	return &alertingv1.AcknowledgeAlertResponse{Alert: pbconv.Alert(a)}, nil
}

// UnacknowledgeAlert implements the RPC.
func (s *Alerts) UnacknowledgeAlert(ctx context.Context, req *alertingv1.UnacknowledgeAlertRequest) (*alertingv1.UnacknowledgeAlertResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	a, err := s.store.Unacknowledge(ctx, req.GetOrgId(), req.GetAlertId(), actor(req.GetActor()), pgdb.Now(s.clock))
	if err != nil {
		return nil, toStatus(err, alert)
	}
	s.changed()
	return &alertingv1.UnacknowledgeAlertResponse{Alert: pbconv.Alert(a)}, nil
}

// actor is who did it, "system" when the caller did not say.
func actor(a string) string {
	if a == "" {
		return domain.System
	}
	return a
}
