// Package standalone assembles every upstate service in one process, in
// dependency order, on a service runtime host: the status service first,
// then incidents, sla and alerting (which call status), the status page
// service (which calls status and sla), the notification service (which
// calls status), then the edge and the gateway
// behind the host's one HTTP listener, which also serves the public pages.
// bin/upstate and the integration tests run this same assembly.
package standalone

import (
	"context"
	"errors"

	"github.com/upstatehq/upstate/pkg/service"
	alerting "github.com/upstatehq/upstate/services/alerting/app"
	edge "github.com/upstatehq/upstate/services/edge/app"
	gateway "github.com/upstatehq/upstate/services/gateway/app"
	incidents "github.com/upstatehq/upstate/services/incidents/app"
	notification "github.com/upstatehq/upstate/services/notification/app"
	sla "github.com/upstatehq/upstate/services/sla/app"
	status "github.com/upstatehq/upstate/services/status/app"
	statuspage "github.com/upstatehq/upstate/services/statuspage/app"
)

// Config is every service's settings, the same variables each service's
// own binary reads, and where the in-process gRPC APIs listen.
type Config struct {
	// StatusGRPCAddr, IncidentsGRPCAddr, SLAGRPCAddr, AlertingGRPCAddr,
	// StatusPageGRPCAddr and NotificationGRPCAddr are where the in-process gRPC APIs listen; the
	// other services call them there.
	StatusGRPCAddr       string `env:"UPSTATE_STATUS_GRPC_ADDR" envDefault:"127.0.0.1:0" doc:"the in-process status service's gRPC address (port 0: any free port)"`
	IncidentsGRPCAddr    string `env:"UPSTATE_INCIDENTS_GRPC_ADDR" envDefault:"127.0.0.1:0" doc:"the in-process incidents service's gRPC address"`
	SLAGRPCAddr          string `env:"UPSTATE_SLA_GRPC_ADDR" envDefault:"127.0.0.1:0" doc:"the in-process SLA service's gRPC address"`
	AlertingGRPCAddr     string `env:"UPSTATE_ALERTING_GRPC_ADDR" envDefault:"127.0.0.1:0" doc:"the in-process alerting service's gRPC address"`
	StatusPageGRPCAddr   string `env:"UPSTATE_STATUSPAGE_GRPC_ADDR" envDefault:"127.0.0.1:0" doc:"the in-process status page service's gRPC address"`
	NotificationGRPCAddr string `env:"UPSTATE_NOTIFICATION_GRPC_ADDR" envDefault:"127.0.0.1:0" doc:"the in-process notification service's gRPC address"`
	Status               status.Config
	Incidents            incidents.Config
	SLA                  sla.Config
	Alerting             alerting.Config
	StatusPage           statuspage.Config
	Notification         notification.Config
	Edge                 edge.Config
	Gateway              gateway.Config
}

// Validate checks every service's settings.
func (c Config) Validate() error {
	return errors.Join(c.Status.Validate(), c.Incidents.Validate(), c.SLA.Validate(), c.Alerting.Validate(), c.StatusPage.Validate(), c.Notification.Validate(), c.Edge.Validate(), c.Gateway.Validate())
}

// Services are the running services.
type Services struct {
	Status, Incidents, SLA, Alerting, StatusPage, Notification, Edge, Gateway *service.Running
}

// Start starts every service on h. What started before a failure is
// stopped with the rest of h's stack.
func Start(ctx context.Context, h *service.Host, cfg Config) (*Services, error) {
	var s Services
	var err error
	if s.Status, err = h.Start(ctx, status.Unit(cfg.Status, cfg.StatusGRPCAddr)); err != nil {
		return nil, err
	}
	statusAddr := s.Status.GRPCAddr()
	if s.Incidents, err = h.Start(ctx, incidents.Unit(cfg.Incidents, cfg.IncidentsGRPCAddr, statusAddr)); err != nil {
		return nil, err
	}
	if s.SLA, err = h.Start(ctx, sla.Unit(cfg.SLA, cfg.SLAGRPCAddr, statusAddr)); err != nil {
		return nil, err
	}
	if s.Alerting, err = h.Start(ctx, alerting.Unit(cfg.Alerting, cfg.AlertingGRPCAddr, statusAddr)); err != nil {
		return nil, err
	}
	if s.StatusPage, err = h.Start(ctx, statuspage.Unit(cfg.StatusPage, cfg.StatusPageGRPCAddr, statusAddr, s.SLA.GRPCAddr())); err != nil {
		return nil, err
	}
	if s.Notification, err = h.Start(ctx, notification.Unit(cfg.Notification, cfg.NotificationGRPCAddr, statusAddr)); err != nil {
		return nil, err
	}
	if s.Edge, err = h.Start(ctx, edge.Unit(cfg.Edge, edge.Targets{
		Status: statusAddr, Incidents: s.Incidents.GRPCAddr(), SLA: s.SLA.GRPCAddr(), Alerting: s.Alerting.GRPCAddr(),
		StatusPage: s.StatusPage.GRPCAddr(), Notification: s.Notification.GRPCAddr(),
	})); err != nil {
		return nil, err
	}
	if s.Gateway, err = h.Start(ctx, gateway.Unit(cfg.Gateway, statusAddr)); err != nil {
		return nil, err
	}
	return &s, nil
}

// RedactPath hides webhook tokens in the logged paths of the host's
// listener, which serves the gateway.
func RedactPath(path string) string { return gateway.RedactPath(path) }
